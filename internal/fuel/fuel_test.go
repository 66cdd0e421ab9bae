package fuel

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

//go:embed testdata/programs.wasm
var programsWasm []byte

//go:embed testdata/start.wasm
var startWasm []byte

//go:embed testdata/imports.wasm
var importsWasm []byte

//go:embed testdata/env.wasm
var envWasm []byte

type engine struct {
	name string
	cfg  func() wazero.RuntimeConfig
}

var engines = []engine{
	{"compiler", wazero.NewRuntimeConfigCompiler},
	{"interpreter", wazero.NewRuntimeConfigInterpreter},
}

// instance instruments wasm with opts and instantiates it on the engine.
func instance(t testing.TB, e engine, wasm []byte, opts ...Option) (api.Module, *Meter) {
	t.Helper()
	ctx := context.Background()
	inst, err := Instrument(wasm, opts...)
	if err != nil {
		t.Fatalf("Instrument: %v", err)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, e.cfg().WithMemoryLimitPages(4))
	t.Cleanup(func() { rt.Close(ctx) })
	if err := DefineCheckpoint(ctx, rt); err != nil {
		t.Fatal(err)
	}
	mod, err := rt.Instantiate(ctx, inst)
	if err != nil {
		t.Fatalf("%s: instantiate: %v", e.name, err)
	}
	m, err := NewMeter(mod)
	if err != nil {
		t.Fatal(err)
	}
	return mod, m
}

func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

// fibCost is the instruction count of fib(n) (see programs.wat):
// F(0) = F(1) = 7, F(n) = 15 + F(n-1) + F(n-2).
func fibCost(n int) int64 {
	if n < 2 {
		return 7
	}
	return 15 + fibCost(n-1) + fibCost(n-2)
}

func TestExactCounts(t *testing.T) {
	tests := []struct {
		fn     string
		arg    uint64
		result uint64
		fuel   int64
	}{
		{"count", 0, 0, 7},
		{"count", 1, 1, 19},
		{"count", 10, 55, 127},
		{"count", 1000, 500500, 12007},
		{"count", 200_000, 200_000 * 200_001 / 2, 12*200_000 + 7}, // > CheckpointInterval
		{"fib", 0, 0, fibCost(0)},
		{"fib", 1, 1, fibCost(1)},
		{"fib", 2, 1, fibCost(2)},
		{"fib", 15, uint64(fib(15)), fibCost(15)},
		{"deep", 0, 0, 6},
		{"deep", 100, 100, 11*100 + 6},
		{"trap", 0, 0, 5}, // local.get, if, local.get, end(func)... see below
	}
	// trap(0): local.get, if (false: jumps past end, which does not count),
	// local.get, end = 4. Keep the table honest:
	tests[len(tests)-1].fuel = 4
	for _, e := range engines {
		for mode, opts := range modes {
			mod, m := instance(t, e, programsWasm, opts...)
			for _, tc := range tests {
				name := fmt.Sprintf("%s/%s/%s(%d)", e.name, mode, tc.fn, tc.arg)
				res, used, err := m.Call(context.Background(), mod.ExportedFunction(tc.fn), 1<<40, tc.arg)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if uint32(res[0]) != uint32(tc.result) {
					t.Errorf("%s = %d, want %d", name, uint32(res[0]), tc.result)
				}
				if used != tc.fuel {
					t.Errorf("%s used %d fuel, want %d", name, used, tc.fuel)
				}
			}
		}
	}
}

// modes are the instrumentation variants every exactness test runs.
var modes = map[string][]Option{
	"segment":         nil,
	"per-instruction": {PerInstruction()},
	"checkpoints":     {WithCheckpoints()},
}

// segmentModes charge per segment, so they trap at the same point.
var segmentModes = [][]Option{nil, {WithCheckpoints()}}

// TestSegmentEqualsPerInstruction checks, over many inputs of a function
// using every control construct, that segment metering charges exactly
// what per-instruction metering does, on both engines.
func TestSegmentEqualsPerInstruction(t *testing.T) {
	type key struct{ x uint64 }
	want := map[key]int64{}
	for _, e := range engines {
		modS, mS := instance(t, e, programsWasm)
		modP, mP := instance(t, e, programsWasm, PerInstruction())
		for x := uint64(0); x < 300; x++ {
			rs, us, err1 := mS.Call(context.Background(), modS.ExportedFunction("mix"), 1<<40, x)
			rp, up, err2 := mP.Call(context.Background(), modP.ExportedFunction("mix"), 1<<40, x)
			if err1 != nil || err2 != nil {
				t.Fatalf("mix(%d): %v, %v", x, err1, err2)
			}
			if rs[0] != rp[0] || us != up {
				t.Fatalf("%s mix(%d): segment (%d, fuel %d) != per-instruction (%d, fuel %d)", e.name, x, rs[0], us, rp[0], up)
			}
			if w, ok := want[key{x}]; ok && w != us {
				t.Fatalf("mix(%d): %s used %d, other engine %d", x, e.name, us, w)
			}
			want[key{x}] = us
		}
	}
}

