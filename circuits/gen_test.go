package circuits

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/test"

	"github.com/mcpzero/mcpzero/circuits/claim"
	"github.com/mcpzero/mcpzero/internal/wasmgen"
	"github.com/mcpzero/mcpzero/trace"
)

// genShape has room for what internal/wasmgen generates: 1-2 pages of
// memory touched in a few places per segment, up to 4 functions, a table
// of up to 4 slots, inputs of at most 50 bytes, outputs of a few writes
// (each at most 69 bytes). Its 64 rows cut longer runs into several
// segments, so that the boundaries between them are proved too.
var genShape = Shape{Rows: 64, Prog: 512, Funcs: 16, Stack: 64, Locals: 64, Globals: 16, Depth: 16, Mem: 1024, In: 64, Out: 256, Table: 32}

// genMaxSteps bounds a generated run, as trace's FuzzDifferential does:
// nested loops across calls can run long and say nothing more.
const genMaxSteps = 20_000

// genStats counts what the generated programs exercised.
type genStats struct {
	seeds, proved, segments int
	returned, trapped       int
	bulk, indirect          int            // proved runs that executed memory.copy/fill, call_indirect
	twoResults              int            // proved runs that returned two values
	skipped                 map[string]int // by reason
	// maxSolve, when positive, bounds the segments solved per program to
	// the first and last maxSolve/2 (FuzzCircuits: Go's fuzzing engine
	// kills a worker whose input runs over 10 s, which a 20,000-step run
	// solved whole can, and reports it as a hang).
	maxSolve int
}

func (s *genStats) skip(reason string) {
	if s.skipped == nil {
		s.skipped = map[string]int{}
	}
	s.skipped[reason]++
}

func (s *genStats) nSkipped() int {
	n := 0
	for _, k := range s.skipped {
		n += k
	}
	return n
}

func (s *genStats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d seeds: %d proved (%d returned, %d trapped) in %d segments of %s; %d returned two values; %d ran memory.copy/fill, %d call_indirect; %d skipped",
		s.seeds, s.proved, s.returned, s.trapped, s.segments, genShape.ID(), s.twoResults, s.bulk, s.indirect, s.nSkipped())
	reasons := make([]string, 0, len(s.skipped))
	for r := range s.skipped {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(&b, "\n  skipped %d× %s", s.skipped[r], r)
	}
	return b.String()
}

var genDigits = regexp.MustCompile(`[0-9]+`)

// skipReason says why err makes a run unprovable for the circuits (an
// instruction they do not constrain, or a segment that does not fit the
// shape), with numbers blanked so that reasons aggregate; "" for any other
// error, which is a failure.
func skipReason(err error) string {
	var ue *UnsupportedError
	switch {
	case errors.As(err, &ue):
		return fmt.Sprintf("unsupported %s: %s", ue.Op, ue.Why)
	case errors.Is(err, ErrShape):
		return genDigits.ReplaceAllString(err.Error(), "N")
	}
	return ""
}

