package circuits

import (
	"errors"
	"fmt"
	"math/big"

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
	v  uint64
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

// segment is one segment converted to the circuit's terms, before it is
// turned into gnark assignments.
type segment struct {
	rows          []rowW
	fp            uint64
	base          uint64
	ltop          uint64
	first         bool
	stackB        []uint64
	localsB       []uint64
	globB         []uint64
	stackA        []cell
	before, after fr.Element
	steps         uint64
	padPC, padSP  uint64
	mem           mem // cells after the segment, for the final side of the memory check
}

type rowW struct {
	class               Class
	e                   Entry
	pc, sp              uint64
	x                   [3]uint64 // top first
	r, v, o             uint64
	cy, eFlag, sg1, sg2 uint64
	inv                 fr.Element
	d1, l1, l2          uint64
	prevTS              [nbPorts]uint64
}

func stateDigest(pc, sp, fp, base, ltop uint64, stack, locals, globals []uint64) fr.Element {
	u := claim.U64
	return claim.Hash(u(claim.TagState), u(pc), u(sp), u(fp), u(base), u(ltop), u(1),
		claim.ValuesDigest(stack), claim.ValuesDigest(locals), claim.ValuesDigest(globals))
}

func (t *ModuleTable) convert(tr *trace.Trace, k int, module fr.Element) (*segment, error) {
	sg := &tr.Segments[k]
	bs := sg.Before
	if len(bs.Frames) != 1 {
		return nil, fmt.Errorf("%w: segment %d starts at call depth %d; the circuits prove single-frame runs only", ErrShape, k, len(bs.Frames))
	}
	s := &segment{
		fp: uint64(bs.Frames[0].FP), base: uint64(bs.Frames[0].StackBase), ltop: uint64(len(bs.Locals)),
		first:  k == 0,
		stackB: bs.Stack, localsB: bs.Locals, globB: bs.Globals,
		steps: uint64(len(sg.Rows)),
	}
	if len(tr.Input) > 0 {
		return nil, fmt.Errorf("%w: input bytes are not supported by the circuits yet", ErrShape)
	}
	m := mem{}
	for i, v := range bs.Stack {
		m.get(key(keyStack, uint64(i))).v = v
	}
	for i, v := range bs.Locals {
		m.get(key(keyLocal, uint64(i))).v = v
	}
	for i, v := range bs.Globals {
		m.get(key(keyGlobal, uint64(i))).v = v
	}
	halted := false
	for r, tr := range sg.Rows {
		if int(tr.PC) >= len(t.Entries) {
			return nil, fmt.Errorf("%w: pc %d outside the program", ErrTrace, tr.PC)
		}
		e := t.Entries[tr.PC]
		if e.Class == ClassUnsupported {
			return nil, t.unsupportedAt(tr.PC)
		}
		w := rowW{class: e.Class, e: e, pc: uint64(tr.PC), sp: uint64(tr.SP)}
		sp := uint64(tr.SP)
		ts := func(p int) uint64 { return uint64(tsStride*(r+1) + p) }
		read := func(p int, k uint64) uint64 {
			c := m.get(k)
			w.prevTS[p] = c.ts
			c.ts = ts(p)
			return c.v
		}
		write := func(p int, k uint64, v uint64) uint64 {
			c := m.get(k)
			old := c.v
			w.prevTS[p] = c.ts
			c.v, c.ts = v, ts(p)
			return old
		}
		pops := 0
		switch e.Class {
		case ClassAdd, ClassSub, ClassMul, ClassEq, ClassCmp:
			pops = 2
		case ClassEqz, ClassWrap, ClassExtendU, ClassExtendS, ClassLocalSet, ClassLocalTee, ClassGlobalSet, ClassIf:
			pops = 1
		case ClassSelect:
			pops = 3
		case ClassBrIf:
			pops = 1
		case ClassBr, ClassReturn:
			pops = int(e.Arity)
		}
		if uint64(pops) > sp {
			return nil, fmt.Errorf("%w: row %d pops %d values from a stack of %d", ErrTrace, r, pops, sp)
		}
		for p := 0; p < pops; p++ {
			w.x[p] = read(p, key(keyStack, sp-1-uint64(p)))
		}
		// Conditional moves of br_if.
		taken := false
		if e.Class == ClassBrIf {
			taken = w.x[0] != 0
			if taken && e.Arity == 1 {
				w.x[1] = read(portPop2, key(keyStack, sp-2))
			}
		}
		// Local / global port.
		varKey := func() uint64 {
			if e.Class == ClassGlobalGet || e.Class == ClassGlobalSet {
				return key(keyGlobal, e.Imm)
			}
			return key(keyLocal, s.fp+e.Imm)
		}
		switch e.Class {
		case ClassLocalGet, ClassGlobalGet:
			w.v = read(portVar, varKey())
		case ClassLocalSet, ClassLocalTee, ClassGlobalSet:
			w.v = write(portVar, varKey(), w.x[0])
		}
		// Semantics.
		mask := ^uint64(0)
		width := uint(64)
		if !e.W64 {
			mask, width = 1<<32-1, 32
		}
		a, b := w.x[1], w.x[0]
		push := true
		spAfter := sp
		nextPC := uint64(tr.PC) + 1
		switch e.Class {
		case ClassNop:
			push = false
		case ClassConst:
			w.r, spAfter = e.Imm, sp+1
		case ClassLocalGet, ClassGlobalGet:
			w.r, spAfter = w.v, sp+1
		case ClassLocalSet, ClassGlobalSet:
			push, spAfter = false, sp-1
		case ClassLocalTee:
			w.r = w.x[0]
		case ClassDrop:
			push, spAfter = false, sp-1
		case ClassSelect:
			w.eFlag = b2u(w.x[0] == 0)
			w.inv = inverse(w.x[0])
			if w.x[0] != 0 {
				w.r = w.x[2]
			} else {
				w.r = w.x[1]
			}
			spAfter = sp - 2
		case ClassAdd:
			sum := new(big.Int).Add(new(big.Int).SetUint64(a), new(big.Int).SetUint64(b))
			w.r = (a + b) & mask
			w.cy = b2u(sum.Rsh(sum, width).Sign() != 0)
			spAfter = sp - 1
		case ClassSub:
			w.r = (a - b) & mask
			w.cy = b2u(a < b)
			spAfter = sp - 1
		case ClassMul:
			p := new(big.Int).Mul(new(big.Int).SetUint64(a), new(big.Int).SetUint64(b))
			w.r = new(big.Int).And(p, new(big.Int).SetUint64(mask)).Uint64()
			w.d1 = new(big.Int).Rsh(p, width).Uint64()
			spAfter = sp - 1
		case ClassEqz, ClassEq:
			z := w.x[0]
			if e.Class == ClassEq {
				z = w.x[0] - w.x[1]
				w.inv = inverseDiff(w.x[0], w.x[1])
			} else {
				w.inv = inverse(z)
			}
			w.eFlag = b2u(z == 0)
			w.r = w.eFlag ^ b2u(e.Neg)
			if e.Class == ClassEq {
				spAfter = sp - 1
			}
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
			lt := x < y
			w.d1 = (x - y) & mask
			w.r = b2u(lt) ^ b2u(e.Neg)
			spAfter = sp - 1
		case ClassWrap:
			w.r, w.d1 = w.x[0]&(1<<32-1), w.x[0]>>32
		case ClassExtendU:
			w.r = w.x[0]
		case ClassExtendS:
			w.sg1, w.l1 = w.x[0]>>31&1, w.x[0]&(1<<31-1)
			w.r = uint64(int64(int32(uint32(w.x[0]))))
		case ClassBr:
			nextPC = uint64(e.Target)
			spAfter = s.base + uint64(e.Height) + uint64(e.Arity)
			w.r, push = w.x[0], e.Arity == 1
		case ClassBrIf:
			w.eFlag, w.inv = b2u(!taken), inverse(w.x[0])
			spAfter = sp - 1
			push = false
			if taken {
				nextPC = uint64(e.Target)
				spAfter = s.base + uint64(e.Height) + uint64(e.Arity)
				w.r, push = w.x[1], e.Arity == 1
			}
		case ClassIf:
			w.eFlag, w.inv = b2u(w.x[0] == 0), inverse(w.x[0])
			spAfter, push = sp-1, false
			if w.x[0] == 0 {
				nextPC = uint64(e.Target)
			}
		case ClassElse:
			nextPC, push = uint64(e.Target), false
		case ClassReturn:
			nextPC = HaltPC
			spAfter = s.base + uint64(e.Arity)
			w.r, push = w.x[0], e.Arity == 1
			halted = true
		case ClassUnreachable:
			nextPC, push = HaltPC, false
			halted = true
		default:
			return nil, fmt.Errorf("%w: class %s", ErrTrace, e.Class)
		}
		if push {
			w.o = write(portPush, key(keyStack, spAfter-1), w.r)
		}
		// The circuit's reading must agree with the tracer's.
		if spAfter != uint64(tr.SPAfter) || uint32(nextPC) != tr.NextPC {
			return nil, fmt.Errorf("%w: row %d (pc %d, %s): circuit computes sp %d next pc %d, tracer recorded sp %d next pc %d",
				ErrTrace, r, tr.PC, e.Class, spAfter, nextPC, tr.SPAfter, tr.NextPC)
		}
		if push && e.Class != ClassBr && e.Class != ClassBrIf && e.Class != ClassReturn && w.r != tr.R {
			return nil, fmt.Errorf("%w: row %d (pc %d, %s): circuit computes %d, tracer recorded %d", ErrTrace, r, tr.PC, e.Class, w.r, tr.R)
		}
		s.rows = append(s.rows, w)
		s.padPC, s.padSP = nextPC, spAfter
	}
	as := sg.After
	s.mem = m
	s.stackA = collect(m, keyStack, len(as.Stack))
	for i, v := range as.Stack {
		if s.stackA[i].v != v {
			return nil, fmt.Errorf("%w: stack slot %d after segment %d: circuit %d, tracer %d", ErrTrace, i, k, s.stackA[i].v, v)
		}
	}
	if s.first {
		s.before = claim.InitialState(module, tr.Func, claim.InputDigest(tr.Args, tr.Input))
	} else {
		s.before = stateDigest(uint64(bs.PC), uint64(len(bs.Stack)), s.fp, s.base, s.ltop, bs.Stack, bs.Locals, bs.Globals)
	}
	if halted {
		var results []uint64
		if tr.Status == trace.Returned {
			results = tr.Results
		}
		s.after = claim.FinalState(claim.Status(tr.Status), claim.TrapKind(tr.Trap), claim.OutputDigest(results, tr.Output))
	} else {
		if len(as.Frames) != 1 {
			return nil, fmt.Errorf("%w: segment %d ends at call depth %d", ErrShape, k, len(as.Frames))
		}
		s.after = stateDigest(uint64(as.PC), uint64(len(as.Stack)), s.fp, s.base, uint64(len(as.Locals)), as.Stack, as.Locals, as.Globals)
	}
	return s, nil
}

func (t *ModuleTable) unsupportedAt(pc uint32) error {
	for _, u := range t.Unsupported {
		if u.PC == pc {
			return u
		}
	}
	return fmt.Errorf("%w: pc %d unsupported", ErrTrace, pc)
}

func collect(m mem, space uint64, n int) []cell {
	out := make([]cell, n)
	for i := range out {
		if c, ok := m[key(space, uint64(i))]; ok {
			out[i] = *c
		}
	}
	return out
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

// Fits reports whether the trace's segments fit the shape (capacities of
// rows, program, functions, stack, locals and globals).
func (s Shape) Fits(t *ModuleTable, tr *trace.Trace) error {
	switch {
	case len(t.Entries) > s.Prog:
		return fmt.Errorf("%w %s: %d instructions > %d", ErrShape, s.ID(), len(t.Entries), s.Prog)
	case len(t.Funcs) > s.Funcs:
		return fmt.Errorf("%w %s: %d functions > %d", ErrShape, s.ID(), len(t.Funcs), s.Funcs)
	case len(t.Globals) > s.Globals:
		return fmt.Errorf("%w %s: %d globals > %d", ErrShape, s.ID(), len(t.Globals), s.Globals)
	}
	for k := range tr.Segments {
		sg := &tr.Segments[k]
		if len(sg.Rows) > s.Rows {
			return fmt.Errorf("%w %s: segment %d has %d steps > %d", ErrShape, s.ID(), k, len(sg.Rows), s.Rows)
		}
		maxSP := uint32(len(sg.Before.Stack))
		for _, r := range sg.Rows {
			maxSP = max(maxSP, r.SP, r.SPAfter)
		}
		if int(maxSP) > s.Stack {
			return fmt.Errorf("%w %s: segment %d uses %d stack slots > %d", ErrShape, s.ID(), k, maxSP, s.Stack)
		}
		if len(sg.Before.Locals) > s.Locals || len(sg.After.Locals) > s.Locals {
			return fmt.Errorf("%w %s: segment %d uses more than %d locals", ErrShape, s.ID(), k, s.Locals)
		}
	}
	return nil
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

// Claims returns the claims of every segment of the trace, without
// building any circuit.
func (t *ModuleTable) Claims(tr *trace.Trace) ([]claim.Claim, error) {
	module := t.Commitment()
	out := make([]claim.Claim, len(tr.Segments))
	for k := range tr.Segments {
		s, err := t.convert(tr, k, module)
		if err != nil {
			return nil, err
		}
		out[k] = claim.Claim{Module: module, Before: s.before, After: s.after, Steps: s.steps}
	}
	return out, nil
}

// Statement is the statement a trace proves, with its trace root.
func (t *ModuleTable) Statement(tr *trace.Trace) (claim.Statement, []claim.Claim, error) {
	claims, err := t.Claims(tr)
	if err != nil {
		return claim.Statement{}, nil, err
	}
	var results []uint64
	if tr.Status == trace.Returned {
		results = tr.Results
	}
	st := claim.Statement{
		Module:   t.Commitment(),
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

// Assign builds the full witness of segment k of the trace for the shape,
// and the claim it proves.
func (s Shape) Assign(t *ModuleTable, tr *trace.Trace, k int) (frontend.Circuit, claim.Claim, error) {
	if k < 0 || k >= len(tr.Segments) {
		return nil, claim.Claim{}, fmt.Errorf("circuits: segment %d of %d", k, len(tr.Segments))
	}
	if err := s.Fits(t, tr); err != nil {
		return nil, claim.Claim{}, err
	}
	module := t.Commitment()
	seg, err := t.convert(tr, k, module)
	if err != nil {
		return nil, claim.Claim{}, err
	}
	c := s.assign(t, tr, seg, module)
	return c, claim.Claim{Module: module, Before: seg.before, After: seg.after, Steps: seg.steps}, nil
}

func (s Shape) assign(t *ModuleTable, tr *trace.Trace, seg *segment, module fr.Element) *Circuit {
	c := s.alloc()
	c.Module, c.Before, c.After, c.Steps = module, seg.before, seg.after, seg.steps
	mult := make([]uint64, s.Prog)
	for _, r := range seg.rows {
		mult[r.pc]++
	}
	for i := range c.Prog {
		var e Entry
		if i < len(t.Entries) {
			e = t.Entries[i]
		}
		c.Prog[i] = ProgEntry{Flags: e.Flags(), Imm: e.Imm, Target: e.Target, Height: e.Height, Mult: mult[i]}
	}
	for i := range c.Funcs {
		var f trace.FuncInfo
		if i < len(t.Funcs) {
			f = t.Funcs[i]
		}
		c.Funcs[i] = FuncEntry{Entry: f.Entry, Params: f.Params, Locals: f.Locals}
		c.FuncSel[i] = b2u(uint32(i) == tr.Func)
	}
	for i := range c.GInit {
		var v uint64
		if i < len(t.Globals) {
			v = t.Globals[i]
		}
		c.GInit[i] = v
	}
	c.NProg, c.NFuncs, c.NG = len(t.Entries), len(t.Funcs), len(t.Globals)
	c.IsFirst = b2u(seg.first)
	c.Function = tr.Func
	c.InDigest = claim.InputDigest(tr.Args, tr.Input)
	c.FP, c.Base, c.LTop = seg.fp, seg.base, seg.ltop
	// Cells past the committed prefixes still take part in the memory
	// check: they start at zero and end with what the simulation left.
	fill := func(r *Region, before []uint64, space uint64) {
		after := collect(seg.mem, space, len(r.After))
		for i := range r.Before {
			r.Before[i] = uint64(0)
			if i < len(before) {
				r.Before[i] = before[i]
			}
			r.After[i], r.LastTS[i] = after[i].v, after[i].ts
		}
	}
	fill(&c.Stack, seg.stackB, keyStack)
	fill(&c.Locals, seg.localsB, keyLocal)
	fill(&c.Globals, seg.globB, keyGlobal)
	for r := range c.Rows {
		row := &c.Rows[r]
		var w rowW
		if r < len(seg.rows) {
			w = seg.rows[r]
		} else {
			// Padding: keeps the state after the last step.
			w = rowW{class: ClassPad, e: Entry{W64: true}, pc: seg.padPC, sp: seg.padSP}
		}
		for k := range row.S {
			row.S[k] = b2u(Class(k) == w.class)
		}
		row.W64, row.Swap, row.Neg, row.Signed, row.Arity = b2u(w.e.W64), b2u(w.e.Swap), b2u(w.e.Neg), b2u(w.e.Signed), w.e.Arity
		row.PC, row.Imm, row.Target, row.Height = w.pc, w.e.Imm, w.e.Target, w.e.Height
		row.SP = w.sp
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
