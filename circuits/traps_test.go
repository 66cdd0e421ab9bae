package circuits

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"

	"github.com/mcpzero/mcpzero/circuits/claim"
	"github.com/mcpzero/mcpzero/trace"
)

const trapsMem = 17 * 65536 // memory bytes of testdata/traps.wat

// tiny8 is tiny with 8 rows per segment: runs take several segments.
var tiny8 = func() Shape { s := tiny; s.Rows = 8; return s }()

// trapCase is a run of testdata/traps.wat and the outcome the tracer and
// the statement must report.
type trapCase struct {
	export string
	args   []uint64
	input  string
	status claim.Status
	trap   claim.TrapKind
	result []uint64 // returned runs
	output string
}

var trapCases = []trapCase{
	// call_indirect: a call through an equal (canonical) type, null
	// slots, another function type (a module's, a host function's),
	// indices at and far past the table.
	{export: "indirect", args: []uint64{1}, status: claim.StatusReturned, result: []uint64{12}},
	{export: "indirect", args: []uint64{0}, status: claim.StatusTrapped, trap: claim.TrapInvalidTableAccess},
	{export: "indirect", args: []uint64{2}, status: claim.StatusTrapped, trap: claim.TrapIndirectCallType},
	{export: "indirect", args: []uint64{3}, status: claim.StatusTrapped, trap: claim.TrapIndirectCallType},
	{export: "indirect", args: []uint64{4}, status: claim.StatusTrapped, trap: claim.TrapInvalidTableAccess},
	{export: "indirect", args: []uint64{6}, status: claim.StatusTrapped, trap: claim.TrapInvalidTableAccess},
	{export: "indirect", args: []uint64{0xFFFF_FFFF}, status: claim.StatusTrapped, trap: claim.TrapInvalidTableAccess},
	// host functions called through the table (their wrappers): output,
	// a write outside memory, whole and short input reads.
	{export: "hostcall", args: []uint64{32, 6}, status: claim.StatusReturned, output: "secret"},
	{export: "hostcall", args: []uint64{trapsMem - 3, 5}, status: claim.StatusTrapped, trap: claim.TrapOutOfBounds},
	{export: "hostread", args: []uint64{0, 5}, input: "hello", status: claim.StatusReturned, result: []uint64{5}},
	{export: "hostread", args: []uint64{2, 10}, input: "hello", status: claim.StatusReturned, result: []uint64{3}},
	// input_read: whole, short (past the end), at and past the end
	// (nothing read), and destinations outside memory.
	{export: "read", args: []uint64{16, 0, 5}, input: "hello", status: claim.StatusReturned, result: []uint64{5}, output: "hello"},
	{export: "read", args: []uint64{16, 2, 10}, input: "hello", status: claim.StatusReturned, result: []uint64{3}, output: "llo"},
	{export: "read", args: []uint64{16, 5, 4}, input: "hello", status: claim.StatusReturned, result: []uint64{0}},
	{export: "read", args: []uint64{16, 9, 0xFFFF_FFFF}, input: "hello", status: claim.StatusReturned, result: []uint64{0}},
	{export: "read", args: []uint64{trapsMem - 2, 0, 5}, input: "hello", status: claim.StatusTrapped, trap: claim.TrapOutOfBounds},
	{export: "read", args: []uint64{trapsMem + 10, 9, 4}, input: "hello", status: claim.StatusTrapped, trap: claim.TrapOutOfBounds},
	{export: "read", args: []uint64{0xFFFF_FFFF, 0, 5}, input: "hello", status: claim.StatusTrapped, trap: claim.TrapOutOfBounds},
	// output_write: outside memory, past the 1 MiB limit after 3 bytes
	// (the output keeps them), both (memory is checked first).
	{export: "write", args: []uint64{3, trapsMem - 3, 5}, status: claim.StatusTrapped, trap: claim.TrapOutOfBounds, output: "\x00\x00\x00"},
	{export: "write", args: []uint64{3, 0, 1<<20 - 2}, status: claim.StatusTrapped, trap: claim.TrapOutputLimit, output: "\x00\x00\x00"},
	{export: "write", args: []uint64{0, trapsMem - 3, 1<<20 + 5}, status: claim.StatusTrapped, trap: claim.TrapOutOfBounds},
	{export: "write", args: []uint64{0, 0xFFFF_FFFF, 0xFFFF_FFFF}, status: claim.StatusTrapped, trap: claim.TrapOutOfBounds},
}

