package circuits

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/mcpzero/mcpzero/circuits/claim"
)

// Scaled range checks. The rows range-check R, D1, L1 and L2 as x*scale <
// 2^64 with a per-row scale (2^32 for an i32 entry, 2^56 for a byte, ...).
// That bounds x only when x is an integer: x = y/2^k (mod p) passes for
// every y < 2^64, a field element that is no small number. Until the rows
// also range-checked the four cells unscaled, a family whose equations
// left a cell free up to such a fraction computed a wrong value, and the
// forgeries below were accepted (each was run against that circuit: all
// but the store's variant with its rest in R, which R's own check refused
// even then). Each test builds an honest witness, cuts segment 0 right
// after the forged row (a shape with exactly that many rows) so that the
// forged value ends in the boundary state, recomputes the After digest (a
// proof of a wrong transition, which a dishonest prover chains with honest
// segments from the wrong state) and asserts that the circuit rejects it.
// TestScaledForgeryCallIndirectOutside is of another kind: call_indirect's
// in-table case had no bound.

var fieldP = ecc.BN254.ScalarField()

func feMod(x *big.Int) *big.Int { return new(big.Int).Mod(x, fieldP) }

// fdiv is a/b in the field.
func fdiv(a, b *big.Int) *big.Int {
	inv := new(big.Int).ModInverse(feMod(b), fieldP)
	return feMod(new(big.Int).Mul(feMod(a), inv))
}

func bigU(v uint64) *big.Int { return new(big.Int).SetUint64(v) }

// auditCut runs export and returns the run witnessed with a shape whose
// segment 0 ends right after the first row (plus tail rows) that pick
// selects; it returns the shape, the run, and that row's index.
func auditCut(t *testing.T, module, export string, args []uint64, input string, tail int, pick func(r *Row) bool) (Shape, rtRun, int) {
	t.Helper()
	full := redteamRunIn(t, module, export, args, input)
	g := 0
	found := false
	for _, w := range full.segs {
		for i := range w.Rows {
			if pick(&w.Rows[i]) {
				g += i
				found = true
				break
			}
		}
		if found {
			break
		}
		g += len(w.Rows)
	}
	if !found {
		t.Fatal("no row to forge")
	}
	shape := tiny
	shape.Rows = g + 1 + tail
	claims, err := full.tab.Claims(shape, full.tr)
	if err != nil {
		t.Fatal(err)
	}
	out := rtRun{tab: full.tab, tr: full.tr, fn: full.fn, args: args}
	for k := range claims {
		a, _, err := shape.Assign(full.tab, full.tr, k)
		if err != nil {
			t.Fatal(err)
		}
		out.segs = append(out.segs, a.(*Circuit))
	}
	if len(out.segs) < 2 {
		t.Fatal("the run ends in segment 0")
	}
	if !pick(&out.segs[0].Rows[g]) || g+tail != len(out.segs[0].Rows)-1 {
		t.Fatalf("segment 0 is not cut after row %d", g)
	}
	for _, w := range out.segs[:2] {
		if err := isSolved(solved{shape, w, export}); err != nil {
			t.Fatalf("honest witness rejected: %v", err)
		}
	}
	return shape, out, g
}

func rowIs(cl Class, w64 uint64) func(r *Row) bool {
	return func(r *Row) bool { return classOf(r) == cl && u64Of(r.W64) == w64 }
}

// pushForged sets the pushed value of segment 0's last row to v in the
// boundary state and recomputes segment 0's After digest.
func pushForged(w, next *Circuit, v frontend.Variable) {
	w.Stack.After[u64Of(next.Rows[0].SP)-1] = v
	w.After = stateDigest(w, &next.Rows[0], true)
}

// mustReject asserts that the circuit rejects the forged witness: the
// test engine, and without -short the compiled R1CS too (whose single
// R1C products, productAsserter, the test engine does not run).
func mustReject(t *testing.T, shape Shape, w *Circuit, what string) {
	t.Helper()
	if err := isSolved(solved{shape, w, what}); err == nil {
		t.Errorf("forgery accepted: %s", what)
	}
	if testing.Short() {
		return
	}
	ccs, ok := compiledShapes[shape]
	if !ok {
		var err error
		if ccs, err = frontend.Compile(fieldP, r1cs.NewBuilder, shape.NewCircuit()); err != nil {
			t.Fatal(err)
		}
		compiledShapes[shape] = ccs
	}
	full, err := frontend.NewWitness(w, fieldP)
	if err != nil {
		t.Fatal(err)
	}
	if err := ccs.IsSolved(full); err == nil {
		t.Errorf("forgery accepted by the compiled R1CS: %s", what)
	}
}

