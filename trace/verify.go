package trace

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
)

// ErrInconsistent is the error of Verify for a trace that contradicts
// itself.
var ErrInconsistent = errors.New("inconsistent trace")

// Verify replays the trace's accesses against a model of every address
// space, starting from each segment's Before state, and checks what the
// circuits rely on: every read returns the last value written (or the
// boundary state's value), rows chain (pc, stack height, access ranges,
// timestamps), every row's opcode is the program's at its pc, segments chain
// (After = next Before) and respect the capacity, the touched memory chunks
// hold what the model holds, the end matches the trace's final memory,
// globals, output and results, and the operand fields of rows with fixed
// accesses (numeric operators, constants, locals, globals, drop, select,
// loads, stores) are the values and addresses of those accesses, every
// memory.copy/memory.fill row has its operand reads and exactly its byte
// accesses in the documented order (or none when out of bounds of the memory
// size, which must trap), and every row continues at the pc the program table prescribes (branch targets,
// br_table labels, callee entries). It does not re-check instruction semantics
// (that is the circuits' job); it catches a recording that is not
// self-consistent before anyone spends time proving it. Errors wrap
// ErrInconsistent. Traces recorded with WithSegmentHandler keep no segments
// and cannot be verified.
func (tr *Trace) Verify() error {
	if err := tr.verify(); err != nil {
		return fmt.Errorf("%w: %v", ErrInconsistent, err)
	}
	return nil
}

