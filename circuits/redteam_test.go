package circuits

import (
	"errors"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"

	"github.com/mcpzero/mcpzero/circuits/claim"
	"github.com/mcpzero/mcpzero/trace"
)

// Red-team tests: coordinated multi-field rewrites of honest witnesses that
// a dishonest prover would try, each keeping as many constraints satisfied
// as it can while changing what the run means. Single-field tampering is
// TestTamperEachFamily's job; these document the attacks examined.

// rtRun is the witness of every segment of one run of core.wasm on tiny.
type rtRun struct {
	tab  *ModuleTable
	tr   *trace.Trace
	fn   uint32
	args []uint64
	segs []*Circuit
}

func redteamRun(t *testing.T, export string, args []uint64) rtRun {
	t.Helper()
	return redteamRunIn(t, "core.wasm", export, args, "")
}

func redteamRunIn(t *testing.T, module, export string, args []uint64, input string) rtRun {
	t.Helper()
	mod := loadModule(t, module)
	tab, err := Table(mod)
	if err != nil {
		t.Fatal(err)
	}
	tr := runInput(t, mod, export, args, []byte(input), 64)
	claims, err := tab.Claims(tiny, tr)
	if err != nil {
		t.Fatal(err)
	}
	out := rtRun{tab: tab, tr: tr, fn: tr.Func, args: args}
	for k := range claims {
		a, _, err := tiny.Assign(tab, tr, k)
		if err != nil {
			t.Fatal(err)
		}
		out.segs = append(out.segs, a.(*Circuit))
	}
	return out
}

func feOf(v frontend.Variable) fr.Element {
	var e fr.Element
	e.SetBigInt(toBig(v))
	return e
}

// addTo sets *v to *v + d mod p.
func addTo(v *frontend.Variable, d *big.Int) {
	n := toBig(*v)
	n.Add(n, d)
	n.Mod(n, ecc.BN254.ScalarField())
	*v = n
}

func addInt(v *frontend.Variable, d int64) { addTo(v, big.NewInt(d)) }

func u64Of(v frontend.Variable) uint64 { return toBig(v).Uint64() }

// stateDigest is the boundary-state digest the circuit computes, from the
// machine registers of row (the first row of the segment for Before, the
// first row of the next segment for After) and the Before or After cells.
// It hashes the registers as field elements, as the circuit does, so that
// a forged register that is no small integer digests as the circuit sees it;
// TestRedTeamSegmentInduction checks that it reproduces honest digests.
func stateDigest(w *Circuit, row *Row, after bool) fr.Element {
	pick := func(r Region, n frontend.Variable) fr.Element {
		vs := r.Before
		if after {
			vs = r.After
		}
		out := make([]fr.Element, u64Of(n))
		for i := range out {
			out[i] = feOf(vs[i])
		}
		return claim.ElementsDigest(out)
	}
	bytesOf := func(r Region) fr.Element {
		vs := r.Before
		if after {
			vs = r.After
		}
		out := make([]fr.Element, len(vs))
		for i, v := range vs {
			out[i] = feOf(v)
		}
		return regionDigest(out)
	}
	memRoot := feOf(w.MemRoot)
	if after {
		memRoot = memAfterRoot(w)
	}
	depth1 := toBig(row.Depth)
	depth1.Add(depth1, big.NewInt(1))
	return claim.HashLong(claim.U64(claim.TagState), feOf(row.PC), feOf(row.SP), feOf(row.FP), feOf(row.Base), feOf(row.LTop), feOf(row.Depth),
		feOf(row.Acc), feOf(row.EA), feOf(row.Src), feOf(row.OutLen), feOf(row.Pages), feOf(w.InLen),
		pick(w.Stack, row.SP), pick(w.Locals, row.LTop), pick(w.Globals, w.NG), pick(w.Frames, depth1), memRoot, bytesOf(w.In), bytesOf(w.Out))
}

// memAfterRoot is the memory root after the segment: the opened blocks'
// After bytes written into the tree along their paths, in block order.
func memAfterRoot(w *Circuit) fr.Element {
	root := feOf(w.MemRoot)
	for j := range w.MemBlocks {
		b := make([]byte, MemBlockBytes)
		for i := range b {
			b[i] = byte(u64Of(w.Mem.After[j*MemBlockBytes+i]))
		}
		var p [MemTreeDepth]fr.Element
		for k := range p {
			p[k] = feOf(w.MemPath[j][k])
		}
		root = memRootOf(blockLeaf(b), u64Of(w.MemBlocks[j]), p[:])
	}
	return root
}

