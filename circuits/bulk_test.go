package circuits

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/consensys/gnark/frontend"

	"github.com/mcpzero/mcpzero/circuits/claim"
	"github.com/mcpzero/mcpzero/trace"
)

// bulkShape opens two memory blocks per segment: a move between the first
// and the last page needs both, and short segments cut between the moves.
var bulkShape = Shape{Rows: 32, Prog: 128, Funcs: 4, Stack: 8, Locals: 8, Globals: 1, Depth: 4, Mem: 2 * MemBlockBytes, In: 8, Out: 8}

// bulkCase is a run of testdata/bulk.wat and the outcome the tracer and
// the statement must report.
type bulkCase struct {
	export string
	args   []uint64
	trap   claim.TrapKind // TrapNone: returns
}

const bulkMem = 65536

var bulkCases = []bulkCase{
	{"copy", []uint64{4, 0, 8}, claim.TrapNone},                      // overlapping, backward
	{"copy", []uint64{0, 4, 8}, claim.TrapNone},                      // overlapping, forward
	{"copy", []uint64{16, 0, 3}, claim.TrapNone},                     // disjoint, backward
	{"copy", []uint64{0, 16, 8}, claim.TrapNone},                     // disjoint, forward
	{"copy", []uint64{5, 5, 4}, claim.TrapNone},                      // onto itself
	{"copy", []uint64{bulkMem - 6, 0, 6}, claim.TrapNone},            // to the last byte
	{"copy", []uint64{0, bulkMem - 6, 6}, claim.TrapNone},            // from the last byte
	{"copy", []uint64{bulkMem, 0, 0}, claim.TrapNone},                // n = 0 at the end: a no-op
	{"copy", []uint64{3, 9, 0}, claim.TrapNone},                      // n = 0
	{"copy", []uint64{bulkMem - 5, 0, 6}, claim.TrapOutOfBounds},     // dst + n one past
	{"copy", []uint64{0, bulkMem - 5, 6}, claim.TrapOutOfBounds},     // src + n one past
	{"copy", []uint64{0, 0, 0xFFFF_FFFF}, claim.TrapOutOfBounds},     // n past
	{"copy", []uint64{0xFFFF_FFFF, 0, 0}, claim.TrapOutOfBounds},     // dst past, n = 0
	{"copy", []uint64{0, bulkMem + 1, 0}, claim.TrapOutOfBounds},     // src past, n = 0
	{"fill", []uint64{3, 0x1AB, 10}, claim.TrapNone},                 // low byte 0xAB
	{"fill", []uint64{2, 0xFFFF_FF07, 1}, claim.TrapNone},            // one byte
	{"fill", []uint64{bulkMem - 6, 7, 6}, claim.TrapNone},            // to the last byte
	{"fill", []uint64{bulkMem, 9, 0}, claim.TrapNone},                // n = 0 at the end
	{"fill", []uint64{bulkMem, 9, 1}, claim.TrapOutOfBounds},         // one past
	{"fill", []uint64{5, 0, 0xFFFF_FFFF}, claim.TrapOutOfBounds},     // n past
	{"fill", []uint64{0xFFFF_FFFF, 1, 0}, claim.TrapOutOfBounds},     // dst past, n = 0
	{"fill", []uint64{bulkMem - 1, 0x100, 2}, claim.TrapOutOfBounds}, // the first byte fits, the second not
}

func (c bulkCase) String() string { return fmt.Sprintf("%s%v", c.export, c.args) }

// bulkWitnesses cuts every bulk case for shape and checks the statement.
func bulkWitnesses(t *testing.T, shape Shape) []solved {
	t.Helper()
	mod := loadModule(t, "bulk.wasm")
	tab, err := Table(mod)
	if err != nil {
		t.Fatal(err)
	}
	var out []solved
	for _, bc := range bulkCases {
		tr := runInput(t, mod, bc.export, bc.args, nil, 1<<16)
		want := claim.StatusReturned
		if bc.trap != claim.TrapNone {
			want = claim.StatusTrapped
		}
		if claim.Status(tr.Status) != want || claim.TrapKind(tr.Trap) != bc.trap {
			t.Fatalf("%s: tracer %s %s, want %s %s", bc, tr.Status, tr.Trap, want, bc.trap)
		}
		stmt, claims, err := tab.Statement(shape, tr)
		if err != nil {
			t.Fatalf("%s: %v", bc, err)
		}
		if err := claim.CheckStatement(stmt, claims); err != nil {
			t.Fatalf("%s: %v", bc, err)
		}
		if stmt.Status != want || stmt.Trap != bc.trap {
			t.Fatalf("%s: statement %s %s", bc, stmt.Status, stmt.Trap)
		}
		var results []uint64
		if want == claim.StatusReturned {
			results = tr.Results
		}
		if stmt.Output != claim.OutputDigest(results, nil) {
			t.Fatalf("%s: the statement's output is not the run's results %v", bc, results)
		}
		for k := range claims {
			w, cl, err := shape.Assign(tab, tr, k)
			if err != nil {
				t.Fatalf("%s segment %d: %v", bc, k, err)
			}
			if cl != claims[k] {
				t.Fatalf("%s segment %d: claim mismatch", bc, k)
			}
			out = append(out, solved{shape, w.(*Circuit), fmt.Sprintf("%s/seg%d", bc, k)})
		}
	}
	return out
}

