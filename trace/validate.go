package trace

import "fmt"

// validator type-checks function bodies (the algorithm of the
// specification's appendix) and, in the same pass, emits the program table
// with resolved branch targets and static stack heights.
type validator struct {
	d     *decoder
	m     *Module
	prog  *Program
	fn    int
	ft    FuncType
	local []ValType
	vals  []ValType
	ctrls []ctrl
	maxH  int
	// patches of forward branches: code index, or brTableBit|BrTable index
	patches     []uint32
	patchOwners []int // index in ctrls of the block each patch belongs to
}

const brTableBit = 1 << 31

type ctrl struct {
	op          byte // 0x02 block, 0x03 loop, 0x04 if, 0x05 else, 0 function
	params      []ValType
	results     []ValType
	height      int
	unreachable bool
	start       uint32 // pc of the block's first instruction (loop target)
	ifPC        int    // pc of the if, to patch its false target; -1
	patchFrom   int    // first entry of validator.patches belonging to this block
}

func (c *ctrl) labelTypes() []ValType {
	if c.op == 0x03 {
		return c.params
	}
	return c.results
}

func newValidator(d *decoder) *validator {
	return &validator{d: d, m: d.m, prog: d.m.Program}
}

func (v *validator) globalType(i uint32) (Global, bool) {
	ni := uint32(len(v.d.importedGlobals))
	if i < ni {
		return v.d.importedGlobals[i], true
	}
	if i-ni < uint32(len(v.m.Globals)) {
		return v.m.Globals[i-ni], true
	}
	return Global{}, false
}

func (v *validator) invalid(at int, format string, args ...any) {
	v.d.r.fail(ErrInvalid, at, fmt.Sprintf(format, args...))
}

func (v *validator) unprovable(at int, what string) {
	f := &v.m.Funcs[v.fn]
	f.unproven = append(f.unproven, Violation{Func: v.fn, Offset: at, What: what})
}

func (v *validator) push(t ValType) {
	v.vals = append(v.vals, t)
	if len(v.vals) > v.maxH {
		v.maxH = len(v.vals)
	}
}

func (v *validator) pop(at int) ValType {
	c := &v.ctrls[len(v.ctrls)-1]
	if len(v.vals) == c.height {
		if c.unreachable {
			return unknown
		}
		v.invalid(at, "type mismatch: stack underflow")
		return unknown
	}
	t := v.vals[len(v.vals)-1]
	v.vals = v.vals[:len(v.vals)-1]
	return t
}

func (v *validator) popWant(at int, want ValType) ValType {
	t := v.pop(at)
	if t != want && t != unknown && want != unknown {
		v.invalid(at, "type mismatch: expected %v, got %v", want, t)
	}
	return t
}

func (v *validator) popTypes(at int, ts []ValType) {
	for i := len(ts) - 1; i >= 0; i-- {
		v.popWant(at, ts[i])
	}
}

func (v *validator) pushTypes(ts []ValType) {
	for _, t := range ts {
		v.push(t)
	}
}

func (v *validator) setUnreachable() {
	c := &v.ctrls[len(v.ctrls)-1]
	v.vals = v.vals[:c.height]
	c.unreachable = true
}

func (v *validator) emit(op Op, at int, imm uint64) int {
	v.prog.Code = append(v.prog.Code, Instr{Op: op, Func: uint32(v.fn), Offset: uint32(at), Imm: imm})
	return len(v.prog.Code) - 1
}

func (v *validator) pc() uint32 { return uint32(len(v.prog.Code)) }

// blockType reads a block type: empty, one value type, or a type index.
func (v *validator) blockType() (params, results []ValType, raw uint64) {
	r := &v.d.r
	at := r.pos
	x := r.sleb(33)
	if !r.ok() {
		return
	}
	if x < 0 {
		raw = uint64(x & 0x7F)
		b := byte(x & 0x7F)
		switch ValType(b) {
		case 0x40:
			return nil, nil, raw
		case I32, I64, F32, F64, V128, FuncRef, ExternRef:
			return nil, []ValType{ValType(b)}, raw
		}
		r.fail(ErrMalformed, at, fmt.Sprintf("malformed block type %#x", b))
		return
	}
	if x >= int64(len(v.m.Types)) {
		v.invalid(at, "unknown type %d", x)
		return
	}
	ft := v.m.Types[x]
	return ft.Params, ft.Results, BlockTypeIndex + uint64(x)
}