func (tc trapCase) String() string { return fmt.Sprintf("%s%v", tc.export, tc.args) }

func trapsTable(t testing.TB) (*trace.Module, *ModuleTable) {
	t.Helper()
	mod := loadModule(t, "traps.wasm")
	tab, err := Table(mod)
	if err != nil {
		t.Fatal(err)
	}
	return mod, tab
}

// TestTrapsSolve: real traces of call_indirect and host I/O traps (and of
// the neighbouring non-trapping runs) prove the tracer's outcome: every
// segment's witness satisfies the circuit, and the statement carries the
// status and trap kind.
func TestTrapsSolve(t *testing.T) {
	mod, tab := trapsTable(t)
	for _, tc := range trapCases {
		t.Run(tc.String(), func(t *testing.T) {
			tr := runInput(t, mod, tc.export, tc.args, []byte(tc.input), 64)
			if claim.Status(tr.Status) != tc.status || claim.TrapKind(tr.Trap) != tc.trap {
				t.Fatalf("tracer: status %s trap %s, want %s %s", tr.Status, tr.Trap, tc.status, tc.trap)
			}
			if !bytes.Equal(tr.Output, []byte(tc.output)) {
				t.Fatalf("output %q, want %q", tr.Output, tc.output)
			}
			// tiny cuts every run in one segment; tiny8 in several, the
			// trap in the last.
			for _, shape := range []Shape{tiny, tiny8} {
				stmt, claims, err := tab.Statement(shape, tr)
				if err != nil {
					t.Fatal(err)
				}
				if stmt.Status != tc.status || stmt.Trap != tc.trap {
					t.Fatalf("statement: status %s trap %s, want %s %s", stmt.Status, stmt.Trap, tc.status, tc.trap)
				}
				var results []uint64
				if tc.status == claim.StatusReturned {
					results = tc.result
				}
				if want := claim.OutputDigest(results, []byte(tc.output)); stmt.Output != want {
					t.Fatalf("statement output digest differs from the expected results %v and output %q", results, tc.output)
				}
				if err := claim.CheckStatement(stmt, claims); err != nil {
					t.Fatal(err)
				}
				for k := range claims {
					w, cl, err := shape.Assign(tab, tr, k)
					if err != nil {
						t.Fatalf("segment %d: %v", k, err)
					}
					if cl != claims[k] {
						t.Fatalf("segment %d: claim mismatch", k)
					}
					if err := isSolved(solved{shape, w.(*Circuit), tc.String()}); err != nil {
						t.Fatalf("%s segment %d of %d: %v", shape.ID(), k, len(claims), err)
					}
				}
				t.Logf("%s: %d steps, %d segments, status %s, trap %s", shape.ID(), tr.Steps, len(claims), stmt.Status, stmt.Trap)
			}
		})
	}
}

// TestTrapsRefused: what the circuits cannot prove yet is refused before
// proving, with a typed error naming it.
func TestTrapsRefused(t *testing.T) {
	mod, tab := trapsTable(t)
	// A run under another output limit than the circuits' 1 MiB: the
	// circuit would prove another outcome; the trace is refused.
	tr, err := trace.Run(context.Background(), mod, "write", []uint64{0, 0, 20}, nil, trace.WithMaxOutput(10))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Trap != trace.TrapOutputLimit {
		t.Fatalf("tracer trap %s", tr.Trap)
	}
	if _, _, err := tab.Statement(tiny, tr); !errors.Is(err, ErrTrace) {
		t.Errorf("output limit of 10 bytes: got %v, want ErrTrace", err)
	}
	// Call-stack exhaustion needs the tracer's limit of frames in the
	// boundary state, beyond every shape.
	rec := loadModule(t, "core.wasm")
	rtab, err := Table(rec)
	if err != nil {
		t.Fatal(err)
	}
	tr, err = trace.Run(context.Background(), rec, "fib", []uint64{30}, nil, trace.WithMaxCallDepth(5))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Trap != trace.TrapStackOverflow {
		t.Fatalf("tracer trap %s, want stack overflow", tr.Trap)
	}
	if _, _, err := rtab.Statement(tiny, tr); !errors.Is(err, ErrShape) {
		t.Errorf("stack overflow: got %v, want ErrShape", err)
	}
}

