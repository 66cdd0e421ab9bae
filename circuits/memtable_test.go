package circuits

// The memory table (docs/CIRCUITS.md, "Memory table"): the witness builder
// proves loads and stores of every kind, across blocks, at the end of
// memory, trapping, and cut anywhere (memtable.wasm); and forged witnesses
// are rejected. Each forgery builds an honest run cut right after the
// forged row (auditCut, memCutWhere), rewrites everything the forgery
// needs so that only the constraint under test can object (memory cells,
// last timestamps, the pushed value, the After digest), and checks that a
// control with the same bookkeeping and honest values solves. A read-only
// audit of the table built them; none was accepted.

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"

	"github.com/mcpzero/mcpzero/circuits/claim"
	"github.com/mcpzero/mcpzero/trace"
)

// memShape opens three 256-byte blocks (cross-block accesses need two).
var memShape = Shape{Rows: 64, Prog: 256, Funcs: 8, Stack: 16, Locals: 32, Globals: 2, Depth: 12, Mem: 768, In: 40, Out: 40, Table: 4}

// memSolveAll witnesses every segment of the run for the shape, checks
// the statement's chain and that each segment solves; it returns the
// segments.
func memSolveAll(t *testing.T, tab *ModuleTable, tr *trace.Trace, s Shape, what string) []*Circuit {
	t.Helper()
	stmt, claims, err := tab.Statement(s, tr)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := claim.CheckStatement(stmt, claims); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	x, err := tab.prepare(tr, s)
	if err != nil {
		t.Fatal(err)
	}
	var out []*Circuit
	for k := range claims {
		w := x.assign(k)
		if err := test.IsSolved(s.NewCircuit(), w, ecc.BN254.ScalarField()); err != nil {
			t.Fatalf("%s segment %d of %d: %v", what, k, len(claims), err)
		}
		out = append(out, w)
	}
	return out
}

func TestMemTableSolves(t *testing.T) {
	mod, tab := memTableModule(t)
	for _, tc := range []struct {
		export string
		args   []uint64
		status trace.Status
	}{
		{"cross", []uint64{250}, trace.Returned},
		{"cross", []uint64{251}, trace.Returned},
		{"storex", []uint64{249, 0x8899AABBCCDDEEFF}, trace.Returned},
		{"dense", []uint64{252}, trace.Returned},
		{"trapS", []uint64{0xFFFFFFFF}, trace.Trapped},
		{"trapS", []uint64{0xFFFF - 1}, trace.Trapped}, // EA 2^32 + 0xFFFD
		{"trapS8", []uint64{65536}, trace.Trapped},
		{"trapS8", []uint64{65535}, trace.Returned},
		{"top", []uint64{65528}, trace.Returned},
		{"top", []uint64{65529}, trace.Trapped},
	} {
		tr := runInput(t, mod, tc.export, tc.args, nil, 64)
		if tr.Status != tc.status {
			t.Fatalf("%s%v: status %v", tc.export, tc.args, tr.Status)
		}
		memSolveAll(t, tab, tr, memShape, tc.export)
	}
}

// Every cut: the dense run with segment lengths 3..14 (memory table of 1
// to 3 rows), so that segments end after each signed load (before its
// push row) and when the table is full.
func TestMemTableCuts(t *testing.T) {
	mod, tab := memTableModule(t)
	tr := runInput(t, mod, "dense", []uint64{252}, nil, 64)
	cutAfterSigned, fullCuts := 0, 0
	for rows := 3; rows <= 14; rows++ {
		s := memShape
		s.Rows = rows
		segs := memSolveAll(t, tab, tr, s, "dense")
		for k, w := range segs[:len(segs)-1] {
			last := -1
			for i := range w.Rows {
				if classOf(&w.Rows[i]) != ClassPad {
					last = i
				}
			}
			if last >= 0 && classOf(&w.Rows[last]) == ClassLoad && u64Of(w.Rows[last].Signed) == 1 {
				cutAfterSigned++
				if classOf(&segs[k+1].Rows[0]) != ClassMemPush {
					t.Fatal("the next segment does not start with the push")
				}
			}
			used := 0
			for i := range w.MemOps {
				if kd, _ := memOpKind(&w.MemOps[i]); kd >= 0 {
					used++
				}
			}
			if used == len(w.MemOps) && last < len(w.Rows)-1 {
				fullCuts++
			}
		}
	}
	if cutAfterSigned == 0 || fullCuts == 0 {
		t.Fatalf("cuts after a signed load %d, early cuts at a full table %d", cutAfterSigned, fullCuts)
	}
	t.Logf("cuts after a signed load: %d; early cuts at a full table: %d", cutAfterSigned, fullCuts)
}