func (v *validator) label(at int, depth uint32) *ctrl {
	if int(depth) >= len(v.ctrls) {
		v.invalid(at, "unknown label %d", depth)
		return nil
	}
	return &v.ctrls[len(v.ctrls)-1-int(depth)]
}

// ctrlIndex is the position of l in v.ctrls.
func (v *validator) ctrlIndex(l *ctrl) int {
	for i := range v.ctrls {
		if &v.ctrls[i] == l {
			return i
		}
	}
	return -1
}

// branchTo fills the target of a branch to label l, or queues a patch.
func (v *validator) branchTo(l *ctrl, idx uint32) (target, arity, height uint32) {
	arity = uint32(len(l.labelTypes()))
	height = uint32(l.height)
	if l.op == 0x03 {
		return l.start, arity, height
	}
	v.patches = append(v.patches, idx)
	v.patchOwners = append(v.patchOwners, v.ctrlIndex(l))
	return 0, arity, height
}

func (v *validator) memarg(at int, natural uint32) (offset uint64, align uint32) {
	r := &v.d.r
	align = r.u32()
	off := r.u32()
	if !r.ok() {
		return
	}
	if v.m.Memory == nil {
		v.invalid(at, "unknown memory 0")
		return
	}
	if align > natural {
		v.invalid(at, "alignment must not be larger than natural")
	}
	return uint64(off), align
}

// naturalAlign is log2 of the access width of load/store opcodes 0x28..0x3E.
var naturalAlign = [...]uint32{2, 3, 2, 3, 0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 2, 3, 2, 3, 0, 1, 0, 1, 2}

// memTypes gives the value type of load/store opcodes 0x28..0x3E.
var memTypes = [...]ValType{I32, I64, F32, F64, I32, I32, I32, I32, I64, I64, I64, I64, I64, I64, I32, I64, F32, F64, I32, I32, I64, I64, I64}

func isFloat(t ValType) bool { return t == F32 || t == F64 }

func (v *validator) function(fi int) {
	r := &v.d.r
	m := v.m
	v.fn = fi
	f := &m.Funcs[fi]
	v.ft = m.Types[f.Type]
	v.local = append(append(v.local[:0], v.ft.Params...), f.Locals...)
	for i, t := range v.local {
		if i >= len(v.ft.Params) && !t.integer() {
			v.unprovable(f.BodyAt, fmt.Sprintf("local %d has type %v", i, t))
		}
	}
	for _, t := range v.ft.Results {
		if !t.integer() {
			v.unprovable(f.BodyAt, fmt.Sprintf("result has type %v", t))
		}
	}
	v.vals = v.vals[:0]
	v.ctrls = v.ctrls[:0]
	v.patches = v.patches[:0]
	v.patchOwners = v.patchOwners[:0]
	v.maxH = 0
	pf := &v.prog.Funcs[fi]
	pf.Entry = v.pc()
	v.ctrls = append(v.ctrls, ctrl{op: 0, results: v.ft.Results, ifPC: -1, start: v.pc()})
	for r.ok() {
		if len(v.ctrls) == 0 {
			break
		}
		at := r.pos
		if r.pos >= r.end {
			r.fail(ErrMalformed, at, "unexpected end of function body (END opcode expected)")
			return
		}
		b := r.byte()
		if !v.instr(b, at) {
			// An instruction of a proposal we do not decode: the function
			// is unprovable and the rest of its body is not examined.
			v.unprovable(at, fmt.Sprintf("%s (unsupported proposal; rest of the function not decoded)", v.proposalName(b)))
			v.emit(Op(b), at, 0)
			r.pos = r.end
			v.ctrls = v.ctrls[:0]
			break
		}
	}
	if !r.ok() {
		return
	}
	pf.End = v.pc()
	pf.MaxHeight = uint32(v.maxH)
}

func (v *validator) proposalName(b byte) string {
	r := &v.d.r
	switch b {
	case 0xFC:
		return "0xFC-prefixed bulk-memory / reference-types instruction"
	case 0xFD:
		return "SIMD instruction"
	case 0xFE:
		return "threads (atomic) instruction"
	case 0x1C:
		return "typed select (reference types)"
	case 0x25, 0x26:
		return "table.get/table.set (reference types)"
	case 0xD0, 0xD1, 0xD2:
		return "reference instruction (reference types)"
	case 0x06, 0x07, 0x08, 0x09, 0x18, 0x19:
		return "exception handling instruction"
	case 0x12, 0x13:
		return "tail call"
	}
	_ = r
	return fmt.Sprintf("opcode %#x", b)
}

