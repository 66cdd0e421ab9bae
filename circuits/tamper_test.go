package circuits

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"
)

// A cell is one witness variable of an assignment, by name.
type wcell struct {
	name string
	v    *frontend.Variable
}

func toBig(v frontend.Variable) *big.Int {
	switch x := v.(type) {
	case uint64:
		return new(big.Int).SetUint64(x)
	case uint32:
		return new(big.Int).SetUint64(uint64(x))
	case int:
		return big.NewInt(int64(x))
	case fr.Element:
		return x.BigInt(new(big.Int))
	case *big.Int:
		return new(big.Int).Set(x)
	}
	panic(fmt.Sprintf("unexpected witness type %T", v))
}

// rowCells are the cells of a row that its class's constraints read, so
// that changing any one of them alone must make the witness invalid.
func rowCells(row *Row, class Class, e Entry) []wcell {
	cl := class
	c := []wcell{{"pc", &row.PC}, {"sp", &row.SP}, {"w64", &row.W64}, {"fp", &row.FP}, {"base", &row.Base},
		{"ltop", &row.LTop}, {"depth", &row.Depth}, {"pseudo", &row.Pseudo}}
	add := func(names string, vs ...*frontend.Variable) {
		for i, v := range vs {
			c = append(c, wcell{fmt.Sprintf("%s[%d]", names, i), v})
		}
	}
	x1, x2, x3, r := &row.X1, &row.X2, &row.X3, &row.R
	pt := func(ports ...int) {
		for _, p := range ports {
			c = append(c, wcell{fmt.Sprintf("prevTS%d", p), &row.PrevTS[p]})
		}
	}
	switch class {
	case ClassAdd, ClassSub:
		add("add", x1, x2, r, &row.Cy, &row.O)
		pt(portPop1, portPop2, portPush)
	case ClassMul:
		add("mul", x1, x2, r, &row.D1)
		pt(portPop1, portPop2, portPush)
	case ClassEqz:
		add("eqz", x1, r, &row.E, &row.Neg)
	case ClassEq:
		add("eq", x1, x2, r, &row.E, &row.Neg)
	case ClassCmp:
		add("cmp", x1, x2, r, &row.D1, &row.Swap, &row.Neg, &row.Signed)
		if e.Signed {
			add("sign", &row.Sg1, &row.Sg2, &row.L1, &row.L2)
		}
	case ClassWrap:
		add("wrap", x1, r, &row.D1)
	case ClassExtendU:
		add("extu", x1, r)
	case ClassExtendS:
		add("exts", x1, r, &row.Sg1, &row.L1)
	case ClassConst:
		add("const", r, &row.Imm, &row.O)
	case ClassLocalGet, ClassGlobalGet:
		add("get", r, &row.V, &row.Imm)
		pt(portVar, portPush)
	case ClassLocalSet, ClassGlobalSet:
		add("set", x1, &row.V, &row.Imm)
		pt(portPop1, portVar)
	case ClassLocalTee:
		add("tee", x1, r, &row.V, &row.Imm)
	case ClassSelect:
		add("select", x1, x2, x3, r, &row.E)
		pt(portPop3)
	case ClassBr:
		add("br", &row.Target, &row.Height, &row.Arity)
		if e.Arity == 1 {
			add("brval", x1, r)
		}
	case ClassBrIf:
		add("brif", x1, &row.E, &row.Target, &row.Height, &row.Arity)
	case ClassIf:
		add("if", x1, &row.E, &row.Target)
	case ClassElse:
		add("else", &row.Target)
	case ClassCall:
		add("call", &row.Target, &row.Height, &row.Imm, &row.V)
		pt(portVar)
	case ClassLocalZero:
		add("zero", &row.V, &row.Imm)
		pt(portVar)
	case ClassReturn:
		add("return", &row.Arity, &row.Height, &row.D1, &row.L1, &row.L2, &row.V, &row.E)
		pt(portVar)
	case ClassLoad:
		add("load", x1, &row.D1, &row.Imm, &row.Height, &row.Cy, r, &row.Signed)
		if !e.Signed {
			add("load.push", &row.O)
			pt(portPush)
		}
	case ClassStore:
		add("store", x1, x2, r, &row.D1, &row.Imm, &row.Height, &row.Cy, &row.L1)
	case ClassMemPush:
		add("load.push", r, &row.Acc, &row.O)
		add("load.sign", &row.Sg1, &row.L1, &row.Height, &row.Imm)
	case ClassMemSize:
		add("memory.size", r)
	case ClassShl, ClassShrU, ClassRotl:
		add("shift", x1, x2, r, &row.D1, &row.K, &row.P, &row.L2, &row.Swap)
		if cl != ClassShl {
			add("shift.low", &row.Sg1, &row.L1)
		}
	case ClassDivU:
		add("div", x1, x2, r, &row.E, &row.Neg)
		if toBig(row.E).Sign() == 0 {
			add("div.rem", &row.D1, &row.Sg1, &row.L1)
		}
	case ClassBitwise:
		add("bitwise", x1, x2, r, &row.Height, &row.O)
		pt(portPop1, portPop2, portPush)
	case ClassBrTable:
		add("br_table", x1)
	case ClassBrCase:
		add("br_table.case", &row.Acc, &row.E, &row.Imm, &row.Target, &row.Height)
	case ClassExtSplit:
		add("extend_n_s", x1, &row.D1, &row.Imm)
	case ClassClz:
		add("clz", x1, r, &row.E, &row.Swap)
		if toBig(row.E).Sign() == 0 {
			add("clz.pow", &row.K, &row.P, &row.D1)
		}
	case ClassPopcnt:
		add("popcnt", x1, x2, r, &row.Height)
	case ClassShrS:
		add("shr_s", x1, x2, &row.Sg1, &row.L1)
	case ClassShrSPush:
		add("shr_s.push", r, &row.Acc, &row.EA, &row.Src, &row.D1, &row.K, &row.P, &row.L2)
	case ClassDivS:
		add("div_s", x1, x2, &row.E, &row.Sg1, &row.Sg2, &row.L1, &row.L2)
	case ClassDivSPush:
		add("div_s.push", r, &row.Acc, &row.EA, &row.Src, &row.D1, &row.L2, &row.Sg2, &row.Cy, &row.Neg)
	case ClassCallInd:
		add("call_indirect", x1, &row.D1, &row.Imm, &row.Cy, &row.E, &row.L1, &row.Sg1)
		if toBig(row.Cy).Sign() == 0 { // in the table: the slot is looked up, the index bounded
			add("call_indirect.slot", &row.K, &row.P, &row.L2)
		}
		if toBig(row.E).Sign() == 0 { // the slot's type differs
			add("call_indirect.inv", &row.Inv)
		} else if toBig(row.Cy).Sign() == 0 { // called: writes the frame
			add("call_indirect.frame", &row.V)
			pt(portVar)
		}
	case ClassMemGrow:
		add("memory.grow", x1, r, &row.D1, &row.Cy)
	case ClassInputSize:
		add("input_size", r)
	case ClassInputRead:
		add("input_read", x1, x2, x3, r, &row.D1, &row.Cy, &row.L1, &row.Sg1, &row.L2, &row.Sg2)
		pt(portPop1, portPop3)
	case ClassOutputWrite:
		add("output_write", x1, x2, r, &row.D1, &row.Cy, &row.L1, &row.Sg1, &row.OutLen)
		pt(portPop2)
	case ClassMemCopy:
		add("memory.copy", x1, x2, x3, &row.D1, &row.Cy, &row.Sg2, &row.L2)
		pt(portPop1, portPop2, portPop3)
	case ClassMemFill:
		add("memory.fill", x1, x2, x3, r, &row.D1, &row.Cy, &row.L1, &row.E)
		pt(portPop1, portPop3)
		if toBig(row.E).Sign() == 0 { // n > 0: writes mem[dst]
			add("memory.fill.byte", &row.V, &row.Inv)
			pt(portVar)
		}
	case ClassMemMove:
		add("memory.move", &row.Acc, &row.EA, &row.Src, &row.E, &row.Neg)
		if toBig(row.E).Sign() == 0 {
			add("memory.move.byte", x3, &row.V, &row.Inv)
			pt(portPop3, portVar)
		}
	case ClassInCopy, ClassOutCopy:
		add("copy", &row.Acc, &row.EA, &row.Src, &row.E)
		if toBig(row.E).Sign() == 0 {
			add("copy.byte", x3, &row.V)
			pt(portPop3, portVar)
		}
		if e.Arity == 1 {
			add("retval", x1, r)
		}
	}
	return c
}