// firstRow returns the index of the first row of class cl at or after from.
func firstRow(t *testing.T, w *Circuit, cl Class, from int) int {
	t.Helper()
	for r := from; r < len(w.Rows); r++ {
		if classOf(&w.Rows[r]) == cl {
			return r
		}
	}
	t.Fatalf("no %s row", cl)
	return -1
}

// setClass moves the row's one-hot selector to cl.
func setClass(row *Row, cl Class) {
	for k := range row.S {
		row.S[k] = 0
	}
	row.S[cl] = 1
}

// insertPad inserts a padding row before row at, holding the machine state
// of that row, drops the last row (which must be padding) and shifts every
// timestamp at or after the insertion point by one row, so that the memory
// argument stays balanced: a complete witness with a padding row mid-run.
func insertPad(t *testing.T, w *Circuit, at int) {
	t.Helper()
	n := len(w.Rows)
	if classOf(&w.Rows[n-1]) != ClassPad {
		t.Fatal("insertPad: the last row is not padding")
	}
	pad := w.Rows[n-1]
	src := &w.Rows[at]
	pad.PC, pad.SP, pad.FP, pad.Base, pad.LTop, pad.Depth = src.PC, src.SP, src.FP, src.Base, src.LTop, src.Depth
	pad.Acc, pad.EA, pad.Src, pad.OutLen, pad.Pages = src.Acc, src.EA, src.Src, src.OutLen, src.Pages
	for k := range pad.PrevTS {
		pad.PrevTS[k] = 0
	}
	copy(w.Rows[at+1:], w.Rows[at:n-1])
	w.Rows[at] = pad
	cut := int64(tsStride * (at + 1))
	shift := func(v *frontend.Variable) {
		if toBig(*v).Cmp(big.NewInt(cut)) >= 0 {
			addInt(v, tsStride)
		}
	}
	for r := at + 1; r < n; r++ {
		for k := range w.Rows[r].PrevTS {
			shift(&w.Rows[r].PrevTS[k])
		}
	}
	for i := range w.MemOps { // the memory table's rows and byte ports follow their rows
		if k, _ := memOpKind(&w.MemOps[i]); k >= 0 {
			shift(&w.MemOps[i].T)
			for j := range w.MemOps[i].PrevTS {
				shift(&w.MemOps[i].PrevTS[j])
			}
		}
	}
	for _, reg := range []*Region{&w.Stack, &w.Locals, &w.Globals, &w.Frames, &w.Mem, &w.In, &w.Out} {
		for i := range reg.LastTS {
			shift(&reg.LastTS[i])
		}
	}
}