// trapWitness is the witness of a trapCase cut for tiny (one segment),
// with the run's results and output.
type trapWitness struct {
	solved
	results []uint64
	output  []byte
}

func trapWitnesses(t *testing.T) []trapWitness {
	t.Helper()
	mod, tab := trapsTable(t)
	var out []trapWitness
	for _, tc := range trapCases {
		tr := runInput(t, mod, tc.export, tc.args, []byte(tc.input), 64)
		w, _, err := tiny.Assign(tab, tr, 0)
		if err != nil {
			t.Fatalf("%s: %v", tc, err)
		}
		out = append(out, trapWitness{solved{tiny, w.(*Circuit), tc.String()}, tr.Results, tr.Output})
	}
	return out
}

// fieldNeg is -(v+1) mod p: the other branch of a sign split D = v +
// flag*(-2v-1), which a dishonest prover flipping the flag must use.
func fieldNeg(v frontend.Variable) *big.Int {
	n := toBig(v)
	n.Add(n, big.NewInt(1))
	n.Neg(n)
	return n.Mod(n, ecc.BN254.ScalarField())
}

func fieldInv(x *big.Int) *big.Int {
	return new(big.Int).ModInverse(new(big.Int).Mod(x, ecc.BN254.ScalarField()), ecc.BN254.ScalarField())
}

type edit struct {
	v   *frontend.Variable
	val frontend.Variable
}

// relabel is a dishonest prover's rewrite of a row into another outcome.
type relabel struct {
	name  string
	edits []edit
}

// relabels lists, for a call_indirect or host I/O row, the rewrites that
// would turn it into another outcome (a trap into a call or a copy, a
// call or a copy into a trap, one trap kind into another), each with the
// auxiliary values that outcome's constraints need.
func relabels(w *Circuit, row *Row, cl Class) []relabel {
	var out []relabel
	set := func(name string, es ...edit) { out = append(out, relabel{name, es}) }
	one := func(v frontend.Variable) bool { return toBig(v).Sign() != 0 }
	imm := toBig(row.Imm)
	switch cl {
	case ClassCallInd:
		nullInv := fieldInv(new(big.Int).Sub(big.NewInt(NullType), imm))
		if !one(row.Cy) {
			set("index outside the table", edit{&row.Cy, 1}, edit{&row.D1, new(big.Int).Sub(toBig(row.X1), toBig(w.NElems))})
		} else {
			set("index inside the table", edit{&row.Cy, 0}, edit{&row.E, 1}, edit{&row.Sg1, 0}, edit{&row.L1, imm})
		}
		if one(row.E) && !one(row.Cy) {
			set("type mismatch", edit{&row.E, 0}, edit{&row.Inv, 1})
			set("another type", edit{&row.E, 0}, edit{&row.L1, new(big.Int).Add(toBig(row.L1), big.NewInt(1))}, edit{&row.Inv, 1})
		}
		if !one(row.E) {
			set("called", edit{&row.E, 1}, edit{&row.Sg1, 0}, edit{&row.L1, imm})
		}
		if one(row.Cy) {
			break // outside the table: Sg1 and L1 only feed the unused zero test
		}
		if !one(row.Sg1) {
			set("null slot", edit{&row.Sg1, 1}, edit{&row.L1, 0}, edit{&row.E, 0}, edit{&row.Inv, nullInv})
		} else {
			set("not null", edit{&row.Sg1, 0}, edit{&row.L1, big.NewInt(NullType)}, edit{&row.E, 0}, edit{&row.Inv, nullInv})
		}
	case ClassInputRead, ClassOutputWrite:
		set("memory bound flipped", edit{&row.Cy, 1 - toBig(row.Cy).Int64()}, edit{&row.D1, fieldNeg(row.D1)})
		set("Sg1 flipped", edit{&row.Sg1, 1 - toBig(row.Sg1).Int64()}, edit{&row.L1, fieldNeg(row.L1)})
		if cl == ClassInputRead {
			// a short read claimed whole (R = len) or a whole one claimed
			// short (R = what is left = len + L2)
			r := toBig(row.X1)
			if !one(row.Sg2) {
				r.Add(r, toBig(row.L2))
			}
			set("count flipped", edit{&row.Sg2, 1 - toBig(row.Sg2).Int64()}, edit{&row.L2, fieldNeg(row.L2)}, edit{&row.R, r})
		}
	}
	return out
}