// memCutAt is auditCut for runs whose memory table cuts early: it tries
// segment lengths until segment 0 ends right after a row pick selects.
func memCutAt(t *testing.T, module, export string, args []uint64, input string, tail int, pick func(r *Row) bool) (Shape, rtRun, int) {
	t.Helper()
	return memCutWhere(t, tiny, redteamRunIn(t, module, export, args, input), func(w *Circuit, g int) bool {
		return g >= tail && pick(&w.Rows[g-tail])
	}, tail)
}

// memCutWhere tries segment lengths 2..64 until segment 0 of the run has
// no padding and cond(segment 0, its last row) holds; it returns the
// shape, the run's segments for it, and the last row's index less tail.
func memCutWhere(t *testing.T, base Shape, full rtRun, cond func(w *Circuit, g int) bool, tail int) (Shape, rtRun, int) {
	t.Helper()
	for rows := 2; rows <= 64; rows++ {
		shape := base
		shape.Rows = rows
		x, err := full.tab.prepare(full.tr, shape)
		if err != nil || len(x.segments) < 2 {
			continue
		}
		w0 := x.assign(0)
		if classOf(&w0.Rows[rows-1]) == ClassPad || !cond(w0, rows-1) {
			continue
		}
		out := rtRun{tab: full.tab, tr: full.tr, fn: full.fn, args: full.args}
		for k := range x.segments {
			out.segs = append(out.segs, x.assign(k))
		}
		for _, w := range out.segs[:2] {
			if err := isSolved(solved{shape, w, "honest"}); err != nil {
				t.Fatalf("honest witness rejected: %v", err)
			}
		}
		return shape, out, rows - 1 - tail
	}
	t.Fatal("no cut after a picked row")
	return Shape{}, rtRun{}, 0
}

// memTableModule is memtable.wasm and its circuit table.
func memTableModule(t *testing.T) (*trace.Module, *ModuleTable) {
	t.Helper()
	mod := loadModule(t, "memtable.wasm")
	tab, err := Table(mod)
	if err != nil {
		t.Fatal(err)
	}
	return mod, tab
}

// memRun is redteamRunIn for memtable.wasm.
func memRun(t *testing.T, export string, args ...uint64) rtRun {
	t.Helper()
	mod, tab := memTableModule(t)
	tr := runInput(t, mod, export, args, nil, 64)
	return rtRun{tab: tab, tr: tr, fn: tr.Func, args: args}
}

// mustSolve asserts that the test engine accepts w (a control: the same
// bookkeeping as a forgery, with honest values).
func mustSolve(t *testing.T, shape Shape, w *Circuit, what string) {
	t.Helper()
	if err := isSolved(solved{shape, w, what}); err != nil {
		t.Fatalf("control rejected (%s): %v", what, err)
	}
}

// cloneWithTS is cloneCircuit with the memory and stack regions' last
// timestamps copied too.
func cloneWithTS(w *Circuit) *Circuit {
	c := cloneCircuit(w)
	c.Mem.LastTS = append([]frontend.Variable(nil), w.Mem.LastTS...)
	c.Stack.LastTS = append([]frontend.Variable(nil), w.Stack.LastTS...)
	return c
}

// A load row is served by a table row of the store kind, which writes
// bytes of the prover's choosing and returns them (the bus field w + 16
// store must object: the row sends 8, the table row 24). The first load of
// "loads": i64.load at 8.
func TestMemTableForgeryLoadAsStore(t *testing.T) {
	shape, r, g := memCutAt(t, "mem.wasm", "loads", []uint64{0x8877665544332211}, "", 0, func(r *Row) bool {
		return classOf(r) == ClassLoad && u64Of(r.Height) == 8
	})
	h := memOpOf(t, r.segs[0], g)
	var honest [8]uint64
	for j := range honest {
		honest[j] = u64Of(h.B[j])
	}
	build := func(store bool, b [8]uint64) *Circuit {
		w := cloneWithTS(r.segs[0])
		m := memOpOf(t, w, g)
		var v uint64
		for j := range b {
			cell := memCell(t, w, u64Of(m.EA)+uint64(j))
			m.B[j] = b[j]
			if !store {
				m.O[j] = b[j]
			}
			w.Mem.After[cell] = b[j]
			v |= b[j] << (8 * j)
		}
		if store {
			m.Load[3], m.Store[3] = 0, 1
		}
		m.Value, m.Rest = v, 0
		w.Rows[g].R, w.Rows[g].L1 = v, 0
		pushForged(w, r.segs[1], v)
		return w
	}
	mustSolve(t, shape, build(false, honest), "bookkeeping with the honest bytes")
	mustReject(t, shape, build(true, [8]uint64{0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49}),
		"i64.load at 8 served as a store: writes and pushes 0x4948474645444342")
}

