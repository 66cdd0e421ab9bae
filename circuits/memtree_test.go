package circuits

import (
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"

	"github.com/mcpzero/mcpzero/circuits/claim"
	"github.com/mcpzero/mcpzero/trace"
)

// blockLive reports whether block slot j is accessed in the segment or
// holds a non-zero byte.
func blockLive(w *Circuit, j int) bool {
	for i := j * MemBlockBytes; i < (j+1)*MemBlockBytes; i++ {
		if toBig(w.Mem.LastTS[i]).Sign() != 0 || toBig(w.Mem.Before[i]).Sign() != 0 {
			return true
		}
	}
	return false
}

func bigOf(v int64) *big.Int { return big.NewInt(v) }

// rejectEdit applies edit to s's witness, requires the solver to reject
// it, and undoes it.
func rejectEdit(t *testing.T, s solved, what string, edit func(w *Circuit) func()) {
	t.Helper()
	undo := edit(s.w)
	err := isSolved(s)
	undo()
	if err == nil {
		t.Errorf("%s: %s accepted", s.name, what)
	}
}

// add is an edit that adds d to *v (mod the field).
func add(v *frontend.Variable, d int64) func(*Circuit) func() {
	return func(*Circuit) func() {
		old := *v
		n := toBig(old)
		n.Add(n, bigOf(d))
		*v = n
		return func() { *v = old }
	}
}

func isShapeErr(err error) bool { return errors.Is(err, ErrShape) }

