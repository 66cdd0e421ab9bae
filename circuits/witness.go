package circuits

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"slices"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"

	"github.com/mcpzero/mcpzero/circuits/claim"
	"github.com/mcpzero/mcpzero/trace"
)

// ErrShape is wrapped by errors saying that a segment does not fit a shape.
var ErrShape = errors.New("circuits: segment does not fit the shape")

// ErrTrace is wrapped by errors saying that a trace contradicts itself or
// the circuit's reading of the program (a tracer bug, never a user error).
var ErrTrace = errors.New("circuits: inconsistent trace")

type cell struct {
	v  fr.Element
	ts uint64
}

type mem map[uint64]*cell

func key(space uint64, addr uint64) uint64 { return space<<32 | addr }

func (m mem) get(k uint64) *cell {
	c, ok := m[k]
	if !ok {
		c = &cell{}
		m[k] = c
	}
	return c
}

func fru(v uint64) fr.Element {
	var e fr.Element
	e.SetUint64(v)
	return e
}

func u64(e fr.Element) uint64 {
	if !e.IsUint64() {
		panic("circuits: cell value is not a 64-bit integer")
	}
	return e.Uint64()
}

// frameWord packs a call frame as the circuit does.
func frameWord(retPC, callerFP, callerBase uint64) fr.Element {
	w, t := fru(retPC), fru(callerFP)
	t.Mul(&t, pow2fr(32))
	w.Add(&w, &t)
	t = fru(callerBase)
	t.Mul(&t, pow2fr(64))
	w.Add(&w, &t)
	return w
}

// state is the machine state at a segment boundary, in the circuit's terms.
type state struct {
	pc, sp, fp, base, ltop, depth, acc, ea, src, outLen uint64
	memPages, inLen                                     uint64
	stack, locals, globals, frames, mem, in, out        []fr.Element // full capacity of each region (mem: empty)
	memRoot                                             fr.Element   // memory commitment (memtree.go)
}

func (st *state) digest(nGlobals int) fr.Element {
	u := claim.U64
	return claim.HashLong(u(claim.TagState), u(st.pc), u(st.sp), u(st.fp), u(st.base), u(st.ltop), u(st.depth),
		u(st.acc), u(st.ea), u(st.src), u(st.outLen), u(st.memPages), u(st.inLen),
		claim.ElementsDigest(st.stack[:st.sp]), claim.ElementsDigest(st.locals[:st.ltop]), claim.ElementsDigest(st.globals[:nGlobals]),
		claim.ElementsDigest(st.frames[:st.depth+1]), st.memRoot, regionDigest(st.in), regionDigest(st.out))
}

// regionDigest hashes a byte region as the circuit does: HashLong(size, chunks...).
func regionDigest(r []fr.Element) fr.Element {
	return claim.HashLong(append([]fr.Element{claim.U64(uint64(len(r)))}, claim.PackBytes(bytesOf(r))...)...)
}

// openBlocks lists the touched blocks and, up to n, the lowest untouched
// ones, in increasing order: the blocks a segment opens.
func openBlocks[V any](touched map[uint64]V, n int) []uint64 {
	out := make([]uint64, 0, n)
	for b := range touched {
		out = append(out, b)
	}
	for b := uint64(0); len(out) < n; b++ {
		if _, ok := touched[b]; !ok {
			out = append(out, b)
		}
	}
	slices.Sort(out)
	return out
}

func trimZeros(b []byte) []byte {
	end := len(b)
	for end > 0 && b[end-1] == 0 {
		end--
	}
	return b[:end]
}

func bytesOf(r []fr.Element) []byte {
	b := make([]byte, len(r))
	for i, e := range r {
		b[i] = byte(u64(e))
	}
	return b
}

// segment is one segment converted to the circuit's terms, before it is
// turned into gnark assignments.
type segment struct {
	rows          []rowW
	first         bool
	before, after state
	lastTS        [7][]uint64 // stack, locals, globals, frames, memory (empty), input, output
	// Memory blocks opened by the segment, in increasing order, with their
	// bytes before and after it, their cells' last timestamps and their
	// Merkle siblings when updated in that order.
	memBlocks           []uint64
	memBefore, memAfter []fr.Element
	memLastTS           []uint64
	memPaths            [][]fr.Element
	progBlocks          []uint64 // program blocks opened, increasing
	progPaths           [][]fr.Element
	elemBlocks          []uint64 // funcref table blocks opened, increasing
	elemPaths           [][]fr.Element
	elemMult            []uint64
	powMult             [96]uint64
	nibMult             [nibTableSize]uint64
	bits                []bitRowW // the bitwise table's used rows
	memOps              []memRowW // the memory table's used rows
	beforeD             fr.Element
	afterD              fr.Element
	steps               uint64
}

type rowW struct {
	class                  Class
	e                      Entry
	pc, sp, fp, base, ltop uint64
	depth, acc, ea         uint64
	src, outLen, pages     uint64
	k, p                   uint64
	x                      [3]uint64 // top first
	r, o                   uint64
	v                      fr.Element
	cy, eFlag, sg1, sg2    uint64
	inv                    fr.Element
	d1, l1, l2             uint64
	prevTS                 [nbPorts]uint64
}

// execution is a whole run in the circuit's terms, cut into segments of a
// shape's rows.
type execution struct {
	t        *ModuleTable
	tr       *trace.Trace
	shape    Shape
	module   fr.Element
	segments []*segment
	powMult  [96]uint64 // per segment: reset at each segment start
	nibMult  [nibTableSize]uint64
	elemMult []uint64
}

// memRowW is a used row of the memory table: the load (or store) of 2^k
// bytes at ea by the row whose timestamp base is t, its value and rest,
// each byte port's bytes after (b) and before (o), and previous timestamp.
type memRowW struct {
	store       bool
	k           int
	t, ea       uint64
	value, rest uint64
	b, o        [memPorts]uint64
	prevTS      [memPorts]uint64
}

// bitRowW is a used row of the bitwise table: op (1 and, 2 or, 3 xor, 4
// popcnt) of x and y in nibbles, and the result's nibbles as the nibble
// table gives them.
type bitRowW struct {
	op   int
	w64  bool
	x, y [bitNibbles]uint64
	r    [bitNibbles]fr.Element
}

// bitRow takes op of x and y apart into a bitwise-table row and counts its
// nibble-table lookups.
func (x *execution) bitRow(op int, w64 bool, a, b uint64) bitRowW {
	rw := bitRowW{op: op, w64: w64}
	for j := range bitNibbles {
		rw.x[j], rw.y[j] = a>>(4*j)&15, b>>(4*j)&15
		rw.r[j] = nibResult(j, op, nibbleOp(op, rw.x[j], rw.y[j]))
		x.nibMult[nibIndex(j, op, rw.x[j], rw.y[j])]++
	}
	return rw
}

func powIndex(w64 bool, k uint64) int {
	if w64 {
		return 32 + int(k)
	}
	return int(k)
}

var regionSpaces = [7]uint64{keyStack, keyLocal, keyGlobal, keyFrame, keyMem, keyIn, keyOut}

func (s Shape) regionCaps() [7]int {
	return [7]int{s.Stack, s.Locals, s.Globals, max(s.Depth, 1) + 1, 0, s.In, s.Out} // memory: blocks
}