// A store row whose table row is injected at the timestamp base of a
// non-memory row (the memory check kept balanced: the cell's final value
// and last timestamp follow the injected write). Only the bus can object.
func TestMemTableForgeryInjectedStore(t *testing.T) {
	r := redteamRunIn(t, "mem.wasm", "loads", []uint64{0x8877665544332211}, "")
	k, free := memSparseSegment(t, r)
	shape := tiny
	const addr = 200 // untouched in the segment
	w0 := r.segs[k]
	cell := memCell(t, w0, addr)
	if u64Of(w0.Mem.LastTS[cell]) != 0 {
		t.Fatal("address 200 is touched")
	}
	host := -1 // a row that is not a load or store
	for i := range w0.Rows {
		if c := classOf(&w0.Rows[i]); c != ClassLoad && c != ClassStore && c != ClassPad {
			host = i
			break
		}
	}
	build := func(inject bool) *Circuit {
		w := cloneWithTS(w0)
		if inject {
			m := &w.MemOps[free]
			T := uint64(tsStride * (host + 1))
			m.Store[0], m.T, m.EA = 1, T, addr
			m.B[0], m.O[0], m.PrevTS[0] = 0x42, w.Mem.Before[cell], 0
			for j := 1; j < memPorts; j++ {
				m.B[j], m.O[j], m.PrevTS[j] = 0, 0, T+nbPorts+uint64(j)-1
			}
			m.Value, m.Rest = 0x42, 0
			w.Mem.After[cell], w.Mem.LastTS[cell] = 0x42, T+nbPorts
		}
		w.After = stateDigest(w, &r.segs[k+1].Rows[0], true)
		return w
	}
	mustSolve(t, shape, build(false), "bookkeeping")
	mustReject(t, shape, build(true), "a table row with no load/store row writes 0x42 at 200")
}

// memSparseSegment is a segment of the run, not the last, with used and
// unused memory-table rows, and an unused row's index.
func memSparseSegment(t *testing.T, r rtRun) (k, free int) {
	t.Helper()
	for k, w := range r.segs[:len(r.segs)-1] {
		used, free := 0, -1
		for i := range w.MemOps {
			if kd, _ := memOpKind(&w.MemOps[i]); kd >= 0 {
				used++
			} else if free < 0 {
				free = i
			}
		}
		if used > 0 && free >= 0 {
			return k, free
		}
	}
	t.Fatal("no sparse segment")
	return
}

// An in-bounds store claims an out-of-bounds trap (its table row and
// write removed): D1 = -(memBytes - EA - w) - 1 must fail its range check.
func TestMemTableForgeryInBoundsStoreTraps(t *testing.T) {
	shape, r, g := auditCut(t, "mem.wasm", "oob", []uint64{0}, "", 0, func(r *Row) bool {
		return classOf(r) == ClassStore && u64Of(r.Height) == 1
	})
	w := cloneWithTS(r.segs[0])
	row := &w.Rows[g]
	m := memOpOf(t, w, g)
	cell := memCell(t, w, u64Of(m.EA))
	ea, width := u64Of(m.EA), uint64(1)
	inB := new(big.Int).SetUint64(u64Of(row.Pages)*65536 - ea - width)
	row.Cy = 1
	row.D1 = feMod(new(big.Int).Sub(new(big.Int).Neg(inB), big.NewInt(1)))
	*m = MemRow{T: 0, EA: 0, Value: 0, Rest: 0} // unused, as assign leaves it
	for k := range 4 {
		m.Load[k], m.Store[k] = 0, 0
	}
	for j := range memPorts {
		m.B[j], m.O[j], m.PrevTS[j] = 0, 0, nbPorts+j-1
	}
	w.Mem.After[cell], w.Mem.LastTS[cell] = w.Mem.Before[cell], 0
	w.After = claim.FinalState(claim.StatusTrapped, claim.TrapOutOfBounds, claim.OutputDigest(nil, nil))
	mustReject(t, shape, w, "i32.store8 at 70 (in bounds) traps out of bounds")
}