var compiledShapes = map[Shape]constraint.ConstraintSystem{}

// i32.mul, i32.wrap_i64, i32.shl: the row splits a product (X2*X1, X1,
// X2*P) into R + D1*2^32 and checks D1*2^32 < 2^64, which is that product
// minus R itself: any R < 2^32 at most the product passed, D1 fractional.
func TestScaledForgeryHighPart(t *testing.T) {
	for _, tc := range []struct {
		name, module, export string
		args                 []uint64
		class                Class
		product              func(row *Row) *big.Int
		honest, forged       uint64
	}{
		{"i32.mul 0x10001*0x10001", "core.wasm", "mix", []uint64{3, 4}, ClassMul,
			func(row *Row) *big.Int { return new(big.Int).Mul(toBig(row.X2), toBig(row.X1)) }, 0x20001, 0x12345},
		{"i32.wrap_i64(0x100000005)", "core.wasm", "mix", []uint64{0x1_0000_0005, 4}, ClassWrap,
			func(row *Row) *big.Int { return toBig(row.X1) }, 5, 0xFFFF_FFFB}, // -5: flips the following i32.lt_s
		{"i32.shl(0x89ABCDEF, 31)", "bits.wasm", "bits", []uint64{0xF123456789ABCDEF, 3}, ClassShl,
			func(row *Row) *big.Int { return new(big.Int).Mul(toBig(row.X2), toBig(row.P)) }, 0x8000_0000, 0x12345678},
	} {
		t.Run(tc.name, func(t *testing.T) {
			shape, r, g := auditCut(t, tc.module, tc.export, tc.args, "", 0, rowIs(tc.class, 0))
			w := r.segs[0]
			row := &w.Rows[g]
			if u64Of(row.R) != tc.honest {
				t.Fatalf("honest result %#x, want %#x", u64Of(row.R), tc.honest)
			}
			row.R = tc.forged
			row.D1 = fdiv(new(big.Int).Sub(tc.product(row), bigU(tc.forged)), two32)
			pushForged(w, r.segs[1], tc.forged)
			mustReject(t, shape, w, fmt.Sprintf("%s pushes %#x (honest %#x)", tc.name, tc.forged, tc.honest))
		})
	}
}

// Shift counts: count = K + W*L2 with L2*2*scale < 2^64. i32 (scale
// 2^32): L2*2^33 = (count-K)*2^28 is an integer for every K <= count, so
// K is free. i64 (scale 1): L2*2 = (count-K)/32 need only be an integer,
// so K = count mod 64 +- 32 passes.
func TestScaledForgeryShiftCount(t *testing.T) {
	t.Run("i32.shr_u by 35 shifts by 0", func(t *testing.T) {
		shape, r, g := auditCut(t, "bits.wasm", "bits", []uint64{0xF123456789ABCDEF, 3}, "", 0, rowIs(ClassShrU, 0))
		w := r.segs[0]
		row := &w.Rows[g]
		if u64Of(row.X1) != 35 || u64Of(row.K) != 3 {
			t.Fatalf("unexpected shr_u row: count %d K %d", u64Of(row.X1), u64Of(row.K))
		}
		w.PowMult[3] = u64Of(w.PowMult[3]) - 1
		w.PowMult[0] = u64Of(w.PowMult[0]) + 1
		honest := u64Of(row.R)
		row.K, row.P = 0, 1
		row.L2 = fdiv(big.NewInt(35), big.NewInt(32))
		row.R, row.D1 = row.X2, 0
		row.Sg1, row.L1 = 0, 0 // P - D1 - 1 = 0
		pushForged(w, r.segs[1], row.X2)
		mustReject(t, shape, w, "i32.shr_u(0x89ABCDEF, 35) pushes 0x89ABCDEF (honest 0x"+bigU(honest).Text(16)+")")
	})
	t.Run("i64.shr_s by 39 shifts by 7", func(t *testing.T) {
		a := uint64(0x8000_0000_8000_1234)
		shape, r, g := auditCut(t, "ext.wasm", "shrs", []uint64{a, 39}, "", 1, rowIs(ClassShrS, 1))
		w := r.segs[0]
		push := &w.Rows[g+1]
		if classOf(push) != ClassShrSPush || u64Of(push.K) != 39 || u64Of(push.Src) != 39 {
			t.Fatalf("unexpected shr_s push row: %s K %d", classOf(push), u64Of(push.K))
		}
		honest := u64Of(push.R)
		w.PowMult[32+39] = u64Of(w.PowMult[32+39]) - 1
		w.PowMult[32+7] = u64Of(w.PowMult[32+7]) + 1
		push.K, push.P = 7, 1<<7
		push.L2 = fdiv(big.NewInt(39-7), big.NewInt(64)) // 1/2: L2*2 = 1
		forged := uint64(int64(a) >> 7)
		d1 := a % (1 << 7)
		push.R, push.D1 = forged, d1
		push.Sg1, push.L1 = 0, (1<<7)-d1-1
		pushForged(w, r.segs[1], forged)
		mustReject(t, shape, w, "i64.shr_s(a, 39) pushes a>>7 = 0x"+bigU(forged).Text(16)+" (honest 0x"+bigU(honest).Text(16)+")")
	})
}

