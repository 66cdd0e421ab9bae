package trace

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func decodeFile(t testing.TB, name string) *Module {
	t.Helper()
	m, err := Decode(mustRead(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// traceDigest hashes every recorded byte of a trace: outcome, rows,
// accesses, I/O, boundary states and memory chunks.
func traceDigest(t testing.TB, tr *Trace) string {
	h := sha256.New()
	w := func(v any) {
		if err := binary.Write(h, binary.LittleEndian, v); err != nil {
			t.Fatal(err)
		}
	}
	state := func(s *State) {
		w(s.Step)
		w(s.TS)
		w(s.PC)
		w(s.Frames)
		w(s.Stack)
		w(s.Locals)
		w(s.Globals)
		w(s.MemPages)
		w(s.OutputLen)
	}
	w(uint8(tr.Status))
	w(uint8(tr.Trap))
	w(tr.Results)
	w(tr.Steps)
	h.Write(tr.Output)
	h.Write(tr.InitialMemory)
	h.Write(tr.FinalMemory)
	for k := range tr.Segments {
		s := &tr.Segments[k]
		w(s.FirstStep)
		state(&s.Before)
		state(&s.After)
		w(s.Rows)
		w(s.Accesses)
		w(s.IO)
		h.Write(s.IOData)
		w(s.Chunks)
		h.Write(s.ChunksBefore)
		h.Write(s.ChunksAfter)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestDeterminism: the same call gives the same trace, byte for byte, on
// repeated runs, on a fresh decode, and across processes and machines (the
// pinned digests; update them only with a deliberate format change).
func TestDeterminism(t *testing.T) {
	input := []byte("determinism is the product")
	tests := []struct {
		file, export string
		args         []uint64
		input        []byte
		golden       string
	}{
		{"fib.wasm", "fib", []uint64{12}, nil, goldenFib12},
		{"sort.wasm", "sort", []uint64{100}, nil, goldenSort100},
		{"io.wasm", "reverse", nil, input, goldenIOReverse},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var digests []string
			for i := 0; i < 3; i++ {
				m := decodeFile(t, tt.file)
				tr, err := Run(context.Background(), m, tt.export, tt.args, tt.input, WithSegmentCapacity(100))
				if err != nil {
					t.Fatal(err)
				}
				digests = append(digests, traceDigest(t, tr))
			}
			if digests[0] != digests[1] || digests[0] != digests[2] {
				t.Fatalf("digests differ between runs: %v", digests)
			}
			if digests[0] != tt.golden {
				t.Errorf("digest %s, pinned %s", digests[0], tt.golden)
			}
		})
	}
}

const (
	goldenFib12     = "0f520d0e452719f0f0a323ae3c8aa70cc8702f1ed69a4e70d9c5188588b222e5"
	goldenSort100   = "cf59d531e31c28b45c1832887a1201d91268e01dc3f401689938767c1edb31d3"
	goldenIOReverse = "de2b339efd7b2de40ee19f41e409a4bff3d9bb7c29cae5661df79185655dfd64"
)

func TestLimits(t *testing.T) {
	ctx := context.Background()
	t.Run("steps", func(t *testing.T) {
		m := decodeFile(t, "loop.wasm")
		_, err := Run(ctx, m, "loop", []uint64{1000}, nil, WithMaxSteps(500))
		var le *LimitError
		if !errors.Is(err, ErrStepLimit) || !errors.As(err, &le) || le.Max != 500 || !errors.Is(err, ErrLimit) {
			t.Fatalf("err = %v", err)
		}
		if !strings.Contains(err.Error(), "step count") {
			t.Fatalf("message %q", err)
		}
		// Exactly at the limit is fine.
		tr, err := Run(ctx, m, "loop", []uint64{0}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Run(ctx, m, "loop", []uint64{0}, nil, WithMaxSteps(tr.Steps)); err != nil {
			t.Fatalf("run of exactly the limit: %v", err)
		}
		if _, err := Run(ctx, m, "loop", []uint64{0}, nil, WithMaxSteps(tr.Steps-1)); !errors.Is(err, ErrStepLimit) {
			t.Fatalf("one step over: %v", err)
		}
	})
	t.Run("memory", func(t *testing.T) {
		m := decodeFile(t, "sort.wasm") // memory 4 pages
		_, err := Run(ctx, m, "sort", []uint64{1}, nil, WithMaxMemoryPages(3))
		if !errors.Is(err, ErrMemoryLimit) {
			t.Fatalf("err = %v", err)
		}
		// A declared maximum above the limit is lowered to it, as wazero does.
		bin := mustRead(t, "traps.wasm") // memory 1..3 pages
		m = decodeFile(t, "traps.wasm")
		for delta, want := range map[uint64]uint64{1: 1, 2: 0xFFFFFFFF} {
			ours, _, err := runTracer(m, "grow", []uint64{delta}, nil, WithMaxMemoryPages(2))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range engines {
				theirs, err := runWazero(t, e, bin, "grow", []uint64{delta}, nil, 2, nil)
				if err != nil {
					t.Fatal(err)
				}
				if ours.results[0] != want || theirs.results[0] != want {
					t.Fatalf("grow(%d) under a 2-page limit: tracer %v, wazero %s %v, want %d", delta, ours.results, e.name, theirs.results, want)
				}
			}
		}
	})
	t.Run("call depth", func(t *testing.T) {
		bin := mustRead(t, "traps.wasm")
		m := decodeFile(t, "traps.wasm")
		// wazero's interpreter allows 2,000 frames; so do we.
		for _, c := range []struct {
			n    uint64
			trap TrapKind
		}{{DefaultMaxCallDepth, TrapNone}, {DefaultMaxCallDepth + 1, TrapStackOverflow}} {
			ours, _, err := runTracer(m, "depth", []uint64{c.n}, nil)
			if err != nil {
				t.Fatal(err)
			}
			theirs, err := runWazero(t, engines[0], bin, "depth", []uint64{c.n}, nil, 64, nil)
			if err != nil {
				t.Fatal(err)
			}
			if ours.trap != c.trap || theirs.trap != c.trap {
				t.Fatalf("depth %d: tracer %v, interpreter %v, want %v", c.n, ours.trap, theirs.trap, c.trap)
			}
		}
		tr, err := Run(ctx, m, "depth", []uint64{10}, nil, WithMaxCallDepth(10))
		if err != nil || tr.Status != Returned {
			t.Fatalf("depth 10 of 10: %v %v", tr, err)
		}
		tr, err = Run(ctx, m, "depth", []uint64{11}, nil, WithMaxCallDepth(10))
		if err != nil || tr.Trap != TrapStackOverflow || !errors.Is(tr.Err(), ErrStackOverflow) {
			t.Fatalf("depth 11 of 10: %v %v", tr.Trap, err)
		}
	})
	t.Run("stack slots", func(t *testing.T) {
		m := decodeFile(t, "traps.wasm")
		tr, err := Run(ctx, m, "depth", []uint64{100}, nil, WithMaxStackSlots(64))
		if err != nil || tr.Trap != TrapStackOverflow {
			t.Fatalf("%v %v", tr.Trap, err)
		}
	})
	t.Run("output", func(t *testing.T) {
		m := decodeFile(t, "io.wasm")
		tr, err := Run(ctx, m, "reverse", nil, []byte("abcdef"), WithMaxOutput(5))
		if err != nil || tr.Trap != TrapOutputLimit {
			t.Fatalf("%v %v", tr.Trap, err)
		}
	})
}

func TestContextAndHandler(t *testing.T) {
	m := decodeFile(t, "loop.wasm")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, m, "loop", []uint64{1 << 20}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
	var n int
	var steps uint64
	tr, err := Run(context.Background(), m, "loop", []uint64{1000}, nil, WithSegmentCapacity(1000), WithSegmentHandler(func(s *Segment) error {
		if s.Index != n || s.FirstStep != steps {
			t.Fatalf("segment %d at %d, want %d at %d", s.Index, s.FirstStep, n, steps)
		}
		n++
		steps += uint64(len(s.Rows))
		return nil
	}))
	if err != nil || len(tr.Segments) != 0 || steps != tr.Steps || n != int((tr.Steps+999)/1000) {
		t.Fatalf("handler saw %d segments, %d steps; trace %d steps, kept %d; %v", n, steps, tr.Steps, len(tr.Segments), err)
	}
	boom := errors.New("boom")
	if _, err := Run(context.Background(), m, "loop", []uint64{1000}, nil, WithSegmentCapacity(1000), WithSegmentHandler(func(*Segment) error { return boom })); !errors.Is(err, boom) {
		t.Fatalf("handler error: %v", err)
	}
}

func TestBadCalls(t *testing.T) {
	ctx := context.Background()
	m := decodeFile(t, "fib.wasm")
	if _, err := Run(ctx, m, "nope", nil, nil); !errors.Is(err, ErrExport) {
		t.Fatalf("missing export: %v", err)
	}
	if _, err := Run(ctx, m, "fib", nil, nil); !errors.Is(err, ErrArgs) {
		t.Fatalf("missing argument: %v", err)
	}
	io := decodeFile(t, "io.wasm")
	_ = io
	mixed := decodeFile(t, "mixed.wasm")
	_, err := Run(ctx, mixed, "half", []uint64{0}, nil)
	var pe *ProvabilityError
	if !errors.As(err, &pe) || !errors.Is(err, ErrUnprovable) || !strings.Contains(err.Error(), "f32.mul") {
		t.Fatalf("float export: %v", err)
	}
}

// TestProvability: the check lists every violation with function, name and
// byte offset; exports whose reachable code is provable can still be traced.
func TestProvability(t *testing.T) {
	m := decodeFile(t, "mixed.wasm")
	err := CheckProvable(m)
	var pe *ProvabilityError
	if !errors.As(err, &pe) {
		t.Fatalf("CheckProvable = %v", err)
	}
	want := []struct {
		fn   int
		name string
		what string
	}{
		{0, "", "import of function env.log"},
		{1, "half", "parameter of type f32"},
		{1, "half", "f32.const (floating point)"},
		{1, "half", "f32.mul (floating point)"},
		{5, "convert", "f32.convert_i32_s"},
		{5, "convert", "i32.trunc_f32_s"},
		{6, "vec", "SIMD"},
		{7, "drop", "bulk-memory"},
	}
	for _, w := range want {
		found := false
		for _, v := range pe.Violations {
			if v.Func == w.fn && v.Name == w.name && strings.Contains(v.What, w.what) && v.Offset > 0 {
				found = true
			}
		}
		if !found {
			t.Errorf("missing violation %+v in %v", w, pe.Violations)
		}
	}
	for i := 1; i < len(pe.Violations); i++ {
		if pe.Violations[i].Offset < pe.Violations[i-1].Offset {
			t.Fatal("violations not ordered by offset")
		}
	}
	for export, ok := range map[string]bool{"add": true, "twice": true, "half": false, "logs": false, "convert": false, "vec": false, "drop": false} {
		if got := CheckCallProvable(m, export) == nil; got != ok {
			t.Errorf("CheckCallProvable(%s) provable = %v, want %v", export, got, ok)
		}
	}
	tr, err := Run(context.Background(), m, "twice", []uint64{21}, nil)
	if err != nil || tr.Results[0] != 42 {
		t.Fatalf("twice(21) = %v, %v", tr, err)
	}
	for _, f := range []string{"fib.wasm", "loop.wasm", "sort.wasm", "io.wasm", "traps.wasm", "control.wasm"} {
		if err := CheckProvable(decodeFile(t, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if !strings.Contains(pe.Error(), "violation(s)") {
		t.Fatalf("message %q", pe.Error())
	}
}

func TestInstancePersists(t *testing.T) {
	m := decodeFile(t, "control.wasm")
	inst, err := NewInstance(m)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, err := inst.Run(ctx, "globals", []uint64{3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := inst.Run(ctx, "globals", []uint64{3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if first.Results[0] == second.Results[0] || inst.Globals()[0] != uint64(uint32(1)) {
		t.Fatalf("globals did not persist: %v %v %v", first.Results, second.Results, inst.Globals())
	}
	if _, err := inst.Run(ctx, "stores", []uint64{100, 0x1122334455667788}, nil); err != nil {
		t.Fatal(err)
	}
	if inst.Memory()[100] != 0x88 {
		t.Fatal("memory did not persist")
	}
	tr, err := inst.Run(ctx, "loads", []uint64{100}, nil)
	if err != nil || !bytes.Equal(tr.InitialMemory[100:101], []byte{0x88}) {
		t.Fatalf("trace does not start from the instance's memory: %v", err)
	}
}

func TestStrings(t *testing.T) {
	checks := map[string]string{
		Op(0x6A).String():                      "i32.add",
		(PrefixFC | 3).String():                "i32.trunc_sat_f64_u",
		Op(0xFF).String():                      "op(0xff)",
		SpaceMemory.String():                   "memory",
		Space(99).String():                     "space?",
		Returned.String():                      "returned",
		Status(9).String():                     "status?",
		TrapIntegerOverflow.String():           "integer overflow",
		TrapKind(99).String():                  "trap(99)",
		IOInputRead.String():                   "input_read",
		IOKind(9).String():                     "io?",
		FamilyDivRem.String():                  "div/rem",
		Family(99).String():                    "family?",
		I64.String():                           "i64",
		ValType(1).String():                    "valtype(0x1)",
		FuncType{[]ValType{I32}, nil}.String(): "[i32] -> []",
	}
	for got, want := range checks {
		if got != want {
			t.Errorf("%q, want %q", got, want)
		}
	}
	for _, s := range []Space{SpaceStack, SpaceLocal, SpaceGlobal, SpaceFrame, SpaceInput, SpaceOutput, SpaceTable} {
		if strings.Contains(s.String(), "?") {
			t.Errorf("space %d has no name", s)
		}
	}
	if FamilyOf(0x6A) != FamilyAddSub || FamilyOf(0x92) != FamilyOther || FamilyOf(PrefixFC) != FamilyOther || FamilyOf(0x28) != FamilyLoad {
		t.Error("FamilyOf")
	}
	te := &TrapError{Kind: TrapUnreachable, PC: 3}
	if !errors.Is(te, &TrapError{Kind: TrapUnreachable}) || errors.Is(te, ErrStackOverflow) || !strings.Contains(te.Error(), "unreachable") {
		t.Error("TrapError")
	}
	many := &ProvabilityError{}
	for i := 0; i < 12; i++ {
		many.Violations = append(many.Violations, Violation{Func: -1, What: "x"})
	}
	if !strings.Contains(many.Error(), "2 more") {
		t.Errorf("%q", many.Error())
	}
}

func TestSummary(t *testing.T) {
	tr, err := Run(context.Background(), decodeFile(t, "fib.wasm"), "fib", []uint64{10}, nil, WithSegmentCapacity(64))
	if err != nil {
		t.Fatal(err)
	}
	s := tr.Summarize()
	var total uint64
	for _, n := range s.Families {
		total += n
	}
	if total != tr.Steps || s.Steps != tr.Steps || len(s.HotFuncs) != 1 || s.HotFuncs[0].Name != "fib" || s.MaxDepth != 10 || s.Segments != len(tr.Segments) {
		t.Fatalf("summary %+v", s)
	}
	if tr.Err() != nil {
		t.Fatal("Err of a returned run")
	}
}

// TestConcurrentRuns: a Module is read-only and may be traced from several
// goroutines at once (run with -race).
func TestConcurrentRuns(t *testing.T) {
	m := decodeFile(t, "io.wasm")
	want, err := Run(context.Background(), m, "reverse", nil, []byte("concurrent"), WithSegmentCapacity(16))
	if err != nil {
		t.Fatal(err)
	}
	digest := traceDigest(t, want)
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() {
			tr, err := Run(context.Background(), m, "reverse", nil, []byte("concurrent"), WithSegmentCapacity(16))
			if err == nil && traceDigest(t, tr) != digest {
				err = errors.New("different trace")
			}
			errs <- err
		}()
	}
	for i := 0; i < 4; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestReferenceTypesDeclarations(t *testing.T) {
	m := decodeFile(t, "refs.wasm")
	err := CheckProvable(m)
	var pe *ProvabilityError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "passive data segment") || !strings.Contains(err.Error(), "element segment of kind") {
		t.Fatalf("CheckProvable = %v", err)
	}
	tr, err := Run(context.Background(), m, "inc", []uint64{41}, nil)
	if err == nil {
		t.Fatalf("module-level violations must make every call unprovable, got %v", tr.Results)
	}
	if len(m.Datas) != 2 || !m.Datas[0].Passive || m.Datas[1].Passive || len(m.Elems) != 2 {
		t.Fatalf("segments: %+v %+v", m.Datas, m.Elems)
	}
}