func (tr *Trace) verify() error {
	segCap := tr.Capacity
	if len(tr.Segments) == 0 {
		return fmt.Errorf("no segments")
	}
	var steps uint64
	out := []byte{}
	mem := append([]byte(nil), tr.InitialMemory...)
	for k := range tr.Segments {
		s := &tr.Segments[k]
		if s.Index != k || s.FirstStep != steps || s.Before.Step != steps {
			return fmt.Errorf("segment %d: index %d, first step %d, before.step %d, want %d", k, s.Index, s.FirstStep, s.Before.Step, steps)
		}
		if len(s.Rows) == 0 || len(s.Rows) > segCap {
			return fmt.Errorf("segment %d: %d rows (capacity %d)", k, len(s.Rows), segCap)
		}
		if k > 0 && !reflect.DeepEqual(tr.Segments[k-1].After, s.Before) {
			return fmt.Errorf("segment %d: before state differs from the previous after state", k)
		}
		// Model of the address spaces at the segment start.
		stack := append([]uint64(nil), s.Before.Stack...)
		locals := append([]uint64(nil), s.Before.Locals...)
		globals := append([]uint64(nil), s.Before.Globals...)
		frames := map[uint32]uint64{}
		for i, f := range s.Before.Frames {
			d := uint32(i + 1)
			callerFP := uint32(0)
			if i > 0 {
				callerFP = s.Before.Frames[i-1].FP
			}
			frames[d*FrameWords+FrameRet] = uint64(f.ReturnPC)
			frames[d*FrameWords+FrameCallerFP] = uint64(callerFP)
			frames[d*FrameWords+FrameStackBase] = uint64(f.StackBase)
			frames[d*FrameWords+FrameFunc] = uint64(f.Func)
		}
		if k == len(tr.Segments)-1 && len(tr.Segments) < 50 {
			if string(tr.MemoryAt(k)) != string(mem) {
				return fmt.Errorf("MemoryAt(%d) differs from the replayed memory", k)
			}
		}
		// Pages grown during the segment read as zeros before it.
		if need := int(s.After.MemPages) * pageSize; need > len(mem) {
			mem = append(mem, make([]byte, need-len(mem))...)
		}
		for j, c := range s.Chunks {
			if j > 0 && s.Chunks[j-1] >= c {
				return fmt.Errorf("segment %d: chunks not ascending", k)
			}
			if string(mem[c*ChunkSize:(c+1)*ChunkSize]) != string(s.ChunksBefore[j*ChunkSize:(j+1)*ChunkSize]) {
				return fmt.Errorf("segment %d: chunk %d before-contents differ from memory", k, c)
			}
		}
		touched := map[uint32]bool{}
		for _, c := range s.Chunks {
			touched[c] = true
		}
		if uint32(len(out)) != s.Before.OutputLen {
			return fmt.Errorf("segment %d: output length %d, state says %d", k, len(out), s.Before.OutputLen)
		}
		grow := func(sl []uint64, n uint32) []uint64 {
			for uint32(len(sl)) <= n {
				sl = append(sl, 0)
			}
			return sl
		}
		ts := s.Before.TS
		next := uint32(0)
		pages := s.Before.MemPages // memory size at the current row, for bulk-memory bounds
		for i := range s.Rows {
			r := &s.Rows[i]
			if i > 0 {
				p := &s.Rows[i-1]
				if p.NextPC != r.PC || p.SPAfter != r.SP {
					return fmt.Errorf("segment %d row %d: pc/sp %d/%d does not follow %d/%d", k, i, r.PC, r.SP, p.NextPC, p.SPAfter)
				}
			} else if r.PC != s.Before.PC || r.SP != uint32(len(s.Before.Stack)) {
				return fmt.Errorf("segment %d: first row pc/sp %d/%d, state %d/%d", k, r.PC, r.SP, s.Before.PC, len(s.Before.Stack))
			}
			if int(r.PC) >= len(tr.Program.Code) {
				return fmt.Errorf("segment %d row %d: pc %d outside the program", k, i, r.PC)
			}
			if r.Op != tr.Program.Code[r.PC].Op {
				return fmt.Errorf("segment %d row %d: op %v, program has %v", k, i, r.Op, tr.Program.Code[r.PC].Op)
			}
			if r.Acc != next || uint64(r.Acc)+uint64(r.NAcc) > uint64(len(s.Accesses)) {
				return fmt.Errorf("segment %d row %d: accesses start at %d, want %d", k, i, r.Acc, next)
			}
			next = r.Acc + r.NAcc
			if err := checkFlow(tr.Program, r); err != nil {
				return fmt.Errorf("segment %d row %d: %v", k, i, err)
			}
			if err := checkRow(r, s.Accesses[r.Acc:next]); err != nil {
				return fmt.Errorf("segment %d row %d (pc %d): %v", k, i, r.PC, err)
			}
			if r.Op == OpMemoryCopy || r.Op == OpMemoryFill {
				if err := checkBulk(r, s.Accesses[r.Acc:next], uint64(pages)*pageSize); err != nil {
					return fmt.Errorf("segment %d row %d (pc %d): %v", k, i, r.PC, err)
				}
			}
			if r.Op == 0x40 && uint32(r.R) != 0xFFFFFFFF {
				pages += uint32(r.A)
			}
			for _, a := range s.Accesses[r.Acc:next] {
				if a.TS != ts {
					return fmt.Errorf("segment %d row %d: timestamp %d, want %d", k, i, a.TS, ts)
				}
				ts++
				var cur *uint64
				switch a.Space {
				case SpaceStack:
					stack = grow(stack, a.Addr)
					cur = &stack[a.Addr]
				case SpaceLocal:
					locals = grow(locals, a.Addr)
					cur = &locals[a.Addr]
				case SpaceGlobal:
					cur = &globals[a.Addr]
				case SpaceFrame:
					v := frames[a.Addr]
					if a.Write {
						frames[a.Addr] = a.Value
					} else if v != a.Value {
						return fmt.Errorf("segment %d row %d: frame read [%d] = %d, model %d", k, i, a.Addr, a.Value, v)
					}
					continue
				case SpaceTable:
					if a.Write {
						return fmt.Errorf("table write")
					}
					continue
				case SpaceInput:
					if a.Write || int(a.Addr) >= len(tr.Input) || uint64(tr.Input[a.Addr]) != a.Value {
						return fmt.Errorf("segment %d row %d: bad input access %+v", k, i, a)
					}
					continue
				case SpaceOutput:
					if !a.Write || int(a.Addr) != len(out) {
						return fmt.Errorf("segment %d row %d: output access %+v at length %d", k, i, a, len(out))
					}
					out = append(out, byte(a.Value))
					continue
				case SpaceMemory:
					for c := a.Addr / ChunkSize; c <= (a.Addr+uint32(a.Width)-1)/ChunkSize; c++ {
						if !touched[c] {
							return fmt.Errorf("segment %d row %d: memory access in chunk %d not listed", k, i, c)
						}
					}
					if need := int(a.Addr) + int(a.Width); need > len(mem) {
						mem = append(mem, make([]byte, need-len(mem))...)
					}
					var b [8]byte
					copy(b[:], mem[a.Addr:a.Addr+uint32(a.Width)])
					v := binary.LittleEndian.Uint64(b[:])
					if a.Write {
						binary.LittleEndian.PutUint64(b[:], a.Value)
						copy(mem[a.Addr:], b[:a.Width])
					} else if v != a.Value {
						return fmt.Errorf("segment %d row %d (%v): memory read %d@%d = %#x, model %#x", k, i, r.Op, a.Width, a.Addr, a.Value, v)
					}
					continue
				default:
					return fmt.Errorf("bad space %v", a.Space)
				}
				if a.Write {
					*cur = a.Value
				} else if *cur != a.Value {
					return fmt.Errorf("segment %d row %d (%v pc %d): read %v[%d] = %#x, model %#x", k, i, r.Op, r.PC, a.Space, a.Addr, a.Value, *cur)
				}
			}
		}
		if pages != s.After.MemPages {
			return fmt.Errorf("segment %d: memory grew to %d pages, after state %d", k, pages, s.After.MemPages)
		}
		if next != uint32(len(s.Accesses)) || ts != s.After.TS {
			return fmt.Errorf("segment %d: %d accesses used of %d; ts %d, after.TS %d", k, next, len(s.Accesses), ts, s.After.TS)
		}
		// The model must agree with the After state on what it can see.
		if n := len(s.After.Stack); len(stack) < n || !reflect.DeepEqual(stack[:n], s.After.Stack) && n > 0 {
			return fmt.Errorf("segment %d: after stack %v, model %v", k, s.After.Stack, stack)
		}
		if n := len(s.After.Locals); n > 0 && (len(locals) < n || !reflect.DeepEqual(locals[:n], s.After.Locals)) {
			return fmt.Errorf("segment %d: after locals differ", k)
		}
		if !reflect.DeepEqual(globals, s.After.Globals) {
			return fmt.Errorf("segment %d: after globals %v, model %v", k, s.After.Globals, globals)
		}
		for j, c := range s.Chunks {
			if string(mem[c*ChunkSize:(c+1)*ChunkSize]) != string(s.ChunksAfter[j*ChunkSize:(j+1)*ChunkSize]) {
				return fmt.Errorf("segment %d: chunk %d after-contents differ from the model", k, c)
			}
		}
		if uint32(len(out)) != s.After.OutputLen {
			return fmt.Errorf("segment %d: output length %d, after state %d", k, len(out), s.After.OutputLen)
		}
		steps += uint64(len(s.Rows))
	}
	if steps != tr.Steps {
		return fmt.Errorf("rows %d, steps %d", steps, tr.Steps)
	}
	if final := tr.MemoryAt(len(tr.Segments)); string(final) != string(tr.FinalMemory) {
		return fmt.Errorf("memory rebuilt from the chunks differs from the final memory")
	}
	if string(out) != string(tr.Output) {
		return fmt.Errorf("output from accesses %q, trace %q", out, tr.Output)
	}
	last := tr.Segments[len(tr.Segments)-1].After
	if !reflect.DeepEqual(last.Globals, tr.FinalGlobals) {
		return fmt.Errorf("final globals differ")
	}
	if tr.Status == Returned && !reflect.DeepEqual(last.Stack, tr.Results) && !(len(last.Stack) == 0 && len(tr.Results) == 0) {
		return fmt.Errorf("final stack %v, results %v", last.Stack, tr.Results)
	}
	return nil
}