func TestExhaustion(t *testing.T) {
	for _, e := range engines {
		for mode, opts := range modes {
			for _, fn := range []struct {
				name string
				arg  uint64
			}{{"spin", 0}, {"fib", 40}, {"deep", 1_000_000}, {"count", 1 << 30}} {
				t.Run(e.name+"/"+mode+"/"+fn.name, func(t *testing.T) {
					mod, m := instance(t, e, programsWasm, opts...)
					f := mod.ExportedFunction(fn.name)
					var params []uint64
					if len(f.Definition().ParamTypes()) > 0 {
						params = []uint64{fn.arg}
					}
					_, used, err := m.Call(context.Background(), f, 1000, params...)
					var ex *ExhaustedError
					if !errors.Is(err, ErrExhausted) || !errors.As(err, &ex) {
						t.Fatalf("err = %v, want ErrExhausted", err)
					}
					if ex.Budget != 1000 || used != 1000 || !m.Exhausted() {
						t.Fatalf("budget %d used %d exhausted %v", ex.Budget, used, m.Exhausted())
					}
					// The module is still usable with a new budget.
					if _, _, err := m.Call(context.Background(), mod.ExportedFunction("count"), 1000, 3); err != nil {
						t.Fatalf("call after exhaustion: %v", err)
					}
				})
			}
		}
	}
}

// TestTrapPointSameOnBothEngines: with a budget just below and at the exact
// cost, count(n) fails and succeeds identically on both engines, and the
// counter left after a fuel trap is the same.
func TestTrapPointSameOnBothEngines(t *testing.T) {
	const n = 50
	cost := int64(12*n + 7)
	for budget := cost - 30; budget <= cost; budget++ {
		var left []int64
		for _, e := range engines {
			for _, opts := range segmentModes {
				mod, m := instance(t, e, programsWasm, opts...)
				_, used, err := m.Call(context.Background(), mod.ExportedFunction("count"), budget, n)
				if budget < cost {
					if !errors.Is(err, ErrExhausted) {
						t.Fatalf("%s budget %d: err %v, want exhausted", e.name, budget, err)
					}
				} else if err != nil || used != cost {
					t.Fatalf("%s budget %d: used %d err %v", e.name, budget, used, err)
				}
				left = append(left, m.Remaining())
			}
		}
		for _, l := range left[1:] {
			if l != left[0] {
				t.Fatalf("budget %d: counter left differs between engines or modes: %v", budget, left)
			}
		}
	}
}

func TestPluginTrapIsNotExhaustion(t *testing.T) {
	for _, e := range engines {
		mod, m := instance(t, e, programsWasm)
		_, used, err := m.Call(context.Background(), mod.ExportedFunction("trap"), 1000, 1)
		if err == nil || errors.Is(err, ErrExhausted) {
			t.Fatalf("%s: err %v, want the plugin's own trap", e.name, err)
		}
		if m.Exhausted() || used <= 0 || used >= 1000 {
			t.Fatalf("%s: used %d exhausted %v", e.name, used, m.Exhausted())
		}
	}
}

func TestNegativeBudget(t *testing.T) {
	mod, m := instance(t, engines[1], programsWasm)
	if _, _, err := m.Call(context.Background(), mod.ExportedFunction("count"), -1, 1); !errors.Is(err, ErrNegativeBudget) {
		t.Fatalf("err %v", err)
	}
	m.Set(-5)
	if m.Remaining() != 0 {
		t.Fatalf("Set(-5) left %d", m.Remaining())
	}
}