type solved struct {
	shape Shape
	w     *Circuit
	name  string
}

func validWitnesses(t *testing.T) []solved {
	t.Helper()
	mod := loadModule(t, "core.wasm")
	tab, err := Table(mod)
	if err != nil {
		t.Fatal(err)
	}
	memMod := loadModule(t, "mem.wasm")
	memTab, err := Table(memMod)
	if err != nil {
		t.Fatal(err)
	}
	ioMod := loadModule(t, "io.wasm")
	ioTab, err := Table(ioMod)
	if err != nil {
		t.Fatal(err)
	}
	indMod := loadModule(t, "indirect.wasm")
	indTab, err := Table(indMod)
	if err != nil {
		t.Fatal(err)
	}
	extMod := loadModule(t, "ext.wasm")
	extTab, err := Table(extMod)
	if err != nil {
		t.Fatal(err)
	}
	bulkMod := loadModule(t, "bulk.wasm")
	bulkTab, err := Table(bulkMod)
	if err != nil {
		t.Fatal(err)
	}
	bitsMod := loadModule(t, "bits.wasm")
	bitsTab, err := Table(bitsMod)
	if err != nil {
		t.Fatal(err)
	}
	var out []solved
	for _, tc := range []struct {
		export string
		args   []uint64
		segCap int
	}{
		{"mix", []uint64{3, 1<<63 + 12345}, 64},
		{"mix", []uint64{^uint64(0) - 9, 77}, 64},
		{"sum", []uint64{3}, 64},
		{"trap", []uint64{7}, 64},
		{"calls", []uint64{5}, 64},
		{"loads", []uint64{0x8877665544332211}, 64},
		{"oob", []uint64{6}, 64},
		{"grow", []uint64{3}, 64},
		{"run", nil, 64},
		{"bits", []uint64{0xF123456789ABCDEF, 3}, 64},
		{"bits", []uint64{12345, 0}, 64},
		{"switch", []uint64{1}, 64},
		{"ext", []uint64{0x8000_0080_8080_0080}, 64},
		{"counts", []uint64{0x0000_1234_5678_9A00}, 64},
		{"counts", []uint64{0x30000}, 64}, // popcnt of one nonzero nibble: TestTamperBitTable's forgery
		{"shrs", []uint64{0x8000_0000_8000_1234, 7}, 64},
		{"divs", []uint64{0xFFFF_FFFF_FFFF_FF85, 5}, 64},
		{"indirect", []uint64{2}, 64},
		{"copy", []uint64{4, 0, 8}, 64}, // backward, then the forward move as a no-op
		{"fill", []uint64{3, 0x1AB, 10}, 64},
	} {
		mod, tab := mod, tab
		var input []byte
		switch tc.export {
		case "loads", "oob", "oobstore", "grow":
			mod, tab = memMod, memTab
		case "run":
			mod, tab = ioMod, ioTab
			input = []byte("hello, circuits")
		case "bits":
			mod, tab = bitsMod, bitsTab
		case "indirect":
			mod, tab = indMod, indTab
		case "switch", "ext", "counts", "shrs", "divs":
			mod, tab = extMod, extTab
		case "copy", "fill":
			mod, tab = bulkMod, bulkTab
		}
		tr := runInput(t, mod, tc.export, tc.args, input, tc.segCap)
		claims, err := tab.Claims(tiny, tr)
		if err != nil {
			t.Fatal(err)
		}
		for k := range claims {
			w, _, err := tiny.Assign(tab, tr, k)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, solved{tiny, w.(*Circuit), fmt.Sprintf("%s%v/seg%d", tc.export, tc.args, k)})
		}
	}
	return out
}