// checkRow checks that a row's operand fields are the values and addresses
// of its accesses, for the instructions whose accesses are fixed: numeric
// operators, constants, locals, globals, drop, select, loads and stores.
func checkRow(r *Row, acc []Access) error {
	type want struct {
		space Space
		addr  uint64
		val   uint64
		write bool
		width uint8
	}
	stk := func(addr uint32, v uint64, w bool) want { return want{SpaceStack, uint64(addr), v, w, 8} }
	var ws []want
	op := r.Op
	fam := FamilyOf(op)
	switch {
	case op == 0x41 || op == 0x42:
		ws = []want{stk(r.SP, r.R, true)}
	case op == 0x20:
		ws = []want{{SpaceLocal, uint64(r.FP) + r.Imm, r.R, false, 8}, stk(r.SP, r.R, true)}
	case op == 0x21:
		ws = []want{stk(r.SP-1, r.A, false), {SpaceLocal, uint64(r.FP) + r.Imm, r.A, true, 8}}
	case op == 0x22:
		ws = []want{stk(r.SP-1, r.A, false), {SpaceLocal, uint64(r.FP) + r.Imm, r.A, true, 8}, stk(r.SP-1, r.R, true)}
	case op == 0x23:
		ws = []want{{SpaceGlobal, r.Imm, r.R, false, 8}, stk(r.SP, r.R, true)}
	case op == 0x24:
		ws = []want{stk(r.SP-1, r.A, false), {SpaceGlobal, r.Imm, r.A, true, 8}}
	case op == 0x1A:
		ws = []want{stk(r.SP-1, r.A, false)}
	case op == 0x1B:
		ws = []want{stk(r.SP-3, r.A, false), stk(r.SP-2, r.B, false), stk(r.SP-1, r.C, false), stk(r.SP-3, r.R, true)}
	case fam == FamilyLoad:
		if len(acc) < 2 {
			ws = []want{stk(r.SP-1, r.A, false)} // trapped before the memory access
			break
		}
		w := loadWidth[op-0x28]
		ws = []want{stk(r.SP-1, r.A, false), {SpaceMemory, uint64(uint32(r.A)) + r.Imm, acc[1].Value, false, w}, stk(r.SP-1, r.R, true)}
	case fam == FamilyStore:
		w := loadWidth[op-0x28]
		mask := ^uint64(0)
		if w < 8 {
			mask = 1<<(8*uint(w)) - 1
		}
		ws = []want{stk(r.SP-2, r.A, false), stk(r.SP-1, r.B, false), {SpaceMemory, uint64(uint32(r.A)) + r.Imm, r.B & mask, true, w}}
	case op == 0x04 || op == 0x0D || op == 0x0E || op == 0x11:
		// if, br_if, br_table, call_indirect: the condition or index first;
		// the rest (moved values, table element, callee setup) follows.
		if len(acc) == 0 || acc[0] != (Access{TS: acc[0].TS, Value: r.A, Addr: r.SP - 1, Space: SpaceStack, Width: 8}) {
			return fmt.Errorf("%v does not start with the read of its operand %#x at stack[%d]", op, r.A, r.SP-1)
		}
		if op == 0x11 && len(acc) > 1 && (acc[1].Space != SpaceTable || uint64(acc[1].Addr) != uint64(uint32(r.A)) || acc[1].Value != r.R) {
			return fmt.Errorf("call_indirect table read %v[%d]=%d, row says table[%d]=%d", acc[1].Space, acc[1].Addr, acc[1].Value, uint32(r.A), r.R)
		}
		return nil
	case op == 0x3F:
		ws = []want{stk(r.SP, r.R, true)}
	case op == 0x40:
		ws = []want{stk(r.SP-1, r.A, false), stk(r.SP-1, r.R, true)}
	case fam >= FamilyAddSub && fam <= FamilyConvert:
		if numSigs[op].In2 != 0 {
			ws = []want{stk(r.SP-2, r.A, false), stk(r.SP-1, r.B, false), stk(r.SP-2, r.R, true)}
		} else {
			ws = []want{stk(r.SP-1, r.A, false), stk(r.SP-1, r.R, true)}
		}
	default:
		return nil
	}
	if r.NextPC == HaltPC && len(acc) < len(ws) {
		ws = ws[:len(acc)] // a trapping row stops after its reads
	}
	if len(acc) != len(ws) {
		return fmt.Errorf("%v has %d accesses, want %d", op, len(acc), len(ws))
	}
	for i, w := range ws {
		a := &acc[i]
		if a.Space != w.space || uint64(a.Addr) != w.addr || a.Value != w.val || a.Write != w.write || a.Width != w.width {
			return fmt.Errorf("%v access %d is %v[%d]=%#x (write %v, width %d), row says %v[%d]=%#x (write %v, width %d)",
				op, i, a.Space, a.Addr, a.Value, a.Write, a.Width, w.space, w.addr, w.val, w.write, w.width)
		}
	}
	return nil
}

