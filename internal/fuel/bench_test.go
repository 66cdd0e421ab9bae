package fuel

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"
)

// BenchmarkOverhead runs the same programs plain and instrumented, side by
// side, on both engines: compare ns/op of .../plain and .../metered.
func BenchmarkOverhead(b *testing.B) {
	ctx := context.Background()
	inst, err := Instrument(programsWasm)
	if err != nil {
		b.Fatal(err)
	}
	withCk, err := Instrument(programsWasm, WithCheckpoints())
	if err != nil {
		b.Fatal(err)
	}
	work := []struct {
		fn  string
		arg uint64
	}{{"count", 10_000}, {"fib", 20}, {"mix", 12345}}
	for _, e := range engines {
		for _, w := range work {
			for _, variant := range []struct {
				name string
				wasm []byte
			}{{"plain", programsWasm}, {"metered", inst}, {"metered+checkpoints", withCk}} {
				b.Run(e.name+"/"+w.fn+"/"+variant.name, func(b *testing.B) {
					rt := wazero.NewRuntimeWithConfig(ctx, e.cfg())
					defer rt.Close(ctx)
					if err := DefineCheckpoint(ctx, rt); err != nil {
						b.Fatal(err)
					}
					mod, err := rt.Instantiate(ctx, variant.wasm)
					if err != nil {
						b.Fatal(err)
					}
					fn := mod.ExportedFunction(w.fn)
					var m *Meter
					if variant.name != "plain" {
						if m, err = NewMeter(mod); err != nil {
							b.Fatal(err)
						}
					}
					stack := make([]uint64, 1)
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						if m != nil {
							m.Set(1 << 62)
						}
						stack[0] = w.arg
						if err := fn.CallWithStack(ctx, stack); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

func BenchmarkInstrument(b *testing.B) {
	b.SetBytes(int64(len(programsWasm)))
	for i := 0; i < b.N; i++ {
		if _, err := Instrument(programsWasm); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKernelConfig compares, on the compiler engine, the plain module
// with the kernel's sandbox setting WithCloseOnContextDone(true) (a deadline
// check at every loop header) against fuel metering with checkpoints alone,
// which also stops runaway code and lets Go preempt it.
func BenchmarkKernelConfig(b *testing.B) {
	ctx := context.Background()
	withCk, err := Instrument(programsWasm, WithCheckpoints())
	if err != nil {
		b.Fatal(err)
	}
	for _, w := range []struct {
		fn  string
		arg uint64
	}{{"count", 10_000}, {"fib", 20}} {
		for _, v := range []struct {
			name  string
			wasm  []byte
			close bool
		}{{"plain", programsWasm, false}, {"plain+closeOnContextDone", programsWasm, true},
			{"metered+checkpoints", withCk, false}, {"metered+checkpoints+closeOnContextDone", withCk, true}} {
			b.Run(w.fn+"/"+v.name, func(b *testing.B) {
				rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(v.close))
				defer rt.Close(ctx)
				if err := DefineCheckpoint(ctx, rt); err != nil {
					b.Fatal(err)
				}
				mod, err := rt.Instantiate(ctx, v.wasm)
				if err != nil {
					b.Fatal(err)
				}
				m, _ := NewMeter(mod)
				fn := mod.ExportedFunction(w.fn)
				stack := make([]uint64, 1)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if m != nil {
						m.Set(1 << 62)
					}
					stack[0] = w.arg
					if err := fn.CallWithStack(ctx, stack); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