// prepare replays the trace in the circuit's terms: it inserts the
// prologue rows of calls, simulates the memory check's cells and cuts the
// rows into segments of shape.Rows, recording every boundary state.
func (t *ModuleTable) prepare(tr *trace.Trace, shape Shape) (*execution, error) {
	if len(tr.Segments) == 0 {
		return nil, fmt.Errorf("%w: empty trace", ErrTrace)
	}
	if f := tr.Func; int(f) < len(t.Funcs) && t.Funcs[f].Params > 64 {
		return nil, fmt.Errorf("%w: the called function has %d parameters; the circuits type-check at most 64", ErrShape, t.Funcs[f].Params)
	}
	if len(tr.Input) > shape.In || len(tr.Output) > shape.Out {
		return nil, fmt.Errorf("%w %s: %d input and %d output bytes > %d and %d", ErrShape, shape.ID(), len(tr.Input), len(tr.Output), shape.In, shape.Out)
	}
	if tr.Status == trace.Trapped && tr.Trap == trace.TrapStackOverflow {
		// Exhaustion is a limit of the engine, not a result of the
		// program: the WebAssembly spec leaves it to the implementation,
		// and wazero's interpreter traps at 2,000 frames where its
		// compiler runs past millions. A proof of it would prove the
		// tracer's configuration (docs/RATIONALE.md). Besides, no shape
		// holds a state at the tracer's limits (the boundary commits
		// frames and stack densely).
		return nil, fmt.Errorf("%w: a %s trap is an engine resource limit (the call depth or stack height the tracer allows), not the program's result: not provable", ErrShape, tr.Trap)
	}
	switch {
	case shape.progBlocks() == 0:
		return nil, fmt.Errorf("%w %s: the shape opens no program blocks", ErrShape, shape.ID())
	case int(tr.Func) >= len(t.Funcs):
		return nil, fmt.Errorf("%w: the run calls function %d of %d", ErrTrace, tr.Func, len(t.Funcs))
	case len(t.Globals) > shape.Globals:
		return nil, fmt.Errorf("%w %s: %d globals > %d", ErrShape, shape.ID(), len(t.Globals), shape.Globals)
	}
	x := &execution{t: t, tr: tr, shape: shape, module: t.Commitment()}
	caps := shape.regionCaps()
	m := mem{}
	bs := tr.Segments[0].Before
	mapPC := func(pc uint32) uint64 {
		if pc == trace.HaltPC {
			return HaltPC
		}
		return uint64(t.PC[pc])
	}
	for i, v := range bs.Stack {
		m.get(key(keyStack, uint64(i))).v = fru(v)
	}
	for i, v := range bs.Locals {
		m.get(key(keyLocal, uint64(i))).v = fru(v)
	}
	for i, v := range bs.Globals {
		m.get(key(keyGlobal, uint64(i))).v = fru(v)
	}
	if bs.MemPages != t.Pages {
		return nil, fmt.Errorf("%w: run starts with %d memory pages, the module with %d", ErrTrace, bs.MemPages, t.Pages)
	}
	if im := trimZeros(tr.InitialMemory); !bytes.Equal(im, t.Image) {
		return nil, fmt.Errorf("%w: the run starts from %d bytes of memory, not the module's initial image of %d", ErrTrace, len(im), len(t.Image))
	}
	for i, b := range t.Image {
		if b != 0 {
			m.get(key(keyMem, uint64(i))).v = fru(uint64(b))
		}
	}
	tree := memTreeOf(t.Image)
	nBlocks := shape.memBlocks()
	var touched map[uint64][]fr.Element // blocks the current segment opened: their bytes before it
	var progTouched map[uint64]bool     // program blocks the current segment executes
	var elemTouched map[uint64]bool     // funcref table blocks the current segment looks up
	nProgBlocks, nElemBlocks := shape.progBlocks(), shape.tableBlocks()
	blockBytes := func(blk uint64) []fr.Element {
		out := make([]fr.Element, MemBlockBytes)
		for i := range out {
			if c, ok := m[key(keyMem, blk*MemBlockBytes+uint64(i))]; ok {
				out[i] = c.v
			}
		}
		return out
	}
	blockTS := func(blk uint64) []uint64 {
		out := make([]uint64, MemBlockBytes)
		for i := range out {
			if c, ok := m[key(keyMem, blk*MemBlockBytes+uint64(i))]; ok {
				out[i] = c.ts
			}
		}
		return out
	}
	// memTouch is the memory addresses the row of e at state w reads or
	// writes (at most two: a memory move reads one and writes another).
	memTouch := func(e Entry, w rowW) []uint64 {
		switch e.Class {
		case ClassLoad, ClassStore: // its first and last byte, in bounds
			at := w.sp - 1
			if e.Class == ClassStore {
				at = w.sp - 2
			}
			if w.sp > at {
				if c, ok := m[key(keyStack, at)]; ok {
					ea := u64(c.v) + e.Imm
					if end := ea + uint64(e.Height); end >= ea && end <= w.pages*65536 {
						return []uint64{ea, end - 1}
					}
				}
			}
		case ClassInCopy:
			if w.acc != 0 {
				return []uint64{w.ea}
			}
		case ClassOutCopy:
			if w.acc != 0 {
				return []uint64{w.src}
			}
		case ClassMemMove:
			if w.acc != 0 && e.Neg {
				return []uint64{w.src - 1, w.ea - 1}
			}
			if w.acc != 0 {
				return []uint64{w.src, w.ea}
			}
		case ClassMemFill: // writes mem[dst] when n > 0
			if w.sp >= 3 && u64(m.get(key(keyStack, w.sp-1)).v) != 0 {
				return []uint64{u64(m.get(key(keyStack, w.sp-3)).v)}
			}
		}
		return nil
	}
	for i, b := range tr.Input {
		m.get(key(keyIn, uint64(i))).v = fru(uint64(b))
	}
	for d, f := range bs.Frames {
		var cfp, cbase uint64
		if d > 0 {
			cfp, cbase = uint64(bs.Frames[d-1].FP), uint64(bs.Frames[d-1].StackBase)
		}
		m.get(key(keyFrame, uint64(d+1))).v = frameWord(mapPC(f.ReturnPC), cfp, cbase)
	}
	if len(bs.Frames) == 0 {
		return nil, fmt.Errorf("%w: no entry frame", ErrTrace)
	}
	top := bs.Frames[len(bs.Frames)-1]
	cur := rowW{pc: mapPC(bs.PC), sp: uint64(len(bs.Stack)), fp: uint64(top.FP), base: uint64(top.StackBase),
		ltop: uint64(len(bs.Locals)) + t.scratchOf(tr.Func), depth: uint64(len(bs.Frames)), pages: uint64(bs.MemPages)}
	snapshot := func() state {
		st := state{pc: cur.pc, sp: cur.sp, fp: cur.fp, base: cur.base, ltop: cur.ltop, depth: cur.depth,
			acc: cur.acc, ea: cur.ea, src: cur.src, outLen: cur.outLen, memPages: cur.pages, inLen: uint64(len(tr.Input))}
		regs := [7]*[]fr.Element{&st.stack, &st.locals, &st.globals, &st.frames, &st.mem, &st.in, &st.out}
		for j, sp := range regionSpaces {
			*regs[j] = make([]fr.Element, caps[j])
			for i := range *regs[j] {
				if c, ok := m[key(sp, uint64(i))]; ok {
					(*regs[j])[i] = c.v
				}
			}
		}
		st.memRoot = tree.root()
		return st
	}
	var seg *segment
	halted := false
	trapped := trace.TrapNone // the circuit's trap kind once halted by a trap
	startSegment := func() {
		for _, c := range m {
			c.ts = 0
		}
		seg = &segment{first: len(x.segments) == 0, before: snapshot()}
		touched = map[uint64][]fr.Element{}
		progTouched = map[uint64]bool{}
		elemTouched = map[uint64]bool{}
		x.powMult = [96]uint64{}
		x.nibMult = [nibTableSize]uint64{}
		x.elemMult = make([]uint64, len(t.Elems))
		x.segments = append(x.segments, seg)
	}
	endSegment := func() {
		// Open the touched blocks and, up to the shape's count, the
		// lowest untouched ones; update the tree in block order.
		blocks := openBlocks(touched, nBlocks)
		seg.memBlocks = blocks
		seg.progBlocks = openBlocks(progTouched, nProgBlocks)
		for _, b := range seg.progBlocks {
			seg.progPaths = append(seg.progPaths, t.progTree.path(b))
		}
		seg.elemBlocks = openBlocks(elemTouched, nElemBlocks)
		for _, b := range seg.elemBlocks {
			seg.elemPaths = append(seg.elemPaths, t.elemTree.path(b))
		}
		for _, b := range blocks {
			after, before := blockBytes(b), touched[b]
			if before == nil {
				before = after
			}
			seg.memBefore = append(seg.memBefore, before...)
			seg.memAfter = append(seg.memAfter, after...)
			seg.memLastTS = append(seg.memLastTS, blockTS(b)...)
			seg.memPaths = append(seg.memPaths, tree.path(b))
			tree.set(b, blockLeaf(bytesOf(after)))
		}
		seg.after = snapshot()
		seg.powMult = x.powMult
		seg.nibMult = x.nibMult
		seg.elemMult = x.elemMult
		for j, sp := range regionSpaces {
			seg.lastTS[j] = make([]uint64, caps[j])
			for i := range seg.lastTS[j] {
				if c, ok := m[key(sp, uint64(i))]; ok {
					seg.lastTS[j][i] = c.ts
				}
			}
		}
	}
	check := func(k uint64) error {
		space, addr := k>>32, k&(1<<32-1)
		if space == keyMem {
			if b := addr / MemBlockBytes; touched[b] == nil {
				if len(touched) >= nBlocks {
					return fmt.Errorf("%w %s: a segment opens at most %d memory blocks", ErrShape, shape.ID(), nBlocks)
				}
				touched[b] = blockBytes(b) // read and write call check first
			}
			return nil
		}
		for j, sp := range regionSpaces {
			if sp == space && addr >= uint64(caps[j]) {
				return fmt.Errorf("%w %s: %s slot %d beyond capacity %d", ErrShape, shape.ID(), []string{"stack", "locals", "globals", "frame", "memory", "input", "output"}[j], addr, caps[j])
			}
		}
		return nil
	}
	input := tr.Input
	// step executes one circuit row at the current state.
	step := func(e Entry, tr *trace.Row) error {
		cut := seg == nil || len(seg.rows) == shape.Rows
		if as := memTouch(e, cur); len(as) > 0 {
			blocks := map[uint64]bool{}
			fresh := 0
			for _, a := range as {
				if b := a / MemBlockBytes; !blocks[b] {
					blocks[b] = true
					if touched[b] == nil {
						fresh++
					}
				}
			}
			if nBlocks < len(blocks) {
				return fmt.Errorf("%w %s: the run touches linear memory; the shape opens %d memory blocks, a row needs %d", ErrShape, shape.ID(), nBlocks, len(blocks))
			}
			// A segment ends early (padded) rather than open more
			// blocks than the shape holds.
			cut = cut || len(touched)+fresh > nBlocks
		}
		cut = cut || !progTouched[cur.pc/ProgBlockEntries] && len(progTouched) == nProgBlocks
		// and the bitwise table has a row for each and/or/xor/popcnt
		cut = cut || (e.Class == ClassBitwise || e.Class == ClassPopcnt) && len(seg.bits) == shape.bitRows()
		// and the memory table one for each load and store
		cut = cut || (e.Class == ClassLoad || e.Class == ClassStore) && len(seg.memOps) == shape.memRows()
		slot, looksUp := uint64(0), false
		if e.Class == ClassCallInd && cur.sp > 0 {
			if c, ok := m[key(keyStack, cur.sp-1)]; ok {
				slot = u64(c.v)
			}
			looksUp = slot < uint64(len(t.Elems))
		}
		if looksUp {
			if nElemBlocks == 0 {
				return fmt.Errorf("%w %s: the run calls through the funcref table; the shape opens no table blocks", ErrShape, shape.ID())
			}
			cut = cut || !elemTouched[slot/ProgBlockEntries] && len(elemTouched) == nElemBlocks
		}
		if cut {
			if seg != nil {
				endSegment()
			}
			startSegment()
		}
		progTouched[cur.pc/ProgBlockEntries] = true
		if looksUp {
			elemTouched[slot/ProgBlockEntries] = true
		}
		r := len(seg.rows)
		w := cur
		w.class, w.e = e.Class, e
		w.x, w.r, w.o, w.v = [3]uint64{}, 0, 0, fr.Element{}
		w.cy, w.eFlag, w.sg1, w.sg2, w.d1, w.l1, w.l2 = 0, 0, 0, 0, 0, 0, 0
		w.inv = fr.Element{}
		w.prevTS = [nbPorts]uint64{}
		sp := w.sp
		var err error
		ts := func(p int) uint64 { return uint64(tsStride*(r+1) + p) }
		read := func(p int, k uint64) fr.Element {
			if e := check(k); e != nil && err == nil {
				err = e
			}
			c := m.get(k)
			w.prevTS[p] = c.ts
			c.ts = ts(p)
			return c.v
		}
		write := func(p int, k uint64, v fr.Element) fr.Element {
			if e := check(k); e != nil && err == nil {
				err = e
			}
			c := m.get(k)
			old := c.v
			w.prevTS[p] = c.ts
			c.v, c.ts = v, ts(p)
			return old
		}
		pops := 0
		switch e.Class {
		case ClassAdd, ClassSub, ClassMul, ClassEq, ClassCmp, ClassShl, ClassShrU, ClassRotl, ClassDivU:
			pops = 2
		case ClassEqz, ClassWrap, ClassExtendU, ClassExtendS, ClassLocalSet, ClassLocalTee, ClassGlobalSet, ClassIf, ClassBrIf:
			pops = 1
		case ClassSelect:
			pops = 3
		case ClassBr, ClassReturn:
			pops = int(e.Arity)
		case ClassBrTable, ClassExtSplit, ClassClz, ClassPopcnt, ClassCallInd, ClassMemGrow:
			pops = 1
		case ClassBrCase:
			if w.acc == e.Imm {
				pops = int(e.Arity)
			}
		case ClassLoad:
			pops = 1
		case ClassStore, ClassOutputWrite, ClassBitwise, ClassShrS, ClassDivS:
			pops = 2
		case ClassInputRead, ClassMemCopy, ClassMemFill:
			pops = 3
		}
		if uint64(pops) > sp {
			return fmt.Errorf("%w: pc %d pops %d values from a stack of %d", ErrTrace, w.pc, pops, sp)
		}
		for p := 0; p < pops; p++ {
			w.x[p] = u64(read(p, key(keyStack, sp-1-uint64(p))))
		}
		taken := false
		if e.Class == ClassBrIf {
			taken = w.x[0] != 0
			if taken && e.Arity == 1 {
				w.x[1] = u64(read(portPop2, key(keyStack, sp-2)))
			}
		}
		next := w // state after the row
		next.pc = w.pc + 1
		next.acc, next.ea, next.src = 0, 0, 0
		memBytes := w.pages * 65536
		switch e.Class {
		case ClassLocalGet:
			w.v = read(portVar, key(keyLocal, w.fp+e.Imm))
		case ClassGlobalGet:
			w.v = read(portVar, key(keyGlobal, e.Imm))
		case ClassLocalSet, ClassLocalTee:
			w.v = write(portVar, key(keyLocal, w.fp+e.Imm), fru(w.x[0]))
		case ClassGlobalSet:
			w.v = write(portVar, key(keyGlobal, e.Imm), fru(w.x[0]))
		case ClassLocalZero:
			w.v = write(portVar, key(keyLocal, w.fp+e.Imm), fr.Element{})
		case ClassCallInd:
			i := w.x[0]
			if i >= uint64(len(t.Elems)) { // no such slot
				w.cy, w.d1 = 1, i-uint64(len(t.Elems))
				w.l1 = uint64(e.Imm) // any value passes the zero test; E = 1 keeps it simple
				w.eFlag = 1
				next.pc, halted, trapped = HaltPC, true, trace.TrapInvalidTableAccess
				break
			}
			el := t.Elems[i]
			if el.Type != NullType && el.Type >= hostType {
				var pc uint32
				if tr != nil {
					pc = tr.PC
				}
				return &UnsupportedError{PC: pc, Op: 0x11, Func: t.funcAt(pc), Why: "call_indirect to an imported host function's table slot"}
			}
			x.elemMult[i]++
			w.k, w.p, w.d1 = uint64(el.Prologue), uint64(el.Params), uint64(el.Locals)
			w.l2 = uint64(len(t.Elems)) - 1 - i // the index is in the table
			w.l1 = uint64(el.Type)
			if el.Type == NullType {
				w.sg1, w.l1 = 1, 0
			}
			w.eFlag, w.inv = b2u(uint64(el.Type) == e.Imm), inverseDiff(uint64(el.Type), e.Imm)
			if w.eFlag == 0 {
				trapped = trace.TrapIndirectCallTypeMismatch
				if el.Type == NullType {
					trapped = trace.TrapInvalidTableAccess
				}
				next.pc, halted = HaltPC, true
				break
			}
			w.v = write(portVar, key(keyFrame, w.depth+1), frameWord(w.pc+1, w.fp, w.base))
			next.pc = w.k
			next.fp, next.base, next.ltop, next.depth = w.ltop, w.sp-1-w.p, w.ltop+w.d1, w.depth+1
		case ClassCall:
			w.v = write(portVar, key(keyFrame, w.depth+1), frameWord(w.pc+1, w.fp, w.base))
			next.pc = uint64(e.Target)
			next.fp, next.base, next.ltop, next.depth = w.ltop, w.sp-uint64(e.Height), w.ltop+e.Imm, w.depth+1
		case ClassLoad, ClassStore:
			store := e.Class == ClassStore
			addr := w.x[0]
			if store {
				addr = w.x[1]
				w.r = w.x[0] // R = X1
			}
			ea := addr + e.Imm
			width := uint64(e.Height)
			if end := ea + width; end > memBytes { // traps (an unsigned load still pushes R = 0: the run is over)
				w.cy, w.d1 = 1, end-memBytes-1
				next.pc = HaltPC
				halted, trapped = true, trace.TrapOutOfBoundsMemory
				break
			}
			w.d1 = memBytes - ea - width
			mr := memRowW{store: store, k: bits.Len64(width) - 1, t: uint64(tsStride * (r + 1)), ea: ea}
			for i := range memPorts {
				mr.prevTS[i] = mr.t + nbPorts + uint64(i) - 1 // unused ports: a zero difference
			}
			for i := range width {
				k := key(keyMem, ea+i)
				if e := check(k); e != nil && err == nil {
					err = e
				}
				c := m.get(k)
				old := u64(c.v)
				mr.o[i], mr.b[i], mr.prevTS[i] = old, old, c.ts
				if store {
					mr.b[i] = w.x[0] >> (8 * i) & 0xFF
					c.v = fru(mr.b[i])
				}
				c.ts = mr.t + nbPorts + i
				mr.value |= mr.b[i] << (8 * i)
			}
			if store {
				if width < 8 {
					w.l1 = w.x[0] >> (8 * width)
				}
				mr.value, mr.rest = w.x[0], w.l1
			} else {
				w.r = mr.value
				if e.Signed {
					next.acc = mr.value
				}
			}
			seg.memOps = append(seg.memOps, mr)
		case ClassInputRead:
			// hostabi.IO.InputRead: copy min(n, max(0, size-off)) bytes;
			// a destination range outside memory traps.
			dst, off, n := w.x[2], w.x[1], w.x[0]
			size := uint64(len(input))
			avail := uint64(0)
			if off < size {
				avail, w.l1 = size-off, size-off-1
			} else {
				w.sg1, w.l1 = 1, off-size
			}
			cnt := n
			if n <= avail {
				w.l2 = avail - n
			} else {
				cnt, w.sg2, w.l2 = avail, 1, n-avail-1
			}
			w.r = cnt
			w.d1, w.cy = splitBound(memBytes, dst+cnt)
			next.acc, next.ea, next.src = cnt, dst, off
			if w.cy == 1 {
				next.pc, halted, trapped = HaltPC, true, trace.TrapOutOfBoundsMemory
			}
		case ClassOutputWrite:
			// hostabi.IO.OutputWrite: the memory range is checked first,
			// then the output limit.
			src, n := w.x[1], w.x[0]
			w.r = n
			w.d1, w.cy = splitBound(memBytes, src+n)
			if w.outLen+n <= maxOutput {
				w.l1 = maxOutput - w.outLen - n
			} else {
				w.sg1, w.l1 = 1, w.outLen+n-maxOutput-1
			}
			next.acc, next.ea, next.src = n, w.outLen, src
			switch {
			case w.cy == 1:
				next.pc, halted, trapped = HaltPC, true, trace.TrapOutOfBoundsMemory
			case w.sg1 == 1:
				next.pc, halted, trapped = HaltPC, true, trace.TrapOutputLimit
			default:
				next.outLen = w.outLen + n
			}
		case ClassInCopy, ClassOutCopy:
			w.eFlag, w.inv = b2u(w.acc == 0), inverse(w.acc)
			if w.acc != 0 {
				from, to := key(keyIn, w.src), key(keyMem, w.ea)
				if e.Class == ClassOutCopy {
					from, to = key(keyMem, w.src), key(keyOut, w.ea)
				}
				b := read(portPop3, from)
				w.x[2] = u64(b)
				w.v = write(portVar, to, b)
				next.acc, next.ea, next.src = w.acc-1, w.ea+1, w.src+1
				next.pc = w.pc // the copy row repeats
			}
		case ClassMemCopy:
			// Forward when dst <= src, else backward from the last byte
			// (memmove); max(src, dst) + n past memory traps.
			dst, src, n := w.x[2], w.x[1], w.x[0]
			hi := src
			if dst > src {
				hi, w.sg2, w.l2 = dst, 1, dst-src-1
			} else {
				w.l2 = src - dst
			}
			// The registers are set even on a trap: the padding after
			// it chains them.
			next.acc, next.ea, next.src = n, dst, src
			next.pc = w.pc + 2 // the forward move
			if w.sg2 == 1 {
				next.ea, next.src, next.pc = dst+n, src+n, w.pc+1
			}
			w.d1, w.cy = splitBound(memBytes, hi+n)
			if w.cy == 1 {
				next.pc, halted, trapped = HaltPC, true, trace.TrapOutOfBoundsMemory
			}
		case ClassMemFill:
			// mem[dst] = val mod 256 here, then a forward move smears it.
			dst, val, n := w.x[2], w.x[1], w.x[0]
			w.r, w.l1 = val&0xFF, val>>8
			w.eFlag, w.inv = b2u(n == 0), inverse(n)
			if n != 0 {
				// Written even when the fill traps (the circuit gates the
				// write by n > 0 only; gating by the bound too would cost
				// every row a product): unobservable, since the run halts
				// here and a trapped run's final state holds no memory.
				w.v = write(portVar, key(keyMem, dst), fru(w.r))
				next.acc = n - 1
			}
			next.ea, next.src = dst+1, dst
			w.d1, w.cy = splitBound(memBytes, dst+n)
			if w.cy == 1 {
				next.pc, halted, trapped = HaltPC, true, trace.TrapOutOfBoundsMemory
			}
		case ClassMemMove:
			w.eFlag, w.inv = b2u(w.acc == 0), inverse(w.acc)
			if w.acc != 0 {
				from, to := w.src, w.ea
				next.acc, next.ea, next.src = w.acc-1, w.ea+1, w.src+1
				if e.Neg {
					from, to = w.src-1, w.ea-1
					next.ea, next.src = to, from
				}
				b := read(portPop3, key(keyMem, from))
				w.x[2] = u64(b)
				w.v = write(portVar, key(keyMem, to), b)
				next.pc = w.pc // the move row repeats
			}
		case ClassMemPush: // a sign extension
			w.r = w.acc
			half := uint64(e.Height)
			w.sg1, w.l1 = b2u(w.acc&half != 0), w.acc&(half-1)
			if w.sg1 == 1 {
				w.r = w.acc | ^(2*half - 1)
				if !e.W64 {
					w.r &= 1<<32 - 1
				}
			}
		case ClassReturn:
			w.v = read(portVar, key(keyFrame, w.depth))
			var b big.Int
			w.v.BigInt(&b)
			w.d1 = new(big.Int).And(&b, big.NewInt(1<<32-1)).Uint64()
			w.l1 = new(big.Int).And(new(big.Int).Rsh(&b, 32), big.NewInt(1<<32-1)).Uint64()
			w.l2 = new(big.Int).Rsh(&b, 64).Uint64()
			w.eFlag = b2u(w.d1 == HaltPC)
			w.inv = inverseDiff(w.d1, HaltPC)
			next.pc, next.fp, next.base, next.ltop, next.depth = w.d1, w.l1, w.l2, w.fp, w.depth-1
		}
		mask := ^uint64(0)
		width := uint(64)
		if !e.W64 {
			mask, width = 1<<32-1, 32
		}
		a, b := w.x[1], w.x[0]
		push := true
		next.sp = sp
		switch e.Class {
		case ClassCallInd:
			push, next.sp = false, sp-1
		case ClassNop, ClassLocalZero, ClassCall, ClassInCopy, ClassOutCopy, ClassMemMove:
			push = false
		case ClassMemCopy, ClassMemFill:
			push, next.sp = false, sp-3
		case ClassInputSize:
			w.r, next.sp = uint64(len(input)), sp+1
		case ClassInputRead:
			next.sp = sp - 2 // pushes the count (R, set above); after a trap into a dead slot
		case ClassOutputWrite:
			push, next.sp = false, sp-2
		case ClassLoad:
			if e.Signed { // pushes on its sign-extension row
				push, next.sp = false, sp-1
			}
		case ClassStore:
			push, next.sp = false, sp-2
		case ClassMemPush:
			next.sp = sp + 1
		case ClassMemSize:
			w.r, next.sp = w.pages, sp+1
		case ClassMemGrow:
			delta := w.x[0]
			if w.pages+delta <= uint64(t.MaxPages) {
				w.r, w.d1 = w.pages, uint64(t.MaxPages)-w.pages-delta
				next.pages = w.pages + delta
			} else {
				w.r, w.cy, w.d1 = 1<<32-1, 1, w.pages+delta-uint64(t.MaxPages)-1
			}
		case ClassConst:
			w.r, next.sp = e.Imm, sp+1
		case ClassLocalGet, ClassGlobalGet:
			w.r, next.sp = u64(w.v), sp+1
		case ClassLocalSet, ClassGlobalSet, ClassDrop:
			push, next.sp = false, sp-1
		case ClassLocalTee:
			w.r = w.x[0]
		case ClassSelect:
			w.eFlag, w.inv = b2u(w.x[0] == 0), inverse(w.x[0])
			if w.x[0] != 0 {
				w.r = w.x[2]
			} else {
				w.r = w.x[1]
			}
			next.sp = sp - 2
		case ClassAdd:
			sum := new(big.Int).Add(new(big.Int).SetUint64(a), new(big.Int).SetUint64(b))
			w.r = (a + b) & mask
			w.cy = b2u(sum.Rsh(sum, width).Sign() != 0)
			next.sp = sp - 1
		case ClassSub:
			w.r, w.cy, next.sp = (a-b)&mask, b2u(a < b), sp-1
		case ClassMul:
			p := new(big.Int).Mul(new(big.Int).SetUint64(a), new(big.Int).SetUint64(b))
			w.r = new(big.Int).And(p, new(big.Int).SetUint64(mask)).Uint64()
			w.d1 = new(big.Int).Rsh(p, width).Uint64()
			next.sp = sp - 1
		case ClassEqz, ClassEq:
			z := w.x[0]
			if e.Class == ClassEq {
				z = w.x[0] - w.x[1]
				w.inv = inverseDiff(w.x[0], w.x[1])
				next.sp = sp - 1
			} else {
				w.inv = inverse(z)
			}
			w.eFlag = b2u(z == 0)
			w.r = w.eFlag ^ b2u(e.Neg)
		case ClassCmp:
			half := uint64(1) << (width - 1)
			if e.Signed {
				w.sg1, w.l1 = b2u(b&half != 0), b&(half-1)
				w.sg2, w.l2 = b2u(a&half != 0), a&(half-1)
			}
			x, y := a, b
			if e.Signed {
				x, y = (a^half)&mask, (b^half)&mask
			}
			if e.Swap {
				x, y = y, x
			}
			w.d1 = (x - y) & mask
			w.r = b2u(x < y) ^ b2u(e.Neg)
			next.sp = sp - 1
		case ClassShl, ClassShrU, ClassRotl:
			k := b % uint64(width)
			w.l2 = b / uint64(width)
			if e.Class == ClassRotl && e.Swap { // rotr k = rotl (W-k) mod W
				k = (uint64(width) - k) % uint64(width)
				w.l2 = b/uint64(width) + b2u(k != 0) // (b + k) / W, without overflowing for b near 2^64
			}
			w.k, w.p = k, 1<<k
			prod := new(big.Int).Mul(new(big.Int).SetUint64(a), new(big.Int).SetUint64(w.p))
			hi := new(big.Int).Rsh(prod, width).Uint64()
			lo := new(big.Int).And(prod, new(big.Int).SetUint64(mask)).Uint64()
			half := uint64(1) << (width - 1)
			switch e.Class {
			case ClassShl:
				w.r, w.d1 = lo, hi
			case ClassShrU:
				w.r, w.d1 = a>>k, a&(w.p-1)
				diff := w.p - w.d1 - 1
				w.sg1, w.l1 = b2u(diff&half != 0), diff&(half-1)
			case ClassRotl:
				w.r, w.d1 = lo+hi, hi
				w.sg1, w.l1 = b2u(lo&half != 0), lo&(half-1)
			}
			x.powMult[powIndex(e.W64, k)]++
			next.sp = sp - 1
		case ClassBitwise:
			w.r = nibbleOp(int(e.Height), b, a)
			seg.bits = append(seg.bits, x.bitRow(int(e.Height), e.W64, b, a))
			next.sp = sp - 1
		case ClassBrTable:
			next.acc, next.sp, push = w.x[0], sp-1, false
		case ClassDivS:
			half := uint64(1) << (width - 1)
			w.eFlag, w.inv = b2u(b == 0), inverse(b)
			w.sg1, w.l1 = b2u(b&half != 0), b&(half-1)
			w.sg2, w.l2 = b2u(a&half != 0), a&(half-1)
			next.sp, push = sp-2, false
			if b == 0 {
				next.pc = HaltPC
				halted, trapped = true, trace.TrapIntegerDivideByZero
				break
			}
			abs := func(v, s uint64) uint64 {
				if s == 1 {
					return (-v) & mask
				}
				return v
			}
			next.acc, next.ea, next.src = abs(a, w.sg2), abs(b, w.sg1), w.sg1+2*w.sg2
		case ClassDivSPush:
			half := uint64(1) << (width - 1)
			sa, sb := w.src>>1, w.src&1
			q, r := w.acc/w.ea, w.acc%w.ea
			w.d1, w.l2, w.sg2 = q, r, sa
			diff := w.ea - r - 1
			w.sg1, w.l1 = b2u(diff&half != 0), diff&(half-1)
			w.eFlag, w.inv = b2u(q == half), inverseDiff(q, half)
			xs := sa ^ sb
			neg, mag := xs == 1, q
			if e.Neg {
				neg, mag = sa == 1, r
			}
			w.r = mag
			if neg && mag != 0 {
				w.r, w.cy = (-mag)&mask, 1
			}
			next.sp = sp + 1
			if !e.Neg && xs == 0 && q == half { // MIN / -1
				push, next.pc = false, HaltPC // the circuit still counts the push in SP; the run is over
				halted, trapped = true, trace.TrapIntegerOverflow
			}
		case ClassShrS:
			half := uint64(1) << (width - 1)
			w.sg1, w.l1 = b2u(a&half != 0), a&(half-1)
			next.acc, next.ea, next.src, next.sp, push = a, w.sg1, b, sp-2, false
		case ClassShrSPush:
			k := w.src % uint64(width)
			w.l2 = w.src / uint64(width)
			w.k, w.p = k, 1<<k
			v := w.acc
			if width == 32 {
				w.r = uint64(uint32(int32(uint32(v)) >> k))
			} else {
				w.r = uint64(int64(v) >> k)
			}
			w.d1 = v & (w.p - 1)
			half := uint64(1) << (width - 1)
			diff := w.p - w.d1 - 1
			w.sg1, w.l1 = b2u(diff&half != 0), diff&(half-1)
			x.powMult[powIndex(e.W64, k)]++
			next.sp = sp + 1
		case ClassPopcnt:
			w.r = uint64(bits.OnesCount64(w.x[0]))
			seg.bits = append(seg.bits, x.bitRow(4, e.W64, w.x[0], 0))
		case ClassClz:
			v := w.x[0]
			w.eFlag, w.inv = b2u(v == 0), inverse(v)
			w.r = uint64(width)
			if v != 0 {
				half := uint64(1) << (width - 1)
				if e.Swap {
					k := uint64(bits.TrailingZeros64(v))
					w.k, w.p, w.d1, w.r = k, 1<<k, (v>>k-1)/2, k
				} else {
					k := uint64(bits.Len64(v)) - 1
					w.k, w.p, w.d1, w.r = k, 1<<k, v-(1<<k), uint64(width)-1-k
					diff := 2*w.p - 1 - v
					w.sg1, w.l1 = b2u(diff&half != 0), diff&(half-1)
				}
				x.powMult[powIndex(e.W64, w.k)]++
			}
		case ClassExtSplit:
			n := uint(bitsLen(e.Imm*256)) - 1 - (64 - width) // Imm*256 = 2^(64-W+n)
			w.d1, next.acc = w.x[0]>>n, w.x[0]&(1<<n-1)
			next.sp, push = sp-1, false
		case ClassBrCase:
			w.eFlag, w.inv = b2u(w.acc == e.Imm), inverseDiff(w.acc, e.Imm)
			push = false
			if w.acc == e.Imm {
				next.pc = uint64(e.Target)
				next.sp = w.base + uint64(e.Height) + uint64(e.Arity)
				w.r, push = w.x[0], e.Arity == 1
			} else {
				next.acc = w.acc
			}
		case ClassDivU:
			w.eFlag, w.inv = b2u(b == 0), inverse(b)
			next.sp = sp - 1
			if b == 0 {
				push, next.pc = false, HaltPC
				halted, trapped = true, trace.TrapIntegerDivideByZero
				break
			}
			q, rem := a/b, a%b
			w.r, w.d1 = q, rem
			if e.Neg {
				w.r, w.d1 = rem, q
			}
			half := uint64(1) << (width - 1)
			diff := b - rem - 1
			w.sg1, w.l1 = b2u(diff&half != 0), diff&(half-1)
		case ClassWrap:
			w.r, w.d1 = w.x[0]&(1<<32-1), w.x[0]>>32
		case ClassExtendU:
			w.r = w.x[0]
		case ClassExtendS:
			w.sg1, w.l1 = w.x[0]>>31&1, w.x[0]&(1<<31-1)
			w.r = uint64(int64(int32(uint32(w.x[0]))))
		case ClassBr:
			next.pc = uint64(e.Target)
			next.sp = w.base + uint64(e.Height) + uint64(e.Arity)
			w.r, push = w.x[0], e.Arity == 1
		case ClassBrIf:
			w.eFlag, w.inv = b2u(!taken), inverse(w.x[0])
			next.sp, push = sp-1, false
			if taken {
				next.pc = uint64(e.Target)
				next.sp = w.base + uint64(e.Height) + uint64(e.Arity)
				w.r, push = w.x[1], e.Arity == 1
			}
		case ClassIf:
			w.eFlag, w.inv = b2u(w.x[0] == 0), inverse(w.x[0])
			next.sp, push = sp-1, false
			if w.x[0] == 0 {
				next.pc = uint64(e.Target)
			}
		case ClassElse:
			next.pc, push = uint64(e.Target), false
		case ClassReturn:
			next.sp = w.base + uint64(e.Height) + uint64(e.Arity)
			w.r, push = w.x[0], e.Arity == 1
			halted = w.eFlag == 1
		case ClassUnreachable:
			next.pc, push = HaltPC, false
			halted, trapped = true, trace.TrapUnreachable
		default:
			return fmt.Errorf("%w: class %s", ErrTrace, e.Class)
		}
		if push {
			w.o = u64(write(portPush, key(keyStack, next.sp-1), fru(w.r)))
		}
		if err != nil {
			return err
		}
		if tr != nil && push && trapped == trace.TrapNone && e.Class != ClassBr && e.Class != ClassBrIf && e.Class != ClassReturn && e.Class != ClassMemPush && w.r != tr.R {
			return fmt.Errorf("%w: pc %d (%s): circuit computes %d, tracer recorded %d", ErrTrace, tr.PC, e.Class, w.r, tr.R)
		}
		if !zeroTested[e.Class] {
			w.eFlag, w.inv = b2u(w.x[0] == 0), inverse(w.x[0])
		}
		seg.rows = append(seg.rows, w)
		if !e.Pseudo {
			seg.steps++
		}
		cur = next
		return nil
	}
	for k := range tr.Segments {
		for i := range tr.Segments[k].Rows {
			row := &tr.Segments[k].Rows[i]
			if halted {
				return nil, fmt.Errorf("%w: steps after the run halted", ErrTrace)
			}
			if int(row.PC) >= len(t.PC) || mapPC(row.PC) != cur.pc {
				return nil, fmt.Errorf("%w: tracer at pc %d, circuit at pc %d", ErrTrace, row.PC, cur.pc)
			}
			e := t.Entries[cur.pc]
			if e.Class == ClassUnsupported {
				return nil, t.unsupportedAt(row.PC)
			}
			if err := step(e, row); err != nil {
				return nil, err
			}
			// A call's prologue, a signed load's sign extension, byte rows.
			for cur.pc < uint64(len(t.Entries)) && t.Entries[cur.pc].Pseudo {
				if err := step(t.Entries[cur.pc], nil); err != nil {
					return nil, err
				}
			}
			if e.Class == ClassLoad && !halted { // a trapping load pushes nothing
				if v := m.get(key(keyStack, cur.sp-1)).v; u64(v) != row.R {
					return nil, fmt.Errorf("%w: pc %d load: circuit reads %d, tracer %d", ErrTrace, row.PC, u64(v), row.R)
				}
			}
			if cur.pc != mapPC(row.NextPC) || (cur.sp != uint64(row.SPAfter) && !(halted && tr.Status == trace.Trapped)) {
				return nil, fmt.Errorf("%w: pc %d (%s): circuit reaches pc %d sp %d, tracer pc %d sp %d",
					ErrTrace, row.PC, e.Class, cur.pc, cur.sp, mapPC(row.NextPC), row.SPAfter)
			}
		}
	}
	endSegment()
	if !halted {
		return nil, fmt.Errorf("%w: the run did not halt", ErrTrace)
	}
	// The circuit proves its own outcome: it must be the tracer's (a run
	// with another output limit than the circuits' 1 MiB, say, differs).
	if (trapped == trace.TrapNone) != (tr.Status == trace.Returned) || (trapped != trace.TrapNone && trapped != tr.Trap) {
		return nil, fmt.Errorf("%w: the circuit halts with trap %q, the tracer with status %s, trap %q", ErrTrace, trapped, tr.Status, tr.Trap)
	}
	// Digests and claims.
	for k, sg := range x.segments {
		if sg.first {
			sg.beforeD = claim.InitialState(x.module, tr.Func, claim.InputDigest(tr.Args, tr.Input))
		} else {
			sg.beforeD = sg.before.digest(len(t.Globals))
		}
		if k == len(x.segments)-1 {
			var results []uint64
			if tr.Status == trace.Returned {
				results = tr.Results
			}
			sg.afterD = claim.FinalState(claim.Status(tr.Status), claim.TrapKind(tr.Trap), claim.OutputDigest(results, tr.Output))
		} else {
			sg.afterD = sg.after.digest(len(t.Globals))
		}
	}
	if tr.Status == trace.Returned {
		st := x.segments[len(x.segments)-1].after
		for i, v := range tr.Results {
			if i >= int(st.sp) || u64(st.stack[i]) != v {
				return nil, fmt.Errorf("%w: results differ from the final stack", ErrTrace)
			}
		}
	}
	return x, nil
}