// checkBulk checks a memory.copy or memory.fill row against its accesses:
// the three operand reads (dst, src or val, n), then, unless the range is out
// of bounds of memSize (a trap, which must end the run and access no memory),
// one byte access per byte in the order of docs/TRACE.md: for a copy a read
// of src+i followed by the write of the same byte to dst+i, ascending when
// dst <= src and descending otherwise; for a fill the writes of val's low
// byte, ascending. The read values are checked by the replay.
func checkBulk(r *Row, acc []Access, memSize uint64) error {
	op := r.Op
	if r.Imm != 0 || r.R != 0 || r.SPAfter != r.SP-3 {
		return fmt.Errorf("%v row has imm %d, r %d, sp %d -> %d, want 0, 0, sp-3", op, r.Imm, r.R, r.SP, r.SPAfter)
	}
	if len(acc) < 3 {
		return fmt.Errorf("%v has %d accesses, want at least its 3 operand reads", op, len(acc))
	}
	for i, v := range []uint64{r.A, r.B, r.C} {
		if acc[i] != (Access{TS: acc[i].TS, Value: v, Addr: r.SP - 3 + uint32(i), Space: SpaceStack, Width: 8}) {
			return fmt.Errorf("%v operand %d: access %+v, row says stack[%d] = %#x", op, i, acc[i], r.SP-3+uint32(i), v)
		}
	}
	dst, src, n := uint64(uint32(r.A)), uint64(uint32(r.B)), uint64(uint32(r.C))
	copying := op == OpMemoryCopy
	if dst+n > memSize || copying && src+n > memSize {
		if r.NextPC != HaltPC || len(acc) != 3 {
			return fmt.Errorf("%v of %d bytes at dst %d src %d is out of bounds of %d bytes: must trap with no memory access (next pc %d, %d accesses)", op, n, dst, src, memSize, r.NextPC, len(acc))
		}
		return nil
	}
	if r.NextPC == HaltPC {
		return fmt.Errorf("%v of %d bytes at dst %d src %d is in bounds of %d bytes but trapped", op, n, dst, src, memSize)
	}
	per := uint64(1)
	if copying {
		per = 2
	}
	if uint64(len(acc)-3) != per*n {
		return fmt.Errorf("%v of %d bytes has %d byte accesses, want %d", op, n, len(acc)-3, per*n)
	}
	mem := func(a *Access, addr, v uint64, write bool) error {
		if a.Space != SpaceMemory || a.Width != 1 || uint64(a.Addr) != addr || a.Write != write || a.Value != v {
			return fmt.Errorf("%v byte access %+v, want memory[%d] = %#x (width 1, write %v)", op, *a, addr, v, write)
		}
		return nil
	}
	body := acc[3:]
	for j := uint64(0); j < n; j++ {
		if !copying {
			if err := mem(&body[j], dst+j, r.B&0xFF, true); err != nil {
				return err
			}
			continue
		}
		i := j
		if dst > src {
			i = n - 1 - j
		}
		rd, wr := &body[2*j], &body[2*j+1]
		if rd.Value > 0xFF {
			return fmt.Errorf("%v byte read %+v is not a byte", op, *rd)
		}
		if err := mem(rd, src+i, rd.Value, false); err != nil {
			return err
		}
		if err := mem(wr, dst+i, rd.Value, true); err != nil {
			return err
		}
	}
	return nil
}