// apply sets the edits, runs the solver and restores the witness.
func apply(s solved, es []edit) error {
	old := make([]frontend.Variable, len(es))
	for i, e := range es {
		old[i] = *e.v
		*e.v = e.val
	}
	defer func() {
		for i := len(es) - 1; i >= 0; i-- {
			*es[i].v = old[i]
		}
	}()
	return isSolved(s)
}

// TestTamperTraps: in every call_indirect and host I/O row of the trap
// runs (trapping or not), each field the row's constraints read, changed
// alone, is rejected; so is every rewrite of the row into another outcome
// (relabels), and every other outcome in the public final state.
func TestTamperTraps(t *testing.T) {
	ws := trapWitnesses(t)
	tried := 0
	for _, tw := range ws {
		s := tw.solved
		if err := isSolved(s); err != nil {
			t.Fatalf("%s: valid witness rejected: %v", s.name, err)
		}
		for r := range s.w.Rows {
			row := &s.w.Rows[r]
			cl := classOf(row)
			if cl != ClassCallInd && cl != ClassInputRead && cl != ClassOutputWrite {
				continue
			}
			for i, c := range rowCells(row, cl, Entry{}) {
				if testing.Short() && (i+r)%2 == 1 {
					continue // -short: half of the fields
				}
				tried++
				if err := mutate(s, c.v, 1); err == nil {
					t.Errorf("%s row %d (%s): tampered %s accepted", s.name, r, cl, c.name)
				}
			}
			for _, rl := range relabels(s.w, row, cl) {
				tried++
				if err := apply(s, rl.edits); err == nil {
					t.Errorf("%s row %d (%s): relabel %q accepted", s.name, r, cl, rl.name)
				}
			}
		}
		// The public final state: every other status and trap kind, with
		// the run's output (and results, for a return).
		for k := claim.TrapNone; k <= claim.TrapOutputLimit; k++ {
			st, results := claim.StatusTrapped, [][]uint64{nil}
			if k == claim.TrapNone {
				// a return: the run's results, or none, or the top of
				// the stack for a run that trapped
				st, results = claim.StatusReturned, [][]uint64{tw.results, nil, {toBig(s.w.Stack.After[0]).Uint64()}}
			}
			for _, res := range results {
				f := claim.FinalState(st, k, claim.OutputDigest(res, tw.output))
				if toBig(s.w.After).Cmp(f.BigInt(new(big.Int))) == 0 {
					continue
				}
				tried++
				if err := apply(s, []edit{{&s.w.After, f}}); err == nil {
					t.Errorf("%s: final state %s/%s%v accepted", s.name, st, k, res)
				}
			}
		}
	}
	t.Logf("%d tamperings of trap-family rows tried", tried)
}