// funcAt is the function of tracer pc pc.
func (t *ModuleTable) funcAt(pc uint32) uint32 {
	if int(pc) < len(t.funcOf) {
		return t.funcOf[pc]
	}
	return 0
}

func (t *ModuleTable) unsupportedAt(pc uint32) error {
	for _, u := range t.Unsupported {
		if u.PC == pc {
			return u
		}
	}
	return fmt.Errorf("%w: pc %d unsupported", ErrTrace, pc)
}

// splitBound is the circuit's bound check of end <= limit: (limit - end,
// 0) inside, (end - limit - 1, 1) outside.
func splitBound(limit, end uint64) (d1, cy uint64) {
	if end <= limit {
		return limit - end, 0
	}
	return end - limit - 1, 1
}

func inverse(x uint64) fr.Element {
	var e fr.Element
	e.SetUint64(x)
	if !e.IsZero() {
		e.Inverse(&e)
	}
	return e
}

func inverseDiff(x, y uint64) fr.Element {
	var a, b fr.Element
	a.SetUint64(x)
	b.SetUint64(y)
	a.Sub(&a, &b)
	if !a.IsZero() {
		a.Inverse(&a)
	}
	return a
}

// Fits reports whether the run fits the shape: program, functions,
// globals, and at every step the stack, locals and call depth.
func (s Shape) Fits(t *ModuleTable, tr *trace.Trace) error {
	_, err := t.prepare(tr, s)
	return err
}