// TestBulkMemorySolve: every bulk-memory run proves the tracer's outcome
// (results, or the out-of-bounds trap), segment by segment, including
// moves between blocks of the first and the last page.
func TestBulkMemorySolve(t *testing.T) {
	ws := bulkWitnesses(t, bulkShape)
	moves := map[bool]int{}
	for _, s := range ws {
		if err := isSolved(s); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		for r := range s.w.Rows {
			if row := &s.w.Rows[r]; classOf(row) == ClassMemMove && toBig(row.E).Sign() == 0 {
				moves[toBig(row.Neg).Sign() != 0]++
			}
		}
	}
	if moves[false] == 0 || moves[true] == 0 {
		t.Fatalf("byte moves forward %d, backward %d: both directions must run", moves[false], moves[true])
	}
	t.Logf("%d segments; %d forward and %d backward byte moves", len(ws), moves[false], moves[true])
}

// bulkRelabels are a dishonest prover's rewrites of a memory.copy or
// memory.fill row into another outcome: the bound or the direction
// flipped (with the other branch of its split), another byte for fill.
func bulkRelabels(row *Row, cl Class) []relabel {
	var out []relabel
	set := func(name string, es ...edit) { out = append(out, relabel{name, es}) }
	flip := func(v frontend.Variable) int64 { return 1 - toBig(v).Int64() }
	set("bound flipped", edit{&row.Cy, flip(row.Cy)}, edit{&row.D1, fieldNeg(row.D1)})
	switch cl {
	case ClassMemCopy:
		set("direction flipped", edit{&row.Sg2, flip(row.Sg2)}, edit{&row.L2, fieldNeg(row.L2)})
	case ClassMemFill:
		// another byte with the same value: R + 1 and L1 - 1/256
		l1 := new(big.Int).Sub(toBig(row.L1), fieldInv(big.NewInt(256)))
		set("byte + 1", edit{&row.R, new(big.Int).Add(toBig(row.R), big.NewInt(1))}, edit{&row.L1, l1})
		set("byte + 256", edit{&row.R, new(big.Int).Add(toBig(row.R), big.NewInt(256))}, edit{&row.L1, new(big.Int).Sub(toBig(row.L1), big.NewInt(1))})
		set("n = 0 claimed", edit{&row.E, flip(row.E)}, edit{&row.Inv, 0})
	}
	return out
}

// TestTamperBulk: in every memory.copy, memory.fill and byte-move row,
// each field its constraints read, changed alone, is rejected, and so is
// every rewrite of a copy or fill into another outcome.
func TestTamperBulk(t *testing.T) {
	ws := bulkWitnesses(t, bulkShape)
	tried := 0
	for n, s := range ws {
		for r := range s.w.Rows {
			row := &s.w.Rows[r]
			cl := classOf(row)
			if cl != ClassMemCopy && cl != ClassMemFill && cl != ClassMemMove {
				continue
			}
			for i, c := range rowCells(row, cl, Entry{}) {
				if testing.Short() && (i+r+n)%3 != 0 {
					continue // -short: a third of the fields, rotating
				}
				tried++
				if err := mutate(s, c.v, 1); err == nil {
					t.Errorf("%s row %d (%s): tampered %s accepted", s.name, r, cl, c.name)
				}
			}
			if cl == ClassMemMove {
				continue
			}
			for _, rl := range bulkRelabels(row, cl) {
				tried++
				if err := apply(s, rl.edits); err == nil {
					t.Errorf("%s row %d (%s): relabel %q accepted", s.name, r, cl, rl.name)
				}
			}
		}
	}
	t.Logf("%d bulk-memory tamperings tried", tried)
}

// TestBulkShapeErrors: a move between two blocks cannot run under a shape
// that opens one block per segment: refused with ErrShape before proving.
func TestBulkShapeErrors(t *testing.T) {
	mod := loadModule(t, "bulk.wasm")
	tab, err := Table(mod)
	if err != nil {
		t.Fatal(err)
	}
	one := bulkShape
	one.Mem = MemBlockBytes
	tr := runInput(t, mod, "copy", []uint64{bulkMem - 6, 0, 6}, nil, 1<<16)
	if tr.Status != trace.Returned {
		t.Fatalf("tracer: %s %s", tr.Status, tr.Trap)
	}
	if _, err := tab.Claims(one, tr); !isShapeErr(err) {
		t.Fatalf("got %v, want ErrShape", err)
	}
}
