package resource

import (
	"context"
	_ "embed"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpzero/mcpzero/internal/fuel"
	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/tetratelabs/wazero"
)

//go:embed testdata/programs.wasm
var programsWasm []byte

var limits = Limits{FuelPerCall: 1000, MemoryPages: 4, StateBytes: 100, Deadline: time.Second, MaxConcurrent: 2}

func TestLimits(t *testing.T) {
	a := New(WithWorkers(4))
	if err := a.Allocate("a", limits); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Limits{{}, {FuelPerCall: 1, MemoryPages: 1}, {FuelPerCall: 1, MemoryPages: 1, StateBytes: 1, Deadline: -1}, {FuelPerCall: 1 << 63, MemoryPages: 1, StateBytes: 1}} {
		if err := a.Allocate("b", bad); !errors.Is(err, ErrInvalidLimits) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	tests := []struct {
		cost Cost
		res  string
	}{
		{Cost{Fuel: 1000, MemoryPages: 4, StateBytes: 100}, ""},
		{Cost{Fuel: 1001}, ResFuel},
		{Cost{MemoryPages: 5}, ResMemory},
		{Cost{StateBytes: 101}, ResState},
	}
	for _, tc := range tests {
		err := a.CheckResourceLimits("a", "count", tc.cost)
		var le *LimitError
		if tc.res == "" {
			if err != nil {
				t.Errorf("%+v: %v", tc.cost, err)
			}
		} else if !errors.As(err, &le) || le.Resource != tc.res || !errors.Is(err, ErrLimitExceeded) {
			t.Errorf("%+v: %v, want %s", tc.cost, err, tc.res)
		}
	}
	if err := a.CheckResourceLimits("nobody", "x", Cost{}); !errors.Is(err, ErrUnknownAgent) {
		t.Fatal(err)
	}
	if got := a.Agents(); len(got) != 1 || got[0] != "a" {
		t.Fatal(got)
	}
	a.Release("a")
	if _, err := a.Limits("a"); !errors.Is(err, ErrUnknownAgent) {
		t.Fatal(err)
	}
}

func TestConcurrencyAndPool(t *testing.T) {
	a := New(WithWorkers(3))
	a.Allocate("a", limits) // 2 concurrent
	a.Allocate("b", limits)
	ctx := context.Background()
	l1, err1 := a.Acquire(ctx, "a")
	l2, err2 := a.Acquire(ctx, "a")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	var le *LimitError
	if _, err := a.Acquire(ctx, "a"); !errors.As(err, &le) || le.Resource != ResConcurrent {
		t.Fatalf("third call of a: %v", err)
	}
	// b still gets the pool's last worker; then the pool is full.
	l3, err := a.Acquire(ctx, "b")
	if err != nil || a.InFlight() != 3 {
		t.Fatal(err, a.InFlight())
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := a.Acquire(short, "b"); !errors.Is(err, ErrLimitExceeded) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("pool full: %v", err)
	}
	if u, _ := a.Usage("b"); u.Active != 1 {
		t.Fatalf("a refused wait left an active slot: %+v", u)
	}
	l1.Done()
	l1.Done() // idempotent
	if _, err := a.Acquire(ctx, "a"); err != nil {
		t.Fatalf("after Done: %v", err)
	}
	l2.Done()
	l3.Done()
	if _, err := a.Acquire(ctx, "nobody"); !errors.Is(err, ErrUnknownAgent) {
		t.Fatal(err)
	}
	if New().Workers() < 1 {
		t.Fatal("default workers")
	}
}

func TestUsagePersistedWithTheBatch(t *testing.T) {
	st := store.OpenMemory()
	defer st.Close()
	a := New(WithStore(st))
	a.Allocate("a", limits)
	b := st.NewBatch()
	if err := a.RecordUsage(b, "a", Usage{Calls: 1, Fuel: 10, StateBytes: 7}); err != nil {
		t.Fatal(err)
	}
	if err := a.RecordUsage(b, "a", Usage{Calls: 1, Fuel: 5, StateBytes: -1}); err != nil {
		t.Fatal(err)
	}
	if u, _ := a.Usage("a"); u.Calls != 0 {
		t.Fatalf("usage visible before the batch is written: %+v", u)
	}
	if err := st.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := a.UpdateUsage("a", Usage{Failed: 1, Exhausted: 1, StateBytes: -1}); err != nil {
		t.Fatal(err)
	}
	a2 := New(WithStore(st)) // a restart
	u, err := a2.Usage("a")
	want := Usage{Calls: 2, Fuel: 15, StateBytes: 7, Failed: 1, Exhausted: 1}
	if err != nil || u != want {
		t.Fatalf("usage %+v %v, want %+v", u, err, want)
	}
	if err := New().UpdateUsage("a", Usage{}); err == nil {
		t.Fatal("UpdateUsage without a store")
	}
	bad := st.NewBatch()
	bad.Put(store.Key(pfxUsage, []byte("z")), []byte("{"))
	st.Write(bad)
	if _, err := a.Usage("z"); !errors.Is(err, store.ErrCorrupted) {
		t.Fatal(err)
	}
}

// run instantiates the metered module and calls fn under a lease.
func call(t *testing.T, rt wazero.Runtime, cm wazero.CompiledModule, m *Meter, fn string, budget uint64, arg uint64) (uint64, error) {
	ctx := context.Background()
	mod, err := rt.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close(ctx)
	if err := m.Begin(mod, budget); err != nil {
		t.Fatal(err)
	}
	f := mod.ExportedFunction(fn)
	var params []uint64
	if len(f.Definition().ParamTypes()) == 1 {
		params = []uint64{arg}
	}
	_, callErr := f.Call(ctx, params...)
	used, uerr := m.Used(mod)
	if uerr != nil {
		return used, uerr
	}
	return used, callErr
}

// TestRunawayAgentDoesNotStopOthers runs a runaway agent and a well-behaved
// one at once under the allocator: the runaway is stopped by its fuel limit
// with a typed error, and the other agent's calls all complete while it is
// still running.
// Both run on the compiler engine, and the good agent's loop forces garbage
// collections: Go cannot preempt compiled wasm, so this only works because
// the Meter's checkpoints yield to the scheduler.
func TestRunawayAgentDoesNotStopOthers(t *testing.T) {
	ctx := context.Background()
	// Enough fuel that the runaway outlives the good agent's 20 calls on a
	// fast machine (the compiled spin loop burns a few G fuel/s since
	// charges are sunk out of loop bodies; 400 M ran out in under 0.24 s).
	const runawayFuel = 10_000_000_000
	m := NewMeter(0)
	inst, err := m.Instrument(programsWasm)
	if err != nil {
		t.Fatal(err)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer rt.Close(ctx)
	if err := m.DefineHost(ctx, rt); err != nil {
		t.Fatal(err)
	}
	cm, err := rt.CompileModule(ctx, inst)
	if err != nil {
		t.Fatal(err)
	}
	a := New(WithWorkers(2))
	a.Allocate("runaway", Limits{FuelPerCall: runawayFuel, MemoryPages: 4, StateBytes: 1, MaxConcurrent: 1})
	a.Allocate("good", limits)
	var runawayDone atomic.Bool
	errc := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		lease, err := a.Acquire(ctx, "runaway")
		if err != nil {
			errc <- err
			return
		}
		defer lease.Done()
		close(started)
		_, err = call(t, rt, cm, m, "spin", lease.Limits.FuelPerCall, 0)
		runawayDone.Store(true)
		errc <- err
	}()
	<-started
	for i := 0; i < 20; i++ {
		runtime.GC()
		lease, err := a.Acquire(ctx, "good")
		if err != nil {
			t.Fatal(err)
		}
		used, err := call(t, rt, cm, m, "count", lease.Limits.FuelPerCall, 10)
		lease.Done()
		if err != nil || used != 127 {
			t.Fatalf("good call %d: used %d, %v", i, used, err)
		}
	}
	if runawayDone.Load() {
		t.Fatal("the runaway finished before the good agent's 20 calls: the test did not overlap them")
	}
	err = <-errc
	var ex *fuel.ExhaustedError
	if !errors.Is(err, ErrFuelExhausted) || !errors.As(err, &ex) || ex.Budget != runawayFuel {
		t.Fatalf("runaway: %v", err)
	}
}

func TestMeterErrors(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	plain, err := rt.Instantiate(ctx, programsWasm)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMeter(1 << 63)
	if err := m.Begin(plain, 10); !errors.Is(err, fuel.ErrNotInstrumented) {
		t.Fatal(err)
	}
	if _, err := m.Used(plain); err == nil {
		t.Fatal("Used without Begin")
	}
	if _, err := m.Instrument([]byte("junk")); !errors.Is(err, fuel.ErrMalformed) {
		t.Fatal(err)
	}
}