// proveGenerated runs the program internal/wasmgen generates from data
// like trace's FuzzDifferential (same export, arguments, input and segment
// capacity) and checks that the circuits prove the run: the statement
// matches the trace and its claims, and every segment's witness solves the
// circuit. It returns why the run was skipped, or "" if it was proved.
// With two, the exported function returns two values (multi-value returns
// and blocks, multivalue.go), else one: the same data generates other
// programs.
func proveGenerated(t *testing.T, data []byte, two bool, st *genStats) string {
	t.Helper()
	st.seeds++
	mod, err := trace.Decode(wasmgen.Module(data, genOptions(two)...))
	if err != nil {
		t.Fatalf("generated module does not decode: %v", err)
	}
	args, input := wasmgen.Call(data)
	segCap := 3
	if len(data) >= 12 {
		segCap = 1 + int(data[len(data)-1])
	}
	tr, err := trace.Run(context.Background(), mod, wasmgen.Export, args, input, trace.WithMaxSteps(genMaxSteps), trace.WithSegmentCapacity(segCap))
	if errors.Is(err, trace.ErrStepLimit) {
		st.skip(fmt.Sprintf("more than %d steps", genMaxSteps))
		return "long"
	}
	if err != nil {
		t.Fatalf("tracer: %v", err)
	}
	tab, err := Table(mod)
	if err != nil {
		if r := skipReason(err); r != "" {
			st.skip(r)
			return r
		}
		t.Fatalf("Table: %v", err)
	}
	stmt, claims, err := tab.Statement(genShape, tr)
	if err != nil {
		if r := skipReason(err); r != "" {
			st.skip(r)
			return r
		}
		t.Fatalf("Statement: %v", err)
	}
	if err := claim.CheckStatement(stmt, claims); err != nil {
		t.Fatalf("CheckStatement: %v", err)
	}
	// The statement is the run's outcome, whatever the tracer's own
	// segment capacity: the circuits cut the run for the shape.
	if stmt.Status != claim.Status(tr.Status) || stmt.Trap != claim.TrapKind(tr.Trap) || stmt.Steps != tr.Steps {
		t.Fatalf("statement %s %s after %d steps, the trace %s %s after %d", stmt.Status, stmt.Trap, stmt.Steps, tr.Status, tr.Trap, tr.Steps)
	}
	var results []uint64
	switch tr.Status {
	case trace.Returned:
		results = tr.Results
		if want := 1 + int(b2u(two)); len(results) != want {
			t.Fatalf("%s returned %d results, its type has %d", wasmgen.Export, len(results), want)
		}
		if two {
			st.twoResults++
		}
	case trace.Trapped:
		if stmt.Trap == claim.TrapNone {
			t.Fatal("a trapped run's statement names no trap")
		}
	default:
		t.Fatalf("run ended %s", tr.Status)
	}
	if stmt.Output != claim.OutputDigest(results, tr.Output) {
		t.Fatal("statement output is not the run's results and output")
	}
	if stmt.Input != claim.InputDigest(args, input) {
		t.Fatal("statement input is not the call's arguments and input")
	}
	if tr2, err := trace.Run(context.Background(), mod, wasmgen.Export, args, input, trace.WithSegmentCapacity(1<<16)); err != nil {
		t.Fatal(err)
	} else if stmt2, _, err := tab.Statement(genShape, tr2); err != nil {
		t.Fatal(err)
	} else if stmt2 != stmt {
		t.Fatalf("the statement depends on the tracer's segment capacity %d", segCap)
	}
	for k := range claims {
		if m := st.maxSolve; m > 0 && k >= m/2 && k < len(claims)-m/2 {
			continue
		}
		w, cl, err := genShape.Assign(tab, tr, k)
		if err != nil {
			t.Fatalf("segment %d of %d: Assign: %v", k, len(claims), err)
		}
		if cl != claims[k] {
			t.Fatalf("segment %d of %d: Assign's claim is not the statement's", k, len(claims))
		}
		if err := test.IsSolved(genShape.NewCircuit(), w, ecc.BN254.ScalarField()); err != nil {
			t.Fatalf("segment %d of %d (%s %s after %d steps): %v", k, len(claims), tr.Status, tr.Trap, tr.Steps, err)
		}
	}
	st.proved++
	if tr.Status == trace.Returned {
		st.returned++
	} else {
		st.trapped++
	}
	st.segments += len(claims)
	bulk, indirect := false, false
	for k := range tr.Segments {
		for _, r := range tr.Segments[k].Rows {
			bulk = bulk || r.Op == trace.OpMemoryCopy || r.Op == trace.OpMemoryFill
			indirect = indirect || r.Op == 0x11
		}
	}
	if bulk {
		st.bulk++
	}
	if indirect {
		st.indirect++
	}
	return ""
}

// genRegressions are inputs whose generated programs the circuits failed
// to prove, named by the bug they showed; FuzzCircuits has them as seeds.
var genRegressions = []struct{ bug, seed string }{
	// An out-of-bounds load traps; the stack slot below its address holds
	// a non-zero value. The witness builder compares the tracer's result
	// (0: none) with that slot although the trapped load pushed nothing,
	// and refuses the run with ErrTrace (witness.go, the ClassLoad check
	// after a row, which halted runs should skip). Minimal: (memory 1)
	// i32.const 7 i32.const 65536 i32.load.
	{"trapping-load-checks-stack-below", "95603022c1dfc579b99ed9d20d573ad53171c8fef7f1f4e4613bb365b2ebb44f0ffb6907136385cdc838f0bdd4c812f042577410aca008c2afbc4c79c62572e20f8ed94ee62b4de7aa1cc84c887e1f7c31e927dfe52a5f8f46627eb5d3a4fe16fafce23623e196c9dfff7fbaff4ffe94f4589733e563e19d3045aad3e226488ac02cca"},
	// i64.rotr by a count c in [2^64-63, 2^64-1] (a small negative i64):
	// the witness builder computes the count's quotient L2 = (c + k) / 64
	// in uint64, which wraps to 0 (witness.go, ClassRotl with Swap), so
	// the row fails the circuit's count = -k + 64*L2 (circuit.go: "count"
	// of shifts): IsSolved reports 18446744073709551616 == 0. Minimal:
	// i64.const 5 i64.const -1 i64.rotr.
	{"rotr-count-quotient-wraps", "2b44efe7a40e097eb336561e865515f7ee0efbe01d5a928f208f7c9f2f58974d1c11af0e737c673dc4461795da9757010cefc6e7f2784658717938735ed8cbcbd7981a1bb8f31cabb901c87a3218dd1195c59f64d0bc3ce8b72580fe38e6dbf1181e0090e5c6d162df9f31cc52fa6a8ac61897e9b4b3cb0ca2bfb38a38d9b78e46d775d57645d2d6da16bda8edd8675e2ba121f7f85400cf7cacb9ffcdfa"},
}