// The signed load's value crosses the segment boundary in Acc. A forged
// hand-off (Acc' = R xor 0x80 in the After state: the push row of the
// next segment would sign-extend another byte).
func TestMemTableForgerySignedHandoff(t *testing.T) {
	shape, r, g := memCutWhere(t, memShape, memRun(t, "dense", 252), func(w *Circuit, g int) bool {
		return classOf(&w.Rows[g]) == ClassLoad && u64Of(w.Rows[g].Signed) == 1
	}, 0)
	next := r.segs[1].Rows[0]
	if classOf(&next) != ClassMemPush || u64Of(next.Acc) != u64Of(r.segs[0].Rows[g].R) {
		t.Fatalf("segment 1 starts with %s, Acc %d", classOf(&next), u64Of(next.Acc))
	}
	w := cloneWithTS(r.segs[0])
	w.After = stateDigest(w, &next, true)
	mustSolve(t, shape, w, "honest hand-off")
	next.Acc = u64Of(next.Acc) ^ 0x80
	w.After = stateDigest(w, &next, true)
	mustReject(t, shape, w, "signed load hands Acc xor 0x80 to its push row")
	// and with R changed to match: the table's value no longer matches
	w.Rows[g].R = next.Acc
	mustReject(t, shape, w, "signed load's R and Acc xor 0x80")
}

// Malleability (accepted, harmless): a load's rest is free (place 0), the
// row's L1 any integer below 2^63; an unused table row's data is free.
func TestMemTableFreeCells(t *testing.T) {
	r := redteamRunIn(t, "mem.wasm", "loads", []uint64{0x8877665544332211}, "")
	k, free := memSparseSegment(t, r)
	w := cloneWithTS(r.segs[k])
	var m *MemRow
	for i := range w.MemOps {
		if kd, st := memOpKind(&w.MemOps[i]); kd >= 0 && !st {
			m = &w.MemOps[i]
			break
		}
	}
	if m == nil {
		t.Fatal("no load in the segment")
	}
	g := int(u64Of(m.T))/tsStride - 1
	m.Rest, w.Rows[g].L1 = 12345, 12345
	u := &w.MemOps[free]
	u.B[0], u.O[0], u.T, u.EA, u.Value, u.Rest = 7, 7, 999, 31337, 7, 5
	u.PrevTS[0] = 999 + nbPorts - 1
	mustSolve(t, tiny, w, "load rest 12345, unused row with data")
	t.Log("accepted: a load's Rest/L1 and an unused table row's B[0], O[0], T, EA, Value, Rest are free (no effect on the claim)")
}

// Padding inserted mid-run in a segment with loads and stores is a no-op
// (same claim, accepted) once insertPad shifts the memory table's T and
// previous timestamps with the rows. (Before it did, its witness was
// incomplete on such segments, and an attack built on it would have been
// rejected for that reason alone: the audit caught it.)
func TestMemTablePaddingMidRun(t *testing.T) {
	mod, tab := memTableModule(t)
	tr := runInput(t, mod, "dense", []uint64{252}, nil, 64)
	segs := memSolveAll(t, tab, tr, memShape, "dense")
	var w0 *Circuit
	for _, w := range segs {
		if classOf(&w.Rows[len(w.Rows)-1]) == ClassPad && memOpKindUsed(w) {
			w0 = w
			break
		}
	}
	if w0 == nil {
		t.Fatal("no segment with memory rows and padding")
	}
	at := 1
	w := cloneWithTS(w0)
	w.Mem.Before = append([]frontend.Variable(nil), w0.Mem.Before...)
	w.Locals.LastTS = append([]frontend.Variable(nil), w0.Locals.LastTS...)
	w.Globals.LastTS = append([]frontend.Variable(nil), w0.Globals.LastTS...)
	w.Frames.LastTS = append([]frontend.Variable(nil), w0.Frames.LastTS...)
	w.In.LastTS = append([]frontend.Variable(nil), w0.In.LastTS...)
	w.Out.LastTS = append([]frontend.Variable(nil), w0.Out.LastTS...)
	insertPad(t, w, at)
	if !memOpKindUsed(w) {
		t.Fatal("no memory-table row after the inserted padding")
	}
	mustSolve(t, memShape, w, "padding inserted mid-run, the memory table shifted with the rows")
}

// memOpKindUsed: a used memory-table row of w after row 1.
func memOpKindUsed(w *Circuit) bool {
	for i := range w.MemOps {
		if k, _ := memOpKind(&w.MemOps[i]); k >= 0 && u64Of(w.MemOps[i].T) > uint64(2*tsStride) {
			return true
		}
	}
	return false
}