// i32.ctz: X1 = P*(2*D1+1), D1*2^32 < 2^64: D1 = (X1/P - 1)/2 passes for
// any P <= X1 (D1*2^32 = X1*2^(31-K) - 2^31), so R = K is free.
func TestScaledForgeryI32Ctz(t *testing.T) {
	shape, r, g := auditCut(t, "ext.wasm", "counts", []uint64{0x0000_1234_5678_9A00}, "", 0, func(r *Row) bool {
		return classOf(r) == ClassClz && u64Of(r.W64) == 0 && u64Of(r.Swap) == 1 && u64Of(r.E) == 0
	})
	w := r.segs[0]
	row := &w.Rows[g]
	if u64Of(row.R) != 9 {
		t.Fatalf("honest ctz %d", u64Of(row.R))
	}
	w.PowMult[9] = u64Of(w.PowMult[9]) - 1
	w.PowMult[0] = u64Of(w.PowMult[0]) + 1
	row.K, row.P, row.R = 0, 1, 0
	row.D1 = fdiv(new(big.Int).Sub(toBig(row.X1), big.NewInt(1)), big.NewInt(2))
	pushForged(w, r.segs[1], 0)
	mustReject(t, shape, w, "i32.ctz(0x56789A00) pushes 0 (honest 9)")
}

// extendN_s: ExtSplit Acc' = X1 - D1*2^n with D1*2^(64-W+n) < 2^64; the
// push splits Acc' = Sg1*2^(n-1) + L1. Acc' may be any n-bit value <= X1
// (D1 fractional), so the sign-extended result is forged.
func TestScaledForgeryExtendS(t *testing.T) {
	for _, tc := range []struct {
		name string
		w64  uint64
	}{{"i64.extend8_s", 1}, {"i32.extend8_s", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			shape, r, g := auditCut(t, "ext.wasm", "ext", []uint64{0x8000_0080_8080_0080}, "", 1, func(r *Row) bool {
				imm := uint64(1) // 2^(64-W+n-8), n = 8
				if tc.w64 == 0 {
					imm = 1 << 32
				}
				return classOf(r) == ClassExtSplit && u64Of(r.W64) == tc.w64 && u64Of(r.Imm) == imm
			})
			w := r.segs[0]
			split, push := &w.Rows[g], &w.Rows[g+1]
			if classOf(push) != ClassMemPush {
				t.Fatalf("no push after the split")
			}
			honest := u64Of(push.R)
			// Acc' = 0x05 (a positive byte) instead of 0x80.
			acc := uint64(0x05)
			split.D1 = fdiv(new(big.Int).Sub(toBig(split.X1), bigU(acc)), big.NewInt(256))
			push.Acc, push.Sg1, push.L1, push.R = acc, 0, acc, acc
			pushForged(w, r.segs[1], acc)
			mustReject(t, shape, w, tc.name+" of ...80 pushes 5 (honest 0x"+bigU(honest).Text(16)+")")
		})
	}
}

