package resource

import (
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mcpzero/mcpzero/internal/fuel"
	"github.com/mcpzero/mcpzero/internal/keys"
	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/plugins"
)

func signed(t *testing.T, priv ed25519.PrivateKey, path string, m plugins.Manifest) (*plugins.Signed, []byte) {
	t.Helper()
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := plugins.Sign(m, wasm, priv)
	if err != nil {
		t.Fatal(err)
	}
	return s, wasm
}

// TestKernelFuel runs the kernel with the fuel Meter and the usage hook on
// both engines: a runaway method is stopped by the agent's fuel limit with
// a resource error and leaves the agent's state unchanged, while another
// agent's calls run at the same time; fuel used is the same on both engines
// and usage counts exactly the committed calls.
func TestKernelFuel(t *testing.T) {
	ctx := context.Background()
	pub, priv, _ := ed25519.GenerateKey(nil)
	faults, faultsWasm := signed(t, priv, filepath.Join("..", "..", "plugins", "testdata", "faults.wasm"),
		plugins.Manifest{Name: "faults", Version: "0.1.0", Methods: []string{"loop", "trap", "ok"}, Limits: plugins.Limits{MemoryPages: 1}})
	counter, counterWasm := signed(t, priv, filepath.Join("..", "..", "plugins", "examples", "counter", "counter.wasm"),
		plugins.Manifest{Name: "counter", Version: "1.0.0", Methods: []string{"increment", "get", "reset"}, Limits: plugins.Limits{MemoryPages: 1}})
	fuelByEngine := map[plugins.Engine]uint64{}
	for _, engine := range []plugins.Engine{plugins.EngineCompiler, plugins.EngineInterpreter} {
		st := store.OpenMemory()
		alloc := New(WithStore(st))
		k, err := kernel.Open(st, kernel.WithEngine(engine), kernel.WithTrustedKeys(plugins.KeySet{keys.ID(pub): pub}),
			kernel.WithMeter(NewMeter(1<<20)), kernel.WithCommitHook(alloc.CommitHook()), kernel.WithAdmission(alloc.Admission()))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []struct {
			s *plugins.Signed
			w []byte
		}{{faults, faultsWasm}, {counter, counterWasm}} {
			if _, err := k.InstallPlugin(ctx, p.s, p.w); err != nil {
				t.Fatal(err)
			}
		}
		// The deadline is a safety net far above the fuel's: fuel must stop it.
		runaway, err := k.Spawn(kernel.Constraints{FuelPerCall: 10_000_000, Deadline: 5 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		good, err := k.Spawn(kernel.Constraints{FuelPerCall: 100_000})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []struct {
			id kernel.AgentID
			p  string
		}{{runaway, "faults"}, {runaway, "counter"}, {good, "counter"}} {
			if err := k.AttachPlugin(ctx, a.id, a.p); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := k.Execute(ctx, runaway, "increment", nil); err != nil {
			t.Fatal(err)
		}
		before, _ := k.State(runaway)
		var wg sync.WaitGroup
		var loopErr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, loopErr = k.Execute(ctx, runaway, "loop", nil)
		}()
		var goodFuel, totalFuel uint64
		for i := 0; i < 3; i++ {
			r, err := k.ExecuteDetailed(ctx, good, "increment", nil)
			if err != nil {
				t.Fatalf("%s: good agent: %v", engine, err)
			}
			goodFuel = r.Record.FuelUsed
			totalFuel += goodFuel
		}
		wg.Wait()
		var pe *kernel.PluginError
		if !errors.Is(loopErr, kernel.ErrResourceExceeded) || !errors.Is(loopErr, fuel.ErrExhausted) || !errors.As(loopErr, &pe) {
			t.Fatalf("%s: runaway: %v, want a resource error for fuel", engine, loopErr)
		}
		after, _ := k.State(runaway)
		if len(after) != len(before) {
			t.Fatalf("%s: state changed by a failed call", engine)
		}
		for key, v := range before {
			if string(after[key]) != string(v) {
				t.Fatalf("%s: state key %q changed by a failed call", engine, key)
			}
		}
		if goodFuel == 0 {
			t.Fatalf("%s: no fuel recorded", engine)
		}
		fuelByEngine[engine] = totalFuel
		u, err := alloc.Usage(string(good))
		if err != nil || u.Calls != 3 || u.Fuel != totalFuel {
			t.Fatalf("%s: usage of %s: %+v %v (fuel %d)", engine, good, u, err, totalFuel)
		}
		if u, _ := alloc.Usage(string(runaway)); u.Calls != 1 || u.Failed != 1 || u.Exhausted != 1 {
			t.Fatalf("%s: usage of the runaway agent: %+v, want 1 call, 1 failed (fuel exhausted)", engine, u)
		}
		if alloc.InFlight() != 0 {
			t.Fatalf("%s: %d workers still held", engine, alloc.InFlight())
		}
		k.Close()
		st.Close()
	}
	if fuelByEngine[plugins.EngineCompiler] != fuelByEngine[plugins.EngineInterpreter] {
		t.Fatalf("fuel differs between engines: %v", fuelByEngine)
	}
}

// TestKernelWorkerPool: with a pool of one worker, an execute waits for the
// worker held elsewhere and is refused with a resource error when its
// context ends first.
func TestKernelWorkerPool(t *testing.T) {
	ctx := context.Background()
	pub, priv, _ := ed25519.GenerateKey(nil)
	counter, counterWasm := signed(t, priv, filepath.Join("..", "..", "plugins", "examples", "counter", "counter.wasm"),
		plugins.Manifest{Name: "counter", Version: "1.0.0", Methods: []string{"increment", "get", "reset"}, Limits: plugins.Limits{MemoryPages: 1}})
	st := store.OpenMemory()
	defer st.Close()
	alloc := New(WithStore(st), WithWorkers(1))
	k, err := kernel.Open(st, kernel.WithTrustedKeys(plugins.KeySet{keys.ID(pub): pub}), kernel.WithAdmission(alloc.Admission()))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	k.InstallPlugin(ctx, counter, counterWasm)
	agent, _ := k.Spawn(kernel.Constraints{})
	if err := k.AttachPlugin(ctx, agent, "counter"); err != nil {
		t.Fatal(err)
	}
	other, _ := k.Spawn(kernel.Constraints{})
	alloc.Allocate(string(other), Limits{FuelPerCall: 1, MemoryPages: 1, StateBytes: 1})
	lease, err := alloc.Acquire(ctx, string(other)) // the only worker
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := k.Execute(short, agent, "increment", nil); !errors.Is(err, kernel.ErrResourceExceeded) || !errors.Is(err, ErrLimitExceeded) {
		t.Fatalf("execute with the pool full: %v", err)
	}
	lease.Done()
	if _, err := k.Execute(ctx, agent, "increment", nil); err != nil {
		t.Fatalf("execute with a free worker: %v", err)
	}
}

// TestKernelDeadlineSafetyNet: with the Meter installed the sandbox drops
// wazero's per-loop context check; the wall-clock deadline is then checked
// at fuel checkpoints and still ends a runaway whose fuel budget is huge.
func TestKernelDeadlineSafetyNet(t *testing.T) {
	ctx := context.Background()
	pub, priv, _ := ed25519.GenerateKey(nil)
	faults, faultsWasm := signed(t, priv, filepath.Join("..", "..", "plugins", "testdata", "faults.wasm"),
		plugins.Manifest{Name: "faults", Version: "0.1.0", Methods: []string{"loop"}, Limits: plugins.Limits{MemoryPages: 1}})
	for _, engine := range []plugins.Engine{plugins.EngineCompiler, plugins.EngineInterpreter} {
		st := store.OpenMemory()
		k, err := kernel.Open(st, kernel.WithEngine(engine), kernel.WithTrustedKeys(plugins.KeySet{keys.ID(pub): pub}), kernel.WithMeter(NewMeter(1<<20)))
		if err != nil {
			t.Fatal(err)
		}
		k.InstallPlugin(ctx, faults, faultsWasm)
		agent, _ := k.Spawn(kernel.Constraints{FuelPerCall: 1 << 62, Deadline: 50 * time.Millisecond})
		if err := k.AttachPlugin(ctx, agent, "faults"); err != nil {
			t.Fatal(err)
		}
		_, err = k.Execute(ctx, agent, "loop", nil)
		if !errors.Is(err, kernel.ErrResourceExceeded) || !errors.Is(err, plugins.ErrDeadline) {
			t.Fatalf("%s: %v, want the deadline as a resource error", engine, err)
		}
		k.Close()
		st.Close()
	}
}
