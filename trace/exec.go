package trace

import (
	"context"
	"encoding/binary"
	"math/bits"
	"slices"
)

// Access recorders. They are small enough to be inlined; TS is the
// segment's first timestamp plus the access's index in the segment.
func rd(acc []Access, tb uint64, s Space, addr uint32, v uint64) []Access {
	return append(acc, Access{TS: tb + uint64(len(acc)), Value: v, Addr: addr, Space: s, Width: 8})
}

func wr(acc []Access, tb uint64, s Space, addr uint32, v uint64) []Access {
	return append(acc, Access{TS: tb + uint64(len(acc)), Value: v, Addr: addr, Space: s, Width: 8, Write: true})
}

func memAcc(acc []Access, tb uint64, addr uint64, w uint8, v uint64, write bool) []Access {
	return append(acc, Access{TS: tb + uint64(len(acc)), Value: v, Addr: uint32(addr), Space: SpaceMemory, Width: w, Write: write})
}

// loadWidth is the access width in bytes of loads/stores 0x28..0x3E.
var loadWidth = [...]uint8{4, 8, 4, 8, 1, 1, 2, 2, 1, 1, 2, 2, 4, 4, 4, 8, 4, 8, 1, 2, 1, 2, 4}

func readLE(b []byte, w uint8) uint64 {
	switch w {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	}
	return binary.LittleEndian.Uint64(b)
}