// i32 comparisons: lt = R (Neg 0), x - y + lt*2^32 = D1, with R*2^32 and
// D1*2^32 < 2^64: R = r*2^-32 passes for r in [y-x, y-x+2^32). When x >= y
// (honest 0), R = 2^-32 (D1 = x - y + 1) is a nonzero field element, which
// if/br_if/select/eqz read as true. trap(1) returns 2; here segment 0
// pushes 2^-32 for gt_u(2, 2), and segment 1 (built from trap(7)'s, whose
// if is taken) takes the if into unreachable: a chained proof that trap(1)
// traps.
func TestScaledForgeryI32CmpBranch(t *testing.T) {
	pick := rowIs(ClassCmp, 0)
	shape, r, g := auditCut(t, "core.wasm", "trap", []uint64{1}, "", 0, pick)
	w := r.segs[0]
	row := &w.Rows[g]
	if u64Of(row.R) != 0 || u64Of(row.X1) != 2 || u64Of(row.X2) != 2 {
		t.Fatalf("unexpected cmp row: %d ? %d = %d", u64Of(row.X2), u64Of(row.X1), u64Of(row.R))
	}
	f := fdiv(big.NewInt(1), two32)
	row.R = f
	addInt(&row.D1, 1)
	pushForged(w, r.segs[1], f)
	mustReject(t, shape, w, "i32.gt_u(2, 2) pushes 2^-32 (honest 0)")

	// Segment 1: trap(7)'s, cut at the same row, with the state of trap(1).
	shape7, r7, g7 := auditCut(t, "core.wasm", "trap", []uint64{7}, "", 0, pick)
	if shape7.Rows != shape.Rows || g7 != g {
		t.Fatal("trap(7) cuts elsewhere")
	}
	n := r7.segs[1]
	top := u64Of(n.Rows[0].SP) - 1
	n.Stack.Before[top], n.Stack.After[top] = f, f
	for i := range n.Locals.Before { // trap(1)'s locals (x = 2)
		n.Locals.Before[i], n.Locals.After[i] = w.Locals.After[i], w.Locals.After[i]
	}
	iff := &n.Rows[0]
	if classOf(iff) != ClassIf {
		t.Fatalf("segment 1 starts with %s", classOf(iff))
	}
	iff.X1 = f
	iff.Inv = fdiv(big.NewInt(1), f)
	n.Before = stateDigest(n, &n.Rows[0], false)
	if got, want := feOf(n.Before), feOf(w.After); !got.Equal(&want) {
		t.Fatal("forged segments do not chain")
	}
	want := claim.FinalState(claim.StatusTrapped, claim.TrapUnreachable, claim.OutputDigest(nil, nil))
	if got := feOf(n.After); !got.Equal(&want) {
		t.Fatal("segment 1 does not end trapped")
	}
	// Segment 1 alone is a valid segment from a state no run reaches
	// (boundary cells are bound only by the previous segment's digest:
	// TestRedTeamSegmentInduction); the chain breaks at segment 0.
	if err := isSolved(solved{shape, n, "trap(1) segment 1"}); err != nil {
		t.Logf("segment 1 is rejected too: %v", err)
	}
}

// i32.rem_u: X2 = q*X1 + rem, X1 - rem - 1 = Sg1*2^31 + L1 with q, rem
// scaled by 2^32 and L1 by 2^33: (q, rem) = (q - j*2^-32, rem + j*X1*2^-32)
// passes for small j, so a zero remainder becomes a nonzero field element
// (the same holds for i32.div_u's quotient and div_s/rem_s's push row).
func TestScaledForgeryI32RemU(t *testing.T) {
	shape, r, g := auditCut(t, "bits.wasm", "bits", []uint64{700, 3}, "", 0, func(r *Row) bool {
		return classOf(r) == ClassDivU && u64Of(r.W64) == 0 && u64Of(r.Neg) == 1
	})
	w := r.segs[0]
	row := &w.Rows[g]
	if u64Of(row.R) != 0 || u64Of(row.X1) != 7 || u64Of(row.D1) != 100 {
		t.Fatalf("unexpected rem_u row: %d %% %d = %d", u64Of(row.X2), u64Of(row.X1), u64Of(row.R))
	}
	// rem_u: R = rem, D1 = q.
	rem := fdiv(big.NewInt(7), two32)
	row.R = rem
	row.D1 = feMod(new(big.Int).Sub(big.NewInt(100), fdiv(big.NewInt(1), two32)))
	row.L1 = feMod(new(big.Int).Sub(big.NewInt(6), rem)) // X1 - rem - 1, Sg1 = 0
	row.Sg1 = 0
	pushForged(w, r.segs[1], rem)
	mustReject(t, shape, w, "i32.rem_u(700, 7) pushes 7*2^-32 (honest 0)")
}