// instr validates and emits one instruction. It returns false for an
// instruction of an unsupported proposal.
func (v *validator) instr(b byte, at int) bool {
	r := &v.d.r
	m := v.m
	op := Op(b)
	switch {
	case b >= 0x45 && b <= 0xC4:
		s := numSigs[b]
		if s.In2 != 0 {
			v.popWant(at, s.In2)
		}
		v.popWant(at, s.In1)
		v.push(s.Out)
		if isFloat(s.In1) || isFloat(s.In2) || isFloat(s.Out) {
			v.unprovable(at, op.String()+" (floating point)")
		}
		v.emit(op, at, 0)
		return true
	case b >= 0x28 && b <= 0x3E:
		k := b - 0x28
		off, align := v.memarg(at, naturalAlign[k])
		t := memTypes[k]
		if b <= 0x35 {
			v.popWant(at, I32)
			v.push(t)
		} else {
			v.popWant(at, t)
			v.popWant(at, I32)
		}
		if isFloat(t) {
			v.unprovable(at, op.String()+" (floating point)")
		}
		i := v.emit(op, at, off)
		v.prog.Code[i].Target = align
		return true
	}
	switch b {
	case 0x00: // unreachable
		v.emit(op, at, 0)
		v.setUnreachable()
	case 0x01: // nop
		v.emit(op, at, 0)
	case 0x02, 0x03, 0x04: // block, loop, if
		params, results, raw := v.blockType()
		if !r.ok() {
			return true
		}
		if b == 0x04 {
			v.popWant(at, I32)
		}
		v.popTypes(at, params)
		for _, t := range append(params[:len(params):len(params)], results...) {
			if !t.integer() {
				v.unprovable(at, fmt.Sprintf("block type uses %v", t))
			}
		}
		i := v.emit(op, at, raw)
		c := ctrl{op: b, params: params, results: results, height: len(v.vals), start: uint32(i) + 1, ifPC: -1, patchFrom: len(v.patches)}
		if b == 0x04 {
			c.ifPC = i
		}
		v.ctrls = append(v.ctrls, c)
		v.pushTypes(params)
	case 0x05: // else
		c := &v.ctrls[len(v.ctrls)-1]
		if c.op != 0x04 {
			v.invalid(at, "else without if")
			return true
		}
		v.popTypes(at, c.results)
		if len(v.vals) != c.height {
			v.invalid(at, "type mismatch: values remain at the end of the then branch")
		}
		i := v.emit(op, at, 0)
		// else jumps to the end: patch it like a branch to this block.
		v.patches = append(v.patches, uint32(i))
		v.patchOwners = append(v.patchOwners, len(v.ctrls)-1)
		v.prog.Code[c.ifPC].Target = uint32(i) + 1
		c.ifPC = -1
		c.op = 0x05
		c.unreachable = false
		v.vals = v.vals[:c.height]
		v.pushTypes(c.params)
	case 0x0B: // end
		c := v.ctrls[len(v.ctrls)-1]
		v.popTypes(at, c.results)
		if len(v.vals) != c.height {
			v.invalid(at, "type mismatch: values remain at the end of the block")
		}
		if c.op == 0x04 && !sameTypes(c.params, c.results) {
			v.invalid(at, "type mismatch: if without else must leave its parameters unchanged")
		}
		i := v.emit(op, at, 0)
		end := uint32(i) + 1
		if c.op == 0 {
			// A branch to the function's label returns: it goes to this
			// final end, which performs the return.
			v.prog.Code[i].Arity = uint32(len(c.results))
			v.prog.Code[i].Imm = 1
			end = uint32(i)
		}
		if c.ifPC >= 0 {
			v.prog.Code[c.ifPC].Target = end
		}
		if c.op == 0x02 {
			v.prog.Code[c.start-1].Target = end // the block itself: where it ends
		} else if c.op == 0x03 {
			v.prog.Code[c.start-1].Target = c.start
		}
		// Resolve the forward branches to this block.
		owner := len(v.ctrls) - 1
		keep := v.patches[:c.patchFrom]
		keepO := v.patchOwners[:c.patchFrom]
		for j := c.patchFrom; j < len(v.patches); j++ {
			p := v.patches[j]
			if v.patchOwners[j] != owner {
				keep = append(keep, p)
				keepO = append(keepO, v.patchOwners[j])
				continue
			}
			if p&brTableBit != 0 {
				v.prog.BrTable[p&^brTableBit].Target = end
			} else {
				v.prog.Code[p].Target = end
			}
		}
		v.patches, v.patchOwners = keep, keepO
		v.ctrls = v.ctrls[:len(v.ctrls)-1]
		v.pushTypes(c.results)
	case 0x0C, 0x0D: // br, br_if
		d := r.u32()
		if !r.ok() {
			return true
		}
		if b == 0x0D {
			v.popWant(at, I32)
		}
		l := v.label(at, d)
		if l == nil {
			return true
		}
		i := v.emit(op, at, uint64(d))
		t, a, h := v.branchTo(l, uint32(i))
		in := &v.prog.Code[i]
		in.Target, in.Arity, in.Height = t, a, h
		lt := l.labelTypes()
		v.popTypes(at, lt)
		if b == 0x0C {
			v.setUnreachable()
		} else {
			v.pushTypes(lt)
		}
	case 0x0E: // br_table
		n := r.count(1)
		if !r.ok() {
			return true
		}
		i := v.emit(op, at, uint64(n))
		v.prog.Code[i].Table = uint32(len(v.prog.BrTable))
		depths := make([]uint32, n+1)
		for j := range depths {
			depths[j] = r.u32()
		}
		v.popWant(at, I32)
		if !r.ok() {
			return true
		}
		def := v.label(at, depths[n])
		if def == nil {
			return true
		}
		arity := len(def.labelTypes())
		for _, d := range depths {
			l := v.label(at, d)
			if l == nil {
				return true
			}
			lt := l.labelTypes()
			if len(lt) != arity || !sameTypes(lt, def.labelTypes()) {
				v.invalid(at, "type mismatch: br_table labels have different types")
				return true
			}
			// Check the operands against this label without consuming them.
			for k := 0; k < arity; k++ {
				c := &v.ctrls[len(v.ctrls)-1]
				pos := len(v.vals) - arity + k
				if pos < c.height {
					if !c.unreachable {
						v.invalid(at, "type mismatch: stack underflow")
						return true
					}
					continue
				}
				if v.vals[pos] != unknown && v.vals[pos] != lt[k] {
					v.invalid(at, "type mismatch in br_table label")
					return true
				}
			}
			idx := uint32(len(v.prog.BrTable))
			v.prog.BrTable = append(v.prog.BrTable, BrEntry{})
			t, a, h := v.branchTo(l, brTableBit|idx)
			v.prog.BrTable[idx] = BrEntry{Target: t, Arity: a, Height: h}
		}
		v.popTypes(at, def.labelTypes())
		v.setUnreachable()
	case 0x0F: // return
		i := v.emit(op, at, 0)
		v.prog.Code[i].Arity = uint32(len(v.ft.Results))
		v.popTypes(at, v.ft.Results)
		v.setUnreachable()
	case 0x10: // call
		fat := r.pos
		f := r.u32()
		if !r.ok() {
			return true
		}
		if int(f) >= len(m.Funcs) {
			v.invalid(fat, "unknown function %d", f)
			return true
		}
		ft := m.Types[m.Funcs[f].Type]
		v.popTypes(at, ft.Params)
		v.pushTypes(ft.Results)
		i := v.emit(op, at, uint64(f))
		// Target (the callee's entry) is filled in by link once every
		// body has been emitted.
		_ = i
	case 0x11: // call_indirect
		tat := r.pos
		ti := r.u32()
		// The table index is a u32 LEB (reference types), so modern
		// compilers may encode 0 in several bytes (0x80 0x00); only table 0
		// exists.
		zat := r.pos
		z := r.u32()
		if !r.ok() {
			return true
		}
		if z != 0 {
			v.invalid(zat, "unknown table %d", z)
			return true
		}
		if m.Table == nil {
			v.invalid(at, "unknown table 0")
			return true
		}
		if int(ti) >= len(m.Types) {
			v.invalid(tat, "unknown type %d", ti)
			return true
		}
		v.popWant(at, I32)
		ft := m.Types[ti]
		v.popTypes(at, ft.Params)
		v.pushTypes(ft.Results)
		v.emit(op, at, uint64(ti))
	case 0x1A: // drop
		v.pop(at)
		v.emit(op, at, 0)
	case 0x1B: // select
		v.popWant(at, I32)
		t1 := v.pop(at)
		t2 := v.pop(at)
		if t1 != unknown && t2 != unknown && t1 != t2 {
			v.invalid(at, "type mismatch: select operands differ")
		}
		t := t1
		if t == unknown {
			t = t2
		}
		if t == V128 || t == FuncRef || t == ExternRef {
			v.invalid(at, "type mismatch: select needs numeric operands")
		}
		if isFloat(t) {
			v.unprovable(at, "select of "+t.String()+" (floating point)")
		}
		v.push(t)
		v.emit(op, at, 0)
	case 0x20, 0x21, 0x22: // local.get/set/tee
		lat := r.pos
		x := r.u32()
		if !r.ok() {
			return true
		}
		if int(x) >= len(v.local) {
			v.invalid(lat, "unknown local %d", x)
			return true
		}
		t := v.local[x]
		switch b {
		case 0x20:
			v.push(t)
		case 0x21:
			v.popWant(at, t)
		case 0x22:
			v.popWant(at, t)
			v.push(t)
		}
		v.emit(op, at, uint64(x))
	case 0x23, 0x24: // global.get/set
		gat := r.pos
		x := r.u32()
		if !r.ok() {
			return true
		}
		g, ok := v.globalType(x)
		if !ok {
			v.invalid(gat, "unknown global %d", x)
			return true
		}
		if b == 0x23 {
			v.push(g.Type)
		} else {
			if !g.Mutable {
				v.invalid(at, "global is immutable")
			}
			v.popWant(at, g.Type)
		}
		if !g.Type.integer() {
			v.unprovable(at, fmt.Sprintf("%v of a %v global", op, g.Type))
		}
		v.emit(op, at, uint64(x))
	case 0x3F, 0x40: // memory.size, memory.grow
		zat := r.pos
		if z := r.byte(); z != 0 && r.ok() {
			r.fail(ErrMalformed, zat, "zero byte expected")
			return true
		}
		if m.Memory == nil {
			v.invalid(at, "unknown memory 0")
			return true
		}
		if b == 0x40 {
			v.popWant(at, I32)
		}
		v.push(I32)
		v.emit(op, at, 0)
	case 0x41:
		x := r.sleb(32)
		v.push(I32)
		v.emit(op, at, uint64(uint32(int32(x))))
	case 0x42:
		x := r.sleb(64)
		v.push(I64)
		v.emit(op, at, uint64(x))
	case 0x43, 0x44:
		n := 4
		t := F32
		if b == 0x44 {
			n, t = 8, F64
		}
		bs := r.bytes(n)
		var x uint64
		for i := len(bs) - 1; i >= 0; i-- {
			x = x<<8 | uint64(bs[i])
		}
		v.push(t)
		v.unprovable(at, op.String()+" (floating point)")
		v.emit(op, at, x)
	case 0xFC:
		sat := r.pos
		sub := r.u32()
		if !r.ok() {
			return true
		}
		if sub == 10 || sub == 11 {
			v.bulkMemory(sub, at)
			return true
		}
		if sub > 7 {
			r.pos = sat
			return false
		}
		// Saturating float-to-int conversions.
		in := F32
		if sub&2 != 0 {
			in = F64
		}
		out := I32
		if sub >= 4 {
			out = I64
		}
		v.popWant(at, in)
		v.push(out)
		fop := PrefixFC | Op(sub)
		v.unprovable(at, fop.String()+" (floating point)")
		v.emit(fop, at, 0)
	default:
		switch b {
		case 0xFD, 0xFE, 0x1C, 0x25, 0x26, 0xD0, 0xD1, 0xD2, 0x06, 0x07, 0x08, 0x09, 0x18, 0x19, 0x12, 0x13:
			return false
		}
		r.fail(ErrMalformed, at, fmt.Sprintf("illegal opcode %#x", b))
	}
	return true
}

// bulkMemory validates and emits memory.copy (sub 10: memory indices dst,
// src) or memory.fill (sub 11: one memory index). Both take i32 operands
// (dst, src or val, n) and push nothing.
func (v *validator) bulkMemory(sub uint32, at int) {
	r := &v.d.r
	n := 1
	if sub == 10 {
		n = 2
	}
	for i := 0; i < n; i++ {
		mat := r.pos
		x := r.u32()
		if !r.ok() {
			return
		}
		if x != 0 {
			v.invalid(mat, "unknown memory %d", x)
			return
		}
	}
	if v.m.Memory == nil {
		v.invalid(at, "unknown memory 0")
		return
	}
	v.popWant(at, I32)
	v.popWant(at, I32)
	v.popWant(at, I32)
	v.emit(PrefixFC|Op(sub), at, 0)
}

func sameTypes(a, b []ValType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