func TestRedTeam(t *testing.T) {
	p := ecc.BN254.ScalarField()
	two32 := new(big.Int).Lsh(big.NewInt(1), 32)
	two64 := new(big.Int).Lsh(big.NewInt(1), 64)
	cases := []struct {
		name   string
		module string // "" is core.wasm
		input  string
		export string
		args   []uint64
		seg    int
		accept bool // a control: the rewrite keeps the run's meaning
		attack func(t *testing.T, r rtRun, w *Circuit)
	}{
		{
			// Hide a real step from the count: flag an add as a pseudo row,
			// lower Steps, and move one lookup off the program entry's
			// multiplicity so the table side still balances. Pseudo is part
			// of the looked-up flags, so (pc, flags|pseudo, …) is no entry.
			name: "real row claims pseudo", export: "sum", args: []uint64{5},
			attack: func(t *testing.T, r rtRun, w *Circuit) {
				row := &w.Rows[firstRow(t, w, ClassAdd, 0)]
				row.Pseudo = 1
				addInt(&w.Steps, -1)
				addInt(&progEntryOf(t, w, row.PC).Mult, -1)
			},
		},
		{
			// Count a prologue pseudo-instruction as a step (Steps + 1).
			name: "prologue row counted as a step", export: "calls", args: []uint64{5},
			attack: func(t *testing.T, r rtRun, w *Circuit) {
				i := firstRow(t, w, ClassLocalZero, 0)
				w.Rows[i].Pseudo = 0
				addInt(&w.Steps, 1)
				addInt(&progEntryOf(t, w, w.Rows[i].PC).Mult, -1)
			},
		},
		{
			// A padding row claims Pseudo to make the count negative
			// (steps = active - pseudo): S[Pad]·Pseudo = 0.
			name: "padding claims pseudo", export: "sum", args: []uint64{5}, seg: 1,
			attack: func(t *testing.T, r rtRun, w *Circuit) {
				w.Rows[10].Pseudo = 1
				addInt(&w.Steps, -1)
			},
		},
		{
			// Control: a padding row inserted mid-run (timestamps shifted,
			// the run's last padding row dropped) is a no-op: same steps,
			// same boundary states, accepted. Padding cannot change state.
			name: "padding inserted mid-run (no-op)", export: "sum", args: []uint64{5}, seg: 1, accept: true,
			attack: func(t *testing.T, r rtRun, w *Circuit) { insertPad(t, w, 1) },
		},
		{
			// The inserted padding row changes state: drops a stack value.
			name: "padding inserted mid-run pops the stack", export: "sum", args: []uint64{5}, seg: 1,
			attack: func(t *testing.T, r rtRun, w *Circuit) {
				insertPad(t, w, 1)
				addInt(&w.Rows[1].SP, -1)
			},
		},
		{
			// The inserted padding row advances the pc past the next
			// instruction (skip a step): padding keeps PC.
			name: "padding inserted mid-run skips an instruction", export: "sum", args: []uint64{5}, seg: 1,
			attack: func(t *testing.T, r rtRun, w *Circuit) {
				insertPad(t, w, 1)
				addInt(&w.Rows[1].PC, -1)
			},
		},
		{
			// Replace a real step (local.get) by padding holding the state
			// after it, one step fewer.
			name: "real step replaced by padding", export: "sum", args: []uint64{5}, seg: 1,
			attack: func(t *testing.T, r rtRun, w *Circuit) {
				i := firstRow(t, w, ClassLocalGet, 0)
				addInt(&progEntryOf(t, w, w.Rows[i].PC).Mult, -1)
				setClass(&w.Rows[i], ClassPad)
				w.Rows[i].PC, w.Rows[i].SP = w.Rows[i+1].PC, w.Rows[i+1].SP
				addInt(&w.Steps, -1)
			},
		},
		{
			// Run an instruction after the run halted: the row after the
			// return to HaltPC becomes a nop (PC stays HaltPC, which is no
			// program entry), one more step.
			name: "instruction after halting", export: "sum", args: []uint64{5}, seg: 1,
			attack: func(t *testing.T, r rtRun, w *Circuit) {
				i := firstRow(t, w, ClassReturn, 0) + 1
				setClass(&w.Rows[i], ClassNop)
				addInt(&w.Steps, 1)
			},
		},
		{
			// Claim another result: final stack cell and the public final
			// state rewritten together.
			name: "returned with another result", export: "sum", args: []uint64{5}, seg: 1,
			attack: func(t *testing.T, r rtRun, w *Circuit) {
				v := u64Of(w.Stack.After[0]) + 1
				w.Stack.After[0] = v
				w.After = claim.FinalState(claim.StatusReturned, claim.TrapNone, claim.OutputDigest([]uint64{v}, nil))
			},
		},
		{
			// Claim the returning run trapped (unreachable), no results.
			name: "returned run claimed trapped", export: "sum", args: []uint64{5}, seg: 1,
			attack: func(t *testing.T, r rtRun, w *Circuit) {
				w.After = claim.FinalState(claim.StatusTrapped, claim.TrapUnreachable, claim.OutputDigest(nil, nil))
			},
		},
		{
			// A middle segment starts from the initial-state marker: its
			// registers and cells are not the canonical initial ones.
			name: "middle segment claims the initial state", export: "sum", args: []uint64{5}, seg: 1,
			attack: func(t *testing.T, r rtRun, w *Circuit) {
				in := claim.InputDigest(r.args, nil)
				w.IsFirst, w.Function, w.InDigest = 1, r.fn, in
				w.Before = claim.InitialState(r.tab.Commitment(), r.fn, in)
			},
		},
		{
			// The first segment claims the initial state of another
			// function with the same input, opening that function's real
			// leaf of the function tree, but the first row's pc is the
			// called function's entry.
			name: "first segment claims another function", export: "calls", args: []uint64{5}, seg: 0,
			attack: func(t *testing.T, r rtRun, w *Circuit) {
				f := (r.fn + 1) % uint32(len(r.tab.Funcs))
				fi := r.tab.Funcs[f]
				w.Function = f
				w.Func = FuncEntry{Entry: fi.Entry, Params: fi.Params, Locals: fi.Locals, I32Params: r.tab.I32Params[f]}
				for k, sib := range r.tab.funcTree.path(uint64(f)) {
					w.FuncPath[k] = sib
				}
				w.Before = claim.InitialState(r.tab.Commitment(), f, feOf(w.InDigest))
			},
		},
		{
			// A read consumes a timestamp "before 0" (p − 1): the range
			// check ts−1−prev passes, but nothing was produced there.
			name: "negative previous timestamp", export: "sum", args: []uint64{5},
			attack: func(t *testing.T, r rtRun, w *Circuit) {
				row := &w.Rows[firstRow(t, w, ClassAdd, 0)]
				row.PrevTS[portPop1] = new(big.Int).Sub(p, big.NewInt(1))
			},
		},
		{
			// A read consumes a value produced later: the local.get of the
			// counter reads the value a later local.set writes (V and
			// previous timestamp of that write, R with it).
			name: "read from the future", export: "sum", args: []uint64{5},
			attack: func(t *testing.T, r rtRun, w *Circuit) {
				g := firstRow(t, w, ClassLocalGet, 0)
				s := firstRow(t, w, ClassLocalSet, g)
				row := &w.Rows[g]
				row.V, row.R = w.Rows[s].X1, w.Rows[s].X1
				row.PrevTS[portVar] = tsStride*(s+1) + portVar
			},
		},
		{
			// Return to another pc: frame word split with the return pc
			// 2^32 higher and the caller FP one lower (same word V).
			name: "frame word re-split (pc + 2^32, fp − 1)", export: "calls", args: []uint64{5},
			attack: func(t *testing.T, r rtRun, w *Circuit) {
				row := &w.Rows[firstRow(t, w, ClassReturn, 0)]
				addTo(&row.D1, two32)
				addInt(&row.L1, -1)
			},
		},
		{
			// Restore another caller stack base: caller FP 2^32 higher,
			// base one lower (same word V).
			name: "frame word re-split (fp + 2^32, base − 1)", export: "calls", args: []uint64{5},
			attack: func(t *testing.T, r rtRun, w *Circuit) {
				row := &w.Rows[firstRow(t, w, ClassReturn, 0)]
				addTo(&row.L1, two32)
				addInt(&row.L2, -1)
			},
		},
		{
			// An i64 add whose result wraps by 2^64 the other way: R − 2^64
			// (mod p) with the carry set.
			name: "add result wrapped through the field", export: "mix", args: []uint64{3, 4},
			attack: func(t *testing.T, r rtRun, w *Circuit) {
				row := &w.Rows[firstRow(t, w, ClassAdd, 0)]
				addTo(&row.R, new(big.Int).Neg(two64))
				addInt(&row.Cy, 1)
			},
		},
		{
			// Forge one output byte: the final output cell and the public
			// final state rewritten together (results unchanged).
			name: "output byte forged", module: "io.wasm", export: "run", input: "hello, circuits", seg: -1,
			attack: func(t *testing.T, r rtRun, w *Circuit) {
				if len(r.tr.Output) == 0 {
					t.Fatal("the run writes no output")
				}
				out := append([]byte(nil), r.tr.Output...)
				out[0] ^= 1
				w.Out.After[0] = uint64(out[0])
				w.After = claim.FinalState(claim.StatusReturned, claim.TrapNone, claim.OutputDigest(r.tr.Results, out))
			},
		},
		{
			// Control for the case above: the same rewrite with the honest
			// byte reproduces the honest witness.
			name: "output byte rewritten honestly (control)", module: "io.wasm", export: "run", input: "hello, circuits", seg: -1, accept: true,
			attack: func(t *testing.T, r rtRun, w *Circuit) {
				w.Out.After[0] = uint64(r.tr.Output[0])
				w.After = claim.FinalState(claim.StatusReturned, claim.TrapNone, claim.OutputDigest(r.tr.Results, r.tr.Output))
			},
		},
		{
			// A load's memory-table row reads another memory cell: its
			// address moved by one, the first byte taken from that cell
			// (boundary value, timestamp 0), the value following it. The
			// row's address is not a cell: it is the popped operand plus
			// the offset, and the bus ties the table's EA to it, so the
			// bus refuses this (memtable_test.go isolates one constraint
			// per forgery).
			name: "load byte from another address", module: "mem.wasm", export: "loads", args: []uint64{0x8877665544332211},
			attack: func(t *testing.T, r rtRun, w *Circuit) {
				i := firstRow(t, w, ClassLoad, 0)
				m := memOpOf(t, w, i)
				addr := u64Of(m.EA) + 1
				addInt(&m.EA, 1)
				m.PrevTS[0] = 0
				m.O[0], m.B[0] = w.Mem.Before[addr], w.Mem.Before[addr]
				v := u64Of(m.Value)&^0xFF | u64Of(w.Mem.Before[addr])
				m.Value, w.Rows[i].R = v, v
			},
		},
		{
			// br_table: the index waiting in Acc is changed between the
			// br_table row and its case rows (as by an inserted padding
			// row), so that another label is taken.
			name: "br_table index swapped before the cases", module: "ext.wasm", export: "switch", args: []uint64{1},
			attack: func(t *testing.T, r rtRun, w *Circuit) {
				i := firstRow(t, w, ClassBrTable, 0)
				insertPad(t, w, i+1)
				addInt(&w.Rows[i+1].Acc, 1)
				for q := i + 2; q < len(w.Rows) && classOf(&w.Rows[q]) == ClassBrCase; q++ {
					addInt(&w.Rows[q].Acc, 1)
				}
			},
		},
		{
			// Control: padding inserted between the br_table row and its
			// cases keeps the index: accepted.
			name: "padding inside a br_table (control)", module: "ext.wasm", export: "switch", args: []uint64{1}, accept: true,
			attack: func(t *testing.T, r rtRun, w *Circuit) {
				insertPad(t, w, firstRow(t, w, ClassBrTable, 0)+1)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			module := tc.module
			if module == "" {
				module = "core.wasm"
			}
			r := redteamRunIn(t, module, tc.export, tc.args, tc.input)
			seg := tc.seg
			if seg < 0 {
				seg += len(r.segs)
			}
			w := r.segs[seg]
			s := solved{tiny, w, tc.name}
			if err := isSolved(s); err != nil {
				t.Fatalf("honest witness rejected: %v", err)
			}
			tc.attack(t, r, w)
			err := isSolved(s)
			switch {
			case tc.accept && err != nil:
				t.Errorf("control rejected: %v", err)
			case !tc.accept && err == nil:
				t.Errorf("dishonest witness accepted")
			}
		})
	}
}