func mustAssign(t *testing.T, tab *ModuleTable, tr *trace.Trace) frontend.Circuit {
	t.Helper()
	w, _, err := pagedShape.Assign(tab, tr, 0)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestMemTree(t *testing.T) {
	empty := newMemTree()
	if empty.root() != zeroNodes[MemTreeDepth] {
		t.Fatal("empty tree is not the zero root")
	}
	if MemoryRoot(nil) != empty.root() || MemoryRoot(make([]byte, 3*65536)) != empty.root() {
		t.Fatal("an all-zero image is not the empty root")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	img := make([]byte, 70000)
	tr := newMemTree()
	for range 40 {
		off := rng.IntN(len(img))
		img[off] = byte(rng.Uint32() | 1)
		blk := uint64(off / MemBlockBytes)
		lo := int(blk) * MemBlockBytes
		b := make([]byte, MemBlockBytes)
		copy(b, img[lo:min(lo+MemBlockBytes, len(img))])
		before := tr.root()
		p := tr.path(blk)
		tr.set(blk, blockLeaf(b))
		if memRootOf(blockLeaf(b), blk, p) != tr.root() {
			t.Fatal("path before the update does not give the updated root")
		}
		if memRootOf(blockLeaf(b), blk, tr.path(blk)) != tr.root() || tr.root() == before && blk != 0 {
			t.Fatal("path after the update does not give the root")
		}
	}
	if MemoryRoot(img) != tr.root() {
		t.Fatal("tree of the image differs from the tree built leaf by leaf")
	}
	// the last block of the address space
	last := uint64(1)<<MemTreeDepth - 1
	tr.set(last, blockLeaf([]byte{1}))
	if memRootOf(blockLeaf([]byte{1}), last, tr.path(last)) != tr.root() {
		t.Fatal("last block")
	}
	if memRootOf(blockLeaf([]byte{1}), last-1, tr.path(last)) == tr.root() {
		t.Fatal("a path opens at another position")
	}
}

// pagedShape opens two memory blocks and one table block per segment, so
// that the walk over three pages and the dispatch over three table
// blocks cut segments early.
var pagedShape = Shape{Rows: 64, Prog: 128, Funcs: 4, Stack: 8, Locals: 8, Globals: 1, Depth: 4, Mem: 2 * MemBlockBytes, In: 64, Out: 8, Table: 32}

type pagedRun struct {
	export string
	args   []uint64
	input  string
}

var pagedRuns = []pagedRun{
	{"walk", []uint64{4099, 12}, ""}, // stride above a block: a new block every access
	{"walk", []uint64{8, 40}, ""},    // a few blocks, reused
	{"top", []uint64{196600}, ""},    // the last 8 bytes of memory
	{"top", []uint64{196601}, ""},    // one past: traps
	{"copy", []uint64{0x20000 - 10}, "copied into high memory across a block edge"},
	{"dispatch", []uint64{4}, ""}, // call_indirect through three table blocks
	{"dispatch", []uint64{5}, ""}, // then a null slot: traps
}

func pagedWitnesses(t *testing.T) []solved {
	t.Helper()
	mod := loadModule(t, "paged.wasm")
	tab, err := Table(mod)
	if err != nil {
		t.Fatal(err)
	}
	var out []solved
	for _, pr := range pagedRuns {
		tr := runInput(t, mod, pr.export, pr.args, []byte(pr.input), 1<<16)
		stmt, claims, err := tab.Statement(pagedShape, tr)
		if err != nil {
			t.Fatalf("%s%v: %v", pr.export, pr.args, err)
		}
		if err := claim.CheckStatement(stmt, claims); err != nil {
			t.Fatalf("%s%v: %v", pr.export, pr.args, err)
		}
		for k := range claims {
			w, cl, err := pagedShape.Assign(tab, tr, k)
			if err != nil {
				t.Fatal(err)
			}
			if cl != claims[k] {
				t.Fatal("claim mismatch")
			}
			out = append(out, solved{pagedShape, w.(*Circuit), fmt.Sprintf("%s%v/seg%d", pr.export, pr.args, k)})
		}
		t.Logf("%s%v: %d steps, %d segments, status %v %v", pr.export, pr.args, tr.Steps, len(claims), tr.Status, tr.Trap)
	}
	return out
}

// TestPagedMemorySolve: runs over memory far above the old dense regions
// solve segment by segment, segments end early rather than open more
// blocks than the shape holds, and blocks above 64 KiB are opened.
func TestPagedMemorySolve(t *testing.T) {
	ws := pagedWitnesses(t)
	early, high := 0, 0
	for i, s := range ws {
		if err := isSolved(s); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if last := i+1 == len(ws) || ws[i+1].name[:len(ws[i+1].name)-1] != s.name[:len(s.name)-1]; !last {
			if classOf(&s.w.Rows[len(s.w.Rows)-1]) == ClassPad {
				early++
			}
		}
		for j := range s.w.MemBlocks {
			if toBig(s.w.MemBlocks[j]).Uint64() >= 65536/MemBlockBytes {
				high++
			}
		}
	}
	if early == 0 || high == 0 {
		t.Fatalf("%d segments ended early, %d blocks above 64 KiB opened: the test does not exercise paging", early, high)
	}
	t.Logf("%d segments, %d ended early, %d high blocks opened", len(ws), early, high)
}

// TestTamperMemory: the opened blocks, their bytes, paths and roots are
// bound: each changed alone is rejected, and so are coordinated rewrites
// that keep the memory check balanced (an untouched byte changed before
// and after alike), open a block twice, or reorder the blocks.
func TestTamperMemory(t *testing.T) {
	ws := pagedWitnesses(t)
	tried := 0
	reject := func(s solved, what string, f func(w *Circuit) func()) {
		t.Helper()
		tried++
		rejectEdit(t, s, what, f)
	}
	for n, s := range ws {
		if testing.Short() && n%4 != 0 || strings.HasPrefix(s.name, "dispatch") {
			continue // -short: every fourth segment; dispatch touches no memory
		}
		w := s.w
		reject(s, "MemRoot+1", add(&w.MemRoot, 1))
		if toBig(w.IsFirst).Sign() != 0 {
			reject(s, "MemInit+1", add(&w.MemInit, 1))
		}
		for j := range w.MemBlocks {
			lo := j * MemBlockBytes
			if blockLive(w, j) {
				// An untouched all-zero block may be opened one block
				// over when its neighbour is also zero (the same path):
				// an equivalent witness, so only live blocks must move.
				reject(s, fmt.Sprintf("MemBlocks[%d]+1", j), add(&w.MemBlocks[j], 1))
				reject(s, fmt.Sprintf("MemBlocks[%d]-1", j), add(&w.MemBlocks[j], -1))
			}
			for _, k := range []int{0, 7, MemTreeDepth - 1} {
				reject(s, fmt.Sprintf("MemPath[%d][%d]+1", j, k), add(&w.MemPath[j][k], 1))
			}
			for _, i := range []int{lo, lo + 100, lo + MemBlockBytes - 1} {
				reject(s, fmt.Sprintf("Mem.Before[%d]+1", i), add(&w.Mem.Before[i], 1))
				reject(s, fmt.Sprintf("Mem.After[%d]+1", i), add(&w.Mem.After[i], 1))
				if toBig(w.Mem.LastTS[i]).Sign() == 0 {
					// untouched: before and after changed alike keep
					// the memory check balanced; only the tree binds it
					i := i
					reject(s, fmt.Sprintf("untouched Mem[%d] rewritten", i), func(w *Circuit) func() {
						ob, oa := w.Mem.Before[i], w.Mem.After[i]
						v := toBig(ob)
						v.Xor(v, bigOf(1))
						w.Mem.Before[i], w.Mem.After[i] = v, v
						return func() { w.Mem.Before[i], w.Mem.After[i] = ob, oa }
					})
				} else {
					reject(s, fmt.Sprintf("Mem.LastTS[%d]+1", i), add(&w.Mem.LastTS[i], 1))
				}
			}
		}
		if n := len(w.MemBlocks); n >= 2 {
			reject(s, "block opened twice", func(w *Circuit) func() {
				ob, ot, op := w.MemBlocks[1], w.Mem.Before[MemBlockBytes:], w.MemPath[1]
				saved := append([]frontend.Variable(nil), ot...)
				w.MemBlocks[1], w.MemPath[1] = w.MemBlocks[0], w.MemPath[0]
				copy(w.Mem.Before[MemBlockBytes:2*MemBlockBytes], w.Mem.Before[:MemBlockBytes])
				return func() { w.MemBlocks[1], w.MemPath[1] = ob, op; copy(w.Mem.Before[MemBlockBytes:], saved) }
			})
			reject(s, "blocks swapped", func(w *Circuit) func() {
				swap := func() {
					w.MemBlocks[0], w.MemBlocks[1] = w.MemBlocks[1], w.MemBlocks[0]
					w.MemPath[0], w.MemPath[1] = w.MemPath[1], w.MemPath[0]
					for _, r := range [][]frontend.Variable{w.Mem.Before, w.Mem.After, w.Mem.LastTS} {
						for i := range MemBlockBytes {
							r[i], r[MemBlockBytes+i] = r[MemBlockBytes+i], r[i]
						}
					}
				}
				swap()
				return swap
			})
		}
	}
	t.Logf("%d memory tamperings tried", tried)
}

// TestPagedMemoryShapeErrors: a run that touches memory under a shape
// that opens no blocks is refused with ErrShape before any proving.
func TestPagedMemoryShapeErrors(t *testing.T) {
	mod := loadModule(t, "paged.wasm")
	tab, err := Table(mod)
	if err != nil {
		t.Fatal(err)
	}
	tr := runInput(t, mod, "top", []uint64{100}, nil, 1<<16)
	noMem := pagedShape
	noMem.Mem = 0
	if _, err := tab.Claims(noMem, tr); err == nil || !isShapeErr(err) {
		t.Fatalf("got %v, want ErrShape", err)
	}
	if err := test.IsSolved(pagedShape.NewCircuit(), mustAssign(t, tab, tr), ecc.BN254.ScalarField()); err != nil {
		t.Fatal(err)
	}
}

// TestCompiledZigSolves: real Zig output (testdata/zig) allocates pages
// above 1 MiB with memory.grow and formats a string into them; every
// segment of its runs solves and the statement carries its results.
func TestCompiledZigSolves(t *testing.T) {
	mod := loadModule(t, "zig/greet.wasm")
	tab, err := Table(mod)
	if err != nil {
		t.Fatal(err)
	}
	// 16 program blocks (512 of its 3,729 entries), 4 memory blocks
	shape := Shape{Rows: 512, Prog: 512, Funcs: 32, Stack: 64, Locals: 64, Globals: 16, Depth: 16, Mem: 1024, Table: 8}
	for _, tc := range []struct {
		export string
		args   []uint64
	}{
		{"malloc", []uint64{20}},
		{"greeting", []uint64{0, 0}},
	} {
		tr := run(t, mod, tc.export, tc.args, 1<<16)
		if tr.Status != trace.Returned || len(tr.Results) != 1 {
			t.Fatalf("%s: %v %v", tc.export, tr.Status, tr.Results)
		}
		if ptr := tr.Results[0] >> 32; tc.export == "greeting" && ptr < 1<<20 {
			t.Fatalf("greeting allocated at %#x, not above 1 MiB", ptr)
		}
		stmt, claims, err := tab.Statement(shape, tr)
		if err != nil {
			t.Fatalf("%s: %v", tc.export, err)
		}
		if err := claim.CheckStatement(stmt, claims); err != nil {
			t.Fatal(err)
		}
		if want := claim.OutputDigest(tr.Results, nil); stmt.Output != want {
			t.Fatalf("%s: statement output is not the run's results", tc.export)
		}
		for k := range claims {
			w, _, err := shape.Assign(tab, tr, k)
			if err != nil {
				t.Fatal(err)
			}
			if err := test.IsSolved(shape.NewCircuit(), w, ecc.BN254.ScalarField()); err != nil {
				t.Fatalf("%s segment %d of %d: %v", tc.export, k, len(claims), err)
			}
		}
		t.Logf("%s%v = %#x: %d steps, %d segments of %s", tc.export, tc.args, tr.Results[0], tr.Steps, len(claims), shape.ID())
	}
}

// TestTamperProgram: the opened program blocks are bound to the program
// tree in the module commitment: a program root, block index or sibling
// changed is rejected, and so is an entry changed where only the tree can
// see it (an entry no row executes), an executed entry changed together
// with every row that looks it up (the lookup balances; the tree does
// not), a block opened twice, and blocks reordered.
func TestTamperProgram(t *testing.T) {
	ws := pagedWitnesses(t)
	tried, unexecuted, executedConst, lookedUp := 0, 0, 0, 0
	reject := func(s solved, what string, f func(w *Circuit) func()) {
		t.Helper()
		tried++
		rejectEdit(t, s, what, f)
	}
	for n, s := range ws {
		if testing.Short() && n%6 != 0 && !strings.HasPrefix(s.name, "dispatch") {
			continue
		}
		w := s.w
		reject(s, "ProgRoot+1", add(&w.ProgRoot, 1))
		for j := range w.ProgBlocks {
			reject(s, fmt.Sprintf("ProgPath[%d][0]+1", j), add(&w.ProgPath[j][0], 1))
			reject(s, fmt.Sprintf("ProgPath[%d][%d]+1", j, ProgTreeDepth-1), add(&w.ProgPath[j][ProgTreeDepth-1], 1))
			executed := false
			for i := j * ProgBlockEntries; i < (j+1)*ProgBlockEntries; i++ {
				executed = executed || toBig(w.Prog[i].Mult).Sign() != 0
			}
			if executed {
				reject(s, fmt.Sprintf("ProgBlocks[%d]+1", j), add(&w.ProgBlocks[j], 1))
			}
		}
		// an entry no row executes: only the tree binds it
		for i := range w.Prog {
			if toBig(w.Prog[i].Mult).Sign() == 0 && toBig(w.Prog[i].Flags).Sign() != 0 {
				reject(s, fmt.Sprintf("unexecuted Prog[%d].Imm+1", i), add(&w.Prog[i].Imm, 1))
				unexecuted++
				break
			}
		}
		// an executed const: its entry and every row that runs it
		for r := range w.Rows {
			if classOf(&w.Rows[r]) != ClassConst {
				continue
			}
			pc := w.Rows[r].PC
			reject(s, "executed const rewritten with its rows", func(w *Circuit) func() {
				var undo []func()
				for k := range w.Rows {
					if toBig(w.Rows[k].PC).Cmp(toBig(pc)) == 0 {
						undo = append(undo, add(&w.Rows[k].Imm, 1)(w), add(&w.Rows[k].R, 1)(w))
					}
				}
				undo = append(undo, add(&progEntryOf(t, w, pc).Imm, 1)(w))
				return func() {
					for _, u := range undo {
						u()
					}
				}
			})
			executedConst++
			break
		}
		// The funcref table: root, paths, a looked-up block moved, a slot
		// no call looks up changed (only the tree binds it).
		reject(s, "ElemRoot+1", add(&w.ElemRoot, 1))
		reject(s, "NElems+1", add(&w.NElems, 1))
		for j := range w.ElemBlocks {
			reject(s, fmt.Sprintf("ElemPath[%d][0]+1", j), add(&w.ElemPath[j][0], 1))
			for i := j * ProgBlockEntries; i < (j+1)*ProgBlockEntries; i++ {
				if toBig(w.Elems[i].Mult).Sign() != 0 {
					reject(s, fmt.Sprintf("looked-up ElemBlocks[%d]+1", j), add(&w.ElemBlocks[j], 1))
					lookedUp++
					break
				}
			}
			for i := j * ProgBlockEntries; i < (j+1)*ProgBlockEntries; i++ {
				if toBig(w.Elems[i].Mult).Sign() == 0 && toBig(w.Elems[i].Type).Sign() != 0 {
					reject(s, fmt.Sprintf("unused Elems[%d].Type-1", i), add(&w.Elems[i].Type, -1))
					break
				}
			}
		}
		if len(w.ProgBlocks) >= 2 {
			reject(s, "program block opened twice", func(w *Circuit) func() {
				ob, op := w.ProgBlocks[1], w.ProgPath[1]
				saved := append([]ProgEntry(nil), w.Prog[ProgBlockEntries:2*ProgBlockEntries]...)
				w.ProgBlocks[1], w.ProgPath[1] = w.ProgBlocks[0], w.ProgPath[0]
				for i := range ProgBlockEntries {
					w.Prog[ProgBlockEntries+i] = w.Prog[i]
					w.Prog[ProgBlockEntries+i].Mult = 0
				}
				return func() {
					w.ProgBlocks[1], w.ProgPath[1] = ob, op
					copy(w.Prog[ProgBlockEntries:], saved)
				}
			})
			reject(s, "program blocks swapped", func(w *Circuit) func() {
				swap := func() {
					w.ProgBlocks[0], w.ProgBlocks[1] = w.ProgBlocks[1], w.ProgBlocks[0]
					w.ProgPath[0], w.ProgPath[1] = w.ProgPath[1], w.ProgPath[0]
					for i := range ProgBlockEntries {
						w.Prog[i], w.Prog[ProgBlockEntries+i] = w.Prog[ProgBlockEntries+i], w.Prog[i]
					}
				}
				swap()
				return swap
			})
		}
	}
	if unexecuted == 0 || executedConst == 0 || lookedUp == 0 {
		t.Fatalf("%d unexecuted-entry, %d executed-const and %d looked-up table block attacks: the test no longer exercises each", unexecuted, executedConst, lookedUp)
	}
	t.Logf("%d program tamperings tried (%d unexecuted entries, %d executed consts with their rows)", tried, unexecuted, executedConst)
}