// genOptions are the generator's options for one or two results.
func genOptions(two bool) []wasmgen.Option {
	if two {
		return nil
	}
	return []wasmgen.Option{wasmgen.SingleResult()}
}

// genExecutes says whether the run of data's program executes
// memory.copy/fill and call_indirect (tracing is cheap; proving is not).
func genExecutes(data []byte, two bool) (bulk, indirect bool) {
	mod, err := trace.Decode(wasmgen.Module(data, genOptions(two)...))
	if err != nil {
		return false, false
	}
	args, input := wasmgen.Call(data)
	tr, err := trace.Run(context.Background(), mod, wasmgen.Export, args, input, trace.WithMaxSteps(genMaxSteps), trace.WithSegmentCapacity(1<<16))
	if err != nil {
		return false, false
	}
	for k := range tr.Segments {
		for _, r := range tr.Segments[k].Rows {
			bulk = bulk || r.Op == trace.OpMemoryCopy || r.Op == trace.OpMemoryFill
			indirect = indirect || r.Op == 0x11
		}
	}
	return bulk, indirect
}

// genSeeds widens the search, which the fuzzer cannot do quickly: with
// coverage instrumentation each constraint solve takes seconds.
var genSeeds = flag.Int("genseeds", 0, "TestGeneratedProgramsSolve proves this many random inputs, and a quarter as many again of each of those executing memory.copy/fill and call_indirect (0: 12 and 6 under -short, else 60 and 16)")

// TestGeneratedProgramsSolve is completeness on generated programs: for
// random inputs of internal/wasmgen, the run the tracer records is proved
// segment by segment (the witness builder agrees with the trace and every
// witness satisfies the circuit). After the first n inputs it proves only
// inputs whose runs execute memory.copy/fill or call_indirect, until there
// are nBulk and nIndirect of them: few runs do. Runs the circuits cannot
// prove (an unsupported instruction, a segment beyond genShape) are
// skipped and counted; more than half skipped fails, since the test would
// then test little.
func TestGeneratedProgramsSolve(t *testing.T) {
	n, nBulk, nIndirect := 60, 16, 16
	if testing.Short() {
		n, nBulk, nIndirect = 12, 6, 6
	}
	if *genSeeds > 0 {
		n, nBulk, nIndirect = *genSeeds, *genSeeds/4, *genSeeds/4
	}
	st := &genStats{}
	prove := func(name string, data []byte, two bool) {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if t.Failed() {
					t.Logf("seed bytes %x", data)
				}
			}()
			if r := proveGenerated(t, data, two, st); r != "" {
				t.Logf("skipped (%s) %x", r, data)
			}
		})
	}
	for _, r := range genRegressions {
		data, err := hex.DecodeString(r.seed)
		if err != nil {
			t.Fatal(err)
		}
		prove(r.bug, data, false) // found with one result
	}
	rng := rand.New(rand.NewSource(1))
	bulk, indirect := 0, 0
	for i := 0; i < 5000 && (i < n || bulk < nBulk || indirect < nIndirect); i++ {
		data := make([]byte, 20+rng.Intn(200))
		rng.Read(data)
		two := i%2 == 1 // every other program returns two values
		if i >= n {
			b, ind := genExecutes(data, two)
			if !(b && bulk < nBulk || ind && indirect < nIndirect) {
				continue
			}
			if b {
				bulk++
			}
			if ind {
				indirect++
			}
		}
		prove(fmt.Sprint(i), data, two)
	}
	t.Log(st)
	if bulk < nBulk || indirect < nIndirect {
		t.Errorf("found %d and %d of the %d and %d wanted runs executing memory.copy/fill and call_indirect in 5000 inputs", bulk, indirect, nBulk, nIndirect)
	}
	if 2*st.nSkipped() > st.seeds {
		t.Fatalf("%d of %d generated programs skipped: the test proves too little", st.nSkipped(), st.seeds)
	}
}

// FuzzCircuits is TestGeneratedProgramsSolve's check on fuzzer-chosen
// inputs, seeded like trace's FuzzDifferential with the empty input, and
// with genRegressions (more seeds go in testdata/fuzz/FuzzCircuits). Run
// it with go test -run='^$' -fuzz=FuzzCircuits ./circuits/; instrumented
// for coverage it runs a few inputs a minute, so for a wide search prefer
// go test -run TestGeneratedProgramsSolve -genseeds=400 ./circuits/.
func FuzzCircuits(f *testing.F) {
	f.Add([]byte{})
	for _, r := range genRegressions {
		data, err := hex.DecodeString(r.seed)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		skipped := 0
		for _, two := range []bool{false, true} {
			if proveGenerated(t, data, two, &genStats{maxSolve: 8}) != "" {
				skipped++
			}
		}
		if skipped == 2 {
			t.Skip("neither program proves")
		}
	})
}