func isSolved(s solved) error {
	return test.IsSolved(s.shape.NewCircuit(), s.w, ecc.BN254.ScalarField())
}

// mutate sets *v to its value plus delta (mod the field), runs the solver,
// and restores it.
func mutate(s solved, v *frontend.Variable, delta int64) error {
	old := *v
	n := toBig(old)
	n.Add(n, big.NewInt(delta))
	n.Mod(n, ecc.BN254.ScalarField())
	*v = n
	defer func() { *v = old }()
	return isSolved(s)
}

func classOf(row *Row) Class {
	for k := range row.S {
		if toBig(row.S[k]).Sign() != 0 {
			return Class(k)
		}
	}
	return numClasses
}

// firstRowOfEachFamily calls visit with the first row of each class (not
// padding) in the witnesses ws, its cells (rowCells) and the witness
// holding it; it returns the classes seen. valid checks each witness first.
func firstRowOfEachFamily(ws []solved, valid func(solved), visit func(s solved, r int, row *Row, cl Class, cells []wcell)) map[Class]bool {
	seen := map[Class]bool{}
	for _, s := range ws {
		valid(s)
		for r := range s.w.Rows {
			row := &s.w.Rows[r]
			cl := classOf(row)
			if cl == ClassPad || seen[cl] {
				continue
			}
			seen[cl] = true
			e := Entry{Arity: uint32(toBig(row.Arity).Uint64()), Signed: toBig(row.Signed).Sign() != 0}
			visit(s, r, row, cl, rowCells(row, cl, e))
		}
	}
	return seen
}