// TestRedTeamSegmentInduction: boundary cells of a middle segment are bound
// only by the previous segment's After digest, and nothing range-checks the
// stack, local, global and frame cells there. The guarantee that they hold
// 64-bit values is inductive: the first segment starts canonical, and a
// segment cannot end with a cell the run did not produce. Here segment 0
// ends with each live cell raised by 2^64 (or 2^32) and its After digest
// recomputed: every such witness is rejected by the memory argument.
// Controls: the honest After digest recomputed this way is accepted, and
// the first segment relabelled as a middle one is accepted by the circuit
// but refused by claim.CheckStatement (ErrInitial).
func TestRedTeamSegmentInduction(t *testing.T) {
	r := redteamRun(t, "calls", []uint64{5})
	if len(r.segs) < 1 {
		t.Fatal("no segments")
	}
	m := redteamRun(t, "mix", []uint64{3, 4})
	w, next := m.segs[0], m.segs[1]
	s := solved{tiny, w, "mix/seg0"}
	if got, want := stateDigest(w, &next.Rows[0], true), feOf(w.After); !got.Equal(&want) {
		t.Fatal("stateDigest does not reproduce the honest After digest")
	}
	if got, want := stateDigest(next, &next.Rows[0], false), feOf(next.Before); !got.Equal(&want) {
		t.Fatal("stateDigest does not reproduce the honest Before digest")
	}
	type cellRef struct {
		name string
		v    *frontend.Variable
	}
	var cells []cellRef
	for i := 0; i < int(u64Of(next.Rows[0].SP)); i++ {
		cells = append(cells, cellRef{"Stack.After", &w.Stack.After[i]})
	}
	for i := 0; i < int(u64Of(next.Rows[0].LTop)); i++ {
		cells = append(cells, cellRef{"Locals.After", &w.Locals.After[i]})
	}
	for i := 0; i < int(u64Of(w.NG)); i++ {
		cells = append(cells, cellRef{"Globals.After", &w.Globals.After[i]})
	}
	for i := 0; i <= int(u64Of(next.Rows[0].Depth)); i++ {
		cells = append(cells, cellRef{"Frames.After", &w.Frames.After[i]})
	}
	tried := 0
	for _, c := range cells {
		for _, sh := range []uint{32, 64} {
			old := *c.v
			addTo(c.v, new(big.Int).Lsh(big.NewInt(1), sh))
			oldAfter := w.After
			w.After = stateDigest(w, &next.Rows[0], true)
			if err := isSolved(s); err == nil {
				t.Errorf("%s + 2^%d at the end of segment 0 accepted", c.name, sh)
			}
			*c.v, w.After = old, oldAfter
			tried++
		}
	}
	if tried == 0 {
		t.Fatal("no live cells")
	}
	t.Logf("%d non-canonical boundary cells tried", tried)

	// Control: the first segment relabelled as a middle segment solves
	// (it is a valid middle segment), but its claim cannot start a bundle.
	first := r.segs[0]
	first.IsFirst = 0
	first.Before = stateDigest(first, &first.Rows[0], false)
	if err := isSolved(solved{tiny, first, "calls/seg0 as middle"}); err != nil {
		t.Fatalf("relabelled first segment rejected by the circuit: %v", err)
	}
	mod := loadModule(t, "core.wasm")
	tr := run(t, mod, "calls", []uint64{5}, 64)
	stmt, claims, err := r.tab.Statement(tiny, tr)
	if err != nil {
		t.Fatal(err)
	}
	claims[0].Before = feOf(first.Before)
	if err := claim.CheckStatement(stmt, claims); !errors.Is(err, claim.ErrInitial) {
		t.Errorf("CheckStatement of a bundle starting from a middle state: %v, want ErrInitial", err)
	}
}