// Fit returns the smallest standard shape the trace fits.
func Fit(t *ModuleTable, tr *trace.Trace) (Shape, error) {
	var last error
	for _, s := range Shapes() {
		if last = s.Fits(t, tr); last == nil {
			return s, nil
		}
	}
	return Shape{}, last
}

// Claims returns the claims of every segment of the run cut for the shape,
// without building any circuit.
func (t *ModuleTable) Claims(s Shape, tr *trace.Trace) ([]claim.Claim, error) {
	x, err := t.prepare(tr, s)
	if err != nil {
		return nil, err
	}
	return x.claims(), nil
}

func (x *execution) claims() []claim.Claim {
	out := make([]claim.Claim, len(x.segments))
	for k, sg := range x.segments {
		out[k] = claim.Claim{Module: x.module, Before: sg.beforeD, After: sg.afterD, Steps: sg.steps}
	}
	return out
}

// Statement is the statement the trace proves, and the claims of its
// segments cut for the shape (their Merkle root is the trace root).
func (t *ModuleTable) Statement(s Shape, tr *trace.Trace) (claim.Statement, []claim.Claim, error) {
	x, err := t.prepare(tr, s)
	if err != nil {
		return claim.Statement{}, nil, err
	}
	claims := x.claims()
	var results []uint64
	if tr.Status == trace.Returned {
		results = tr.Results
	}
	st := claim.Statement{
		Module:   x.module,
		Function: tr.Func,
		Input:    claim.InputDigest(tr.Args, tr.Input),
		Output:   claim.OutputDigest(results, tr.Output),
		Status:   claim.Status(tr.Status),
		Trap:     claim.TrapKind(tr.Trap),
		Steps:    tr.Steps,
	}
	st.TraceRoot, err = claim.MerkleRoot(claims)
	return st, claims, err
}