// TestTamperEachFamily: for one row of every instruction family, each field
// the family's constraints read, changed alone, is rejected; so is the
// row's opcode (class selector moved to another class).
func TestTamperEachFamily(t *testing.T) {
	tried := 0
	valid := func(s solved) {
		if err := isSolved(s); err != nil {
			t.Fatalf("%s: valid witness rejected: %v", s.name, err)
		}
	}
	seen := firstRowOfEachFamily(validWitnesses(t), valid, func(s solved, r int, row *Row, cl Class, cells []wcell) {
		for i, c := range cells {
			if testing.Short() && (i+int(cl))%2 == 1 {
				continue // -short: half of the fields, alternating by family; all of them without -short
			}
			tried++
			if err := mutate(s, c.v, 1); err == nil {
				t.Errorf("%s row %d (%s): tampered %s accepted", s.name, r, cl, c.name)
			}
		}
		// Opcode: move the one-hot selector to another class.
		for _, other := range []Class{ClassNop, ClassAdd, ClassSub, ClassPad} {
			if other == cl {
				continue
			}
			tried++
			row.S[cl], row.S[other] = uint64(0), uint64(1)
			if err := isSolved(s); err == nil {
				t.Errorf("%s row %d: %s executed as %s accepted", s.name, r, cl, other)
			}
			row.S[cl], row.S[other] = uint64(1), uint64(0)
		}
	})
	for c := ClassNop; c < numClasses; c++ {
		if !seen[c] {
			t.Errorf("no test row of family %s", c)
		}
	}
	t.Logf("%d single-field tamperings over %d families tried", tried, len(seen))
}

// TestTamperBoundary: public inputs, boundary-state cells, the module
// tables and the run context are each bound.
func TestTamperBoundary(t *testing.T) {
	ws := validWitnesses(t)
	tried := 0
	for _, s := range ws[:3] { // first and later segments of two runs
		w := s.w
		cells := []wcell{{"Module", &w.Module}, {"Before", &w.Before}, {"After", &w.After}, {"Steps", &w.Steps},
			{"FP", &w.Rows[0].FP}, {"Base", &w.Rows[0].Base}, {"LTop", &w.Rows[0].LTop}, {"Depth", &w.Rows[0].Depth},
			{"IsFirst", &w.IsFirst}, {"ProgRoot", &w.ProgRoot},
			{"FuncRoot", &w.FuncRoot}, {"FuncPath[0]", &w.FuncPath[0]}, {"Func.Entry", &w.Func.Entry}, {"Func.Params", &w.Func.Params},
			{"Func.Locals", &w.Func.Locals}, {"Func.I32Params", &w.Func.I32Params}, {"ElemRoot", &w.ElemRoot}, {"NElems", &w.NElems},
			{"NG", &w.NG}}
		if toBig(w.IsFirst).Sign() != 0 {
			cells = append(cells, wcell{"Function", &w.Function}, wcell{"InDigest", &w.InDigest})
		}
		sp := int(toBig(w.Rows[0].SP).Int64())
		for i := 0; i < sp; i++ {
			cells = append(cells, wcell{fmt.Sprintf("Stack.Before[%d]", i), &w.Stack.Before[i]})
		}
		ltop := int(toBig(w.Rows[0].LTop).Int64())
		for i := 0; i < ltop; i++ {
			cells = append(cells, wcell{fmt.Sprintf("Locals.Before[%d]", i), &w.Locals.Before[i]},
				wcell{fmt.Sprintf("Locals.After[%d]", i), &w.Locals.After[i]})
		}
		cells = append(cells, wcell{"Globals.Before[0]", &w.Globals.Before[0]}, wcell{"Globals.After[0]", &w.Globals.After[0]},
			wcell{"GInit[0]", &w.GInit[0]})
		for i := range w.Prog {
			if toBig(w.Prog[i].Mult).Sign() != 0 {
				p := &w.Prog[i]
				cells = append(cells, wcell{fmt.Sprintf("Prog[%d].Flags", i), &p.Flags}, wcell{fmt.Sprintf("Prog[%d].Imm", i), &p.Imm},
					wcell{fmt.Sprintf("Prog[%d].Mult", i), &p.Mult})
				break
			}
		}
		for _, c := range cells {
			tried++
			if err := mutate(s, c.v, 1); err == nil {
				t.Errorf("%s: tampered %s accepted", s.name, c.name)
			}
		}
	}
	t.Logf("%d boundary tamperings tried", tried)
}