// call_indirect: the bound D1 = X1 - NElems >= 0 is only enforced when Cy
// = 1; with Cy = 0 nothing bounds X1 by NElems, and the zero entries past
// the table in the last opened block (Prologue 0, Params 0, Locals 0,
// Type 0) are valid lookups. Type 0 is a canonical type (the module's
// first), so call_indirect (type 0) of an index outside the table, which
// must trap (invalid table access), "calls" pc 0 instead; for another
// expected type it would trap with the wrong kind (indirect call type).
func TestScaledForgeryCallIndirectOutside(t *testing.T) {
	r := redteamRunIn(t, "indirect.wasm", "indirect", []uint64{5}, "")
	w := r.segs[len(r.segs)-1]
	s := solved{tiny, w, "indirect(5)"}
	if err := isSolved(s); err != nil {
		t.Fatalf("honest witness rejected: %v", err)
	}
	g := firstRow(t, w, ClassCallInd, 0)
	row := &w.Rows[g]
	if u64Of(row.Cy) != 1 || u64Of(row.X1) != 5 || u64Of(w.NElems) != 4 || u64Of(w.ElemBlocks[0]) != 0 {
		t.Fatalf("unexpected row: Cy %d X1 %d NElems %d", u64Of(row.Cy), u64Of(row.X1), u64Of(w.NElems))
	}
	if u64Of(row.Imm) != 0 {
		t.Fatalf("expected type %d, not 0", u64Of(row.Imm))
	}
	el := &w.Elems[5]
	for _, v := range []frontend.Variable{el.Prologue, el.Params, el.Locals, el.Type} {
		if u64Of(v) != 0 {
			t.Fatal("slot 5 is not a zero entry")
		}
	}
	for q := g + 1; q < len(w.Rows); q++ {
		if classOf(&w.Rows[q]) != ClassPad {
			t.Fatalf("row %d after the trap is %s", q, classOf(&w.Rows[q]))
		}
	}
	// The lookup of slot 5 and the taken call.
	el.Mult = u64Of(el.Mult) + 1
	row.Cy, row.D1, row.K, row.P, row.L1, row.Sg1 = 0, 0, 0, 0, 0, 0
	row.E, row.Inv = 1, 0
	// The call writes the frame word at depth + 1.
	pc, sp, fp, base, ltop, depth := u64Of(row.PC), u64Of(row.SP), u64Of(row.FP), u64Of(row.Base), u64Of(row.LTop), u64Of(row.Depth)
	cell := depth + 1
	row.V, row.PrevTS[portVar] = w.Frames.Before[cell], 0
	w.Frames.After[cell] = frameWord(pc+1, fp, base)
	w.Frames.LastTS[cell] = uint64(tsStride*(g+1) + portVar)
	// The state after the call, kept by the padding rows.
	for q := g + 1; q < len(w.Rows); q++ {
		p := &w.Rows[q]
		p.PC, p.SP, p.FP, p.Base, p.LTop, p.Depth = 0, sp-1, ltop, sp-1, ltop, depth+1
	}
	w.After = stateDigest(w, &w.Rows[len(w.Rows)-1], true)
	mustReject(t, tiny, w, "call_indirect of index 5 in a 4-slot table calls pc 0 (honest: invalid table access trap)")
}

// Stores: the row's R = X1 is the bytes the memory table writes plus
// 2^(8w) times the rest L1, and the table checks each byte to 8 bits. A
// fractional rest would make any bytes sum to the value: i32.store8 of 1
// writes 0 with L1 = 1/256 (honest 1, L1 = 0). L1's unscaled range check
// refuses it. (With byte rows, L2*2^55 < 2^64 and the end row's
// D1*2^(8w) < 2^64 were the checks; the same forgery, a fractional rest in
// Acc and D1, was accepted before the unscaled ones.)
func TestScaledForgeryStoreByte(t *testing.T) {
	shape, r, g := auditCut(t, "mem.wasm", "oob", []uint64{0}, "", 0, func(r *Row) bool {
		return classOf(r) == ClassStore && u64Of(r.Height) == 1
	})
	w := r.segs[0]
	m := memOpOf(t, w, g)
	if u64Of(m.B[0]) != 1 || u64Of(m.Rest) != 0 {
		t.Fatalf("the store writes %#x with rest %d, want 1 and 0", u64Of(m.B[0]), u64Of(m.Rest))
	}
	cell := memCell(t, w, u64Of(m.EA))
	rest := fdiv(big.NewInt(1), big.NewInt(256))
	f := cloneCircuit(w)
	m = memOpOf(t, f, g)
	m.B[0], m.Rest, f.Rows[g].L1 = 0, rest, rest
	f.Mem.After[cell] = 0
	f.After = stateDigest(f, &r.segs[1].Rows[0], true)
	mustReject(t, shape, f, "i32.store8 of 1 writes 0")
	// Control: the same rewrite with the honest byte and rest solves.
	m.B[0], m.Rest, f.Rows[g].L1 = 1, 0, 0
	f.Mem.After[cell] = 1
	f.After = stateDigest(f, &r.segs[1].Rows[0], true)
	if err := isSolved(solved{shape, f, "control"}); err != nil {
		t.Fatalf("honest rewrite rejected: %v", err)
	}
}