// TestRedTeamByteChunkSlack: bytesDigest range-checks 31·nch − n to 5 bits,
// which admits 31 as well as 0..30: for a length that is a multiple of 31
// (here the empty input) the prover may claim one chunk more. That chunk
// is zero (the bytes past the length are constrained to zero), so when it
// falls in the same sponge block as the message's end, as here, the
// sponge absorbs the same padded block and the digest is the honest
// BytesDigest; when it starts a new block (a length of 279 bytes, past
// this shape's input), the digest is one permutation longer and matches
// no statement. This test pins the first case, and that the slack frees
// nothing else: the digest of a one-byte input is still refused.
func TestRedTeamByteChunkSlack(t *testing.T) {
	r := redteamRun(t, "sum", []uint64{5})
	w := r.segs[0]
	if u64Of(w.InLen) != 0 || u64Of(w.NChIn) != 0 {
		t.Fatalf("expected an empty input, got InLen %v NChIn %v", w.InLen, w.NChIn)
	}
	w.NChIn = 1
	if err := isSolved(solved{tiny, w, "sum/seg0 with an extra input chunk"}); err != nil {
		t.Fatalf("extra zero chunk with the honest digest rejected (update this test): %v", err)
	}
	odd := claim.InputDigest(r.args, []byte{0})
	w.InDigest = odd
	w.Before = claim.InitialState(r.tab.Commitment(), r.fn, odd)
	if err := isSolved(solved{tiny, w, "sum/seg0 with an extra input chunk and a one-byte input's digest"}); err == nil {
		t.Fatal("the digest of a one-byte input was accepted for the empty input")
	}
}