// TestMutationFuzz changes one random relevant cell of random valid
// witnesses by a random amount and requires the solver to reject it.
// mutateOneRandomly adds a random delta (up to 2^40, either sign) to one
// random cell of s and requires the solver to reject it.
func mutateOneRandomly(t *testing.T, rng *rand.Rand, s solved, cells []wcell) {
	t.Helper()
	c := cells[rng.IntN(len(cells))]
	delta := rng.Int64N(1<<40) + 1
	if rng.IntN(2) == 0 {
		delta = -delta
	}
	if err := mutate(s, c.v, delta); err == nil {
		t.Errorf("%s: %s %+d accepted", s.name, c.name, delta)
	}
}

func TestMutationFuzz(t *testing.T) {
	ws := validWitnesses(t)
	for _, tw := range trapWitnesses(t) {
		ws = append(ws, tw.solved) // call_indirect and host I/O traps
	}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 60
	if testing.Short() {
		n = 25
	}
	for i := 0; i < n; i++ {
		s := ws[rng.IntN(len(ws))]
		var cells []wcell
		for r := range s.w.Rows {
			row := &s.w.Rows[r]
			cl := classOf(row)
			if cl == ClassPad {
				continue
			}
			e := Entry{Arity: uint32(toBig(row.Arity).Uint64()), Signed: toBig(row.Signed).Sign() != 0}
			for _, c := range rowCells(row, cl, e) {
				c.name = fmt.Sprintf("row %d (%s) %s", r, cl, c.name)
				cells = append(cells, c)
			}
		}
		cells = append(cells, bitCells(s.w)...)
		cells = append(cells, memOpCells(s.w)...)
		mutateOneRandomly(t, rng, s, cells)
	}
	// The trees: random cells of the opened memory, program and table
	// blocks, their paths and roots (memtree_test.go's runs).
	paged := pagedWitnesses(t)
	for i := 0; i < n; i++ {
		s := paged[rng.IntN(len(paged))]
		w := s.w
		cells := []wcell{{"MemRoot", &w.MemRoot}, {"ProgRoot", &w.ProgRoot}, {"ElemRoot", &w.ElemRoot}, {"FuncRoot", &w.FuncRoot}}
		for j := range w.MemBlocks {
			if blockLive(w, j) { // an untouched zero block may move to a zero neighbour: an equivalent witness
				cells = append(cells, wcell{fmt.Sprintf("MemBlocks[%d]", j), &w.MemBlocks[j]})
			}
			for k := range w.MemPath[j] {
				cells = append(cells, wcell{fmt.Sprintf("MemPath[%d][%d]", j, k), &w.MemPath[j][k]})
			}
		}
		for i := range w.Mem.Before {
			cells = append(cells, wcell{fmt.Sprintf("Mem.Before[%d]", i), &w.Mem.Before[i]}, wcell{fmt.Sprintf("Mem.After[%d]", i), &w.Mem.After[i]})
		}
		for j := range w.ProgBlocks {
			for k := range w.ProgPath[j] {
				cells = append(cells, wcell{fmt.Sprintf("ProgPath[%d][%d]", j, k), &w.ProgPath[j][k]})
			}
		}
		for i := range w.Prog {
			p := &w.Prog[i]
			cells = append(cells, wcell{fmt.Sprintf("Prog[%d].Flags", i), &p.Flags}, wcell{fmt.Sprintf("Prog[%d].Imm", i), &p.Imm},
				wcell{fmt.Sprintf("Prog[%d].Target", i), &p.Target}, wcell{fmt.Sprintf("Prog[%d].Height", i), &p.Height},
				wcell{fmt.Sprintf("Prog[%d].Mult", i), &p.Mult})
		}
		for i := range w.Elems {
			e := &w.Elems[i]
			cells = append(cells, wcell{fmt.Sprintf("Elems[%d].Prologue", i), &e.Prologue}, wcell{fmt.Sprintf("Elems[%d].Type", i), &e.Type},
				wcell{fmt.Sprintf("Elems[%d].Mult", i), &e.Mult})
		}
		for k := range w.FuncPath {
			cells = append(cells, wcell{fmt.Sprintf("FuncPath[%d]", k), &w.FuncPath[k]})
		}
		mutateOneRandomly(t, rng, s, cells)
	}
	t.Logf("%d random single-cell mutations of valid witnesses tried, and %d of tree cells", n, n)
}