// An out-of-bounds load (oob(6): i32.load offset=65530 of 6, EA = 65536 in
// a one-page memory) claims to stay in bounds (Cy = 0, D1 = -4) and reads
// four zero bytes through a table row: the run returns 0. Not isolated:
// the rows after the load are left as the trap's padding, so the test
// engine also sees the pc chain break (the compiled R1CS, without -short,
// fails first at D1's range check), and the bytes past memory lie in no
// opened block.
func TestMemTableForgeryOOBLoad(t *testing.T) {
	r := redteamRunIn(t, "mem.wasm", "oob", []uint64{6}, "")
	w0 := r.segs[len(r.segs)-1]
	g := -1
	for i := range w0.Rows {
		if classOf(&w0.Rows[i]) == ClassLoad {
			g = i
		}
	}
	row0 := w0.Rows[g]
	if u64Of(row0.Cy) != 1 {
		t.Fatal("the load does not trap")
	}
	free := -1
	for i := range w0.MemOps {
		if k, _ := memOpKind(&w0.MemOps[i]); k < 0 {
			free = i
			break
		}
	}
	w := cloneWithTS(w0)
	row := &w.Rows[g]
	ea := u64Of(row.Imm) + u64Of(row.X1)
	row.Cy = 0
	row.D1 = feMod(new(big.Int).Sub(bigU(u64Of(row.Pages)*65536), bigU(ea+4)))
	row.R, row.L1 = 0, 0
	m := &w.MemOps[free]
	T := uint64(tsStride * (g + 1))
	m.Load[2], m.T, m.EA, m.Value, m.Rest = 1, T, ea, 0, 0
	for j := range memPorts {
		m.B[j], m.O[j], m.PrevTS[j] = 0, 0, T+nbPorts+uint64(j)-1
	}
	for j := range 4 {
		m.PrevTS[j] = 0
	}
	// the run goes on to return 0: the load's push is the result
	w.After = claim.FinalState(claim.StatusReturned, claim.TrapNone, claim.OutputDigest([]uint64{0}, nil))
	mustReject(t, tiny, w, "i32.load at 65536 of a one-page memory does not trap")
}

// A store of a non-byte: storex's i32.store16 of 0xCCDDEEFF writes bytes
// (0xFF, 0x1EE) with rest 0xCCDC (honest 0xFF, 0xEE, rest 0xCCDD): the
// integer split still sums to X1, with a byte of 9 bits.
func TestMemTableForgeryStoreNonByte(t *testing.T) {
	shape, r, g := memCutWhere(t, memShape, memRun(t, "storex", 249, 0x8899AABBCCDDEEFF), func(w *Circuit, g int) bool {
		return classOf(&w.Rows[g]) == ClassStore && u64Of(w.Rows[g].Height) == 2
	}, 0)
	w := cloneWithTS(r.segs[0])
	m := memOpOf(t, w, g)
	if u64Of(m.B[0]) != 0xFF || u64Of(m.B[1]) != 0xEE || u64Of(m.Rest) != 0xCCDD {
		t.Fatalf("honest B %#x %#x rest %#x", u64Of(m.B[0]), u64Of(m.B[1]), u64Of(m.Rest))
	}
	cell := memCell(t, w, u64Of(m.EA)+1)
	m.B[1], m.Rest, w.Rows[g].L1 = 0x1EE, 0xCCDC, 0xCCDC
	w.Mem.After[cell] = 0x1EE
	w.After = stateDigest(w, &r.segs[1].Rows[0], true)
	mustReject(t, shape, w, "i32.store16 of 0xCCDDEEFF writes (0xFF, 0x1EE)")
}

// An i64.load (8 bytes) served by a 4-byte table row (the bus field w must
// object): pushes only the low four bytes.
func TestMemTableForgeryNarrowRow(t *testing.T) {
	shape, r, g := memCutAt(t, "mem.wasm", "loads", []uint64{0x8877665544332211}, "", 0, func(r *Row) bool {
		return classOf(r) == ClassLoad && u64Of(r.Height) == 8
	})
	w := cloneWithTS(r.segs[0])
	m := memOpOf(t, w, g)
	var v uint64
	for j := range 4 {
		v |= u64Of(m.B[j]) << (8 * j)
	}
	for j := 4; j < 8; j++ {
		cell := memCell(t, w, u64Of(m.EA)+uint64(j))
		m.B[j], m.O[j] = 0, 0
		m.PrevTS[j] = u64Of(m.T) + nbPorts + uint64(j) - 1
		w.Mem.LastTS[cell] = 0 // untouched now
		w.Mem.After[cell] = w.Mem.Before[cell]
	}
	m.Load[3], m.Load[2] = 0, 1
	m.Value = v
	w.Rows[g].R = v
	pushForged(w, r.segs[1], v)
	mustReject(t, shape, w, "i64.load at 8 pushes its low four bytes only")
}
