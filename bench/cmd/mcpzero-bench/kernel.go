package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/mcpzero/mcpzero/bench/harness"
	"github.com/mcpzero/mcpzero/internal/keys"
	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/plugins"
)

// kernelFixture is a kernel on a fresh LevelDB directory with the counter
// example installed and n agents running it.
type kernelFixture struct {
	k      *kernel.Kernel
	agents []kernel.AgentID
	close  func()
}

// fixtureOption wraps the fixture's store and adds kernel options.
type fixtureOption func(store.Store) (store.Store, []kernel.Option)

func newKernelFixture(ctx context.Context, root string, n int, fopts ...fixtureOption) (*kernelFixture, error) {
	dir, err := os.MkdirTemp("", "mcpzero-bench-kernel-")
	if err != nil {
		return nil, err
	}
	st, err := store.Open(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	opts := []kernel.Option{kernel.WithTrustedKeys(plugins.KeySet{keys.ID(pub): pub})}
	var kst store.Store = st
	for _, f := range fopts {
		var more []kernel.Option
		kst, more = f(kst)
		opts = append(opts, more...)
	}
	k, err := kernel.Open(kst, opts...)
	if err != nil {
		st.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	f := &kernelFixture{k: k, close: func() { k.Close(); st.Close(); os.RemoveAll(dir) }}
	ex := filepath.Join(root, "plugins", "examples", "counter")
	wasm, err := os.ReadFile(filepath.Join(ex, "counter.wasm"))
	if err != nil {
		f.close()
		return nil, err
	}
	mb, err := os.ReadFile(filepath.Join(ex, "manifest.json"))
	if err != nil {
		f.close()
		return nil, err
	}
	m, err := plugins.ParseManifest(mb)
	if err != nil {
		f.close()
		return nil, err
	}
	signed, err := plugins.Sign(*m, wasm, priv)
	if err != nil {
		f.close()
		return nil, err
	}
	if _, err := k.InstallPlugin(ctx, signed, wasm); err != nil {
		f.close()
		return nil, err
	}
	for i := 0; i < n; i++ {
		a, err := k.Spawn(kernel.Constraints{})
		if err == nil {
			err = k.AttachPlugin(ctx, a, m.Name)
		}
		if err != nil {
			f.close()
			return nil, err
		}
		f.agents = append(f.agents, a)
	}
	return f, nil
}

// kernelSection: execute latency (median, p99) of the counter with
// persistence, executes per second with 1 and 2 goroutines on different
// agents, and the resident memory of an idle kernel (in a child process).
func kernelSection(ctx context.Context, o *options) (*harness.Section, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	s := &harness.Section{
		Name:    "kernel",
		Title:   "Kernel (counter.increment, LevelDB with fsynced commits)",
		Columns: []string{"measure", "value", "target"},
	}
	f, err := newKernelFixture(ctx, root, 2)
	if err != nil {
		return nil, err
	}
	defer f.close()
	n := 2000
	if o.short {
		n = 50
	}
	lat := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		start := time.Now()
		if _, err := f.k.Execute(ctx, f.agents[0], "increment", nil); err != nil {
			return nil, err
		}
		lat = append(lat, float64(time.Since(start).Nanoseconds())/1e3)
	}
	sum := harness.Summarize(lat, "µs")
	s.Add(map[string]any{"measure": "execute latency, median", "value": fmt.Sprintf("%.0f µs", sum.Median), "target": "< 10 ms (seed); p99 < 1 ms (ours)"})
	s.Add(map[string]any{"measure": "execute latency, p99", "value": fmt.Sprintf("%.0f µs", sum.P99), "target": "< 1 ms"})
	s.Add(map[string]any{"measure": "execute latency, min / max", "value": fmt.Sprintf("%.0f / %.0f µs", sum.Min, sum.Max)})
	for _, workers := range []int{1, 2} {
		rate, err := throughput(ctx, f, workers, n)
		if err != nil {
			return nil, err
		}
		s.Add(map[string]any{"measure": fmt.Sprintf("executes/s, %d goroutine(s) on different agents", workers),
			"value": fmt.Sprintf("%.0f", rate), "target": "thousands per node (seed)"})
	}
	child, err := harness.RunChild(nil, "-child", "idle", root)
	if err != nil {
		return nil, err
	}
	var idle struct{ RSS, Heap int64 }
	if err := json.Unmarshal(child.Stdout, &idle); err != nil {
		return nil, err
	}
	s.Add(map[string]any{"measure": "idle kernel resident memory (RSS)", "value": fmt.Sprintf("%.1f MiB", float64(idle.RSS)/(1<<20)), "target": "< 50 MB (ours), < 200 MB (seed)"})
	s.Add(map[string]any{"measure": "idle kernel Go heap in use", "value": fmt.Sprintf("%.1f MiB", float64(idle.Heap)/(1<<20))})
	s.Note("%d sequential executes for the latency distribution; p99 is the 99th percentile of those samples.", n)
	s.Note("idle: a child process that opened the store, installed the counter, spawned an agent, executed once and then collected garbage.")
	return s, nil
}

// throughput runs n executes spread over workers goroutines, each on its own agent.
func throughput(ctx context.Context, f *kernelFixture, workers, n int) (float64, error) {
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(a kernel.AgentID) {
			defer wg.Done()
			for i := 0; i < n/workers; i++ {
				if _, err := f.k.Execute(ctx, a, "increment", nil); err != nil {
					errs <- err
					return
				}
			}
		}(f.agents[w])
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return float64(n/workers*workers) / time.Since(start).Seconds(), nil
}

// childIdle: idle ROOT; prints {"RSS":…, "Heap":…} of an idle kernel.
func childIdle(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("idle wants ROOT")
	}
	ctx := context.Background()
	f, err := newKernelFixture(ctx, args[0], 1)
	if err != nil {
		return err
	}
	defer f.close()
	if _, err := f.k.Execute(ctx, f.agents[0], "increment", nil); err != nil {
		return err
	}
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return json.NewEncoder(os.Stdout).Encode(struct{ RSS, Heap int64 }{harness.CurrentRSS(), int64(ms.HeapInuse)})
}