// Assign builds the witness of segment k (of the run cut for this shape)
// and the claim it proves. Statement gives the number of segments.
func (s Shape) Assign(t *ModuleTable, tr *trace.Trace, k int) (frontend.Circuit, claim.Claim, error) {
	x, err := t.prepare(tr, s)
	if err != nil {
		return nil, claim.Claim{}, err
	}
	if k < 0 || k >= len(x.segments) {
		return nil, claim.Claim{}, fmt.Errorf("circuits: segment %d of %d", k, len(x.segments))
	}
	return x.assign(k), x.claims()[k], nil
}

// assignOpened sets opened block j of a read-only tree: its index and path.
func assignOpened(blocks []frontend.Variable, paths [][ProgTreeDepth]frontend.Variable, j int, b uint64, path []fr.Element) {
	blocks[j] = b
	for k := range paths[j] {
		paths[j][k] = path[k]
	}
}

func (x *execution) assign(k int) *Circuit {
	s, t, tr, seg := x.shape, x.t, x.tr, x.segments[k]
	c := s.alloc()
	c.Module, c.Before, c.After, c.Steps = x.module, seg.beforeD, seg.afterD, seg.steps
	mult := map[uint64]uint64{}
	for _, r := range seg.rows {
		mult[r.pc]++
	}
	c.ProgRoot = t.progTree.root()
	for j, b := range seg.progBlocks {
		assignOpened(c.ProgBlocks, c.ProgPath, j, b, seg.progPaths[j])
		for i := range ProgBlockEntries {
			pc := b*ProgBlockEntries + uint64(i)
			var e Entry
			if pc < uint64(len(t.Entries)) {
				e = t.Entries[pc]
			}
			c.Prog[j*ProgBlockEntries+i] = ProgEntry{Flags: e.Flags(), Imm: e.Imm, Target: e.Target, Height: e.Height, Mult: mult[pc]}
		}
	}
	f := t.Funcs[tr.Func]
	c.Func = FuncEntry{Entry: f.Entry, Params: f.Params, Locals: f.Locals, I32Params: t.I32Params[tr.Func]}
	c.FuncRoot = t.funcTree.root()
	for k, sib := range t.funcTree.path(uint64(tr.Func)) {
		c.FuncPath[k] = sib
	}
	for i := range c.GInit {
		var v uint64
		if i < len(t.Globals) {
			v = t.Globals[i]
		}
		c.GInit[i] = v
	}
	c.NG = len(t.Globals)
	c.IsFirst = b2u(seg.first)
	c.Function = tr.Func
	c.InDigest = claim.InputDigest(tr.Args, tr.Input)
	regs := [7]*Region{&c.Stack, &c.Locals, &c.Globals, &c.Frames, &c.Mem, &c.In, &c.Out}
	befores := [7][]fr.Element{seg.before.stack, seg.before.locals, seg.before.globals, seg.before.frames, seg.memBefore, seg.before.in, seg.before.out}
	afters := [7][]fr.Element{seg.after.stack, seg.after.locals, seg.after.globals, seg.after.frames, seg.memAfter, seg.after.in, seg.after.out}
	lastTS := seg.lastTS
	lastTS[4] = seg.memLastTS
	c.MemInit, c.MemRoot = t.memRoot, seg.before.memRoot
	for j := range c.MemBlocks {
		c.MemBlocks[j] = seg.memBlocks[j]
		for k := range c.MemPath[j] {
			c.MemPath[j][k] = seg.memPaths[j][k]
		}
	}
	c.InLen, c.NChIn, c.NChOut = len(tr.Input), chunksOf(len(tr.Input)), chunksOf(int(seg.after.outLen))
	for i := range c.PowMult {
		c.PowMult[i] = seg.powMult[i]
	}
	for i := range c.NibMult {
		c.NibMult[i] = seg.nibMult[i]
	}
	for i := range c.Bits {
		b := &c.Bits[i]
		var rw bitRowW
		if i < len(seg.bits) {
			rw = seg.bits[i]
		}
		b.Used, b.Op, b.W64, b.IsPop = b2u(i < len(seg.bits)), rw.op, b2u(rw.w64), b2u(rw.op == 4)
		for j := range bitNibbles {
			b.X[j], b.Y[j], b.R[j] = rw.x[j], rw.y[j], rw.r[j]
		}
	}
	for i := range c.MemOps {
		mo := &c.MemOps[i]
		var mr memRowW
		if i < len(seg.memOps) {
			mr = seg.memOps[i]
		} else {
			for j := range memPorts {
				mr.prevTS[j] = nbPorts + uint64(j) - 1 // T = 0: a zero difference
			}
		}
		for k := range 4 {
			used := i < len(seg.memOps) && mr.k == k
			mo.Load[k], mo.Store[k] = b2u(used && !mr.store), b2u(used && mr.store)
		}
		mo.T, mo.EA, mo.Value, mo.Rest = mr.t, mr.ea, mr.value, mr.rest
		for j := range memPorts {
			mo.B[j], mo.O[j], mo.PrevTS[j] = mr.b[j], mr.o[j], mr.prevTS[j]
		}
	}
	c.ElemRoot = t.elemTree.root()
	for j, b := range seg.elemBlocks {
		assignOpened(c.ElemBlocks, c.ElemPath, j, b, seg.elemPaths[j])
		for i := range ProgBlockEntries {
			var el TableEntry // zero past the table, as in the tree
			var m uint64
			if slot := b*ProgBlockEntries + uint64(i); slot < uint64(len(t.Elems)) {
				el, m = t.Elems[slot], seg.elemMult[slot]
			}
			c.Elems[j*ProgBlockEntries+i] = ElemEntry{Prologue: el.Prologue, Params: el.Params, Locals: el.Locals, Type: el.Type, Mult: m}
		}
	}
	c.NElems = len(t.Elems)
	c.MemPages, c.MaxPages = t.Pages, t.MaxPages
	for j, r := range regs {
		for i := range r.Before {
			r.Before[i], r.After[i], r.LastTS[i] = befores[j][i], afters[j][i], lastTS[j][i]
		}
	}
	pad := rowW{class: ClassPad, e: Entry{W64: true}, eFlag: 1, pc: seg.after.pc, sp: seg.after.sp, fp: seg.after.fp,
		base: seg.after.base, ltop: seg.after.ltop, depth: seg.after.depth, acc: seg.after.acc, ea: seg.after.ea,
		src: seg.after.src, outLen: seg.after.outLen, pages: seg.after.memPages}
	for r := range c.Rows {
		row := &c.Rows[r]
		w := pad
		if r < len(seg.rows) {
			w = seg.rows[r]
		}
		for k := range row.S {
			row.S[k] = b2u(Class(k) == w.class)
		}
		row.W64, row.Swap, row.Neg, row.Signed, row.Arity = b2u(w.e.W64), b2u(w.e.Swap), b2u(w.e.Neg), b2u(w.e.Signed), w.e.Arity
		row.Pseudo = b2u(w.e.Pseudo)
		row.PC, row.Imm, row.Target, row.Height = w.pc, w.e.Imm, w.e.Target, w.e.Height
		row.SP, row.FP, row.Base, row.LTop, row.Depth = w.sp, w.fp, w.base, w.ltop, w.depth
		row.Acc, row.EA, row.Src, row.OutLen, row.Pages = w.acc, w.ea, w.src, w.outLen, w.pages
		row.K, row.P = w.k, w.p
		row.X1, row.X2, row.X3 = w.x[0], w.x[1], w.x[2]
		row.R, row.V, row.O = w.r, w.v, w.o
		row.Cy, row.E, row.Inv, row.D1 = w.cy, w.eFlag, w.inv, w.d1
		row.Sg1, row.Sg2, row.L1, row.L2 = w.sg1, w.sg2, w.l1, w.l2
		for k := range row.PrevTS {
			row.PrevTS[k] = w.prevTS[k]
		}
	}
	return c
}

func bitsLen(v uint64) int {
	n := 0
	for v != 0 {
		n++
		v >>= 1
	}
	return n
}

// Rows returns the number of circuit rows the run takes cut for the shape
// (steps plus pseudo-rows) and its number of segments: the prover's cost
// estimate is rows times the per-row cost plus segments times the fixed
// cost of the shape.
func (t *ModuleTable) Rows(s Shape, tr *trace.Trace) (rows, segments int, err error) {
	x, err := t.prepare(tr, s)
	if err != nil {
		return 0, 0, err
	}
	for _, sg := range x.segments {
		rows += len(sg.rows)
	}
	return rows, len(x.segments), nil
}