func writeLE(b []byte, w uint8, v uint64) {
	switch w {
	case 1:
		b[0] = byte(v)
	case 2:
		binary.LittleEndian.PutUint16(b, uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(b, uint32(v))
	default:
		binary.LittleEndian.PutUint64(b, v)
	}
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// exec runs from pc until the entry function returns or a trap.
func (m *machine) exec(ctx context.Context, tr *Trace, pc uint32) error {
	code := m.prog.Code
	brTable := m.prog.BrTable
	funcs := m.prog.Funcs
	hostKinds := m.mod.hostKinds
	var sp, fp, base uint32
	depth := uint32(len(m.frames))
	m.beginSegment(m.state(0, 0, pc, 0))
	rows, acc, tb := m.seg.Rows, m.seg.Accesses, m.ts
	stack, locals, mem := m.stack, m.locals, m.mem
	segCap := m.cfg.segCap
	lim := 0
	computeLim := func() {
		lim = segCap
		if c := len(rows) + ctxCheckInterval; c < lim {
			lim = c
		}
		if left := m.cfg.maxSteps - m.step; left < uint64(lim) {
			lim = int(left)
		}
	}
	computeLim()
	// cut ends the segment before the instruction at pc and begins the next.
	cut := func() error {
		m.seg.Rows, m.seg.Accesses = rows, acc
		after := m.state(m.step+uint64(len(rows)), tb+uint64(len(acc)), pc, sp)
		if err := m.endSegment(after); err != nil {
			return err
		}
		m.step += uint64(len(rows))
		m.ts += uint64(len(acc))
		m.beginSegment(after)
		rows, acc, tb = m.seg.Rows, m.seg.Accesses, m.ts
		return nil
	}
	trap := TrapNone
	var trapPC uint32
	var r *Row

loop:
	for {
		if len(rows) >= lim {
			if m.step+uint64(len(rows)) >= m.cfg.maxSteps {
				return &LimitError{Limit: ErrStepLimit, Max: m.cfg.maxSteps, Got: m.cfg.maxSteps + 1}
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if len(rows) >= segCap {
				if err := cut(); err != nil {
					return err
				}
			}
			computeLim()
		}
		// A memory.copy or memory.fill whose byte accesses would take the
		// segment past its access bound starts a segment of its own
		// (ErrAccessLimit is for one that is too large alone).
		if op := code[pc].Op; (op == OpMemoryCopy || op == OpMemoryFill) && len(rows) > 0 &&
			uint64(len(acc))+3+bulkAccesses(op, stack[sp-1]) > uint64(m.cfg.maxAcc) {
			if err := cut(); err != nil {
				return err
			}
			computeLim()
		}
		in := &code[pc]
		rows = append(rows, Row{PC: pc, Op: in.Op, SP: sp, Depth: depth, FP: fp, Acc: uint32(len(acc)), Imm: in.Imm})
		r = &rows[len(rows)-1]

		switch op := in.Op; op {
		case 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78:
			// i32 binary and comparison operators.
			a, b := stack[sp-2], stack[sp-1]
			acc = rd(acc, tb, SpaceStack, sp-2, a)
			acc = rd(acc, tb, SpaceStack, sp-1, b)
			r.A, r.B = a, b // before a possible trap
			x, y := uint32(a), uint32(b)
			var v uint32
			switch op {
			case 0x46:
				v = uint32(b2u(x == y))
			case 0x47:
				v = uint32(b2u(x != y))
			case 0x48:
				v = uint32(b2u(int32(x) < int32(y)))
			case 0x49:
				v = uint32(b2u(x < y))
			case 0x4A:
				v = uint32(b2u(int32(x) > int32(y)))
			case 0x4B:
				v = uint32(b2u(x > y))
			case 0x4C:
				v = uint32(b2u(int32(x) <= int32(y)))
			case 0x4D:
				v = uint32(b2u(x <= y))
			case 0x4E:
				v = uint32(b2u(int32(x) >= int32(y)))
			case 0x4F:
				v = uint32(b2u(x >= y))
			case 0x6A:
				v = x + y
			case 0x6B:
				v = x - y
			case 0x6C:
				v = x * y
			case 0x6D:
				if y == 0 {
					trap = TrapIntegerDivideByZero
					break loop
				}
				if int32(x) == -1<<31 && int32(y) == -1 {
					trap = TrapIntegerOverflow
					break loop
				}
				v = uint32(int32(x) / int32(y))
			case 0x6E:
				if y == 0 {
					trap = TrapIntegerDivideByZero
					break loop
				}
				v = x / y
			case 0x6F:
				if y == 0 {
					trap = TrapIntegerDivideByZero
					break loop
				}
				if int32(y) == -1 {
					v = 0
				} else {
					v = uint32(int32(x) % int32(y))
				}
			case 0x70:
				if y == 0 {
					trap = TrapIntegerDivideByZero
					break loop
				}
				v = x % y
			case 0x71:
				v = x & y
			case 0x72:
				v = x | y
			case 0x73:
				v = x ^ y
			case 0x74:
				v = x << (y & 31)
			case 0x75:
				v = uint32(int32(x) >> (y & 31))
			case 0x76:
				v = x >> (y & 31)
			case 0x77:
				v = bits.RotateLeft32(x, int(y&31))
			case 0x78:
				v = bits.RotateLeft32(x, -int(y&31))
			}
			res := uint64(v)
			acc = wr(acc, tb, SpaceStack, sp-2, res)
			stack[sp-2] = res
			sp--
			r.R = res
			pc++
		case 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x7C, 0x7D, 0x7E, 0x7F, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A:
			// i64 binary and comparison operators.
			a, b := stack[sp-2], stack[sp-1]
			acc = rd(acc, tb, SpaceStack, sp-2, a)
			acc = rd(acc, tb, SpaceStack, sp-1, b)
			r.A, r.B = a, b // before a possible trap
			var v uint64
			switch op {
			case 0x51:
				v = b2u(a == b)
			case 0x52:
				v = b2u(a != b)
			case 0x53:
				v = b2u(int64(a) < int64(b))
			case 0x54:
				v = b2u(a < b)
			case 0x55:
				v = b2u(int64(a) > int64(b))
			case 0x56:
				v = b2u(a > b)
			case 0x57:
				v = b2u(int64(a) <= int64(b))
			case 0x58:
				v = b2u(a <= b)
			case 0x59:
				v = b2u(int64(a) >= int64(b))
			case 0x5A:
				v = b2u(a >= b)
			case 0x7C:
				v = a + b
			case 0x7D:
				v = a - b
			case 0x7E:
				v = a * b
			case 0x7F:
				if b == 0 {
					trap = TrapIntegerDivideByZero
					break loop
				}
				if int64(a) == -1<<63 && int64(b) == -1 {
					trap = TrapIntegerOverflow
					break loop
				}
				v = uint64(int64(a) / int64(b))
			case 0x80:
				if b == 0 {
					trap = TrapIntegerDivideByZero
					break loop
				}
				v = a / b
			case 0x81:
				if b == 0 {
					trap = TrapIntegerDivideByZero
					break loop
				}
				if int64(b) == -1 {
					v = 0
				} else {
					v = uint64(int64(a) % int64(b))
				}
			case 0x82:
				if b == 0 {
					trap = TrapIntegerDivideByZero
					break loop
				}
				v = a % b
			case 0x83:
				v = a & b
			case 0x84:
				v = a | b
			case 0x85:
				v = a ^ b
			case 0x86:
				v = a << (b & 63)
			case 0x87:
				v = uint64(int64(a) >> (b & 63))
			case 0x88:
				v = a >> (b & 63)
			case 0x89:
				v = bits.RotateLeft64(a, int(b&63))
			case 0x8A:
				v = bits.RotateLeft64(a, -int(b&63))
			}
			acc = wr(acc, tb, SpaceStack, sp-2, v)
			stack[sp-2] = v
			sp--
			r.R = v
			pc++
		case 0x45, 0x50, 0x67, 0x68, 0x69, 0x79, 0x7A, 0x7B, 0xA7, 0xAC, 0xAD, 0xC0, 0xC1, 0xC2, 0xC3, 0xC4:
			// Unary integer operators and conversions.
			a := stack[sp-1]
			acc = rd(acc, tb, SpaceStack, sp-1, a)
			var v uint64
			switch op {
			case 0x45:
				v = b2u(uint32(a) == 0)
			case 0x50:
				v = b2u(a == 0)
			case 0x67:
				v = uint64(bits.LeadingZeros32(uint32(a)))
			case 0x68:
				v = uint64(bits.TrailingZeros32(uint32(a)))
			case 0x69:
				v = uint64(bits.OnesCount32(uint32(a)))
			case 0x79:
				v = uint64(bits.LeadingZeros64(a))
			case 0x7A:
				v = uint64(bits.TrailingZeros64(a))
			case 0x7B:
				v = uint64(bits.OnesCount64(a))
			case 0xA7:
				v = uint64(uint32(a))
			case 0xAC:
				v = uint64(int64(int32(uint32(a))))
			case 0xAD:
				v = uint64(uint32(a))
			case 0xC0:
				v = uint64(uint32(int32(int8(a))))
			case 0xC1:
				v = uint64(uint32(int32(int16(a))))
			case 0xC2:
				v = uint64(int64(int8(a)))
			case 0xC3:
				v = uint64(int64(int16(a)))
			case 0xC4:
				v = uint64(int64(int32(a)))
			}
			acc = wr(acc, tb, SpaceStack, sp-1, v)
			stack[sp-1] = v
			r.A, r.R = a, v
			pc++
		case 0x28, 0x29, 0x2C, 0x2D, 0x2E, 0x2F, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35:
			// Loads.
			a := stack[sp-1]
			acc = rd(acc, tb, SpaceStack, sp-1, a)
			r.A = a
			w := loadWidth[op-0x28]
			ea := uint64(uint32(a)) + in.Imm
			if ea+uint64(w) > uint64(len(mem)) {
				trap = TrapOutOfBoundsMemory
				break loop
			}
			if m.chunkEpoch[ea/ChunkSize] != m.epoch || m.chunkEpoch[(ea+uint64(w)-1)/ChunkSize] != m.epoch {
				m.touch(ea, uint64(w))
			}
			raw := readLE(mem[ea:], w)
			acc = memAcc(acc, tb, ea, w, raw, false)
			v := raw
			switch op {
			case 0x2C:
				v = uint64(uint32(int32(int8(raw))))
			case 0x2E:
				v = uint64(uint32(int32(int16(raw))))
			case 0x30:
				v = uint64(int64(int8(raw)))
			case 0x32:
				v = uint64(int64(int16(raw)))
			case 0x34:
				v = uint64(int64(int32(raw)))
			}
			acc = wr(acc, tb, SpaceStack, sp-1, v)
			stack[sp-1] = v
			r.R = v
			pc++
		case 0x36, 0x37, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E:
			// Stores.
			a, b := stack[sp-2], stack[sp-1]
			acc = rd(acc, tb, SpaceStack, sp-2, a)
			acc = rd(acc, tb, SpaceStack, sp-1, b)
			r.A, r.B = a, b
			sp -= 2
			w := loadWidth[op-0x28]
			ea := uint64(uint32(a)) + in.Imm
			if ea+uint64(w) > uint64(len(mem)) {
				trap = TrapOutOfBoundsMemory
				break loop
			}
			if m.chunkEpoch[ea/ChunkSize] != m.epoch || m.chunkEpoch[(ea+uint64(w)-1)/ChunkSize] != m.epoch {
				m.touch(ea, uint64(w))
			}
			if w < 8 {
				b &= 1<<(8*uint(w)) - 1
			}
			writeLE(mem[ea:], w, b)
			acc = memAcc(acc, tb, ea, w, b, true)
			pc++
		case 0x41, 0x42: // const
			v := in.Imm
			acc = wr(acc, tb, SpaceStack, sp, v)
			stack[sp] = v
			sp++
			r.R = v
			pc++
		case 0x20: // local.get
			addr := fp + uint32(in.Imm)
			v := locals[addr]
			acc = rd(acc, tb, SpaceLocal, addr, v)
			acc = wr(acc, tb, SpaceStack, sp, v)
			stack[sp] = v
			sp++
			r.R = v
			pc++
		case 0x21: // local.set
			addr := fp + uint32(in.Imm)
			v := stack[sp-1]
			acc = rd(acc, tb, SpaceStack, sp-1, v)
			acc = wr(acc, tb, SpaceLocal, addr, v)
			locals[addr] = v
			sp--
			r.A = v
			pc++
		case 0x22: // local.tee
			addr := fp + uint32(in.Imm)
			v := stack[sp-1]
			acc = rd(acc, tb, SpaceStack, sp-1, v)
			acc = wr(acc, tb, SpaceLocal, addr, v)
			acc = wr(acc, tb, SpaceStack, sp-1, v)
			locals[addr] = v
			r.A, r.R = v, v
			pc++
		case 0x23: // global.get
			addr := uint32(in.Imm)
			v := m.globals[addr]
			acc = rd(acc, tb, SpaceGlobal, addr, v)
			acc = wr(acc, tb, SpaceStack, sp, v)
			stack[sp] = v
			sp++
			r.R = v
			pc++
		case 0x24: // global.set
			addr := uint32(in.Imm)
			v := stack[sp-1]
			acc = rd(acc, tb, SpaceStack, sp-1, v)
			acc = wr(acc, tb, SpaceGlobal, addr, v)
			m.globals[addr] = v
			sp--
			r.A = v
			pc++
		case 0x1A: // drop
			v := stack[sp-1]
			acc = rd(acc, tb, SpaceStack, sp-1, v)
			sp--
			r.A = v
			pc++
		case 0x1B: // select
			a, b, c := stack[sp-3], stack[sp-2], stack[sp-1]
			acc = rd(acc, tb, SpaceStack, sp-3, a)
			acc = rd(acc, tb, SpaceStack, sp-2, b)
			acc = rd(acc, tb, SpaceStack, sp-1, c)
			v := b
			if uint32(c) != 0 {
				v = a
			}
			acc = wr(acc, tb, SpaceStack, sp-3, v)
			stack[sp-3] = v
			sp -= 2
			r.A, r.B, r.C, r.R = a, b, c, v
			pc++
		case 0x01, 0x02, 0x03: // nop, block, loop
			pc++
		case 0x04: // if
			c := stack[sp-1]
			acc = rd(acc, tb, SpaceStack, sp-1, c)
			sp--
			r.A = c
			if uint32(c) != 0 {
				pc++
			} else {
				pc = in.Target
			}
		case 0x05: // else: the then branch is done
			pc = in.Target
		case 0x0C: // br
			acc, sp = branch(acc, tb, stack, sp, base+in.Height, in.Arity)
			pc = in.Target
		case 0x0D: // br_if
			c := stack[sp-1]
			acc = rd(acc, tb, SpaceStack, sp-1, c)
			sp--
			r.A = c
			if uint32(c) != 0 {
				acc, sp = branch(acc, tb, stack, sp, base+in.Height, in.Arity)
				pc = in.Target
			} else {
				pc++
			}
		case 0x0E: // br_table
			c := stack[sp-1]
			acc = rd(acc, tb, SpaceStack, sp-1, c)
			sp--
			r.A = c
			i := uint64(uint32(c))
			if i > in.Imm {
				i = in.Imm
			}
			r.Imm = i
			e := &brTable[uint64(in.Table)+i]
			acc, sp = branch(acc, tb, stack, sp, base+e.Height, e.Arity)
			pc = e.Target
		case 0x0B, 0x0F: // end, return
			if op == 0x0B && in.Imm == 0 {
				pc++ // end of a block: its results are in place
				break
			}
			// Return: read the frame, move the results to its base.
			d := uint32(len(m.frames))
			fr := m.frames[d-1]
			callerFP := uint32(0)
			if d > 1 {
				callerFP = m.frames[d-2].FP
			}
			fa := d * FrameWords
			acc = rd(acc, tb, SpaceFrame, fa+FrameRet, uint64(fr.ReturnPC))
			acc = rd(acc, tb, SpaceFrame, fa+FrameCallerFP, uint64(callerFP))
			acc = rd(acc, tb, SpaceFrame, fa+FrameStackBase, uint64(fr.StackBase))
			acc = rd(acc, tb, SpaceFrame, fa+FrameFunc, uint64(fr.Func))
			acc, sp = branch(acc, tb, stack, sp, fr.StackBase, in.Arity)
			m.frames = m.frames[:d-1]
			depth--
			m.ltop = fr.FP
			fp = callerFP
			pc = fr.ReturnPC
			if d == 1 {
				r.SPAfter, r.NextPC, r.NAcc = sp, pc, uint32(len(acc))-r.Acc
				break loop
			}
			base = m.frames[d-2].StackBase
		case 0x10, 0x11: // call, call_indirect
			f := uint32(in.Imm)
			var c, e uint64 // call_indirect: table index and element
			if op == 0x11 {
				c = stack[sp-1]
				acc = rd(acc, tb, SpaceStack, sp-1, c)
				sp--
				r.A = c
				i := uint32(c)
				if uint64(i) >= uint64(len(m.table)) {
					trap = TrapInvalidTableAccess
					break loop
				}
				e = m.table[i]
				acc = rd(acc, tb, SpaceTable, i, e)
				r.R = e
				if e == NullFunc {
					trap = TrapInvalidTableAccess
					break loop
				}
				f = uint32(e)
				r.R = e
				if m.canon[m.mod.Funcs[f].Type] != m.canon[in.Imm] {
					trap = TrapIndirectCallTypeMismatch
					break loop
				}
			}
			pf := &funcs[f]
			np := pf.Params
			if hostKinds[f] != 0 {
				var t TrapKind
				acc, sp, t = m.host(acc, tb, r, hostKinds[f], sp, uint64(len(rows)-1))
				mem = m.mem
				if op == 0x11 {
					// The row of a call_indirect names its table index and
					// element (A, R), not the host call's operands.
					r.A, r.R = c, e
				}
				if t != TrapNone {
					trap = t
					break loop
				}
				pc++
				break
			}
			d := uint32(len(m.frames))
			newFP := m.ltop
			if int(d) >= m.cfg.maxDepth || !m.ensureLocals(newFP+pf.Locals) || !m.ensureStack(int(sp-np+pf.MaxHeight)) {
				trap = TrapStackOverflow
				break loop
			}
			stack, locals = m.stack, m.locals
			nb := sp - np
			for i := uint32(0); i < np; i++ {
				acc = rd(acc, tb, SpaceStack, nb+i, stack[nb+i])
			}
			switch np * b2u32(op == 0x10) { // call_indirect's A is its table index
			default:
				r.C = stack[nb+2]
				fallthrough
			case 2:
				r.B = stack[nb+1]
				fallthrough
			case 1:
				r.A = stack[nb]
			case 0:
			}
			for i := uint32(0); i < pf.Locals; i++ {
				var v uint64
				if i < np {
					v = stack[nb+i]
				}
				locals[newFP+i] = v
				acc = wr(acc, tb, SpaceLocal, newFP+i, v)
			}
			fa := (d + 1) * FrameWords
			acc = wr(acc, tb, SpaceFrame, fa+FrameRet, uint64(pc+1))
			acc = wr(acc, tb, SpaceFrame, fa+FrameCallerFP, uint64(fp))
			acc = wr(acc, tb, SpaceFrame, fa+FrameStackBase, uint64(nb))
			acc = wr(acc, tb, SpaceFrame, fa+FrameFunc, uint64(f))
			m.frames = append(m.frames, Frame{Func: f, ReturnPC: pc + 1, FP: newFP, StackBase: nb})
			depth++
			m.ltop = newFP + pf.Locals
			fp, base, sp = newFP, nb, nb
			pc = pf.Entry
		case 0x3F: // memory.size
			v := uint64(m.pages)
			acc = wr(acc, tb, SpaceStack, sp, v)
			stack[sp] = v
			sp++
			r.R = v
			pc++
		case 0x40: // memory.grow
			a := stack[sp-1]
			acc = rd(acc, tb, SpaceStack, sp-1, a)
			delta := uint64(uint32(a))
			v := uint64(0xFFFFFFFF)
			if uint64(m.pages)+delta <= uint64(m.maxPage) {
				v = uint64(m.pages)
				m.grow(uint32(delta))
				mem = m.mem
			}
			acc = wr(acc, tb, SpaceStack, sp-1, v)
			stack[sp-1] = v
			r.A, r.R = a, v
			pc++
		case OpMemoryCopy, OpMemoryFill:
			a, b, c := stack[sp-3], stack[sp-2], stack[sp-1]
			acc = rd(acc, tb, SpaceStack, sp-3, a)
			acc = rd(acc, tb, SpaceStack, sp-2, b)
			acc = rd(acc, tb, SpaceStack, sp-1, c)
			r.A, r.B, r.C = a, b, c
			sp -= 3
			dst, src, n := uint64(uint32(a)), uint64(uint32(b)), uint64(uint32(c))
			size := uint64(len(mem))
			// Bulk-memory semantics: check the whole range first, so that a
			// trapping instruction writes nothing.
			if dst+n > size || op == OpMemoryCopy && src+n > size {
				trap = TrapOutOfBoundsMemory
				break loop
			}
			if got := uint64(len(acc)) + bulkAccesses(op, c); got > uint64(m.cfg.maxAcc) {
				return &LimitError{Limit: ErrAccessLimit, Max: uint64(m.cfg.maxAcc), Got: got}
			}
			acc = slices.Grow(acc, int(bulkAccesses(op, c))) // once, not byte by byte
			if n > 0 {
				m.touch(dst, n)
			}
			if op == OpMemoryFill {
				v := uint64(byte(b))
				for i := uint64(0); i < n; i++ {
					mem[dst+i] = byte(v)
					acc = memAcc(acc, tb, dst+i, 1, v, true)
				}
				pc++
				break
			}
			if n > 0 {
				m.touch(src, n)
			}
			// Byte by byte in the order that never reads a byte already
			// overwritten: ascending when the destination is below the
			// source, descending when above (memmove).
			if dst <= src {
				for i := uint64(0); i < n; i++ {
					v := mem[src+i]
					acc = memAcc(acc, tb, src+i, 1, uint64(v), false)
					mem[dst+i] = v
					acc = memAcc(acc, tb, dst+i, 1, uint64(v), true)
				}
			} else {
				for i := n; i > 0; i-- {
					v := mem[src+i-1]
					acc = memAcc(acc, tb, src+i-1, 1, uint64(v), false)
					mem[dst+i-1] = v
					acc = memAcc(acc, tb, dst+i-1, 1, uint64(v), true)
				}
			}
			pc++
		case 0x00: // unreachable
			trap = TrapUnreachable
			break loop
		default:
			// Unprovable instructions never reach here: Run checks the
			// reachable code first.
			panic("trace: unexpected instruction " + op.String())
		}
		r.SPAfter, r.NextPC, r.NAcc = sp, pc, uint32(len(acc))-r.Acc
	}
	if trap != TrapNone {
		trapPC = pc
		r.SPAfter, r.NextPC, r.NAcc = sp, HaltPC, uint32(len(acc))-r.Acc
		tr.Status, tr.Trap, tr.TrapPC = Trapped, trap, trapPC
	} else {
		tr.Status = Returned
		nr := funcs[tr.Func].Results
		tr.Results = append([]uint64(nil), stack[:nr]...)
	}
	m.seg.Rows, m.seg.Accesses = rows, acc
	tr.Steps = m.step + uint64(len(rows))
	if err := m.endSegment(m.state(tr.Steps, tb+uint64(len(acc)), HaltPC, sp)); err != nil {
		return err
	}
	return nil
}

// branch moves the arity values on top of the stack down to height dst.
func branch(acc []Access, tb uint64, stack []uint64, sp, dst, arity uint32) ([]Access, uint32) {
	src := sp - arity
	if src != dst && arity > 0 {
		for i := uint32(0); i < arity; i++ {
			acc = rd(acc, tb, SpaceStack, src+i, stack[src+i])
		}
		for i := uint32(0); i < arity; i++ {
			v := stack[src+i]
			stack[dst+i] = v
			acc = wr(acc, tb, SpaceStack, dst+i, v)
		}
	}
	return acc, dst + arity
}

func (m *machine) grow(delta uint32) {
	m.pages += delta
	m.mem = append(m.mem, make([]byte, int(delta)*pageSize)...)
	m.chunkEpoch = append(m.chunkEpoch, make([]uint32, int(delta)*pageSize/ChunkSize)...)
}

// host performs a call of a provable host function.
func (m *machine) host(acc []Access, tb uint64, r *Row, kind IOKind, sp uint32, rowIdx uint64) ([]Access, uint32, TrapKind) {
	stack := m.stack
	step := m.step + rowIdx
	seg := m.seg
	switch kind {
	case IOInputSize:
		v := uint64(m.io.InputSize())
		acc = wr(acc, tb, SpaceStack, sp, v)
		stack[sp] = v
		r.R = v
		seg.IO = append(seg.IO, IOEvent{Step: step, Kind: kind, Len: uint32(v), Data: uint32(len(seg.IOData))})
		return acc, sp + 1, TrapNone
	case IOInputRead:
		dst, off, n := stack[sp-3], stack[sp-2], stack[sp-1]
		acc = rd(acc, tb, SpaceStack, sp-3, dst)
		acc = rd(acc, tb, SpaceStack, sp-2, off)
		acc = rd(acc, tb, SpaceStack, sp-1, n)
		r.A, r.B, r.C = dst, off, n
		cnt := m.io.InputReadCount(uint32(off), uint32(n))
		if uint64(uint32(dst))+uint64(cnt) <= uint64(len(m.mem)) {
			m.touch(uint64(uint32(dst)), uint64(cnt))
		}
		got, err := m.io.InputRead(memView{m}, uint32(dst), uint32(off), uint32(n))
		if err != nil {
			return acc, sp - 3, hostTrap(err)
		}
		data := uint32(len(seg.IOData))
		for i := uint32(0); i < got; i++ {
			b := m.io.Input[uint32(off)+i]
			acc = append(acc, Access{TS: tb + uint64(len(acc)), Value: uint64(b), Addr: uint32(off) + i, Space: SpaceInput, Width: 1})
			acc = memAcc(acc, tb, uint64(uint32(dst)+i), 1, uint64(b), true)
		}
		if got > 0 {
			seg.IOData = append(seg.IOData, m.io.Input[uint32(off):uint32(off)+got]...)
		}
		seg.IO = append(seg.IO, IOEvent{Step: step, Kind: kind, Ptr: uint32(dst), Offset: uint32(off), Len: got, Data: data})
		v := uint64(got)
		acc = wr(acc, tb, SpaceStack, sp-3, v)
		stack[sp-3] = v
		r.R = v
		return acc, sp - 2, TrapNone
	case IOOutputWrite:
		src, n := stack[sp-2], stack[sp-1]
		acc = rd(acc, tb, SpaceStack, sp-2, src)
		acc = rd(acc, tb, SpaceStack, sp-1, n)
		r.A, r.B = src, n
		outLen := uint32(len(m.io.Output))
		if uint64(uint32(src))+uint64(uint32(n)) <= uint64(len(m.mem)) {
			m.touch(uint64(uint32(src)), uint64(uint32(n)))
		}
		if err := m.io.OutputWrite(memView{m}, uint32(src), uint32(n)); err != nil {
			return acc, sp - 2, hostTrap(err)
		}
		data := uint32(len(seg.IOData))
		out := m.io.Output[outLen:]
		for i, b := range out {
			acc = memAcc(acc, tb, uint64(uint32(src))+uint64(i), 1, uint64(b), false)
			acc = append(acc, Access{TS: tb + uint64(len(acc)), Value: uint64(b), Addr: outLen + uint32(i), Space: SpaceOutput, Width: 1, Write: true})
		}
		seg.IOData = append(seg.IOData, out...)
		seg.IO = append(seg.IO, IOEvent{Step: step, Kind: kind, Ptr: uint32(src), Offset: outLen, Len: uint32(n), Data: data})
		return acc, sp - 2, TrapNone
	}
	return acc, sp, TrapUnreachable
}

func b2u32(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// bulkAccesses is the number of byte accesses a memory.copy or memory.fill
// of n (the operand on top of the stack) records: a write per byte, and a
// read per byte for a copy.
func bulkAccesses(op Op, n uint64) uint64 {
	n = uint64(uint32(n))
	if op == OpMemoryCopy {
		return 2 * n
	}
	return n
}
