package trace

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"
)

// benchPrograms are the CPU-heavy loop, the memory-heavy sort and the
// call-heavy recursion, with arguments sized for ~1-10 M steps.
var benchPrograms = []struct {
	name, file, export string
	arg                uint64
}{
	{"loop", "loop.wasm", "loop", 300000},
	{"sort", "sort.wasm", "sort", 700},
	{"fib", "fib.wasm", "fib", 25},
}

// BenchmarkTrace measures tracing speed (steps/s while recording every row
// and access) against wazero's interpreter and compiler on the same calls,
// side by side. Segments are streamed to a handler that keeps nothing, as a
// prover proving segment by segment would; "keep" keeps the whole trace.
func BenchmarkTrace(b *testing.B) {
	ctx := context.Background()
	for _, p := range benchPrograms {
		bin := mustRead(b, p.file)
		mod, err := Decode(bin)
		if err != nil {
			b.Fatal(err)
		}
		tr, err := Run(ctx, mod, p.export, []uint64{p.arg}, nil)
		if err != nil {
			b.Fatal(err)
		}
		steps := float64(tr.Steps)
		b.Run(p.name+"/tracer-stream", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := Run(ctx, mod, p.export, []uint64{p.arg}, nil, WithSegmentHandler(func(*Segment) error { return nil })); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(steps*float64(b.N)/b.Elapsed().Seconds(), "steps/s")
		})
		b.Run(p.name+"/tracer-keep", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := Run(ctx, mod, p.export, []uint64{p.arg}, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(steps*float64(b.N)/b.Elapsed().Seconds(), "steps/s")
		})
		for _, e := range engines {
			b.Run(p.name+"/wazero-"+e.name, func(b *testing.B) {
				rt := wazero.NewRuntimeWithConfig(ctx, e.cfg())
				defer rt.Close(ctx)
				cm, err := rt.CompileModule(ctx, bin)
				if err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					m, err := rt.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName(""))
					if err != nil {
						b.Fatal(err)
					}
					if _, err := m.ExportedFunction(p.export).Call(ctx, p.arg); err != nil {
						b.Fatal(err)
					}
					m.Close(ctx)
				}
				b.ReportMetric(steps*float64(b.N)/b.Elapsed().Seconds(), "steps/s")
			})
		}
	}
}