// dishonest builds the witness of a run of testdata/traps.wat, then moves
// argument i to v everywhere the witness holds it (the locals, the input
// digest and the initial state, the local.get rows and the stack cell
// they push, or the O of the row that overwrites it) and lets edit rewrite
// the row that consumes it (the first call_indirect or host I/O row after
// it is pushed) and the public final state. The result is a complete witness of the run
// with argument v whose only possible flaw is that row's outcome, so the
// solver's verdict is about the row's constraints alone.
func dishonest(t *testing.T, export string, args []uint64, input string, i int, v uint64, edit func(w *Circuit, row *Row)) error {
	t.Helper()
	mod, tab := trapsTable(t)
	tr := runInput(t, mod, export, args, []byte(input), 64)
	a, _, err := tiny.Assign(tab, tr, 0)
	if err != nil {
		t.Fatal(err)
	}
	w := a.(*Circuit)
	args = append([]uint64(nil), args...)
	args[i] = v
	w.Locals.Before[i], w.Locals.After[i] = v, v
	in := claim.InputDigest(args, []byte(input))
	w.InDigest = in
	w.Before = claim.InitialState(tab.Commitment(), tr.Func, in)
	var consumer *Row
	seen := false
	for r := range w.Rows {
		row := &w.Rows[r]
		switch cl := classOf(row); {
		case cl == ClassLocalGet && toBig(row.Imm).Int64() == int64(i) && toBig(row.Depth).Int64() == 1: // the entry function's
			row.V, row.R, seen = v, v, true
			// the pushed cell: the next push onto it holds v as its old
			// value, or the final stack does
			sl := toBig(row.SP).Int64()
			over := false
			for q := r + 1; q+1 < len(w.Rows) && !over; q++ {
				if toBig(w.Rows[q+1].SP).Int64()-1 == sl && toBig(w.Rows[q].PrevTS[portPush]).Sign() != 0 { // a push (a later access of the cell)
					w.Rows[q].O, over = v, true
				}
			}
			if !over {
				w.Stack.After[sl] = v
			}
		case (cl == ClassCallInd || cl == ClassInputRead || cl == ClassOutputWrite) && consumer == nil && seen:
			consumer = row
		}
	}
	edit(w, consumer)
	// When the row halts, the padding after it keeps the state it leaves
	// (a copy's count, address and source).
	ci := 0
	for r := range w.Rows {
		if &w.Rows[r] == consumer {
			ci = r
		}
	}
	if ci+1 < len(w.Rows) && classOf(&w.Rows[ci+1]) == ClassPad {
		for r := ci + 1; r < len(w.Rows); r++ {
			row := &w.Rows[r]
			switch classOf(consumer) {
			case ClassInputRead:
				row.Acc, row.EA, row.Src = consumer.R, consumer.X3, consumer.X2
			case ClassOutputWrite:
				row.Acc, row.EA, row.Src = consumer.R, consumer.OutLen, consumer.X2
			}
		}
	}
	return isSolved(solved{tiny, w, fmt.Sprintf("%s%v", export, args)})
}