// TestRunawayDoesNotBlockOthers runs a runaway call on the compiler engine
// and, at the same time, normal calls with garbage collections (each a
// stop-the-world) on another goroutine. With checkpoints the normal calls
// all complete while the runaway is still running, and the runaway stops at
// its fuel limit. (Without checkpoints Go cannot preempt the runaway inside
// compiled code, and the first collection waits for it to end.)
func TestRunawayDoesNotBlockOthers(t *testing.T) {
	ctx := context.Background()
	inst, err := Instrument(programsWasm, WithCheckpoints())
	if err != nil {
		t.Fatal(err)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer rt.Close(ctx)
	if err := DefineCheckpoint(ctx, rt); err != nil {
		t.Fatal(err)
	}
	cm, err := rt.CompileModule(ctx, inst)
	if err != nil {
		t.Fatal(err)
	}
	newInst := func(name string) (api.Module, *Meter) {
		mod, err := rt.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName(name))
		if err != nil {
			t.Fatal(err)
		}
		m, err := NewMeter(mod)
		if err != nil {
			t.Fatal(err)
		}
		return mod, m
	}
	runaway, rm := newInst("runaway")
	normal, nm := newInst("normal")
	done := make(chan error, 1)
	var finished atomic.Bool
	started := make(chan struct{})
	go func() {
		close(started)
		_, _, err := rm.Call(ctx, runaway.ExportedFunction("spin"), 400_000_000)
		finished.Store(true)
		done <- err
	}()
	<-started
	for i := 0; i < 5; i++ {
		runtime.GC() // stops the world: needs the runaway goroutine to yield
		res, _, err := nm.Call(ctx, normal.ExportedFunction("count"), 1<<20, 100)
		if err != nil || res[0] != 5050 {
			t.Fatalf("normal call: %v %v", res, err)
		}
	}
	if finished.Load() {
		t.Fatal("the runaway ended before the normal calls did: the calls did not overlap")
	}
	if err := <-done; !errors.Is(err, ErrExhausted) {
		t.Fatalf("runaway: %v, want exhausted", err)
	}
}

func TestStartFunctionBudget(t *testing.T) {
	ctx := context.Background()
	for _, e := range engines {
		rt := wazero.NewRuntimeWithConfig(ctx, e.cfg())
		// No initial fuel: the start function's loop traps at instantiation.
		inst, err := Instrument(startWasm)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rt.Instantiate(ctx, inst); err == nil {
			t.Fatalf("%s: start function ran without fuel", e.name)
		}
		inst, err = Instrument(startWasm, WithInitialFuel(10_000))
		if err != nil {
			t.Fatal(err)
		}
		mod, err := rt.InstantiateModule(ctx, mustCompile(t, rt, inst), wazero.NewModuleConfig().WithName("ok"))
		if err != nil {
			t.Fatalf("%s: %v", e.name, err)
		}
		m, _ := NewMeter(mod)
		// $init: local.set+const (2), loop (1), 100 × 6 (local.get, const,
		// sub, local.set, local.get, br_if), loop end (1), const,
		// global.set (2), end (1) = 607.
		if used := 10_000 - m.Remaining(); used != 607 {
			t.Errorf("%s: start function used %d, want 607", e.name, used)
		}
		rt.Close(ctx)
	}
}

func mustCompile(t *testing.T, rt wazero.Runtime, wasm []byte) wazero.CompiledModule {
	t.Helper()
	cm, err := rt.CompileModule(context.Background(), wasm)
	if err != nil {
		t.Fatal(err)
	}
	return cm
}

func TestImportedGlobalsKeepIndices(t *testing.T) {
	ctx := context.Background()
	for _, e := range engines {
		rt := wazero.NewRuntimeWithConfig(ctx, e.cfg())
		if _, err := rt.InstantiateWithConfig(ctx, envWasm, wazero.NewModuleConfig().WithName("env")); err != nil {
			t.Fatal(err)
		}
		inst, st, err := InstrumentStats(importsWasm)
		if err != nil {
			t.Fatal(err)
		}
		if st.FuelGlobal != 2 || st.Functions != 1 {
			t.Fatalf("stats %+v, want fuel global 2 and 1 function", st)
		}
		mod, err := rt.Instantiate(ctx, inst)
		if err != nil {
			t.Fatal(err)
		}
		m, err := NewMeter(mod)
		if err != nil {
			t.Fatal(err)
		}
		// run(x) = base + (k += x) = 32 + 10 + x; its own instructions:
		// global.get, local.get, i32.add, global.set, global.get,
		// global.get, call, end = 8 (the host import is not metered).
		res, used, err := m.Call(ctx, mod.ExportedFunction("run"), 100, 5)
		if err != nil || res[0] != 47 || used != 8 {
			t.Fatalf("%s: run(5) = %v, used %d, err %v; want 47, 8", e.name, res, used, err)
		}
		rt.Close(ctx)
	}
}

// TestCheckpointDeadline: the checkpoint also ends a call whose context is
// done, with wazero's deadline exit code, on a runaway loop and on loop-free
// recursion (which wazero's own context check misses).
func TestCheckpointDeadline(t *testing.T) {
	for _, e := range engines {
		for _, fn := range []struct {
			name string
			arg  uint64
		}{{"spin", 0}, {"fib", 45}} {
			mod, m := instance(t, e, programsWasm, WithCheckpoints())
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			f := mod.ExportedFunction(fn.name)
			var params []uint64
			if len(f.Definition().ParamTypes()) > 0 {
				params = []uint64{fn.arg}
			}
			_, _, err := m.Call(ctx, f, 1<<62, params...)
			cancel()
			var exit *sys.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != sys.ExitCodeDeadlineExceeded {
				t.Fatalf("%s %s: %v, want the deadline exit", e.name, fn.name, err)
			}
		}
	}
}