// memory.fill: val = L1*256 + R with R*2^56 < 2^64 and L1*2 < 2^64 (the
// entry is W64): L1 = 1/2 let fill write 0x05 for 0x85.
func TestScaledForgeryFillByte(t *testing.T) {
	shape, r, g := auditCut(t, "bulk.wasm", "fill", []uint64{2, 0x85, 1}, "", 0, func(r *Row) bool { return classOf(r) == ClassMemFill })
	w := r.segs[0]
	row := &w.Rows[g]
	if u64Of(row.R) != 0x85 {
		t.Fatalf("fill row writes %#x, want 0x85", u64Of(row.R))
	}
	w.Mem.After[memCell(t, w, u64Of(row.X3))] = 0x05
	row.R, row.L1 = 0x05, fdiv(big.NewInt(1), big.NewInt(2))
	w.After = stateDigest(w, &r.segs[1].Rows[0], true)
	mustReject(t, shape, w, "memory.fill of 0x85 writes 0x05")
}

// memCell is the index in w.Mem of the byte at addr.
func memCell(t *testing.T, w *Circuit, addr uint64) int {
	t.Helper()
	for j := range w.MemBlocks {
		if u64Of(w.MemBlocks[j]) == addr/MemBlockBytes {
			return j*MemBlockBytes + int(addr%MemBlockBytes)
		}
	}
	t.Fatalf("address %d is in no opened block", addr)
	return -1
}

func cloneCircuit(w *Circuit) *Circuit {
	c := *w
	c.Rows = append([]Row(nil), w.Rows...)
	c.Mem.After = append([]frontend.Variable(nil), w.Mem.After...)
	c.Stack.After = append([]frontend.Variable(nil), w.Stack.After...)
	c.MemOps = append([]MemRow(nil), w.MemOps...)
	return &c
}

// return: the frame word V = D1 + L1*2^32 + L2*2^64 (return pc, caller
// FP, caller stack base) with D1*2^32, L1*2^33, L2*2^33 checked: D1 + 1
// with L1 - 2^-32 re-splits the same word, so a return to a caller with FP
// >= 1 lands one instruction past its call (with a fractional FP).
func TestScaledForgeryReturn(t *testing.T) {
	shape, r, g := auditCut(t, "core.wasm", "fib", []uint64{3}, "", 0, func(r *Row) bool {
		return classOf(r) == ClassReturn && u64Of(r.L1) >= 1 && u64Of(r.E) == 0
	})
	w := r.segs[0]
	row := &w.Rows[g]
	after := r.segs[1].Rows[0] // the registers after the return
	if u64Of(after.PC) != u64Of(row.D1) || u64Of(after.FP) != u64Of(row.L1) {
		t.Fatalf("next segment starts at pc %d fp %d, want %d %d", u64Of(after.PC), u64Of(after.FP), u64Of(row.D1), u64Of(row.L1))
	}
	addInt(&row.D1, 1)
	addTo(&row.L1, new(big.Int).Neg(fdiv(big.NewInt(1), two32)))
	row.Inv = fdiv(big.NewInt(1), new(big.Int).Sub(toBig(row.D1), toBig(row.Imm))) // the zero test of D1 - HaltPC
	after.PC, after.FP = row.D1, row.L1
	w.After = stateDigest(w, &after, true)

	mustReject(t, shape, w, "a return one instruction past the call, caller FP - 2^-32")
}