// memOpCells are the cells of the memory table's used rows: flags,
// timestamp base, address, value, rest, and each used byte port's bytes
// and previous timestamp (a store's unused ports read nothing, so their
// O is free; a load's are 0 and checked).
func memOpCells(w *Circuit) []wcell {
	var c []wcell
	for i := range w.MemOps {
		m := &w.MemOps[i]
		k, store := memOpKind(m)
		if k < 0 {
			continue
		}
		for j := range 4 {
			c = append(c, wcell{fmt.Sprintf("MemOps[%d].Load[%d]", i, j), &m.Load[j]}, wcell{fmt.Sprintf("MemOps[%d].Store[%d]", i, j), &m.Store[j]})
		}
		c = append(c, wcell{fmt.Sprintf("MemOps[%d].T", i), &m.T}, wcell{fmt.Sprintf("MemOps[%d].EA", i), &m.EA},
			wcell{fmt.Sprintf("MemOps[%d].Value", i), &m.Value}, wcell{fmt.Sprintf("MemOps[%d].Rest", i), &m.Rest})
		for j := range memPorts {
			c = append(c, wcell{fmt.Sprintf("MemOps[%d].B[%d]", i, j), &m.B[j]})
			if j < 1<<k || !store {
				c = append(c, wcell{fmt.Sprintf("MemOps[%d].O[%d]", i, j), &m.O[j]})
			}
			if j < 1<<k {
				c = append(c, wcell{fmt.Sprintf("MemOps[%d].PrevTS[%d]", i, j), &m.PrevTS[j]})
			}
		}
	}
	return c
}

// memOpKind is a memory-table row's width 2^k and kind (k < 0: unused).
func memOpKind(m *MemRow) (k int, store bool) {
	for j := range 4 {
		if toBig(m.Load[j]).Sign() != 0 {
			return j, false
		}
		if toBig(m.Store[j]).Sign() != 0 {
			return j, true
		}
	}
	return -1, false
}

// TestTamperMemTable: loads and stores of every width send their bytes to
// the memory table. In its used rows of the valid witnesses, each cell
// changed alone is rejected. (A load from another address and a store's
// byte moved into a fractional rest, each with everything downstream
// kept consistent, are TestRedTeam's and TestScaledForgeryStoreByte's.)
func TestTamperMemTable(t *testing.T) {
	rows, tried := 0, 0
	kinds := map[string]bool{}
	for _, s := range validWitnesses(t) {
		cells := memOpCells(s.w)
		if len(cells) == 0 {
			continue
		}
		if err := isSolved(s); err != nil {
			t.Fatalf("%s: valid witness rejected: %v", s.name, err)
		}
		for i := range s.w.MemOps {
			m := &s.w.MemOps[i]
			k, store := memOpKind(m)
			if k < 0 {
				continue
			}
			rows++
			kinds[fmt.Sprintf("store=%v width=%d", store, 1<<k)] = true
			if testing.Short() && rows > 8 {
				continue
			}
			for _, c := range memOpCells(&Circuit{MemOps: s.w.MemOps[i : i+1]}) {
				tried++
				if err := mutate(s, c.v, 1); err == nil {
					t.Errorf("%s memory row %d: tampered %s accepted", s.name, i, c.name)
				}
			}
		}
	}
	for _, store := range []bool{false, true} {
		for _, w := range []int{1, 2, 4, 8} {
			if !kinds[fmt.Sprintf("store=%v width=%d", store, w)] {
				t.Errorf("no memory-table row with store=%v width=%d in the test runs", store, w)
			}
		}
	}
	t.Logf("%d memory-table rows (%d kinds), %d tamperings", rows, len(kinds), tried)
}
