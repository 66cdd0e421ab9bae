package kernel

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/plugins"
)

// -nosync measures without the fsync of each commit (what fsync costs); the
// kernel always syncs.
var benchNoSync = flag.Bool("nosync", false, "benchmarks: open the store without fsync per write")

func benchStore(b *testing.B) store.Store {
	open := store.Open
	if *benchNoSync {
		open = store.OpenUnsynced
	}
	st, err := open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// BenchmarkExecuteCounter measures one persisted execute of the counter
// (fsynced LevelDB batch) and reports the median and p99 latency from a
// histogram of every iteration.
func BenchmarkExecuteCounter(b *testing.B) {
	for _, e := range []plugins.Engine{plugins.EngineCompiler, plugins.EngineInterpreter} {
		b.Run(string(e), func(b *testing.B) {
			k, id := counterAgent(b, benchStore(b), WithEngine(e))
			if _, err := k.Execute(ctx, id, "increment", nil); err != nil {
				b.Fatal(err)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if _, err := k.Execute(ctx, id, "increment", nil); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			reportLatency(b, lat)
		})
	}
}

func reportLatency(b *testing.B, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(q(0.5), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
}

// BenchmarkExecuteParallel runs executes on 1 and 2 agents from as many
// goroutines and reports executes per second.
func BenchmarkExecuteParallel(b *testing.B) {
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("goroutines=%d", n), func(b *testing.B) {
			k, first := counterAgent(b, benchStore(b))
			ids := []AgentID{first}
			for len(ids) < n {
				id, err := k.Spawn(Constraints{})
				if err != nil {
					b.Fatal(err)
				}
				if err := k.AttachPlugin(ctx, id, "counter"); err != nil {
					b.Fatal(err)
				}
				ids = append(ids, id)
			}
			var next atomic.Int64
			next.Store(int64(b.N))
			b.ResetTimer()
			t0 := time.Now()
			var wg sync.WaitGroup
			for _, id := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(-1) >= 0 {
						if _, err := k.Execute(ctx, id, "increment", nil); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "exec/s")
		})
	}
}

// BenchmarkIdleKernel reports the resident memory (VmRSS) of this process
// and the Go heap in use with an open kernel, one agent and the counter
// compiled, after a GC. Run it with -benchtime 1x: it measures once.
func BenchmarkIdleKernel(b *testing.B) {
	runtime.GC()
	debug.FreeOSMemory()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	k, id := counterAgent(b, benchStore(b))
	if _, err := k.Execute(ctx, id, "increment", nil); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
	}
	runtime.GC()
	debug.FreeOSMemory()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapInuse)/(1<<20), "heap-MiB")
	b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/(1<<20), "kernel-heap-MiB")
	b.ReportMetric(float64(rssKiB())/1024, "rss-MiB")
}

// rssKiB reads VmRSS from /proc/self/status (0 where there is none).
func rssKiB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return 0
}