// TestRedTeamWideFunctionArgs: the first segment type-checks the called
// function's i32 arguments with a 64-bit mask, so only parameters 0..63
// are checked. The witness builder refuses a called function with more
// parameters (ErrShape), but the circuit must refuse it too: otherwise a
// dishonest prover passes an i32 argument ≥ 2^32 in parameter 64 — which
// the verifier, without the module, cannot type-check — and proves a run
// that no execution has: here many(0, …, 0, 2^32) = i32.eqz(2^32) = 0,
// where the kernel (i32 arguments masked to 32 bits) computes eqz(0) = 1.
// Before the circuit bounded the parameter count both witnesses below were
// accepted (the honest-argument one is the control that the construction
// is otherwise complete); now both are refused, since each calls a
// 65-parameter function from the initial state.
func TestRedTeamWideFunctionArgs(t *testing.T) {
	shape := Shape{Rows: 8, Prog: 72, Funcs: 2, Stack: 4, Locals: 72, Globals: 1, Depth: 2, Table: 1}
	mod := loadModule(t, "many.wasm")
	tab, err := Table(mod)
	if err != nil {
		t.Fatal(err)
	}
	args := make([]uint64, 65)
	tr := run(t, mod, "many", args, 64)
	f := tr.Func
	if _, _, err := shape.Assign(tab, tr, 0); !errors.Is(err, ErrShape) {
		t.Fatalf("witness builder on a 65-parameter function: %v, want ErrShape", err)
	}
	// Build the witness as if the function had 64 parameters (the builder
	// takes the initial locals from the trace), then restore the module.
	tab.Funcs[f].Params = 64
	a, _, err := shape.Assign(tab, tr, 0)
	tab.Funcs[f].Params = 65
	if err != nil {
		t.Fatal(err)
	}
	build := func(arg uint64, result uint64) *Circuit {
		w := a.(*Circuit)
		cp := *w
		cp.Rows = append([]Row(nil), w.Rows...)
		cp.Locals.Before = append([]frontend.Variable(nil), w.Locals.Before...)
		cp.Locals.After = append([]frontend.Variable(nil), w.Locals.After...)
		cp.Stack.After = append([]frontend.Variable(nil), w.Stack.After...)
		c := &cp
		c.Func.Params = 65 // as in the function tree, built from the module
		c.Module = tab.Commitment()
		as := append([]uint64(nil), args...)
		as[64] = arg
		c.Locals.Before[64], c.Locals.After[64] = arg, arg
		c.InDigest = claim.InputDigest(as, nil)
		c.Before = claim.InitialState(feOf(c.Module), f, feOf(c.InDigest))
		get, eqz, ret := &c.Rows[0], &c.Rows[1], &c.Rows[2]
		if classOf(get) != ClassLocalGet || classOf(eqz) != ClassEqz || classOf(ret) != ClassReturn {
			t.Fatalf("unexpected rows %s %s %s", classOf(get), classOf(eqz), classOf(ret))
		}
		get.V, get.R = arg, arg
		eqz.X1, eqz.O, eqz.R = arg, arg, result
		if arg != 0 {
			var inv fr.Element
			inv.SetUint64(arg)
			inv.Inverse(&inv)
			eqz.E, eqz.Inv = 0, inv
		}
		ret.X1, ret.R, ret.O = result, result, result
		c.Stack.After[0] = result
		c.After = claim.FinalState(claim.StatusReturned, claim.TrapNone, claim.OutputDigest([]uint64{result}, nil))
		return c
	}
	for _, tc := range []struct {
		name        string
		arg, result uint64
	}{
		{"honest argument 0, result 1", 0, 1},
		{"i32 argument 2^32 in parameter 64, result 0", 1 << 32, 0},
	} {
		if err := isSolved(solved{shape, build(tc.arg, tc.result), tc.name}); err == nil {
			t.Errorf("%s: first segment of a 65-parameter function accepted", tc.name)
		}
	}
}

// progEntryOf is the program-table entry of pc among the segment's opened
// program blocks.
func progEntryOf(t *testing.T, w *Circuit, pc frontend.Variable) *ProgEntry {
	t.Helper()
	p := u64Of(pc)
	for j := range w.ProgBlocks {
		if u64Of(w.ProgBlocks[j]) == p/ProgBlockEntries {
			return &w.Prog[j*ProgBlockEntries+int(p%ProgBlockEntries)]
		}
	}
	t.Fatalf("pc %d is in no opened program block", p)
	return nil
}

// memOpOf is the memory-table row of row i (its timestamp base).
func memOpOf(t *testing.T, w *Circuit, i int) *MemRow {
	t.Helper()
	for k := range w.MemOps {
		if m := &w.MemOps[k]; u64Of(m.T) == uint64(tsStride*(i+1)) {
			if kind, _ := memOpKind(m); kind >= 0 {
				return m
			}
		}
	}
	t.Fatalf("row %d has no memory-table row", i)
	return nil
}