// checkFlow checks a row's next pc against the program table.
func checkFlow(p *Program, r *Row) error {
	if r.NextPC == HaltPC {
		return nil // a trap, or the entry function's return
	}
	in := &p.Code[r.PC]
	want := r.PC + 1
	switch r.Op {
	case 0x05, 0x0C: // else, br
		want = in.Target
	case 0x04: // if
		if uint32(r.A) == 0 {
			want = in.Target
		}
	case 0x0D: // br_if
		if uint32(r.A) != 0 {
			want = in.Target
		}
	case 0x0E: // br_table
		i := uint64(uint32(r.A))
		if i > in.Imm {
			i = in.Imm
		}
		if r.Imm != i {
			return fmt.Errorf("br_table took label %d, index %d selects %d", r.Imm, r.A, i)
		}
		want = p.BrTable[uint64(in.Table)+i].Target
	case 0x10:
		if in.Target != HaltPC {
			want = in.Target
		}
	case 0x11:
		if f := uint32(r.R); int(f) < len(p.Funcs) && p.Funcs[f].Entry != HaltPC {
			want = p.Funcs[f].Entry
		}
	case 0x0F, 0x0B:
		if r.Op == 0x0F || in.Imm == 1 {
			return nil // a return: the frame says where (checked by the frame reads)
		}
	}
	if r.NextPC != want {
		return fmt.Errorf("%v at pc %d continues at %d, the program says %d", r.Op, r.PC, r.NextPC, want)
	}
	return nil
}
