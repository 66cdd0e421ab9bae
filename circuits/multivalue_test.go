package circuits

import (
	"fmt"
	"math/big"
	"slices"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/mcpzero/mcpzero/circuits/claim"
	"github.com/mcpzero/mcpzero/trace"
)

// multiShape holds testdata/multi.wat's runs in short segments, so that
// expansions are cut between segments too.
var multiShape = Shape{Rows: 32, Prog: 256, Funcs: 16, Stack: 32, Locals: 64, Globals: 1, Depth: 16, Table: 32}

// multiCases are runs of testdata/multi.wat with the results WebAssembly
// gives (checked against the tracer's too).
var multiCases = []struct {
	export string
	args   []uint64
	want   []uint64
}{
	{"swap", []uint64{3, 9}, []uint64{9, 3}},            // end of a function with two results
	{"ret", []uint64{5, 7}, []uint64{5, 7}},             // return over values below
	{"br", []uint64{10, 4}, []uint64{6}},                // br drops a value under two
	{"brif", []uint64{1, 8}, []uint64{1<<32 + 6}},       // br_if taken
	{"brif", []uint64{0, 8}, []uint64{13}},              // br_if not taken: the values stay
	{"table", []uint64{0}, []uint64{2520}},              // br_table, each label
	{"table", []uint64{1}, []uint64{1320}},              //
	{"table", []uint64{2}, []uint64{242}},               //
	{"table", []uint64{3}, []uint64{1320}},              //
	{"table", []uint64{0xFFFF_FFFF}, []uint64{1320}},    // the default
	{"fib", []uint64{10}, []uint64{55}},                 // br to a loop with two parameters
	{"rec", []uint64{10}, []uint64{55}},                 // two results through 11 frames
	{"two", []uint64{0}, []uint64{0, 3}},                // the called function returns two
	{"two", []uint64{5}, []uint64{15, 4}},               //
	{"indirect", []uint64{8, 3}, []uint64{0xFFFF_FFFB}}, // call_indirect of a two-result function
}

// multiWitnesses proves every case for shape: statement, claims and the
// witness of each segment.
func multiWitnesses(t *testing.T, shape Shape) ([]solved, *ModuleTable) {
	t.Helper()
	mod := loadModule(t, "multi.wasm")
	tab, err := Table(mod)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Unsupported) != 0 {
		t.Fatalf("multi.wasm: %d unsupported instructions, first %v", len(tab.Unsupported), tab.Unsupported[0])
	}
	var out []solved
	for _, mc := range multiCases {
		name := fmt.Sprintf("%s%v", mc.export, mc.args)
		tr := runInput(t, mod, mc.export, mc.args, nil, 1<<16)
		if tr.Status != trace.Returned || !slices.Equal(tr.Results, mc.want) {
			t.Fatalf("%s: tracer %s %v, want %v", name, tr.Status, tr.Results, mc.want)
		}
		stmt, claims, err := tab.Statement(shape, tr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := claim.CheckStatement(stmt, claims); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if stmt.Status != claim.StatusReturned || stmt.Output != claim.OutputDigest(mc.want, nil) || stmt.Steps != tr.Steps {
			t.Fatalf("%s: statement %s, %d steps; want the results %v in %d steps", name, stmt.Status, stmt.Steps, mc.want, tr.Steps)
		}
		for k := range claims {
			w, cl, err := shape.Assign(tab, tr, k)
			if err != nil {
				t.Fatalf("%s segment %d: %v", name, k, err)
			}
			if cl != claims[k] {
				t.Fatalf("%s segment %d: claim mismatch", name, k)
			}
			out = append(out, solved{shape, w.(*Circuit), fmt.Sprintf("%s/seg%d", name, k)})
		}
	}
	return out, tab
}

// expansionRow reports whether a row executes a multi-value expansion
// (multivalue.go): the scratch locals' sets and gets, the branches between
// them, and returns of height k.
func expansionRow(tab *ModuleTable, row *Row) bool {
	pc := toBig(row.PC).Uint64()
	if pc >= uint64(len(tab.Entries)) {
		return false
	}
	e := tab.Entries[pc]
	switch e.Class {
	case ClassIf: // the head of a br_if's expansion: the step, the pops follow
		return !e.Pseudo && pc+1 < uint64(len(tab.Entries)) && tab.Entries[pc+1].Pseudo && tab.Entries[pc+1].Class == ClassLocalSet
	case ClassReturn:
		return e.Height > 0
	case ClassLocalSet, ClassLocalGet, ClassBr, ClassBrCase, ClassBrTable:
		return e.Pseudo
	}
	return false
}

// TestMultiValueSolve: every multi-value branch and return proves the
// tracer's results, segment by segment.
func TestMultiValueSolve(t *testing.T) {
	ws, tab := multiWitnesses(t, multiShape)
	rows := map[Class]int{}
	for _, s := range ws {
		if err := isSolved(s); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		for r := range s.w.Rows {
			if row := &s.w.Rows[r]; expansionRow(tab, row) {
				rows[classOf(row)]++
			}
		}
	}
	for _, c := range []Class{ClassIf, ClassLocalSet, ClassLocalGet, ClassBr, ClassBrCase, ClassBrTable, ClassReturn} {
		if rows[c] == 0 {
			t.Errorf("no %s row of a multi-value expansion ran", c)
		}
	}
	t.Logf("%d segments; expansion rows %v", len(ws), rows)
}

// TestTamperMultiValue: in every row of a multi-value expansion, each field
// its constraints read, changed alone, is rejected; so are the final
// results reordered or replaced.
func TestTamperMultiValue(t *testing.T) {
	ws, tab := multiWitnesses(t, multiShape)
	tried := 0
	for n, s := range ws {
		for r := range s.w.Rows {
			row := &s.w.Rows[r]
			if !expansionRow(tab, row) {
				continue
			}
			cl := classOf(row)
			for i, c := range rowCells(row, cl, tab.Entries[toBig(row.PC).Uint64()]) {
				if testing.Short() && (i+r+n)%12 != 0 {
					continue // -short: one field in twelve, rotating
				}
				tried++
				if err := mutate(s, c.v, 1); err == nil {
					t.Errorf("%s row %d (%s): tampered %s accepted", s.name, r, cl, c.name)
				}
			}
		}
	}
	// The last segment of each two-result run: its final state claims
	// the results swapped, or one of them off by one.
	final := func(rs []uint64) fr.Element {
		return claim.FinalState(claim.StatusReturned, claim.TrapNone, claim.OutputDigest(rs, nil))
	}
	for _, s := range ws {
		for _, mc := range multiCases {
			honest := final(mc.want)
			if len(mc.want) != 2 || toBig(s.w.After).Cmp(honest.BigInt(new(big.Int))) != 0 {
				continue // not the halting segment of a two-result run
			}
			want := mc.want
			for _, rs := range [][]uint64{{want[1], want[0]}, {want[0] + 1, want[1]}, {want[0], want[1] + 1}, {want[1]}} {
				tried++
				old := s.w.After
				s.w.After = final(rs)
				if err := isSolved(s); err == nil {
					t.Errorf("%s: claimed results %v accepted (the run returns %v)", s.name, rs, want)
				}
				s.w.After = old
			}
		}
	}
	t.Logf("%d multi-value tamperings tried", tried)
}