// TestDishonestOutcome: complete witnesses of a run with another argument
// (dishonest) are accepted when the row proves that argument's true
// outcome (controls: the construction is sound) and rejected when it
// proves another: a trap where the run returns, a return where it traps,
// or another trap kind.
func TestDishonestOutcome(t *testing.T) {
	trapped := func(k claim.TrapKind, output []byte) fr.Element {
		return claim.FinalState(claim.StatusTrapped, k, claim.OutputDigest(nil, output))
	}
	type tcase struct {
		name   string
		accept bool
		export string
		args   []uint64
		input  string
		i      int
		v      uint64
		edit   func(w *Circuit, row *Row)
	}
	// call_indirect from the null-slot trap indirect(0): row X1 is the index.
	ind := func(name string, accept bool, v uint64, edit func(w *Circuit, row *Row)) tcase {
		return tcase{name, accept, "indirect", []uint64{0}, "", 0, v, func(w *Circuit, row *Row) {
			row.X1 = v
			w.Elems[0].Mult = 0
			edit(w, row)
		}}
	}
	// inTable is call_indirect's in-table bound L2 = NElems - 1 - index,
	// negative (a field element past every range) for an index past it.
	inTable := func(w *Circuit, i uint64) *big.Int {
		l2 := new(big.Int).Sub(toBig(w.NElems), new(big.Int).SetUint64(i+1))
		return l2.Mod(l2, ecc.BN254.ScalarField())
	}
	slot := func(w *Circuit, row *Row, i int) {
		e := &w.Elems[i]
		e.Mult = 1
		row.K, row.P, row.D1 = e.Prologue, e.Params, e.Locals
		row.L2 = inTable(w, uint64(i))
	}
	outside := func(v uint64) func(w *Circuit, row *Row) {
		return func(w *Circuit, row *Row) {
			row.Cy, row.D1 = 1, new(big.Int).Mod(new(big.Int).Sub(new(big.Int).SetUint64(v), toBig(w.NElems)), ecc.BN254.ScalarField())
			row.E, row.Sg1, row.L1, row.Inv = 1, 0, row.Imm, 0
		}
	}
	imm := func(row *Row) *big.Int { return toBig(row.Imm) }
	cases := []tcase{
		ind("index 6: outside the table (true)", true, 6, outside(6)),
		ind("index 2^32-1: outside the table (true)", true, 0xFFFF_FFFF, outside(0xFFFF_FFFF)),
		ind("index 2: type mismatch (true)", true, 2, func(w *Circuit, row *Row) {
			slot(w, row, 2)
			row.Sg1, row.L1 = 0, w.Elems[2].Type
			row.Inv = fieldInv(new(big.Int).Sub(toBig(row.L1), imm(row)))
			w.After = trapped(claim.TrapIndirectCallType, nil)
		}),
		ind("index 2: claimed null", false, 2, func(w *Circuit, row *Row) { slot(w, row, 2) }),
		ind("index 1: claimed null (the run returns)", false, 1, func(w *Circuit, row *Row) { slot(w, row, 1) }),
		ind("index 1: claimed type mismatch (the run returns)", false, 1, func(w *Circuit, row *Row) {
			slot(w, row, 1)
			row.Sg1, row.L1, row.Inv = 0, w.Elems[1].Type, 1
			w.After = trapped(claim.TrapIndirectCallType, nil)
		}),
		ind("index 1: claimed outside the table (the run returns)", false, 1, outside(1)),
		ind("index 1: claimed outside the table with D1 = 0 (the run returns)", false, 1, func(w *Circuit, row *Row) {
			outside(1)(w, row)
			row.D1 = 0
		}),
		ind("index 3: claimed outside the table", false, 3, outside(3)),
		ind("index 2: claimed outside the table", false, 2, outside(2)),
	}
	// call_indirect from the call indirect(1): claimed calls of other slots.
	// Past the table (4 slots) the in-table bound refuses the index: its
	// zero entries in the opened block are lookups that would pass.
	for _, v := range []uint64{0, 2, 4, 6} {
		name := fmt.Sprintf("index %d: claimed called (the run traps)", v)
		if v >= 4 {
			name = fmt.Sprintf("index %d: claimed called past the table (the run traps)", v)
		}
		cases = append(cases, tcase{name, false, "indirect", []uint64{1}, "", 0, v,
			func(w *Circuit, row *Row) {
				row.X1 = v
				row.L2 = inTable(w, v)
				w.Elems[1].Mult = 0
				if v < 6 {
					w.Elems[v].Mult = 1
				}
			}})
	}
	// input_read from the out-of-bounds trap read(mem-2, 0, 5): X3 is
	// the destination, the row's push overwrites its stack cell.
	rd := func(name string, accept bool, dst uint64) tcase {
		return tcase{name, accept, "read", []uint64{trapsMem - 2, 0, 5}, "hello", 0, dst, func(w *Circuit, row *Row) {
			row.X3 = dst
			row.D1, _ = splitBound(trapsMem, dst+5)
			if dst+5 <= trapsMem {
				row.D1 = fieldNeg(row.D1) // keeps claiming the trap: D1 = end - memory - 1 < 0
			}
		}}
	}
	cases = append(cases,
		rd("dst mem-4: out of bounds (true)", true, trapsMem-4),
		rd("dst 2^32-1: out of bounds (true)", true, 0xFFFF_FFFF),
		rd("dst mem-5: claimed out of bounds (fits exactly)", false, trapsMem-5),
		rd("dst 16: claimed out of bounds", false, 16))
	// output_write from the limit trap write(3, 0, 2^20-2): X1 = R is the length.
	wr := func(name string, accept bool, n uint64) tcase {
		return tcase{name, accept, "write", []uint64{3, 0, 1<<20 - 2}, "", 2, n, func(w *Circuit, row *Row) {
			row.X1, row.R = n, n
			row.Inv = fieldInv(new(big.Int).SetUint64(n)) // every row's E is (X1 == 0)
			row.D1, _ = splitBound(trapsMem, n)
			if 3+n > maxOutput {
				row.L1 = 3 + n - maxOutput - 1
			} else {
				row.L1 = fieldNeg(maxOutput - 3 - n) // keeps claiming the limit trap
			}
		}}
	}
	// The count a copy moves: input_read(mem-2, off 0, 4) must copy 4
	// bytes (and trap), not 0 like read(mem-2, 9, 4) did; output_write(32,
	// 6) must output "secret", not 6 zero bytes copied from nowhere.
	cases = append(cases, tcase{"input_read count 0 where it is 4 (the run traps)", false, "read", []uint64{trapsMem - 2, 9, 4}, "hello", 1, 0,
		func(w *Circuit, row *Row) {
			row.X2, row.Sg1, row.L1, row.Sg2, row.L2 = 0, 0, 4, 0, 1 // true bounds; R stays 0
			for r := range w.Rows {
				if classOf(&w.Rows[r]) == ClassInCopy {
					w.Rows[r].Src = 0
				}
			}
		}})
	cases = append(cases, tcase{"output_write count 0 where it is 6", false, "write", []uint64{0, 32, 0}, "", 2, 6,
		func(w *Circuit, row *Row) {
			row.X1 = 6 // R stays 0: nothing copied, OutLen grows by 6
			row.Inv = fieldInv(big.NewInt(6))
			row.L1 = maxOutput - 6
			after := false
			for r := range w.Rows {
				if &w.Rows[r] == row {
					after = true
				} else if after {
					w.Rows[r].OutLen = 6
				}
			}
			w.NChOut = 1
			w.After = claim.FinalState(claim.StatusReturned, claim.TrapNone, claim.OutputDigest(nil, make([]byte, 6)))
		}})
	cases = append(cases,
		wr("len 2^20-1: past the limit (true)", true, 1<<20-1),
		wr("len 2^20-3: claimed past the limit (reaches it exactly)", false, 1<<20-3),
		wr("len 100: claimed past the limit", false, 100))
	// The constraint that must reject each lie, as the test engine names
	// it: a range check (a bound or index on the wrong side), the slot
	// lookup (logup sum under the multicommit), or the zero test.
	why := func(name string) string {
		switch {
		case strings.Contains(name, "past the table"):
			return "" // the index's bound or the lookup, whichever the engine checks first (TestScaledForgeryCallIndirectOutside isolates the bound)
		case strings.Contains(name, "claimed null"), strings.Contains(name, "claimed called"):
			return "multicommit"
		case strings.Contains(name, "claimed type mismatch"), strings.Contains(name, " count "), strings.Contains(name, "D1 = 0"):
			return "circuits.(*Circuit).Define circuit.go"
		}
		return "rangecheck"
	}
	for _, tc := range cases {
		err := dishonest(t, tc.export, tc.args, tc.input, tc.i, tc.v, tc.edit)
		switch {
		case tc.accept && err != nil:
			t.Errorf("%s: true outcome rejected: %v", tc.name, err)
		case !tc.accept && err == nil:
			t.Errorf("%s: dishonest outcome accepted", tc.name)
		case !tc.accept:
			msg := strings.Join(strings.Fields(err.Error()), " ")
			if !strings.Contains(msg, why(tc.name)) {
				t.Errorf("%s: rejected, but not by the %s: %s", tc.name, why(tc.name), msg)
			}
			t.Logf("%s: rejected by the %s: %.300s", tc.name, why(tc.name), msg)
		}
	}
}
