package circuits

import "github.com/mcpzero/mcpzero/trace"

// Multi-value branches and returns.
//
// A circuit row moves at most one value (a br, br_if, br_table case or
// return of arity 1 writes its operand at the label's height). A branch that
// carries k > 1 values is expanded, in the program table, into rows of
// existing families, so that it costs no constraint per row:
//
//	local.set s_{k-1} … local.set s_0   pop the values into scratch locals
//	br (height H, arity 0) to the next entry   drop what lies above the label
//	local.get s_0 … local.get s_{k-1}   push them back at the label's height
//	br (height H+k, arity 0) to the label
//
// The scratch locals s_i are extra locals of the function, after its
// declared ones (the prologue zeroes them like the others), so a call's
// frame holds them and they live in the committed locals region. A br_if
// becomes an if that skips the expansion when its condition is zero; a
// br_table first saves its index in one more scratch local, and each label
// branches (arity 0) to a trampoline of its own that pushes the values back
// and branches on. A return moves the values to the frame's stack base and
// returns with height k. The end of a function needs no move (validation
// leaves exactly its k results above the base): a return of height k.
//
// Only the first entry is a step; the rest are pseudo-instructions, so the
// step count is the tracer's. The witness executes these entries like any
// other and checks, after each step, that it reaches the tracer's pc and
// stack height.

// scratchOf is the number of scratch locals function f has after its
// declared ones.
func (t *ModuleTable) scratchOf(f uint32) uint64 {
	if int(f) < len(t.scratch) {
		return uint64(t.scratch[f])
	}
	return 0
}

// multiArity returns the arity of a branch or return at pc that carries
// more than one value (0 otherwise), and the scratch locals its expansion
// uses.
func multiArity(p *trace.Program, pc uint32) (k, scratch uint32) {
	in := p.Code[pc]
	switch in.Op {
	case 0x0C, 0x0D, 0x0F:
		k = in.Arity
	case 0x0B:
		if in.Imm == 1 && in.Arity > 1 {
			return in.Arity, 0
		}
		return 0, 0
	case 0x0E:
		for _, l := range p.BrTable[in.Table : uint64(in.Table)+in.Imm+1] {
			k = max(k, l.Arity)
		}
		if k > 1 {
			return k, k + 1 // one more for the index
		}
		return 0, 0
	default:
		return 0, 0
	}
	if k < 2 {
		return 0, 0
	}
	return k, k
}

// multiValue returns the entries of the multi-value branch or return at
// tracer pc, placed at circuit pc at, with scratch locals from s on (the
// function's declared locals); nil when pc is not one. mapPC maps branch
// targets to circuit pcs.
func multiValue(p *trace.Program, pc, at, s uint32, mapPC func(uint32) uint32) []Entry {
	k, _ := multiArity(p, pc)
	if k == 0 {
		return nil
	}
	in := p.Code[pc]
	var out []Entry
	emit := func(e Entry) { out = append(out, e) }
	set := func(i uint32) { emit(Entry{Class: ClassLocalSet, W64: true, Pseudo: true, Imm: uint64(s + i)}) }
	get := func(i uint32) { emit(Entry{Class: ClassLocalGet, W64: true, Pseudo: true, Imm: uint64(s + i)}) }
	br := func(height, target uint32) {
		emit(Entry{Class: ClassBr, W64: true, Pseudo: true, Height: height, Target: target})
	}
	// save pops the k values into s_0..s_{k-1} and drops the stack to
	// height; restore pushes them back.
	save := func(height uint32) {
		for i := k; i > 0; i-- {
			set(i - 1)
		}
		br(height, at+uint32(len(out))+1)
	}
	restore := func() {
		for i := range k {
			get(i)
		}
	}
	switch in.Op {
	case 0x0B: // end of a function: its k results are already above the base
		return []Entry{{Class: ClassReturn, Imm: HaltPC, Height: k}}
	case 0x0C:
		save(in.Height)
		restore()
		br(in.Height+k, mapPC(in.Target))
	case 0x0D:
		// if (condition zero: not taken) skips the branch's expansion:
		// 1 + 2k + 2 entries.
		emit(Entry{Class: ClassIf, W64: true, Target: at + 2*k + 3})
		save(in.Height)
		restore()
		br(in.Height+k, mapPC(in.Target))
	case 0x0F:
		save(0)
		restore()
		emit(Entry{Class: ClassReturn, Pseudo: true, Imm: HaltPC, Height: k})
	case 0x0E:
		labels := p.BrTable[in.Table : uint64(in.Table)+in.Imm+1]
		set(k) // the index
		for i := k; i > 0; i-- {
			set(i - 1)
		}
		get(k)
		emit(Entry{Class: ClassBrTable, W64: true, Pseudo: true})
		// Cases (the last is the default), then one trampoline of k+1
		// entries per label.
		tramp := at + uint32(len(out)) + uint32(len(labels))
		for j, l := range labels {
			t := tramp + uint32(j)*(k+1)
			if j == len(labels)-1 {
				br(l.Height, t)
			} else {
				emit(Entry{Class: ClassBrCase, W64: true, Pseudo: true, Imm: uint64(j), Target: t, Height: l.Height})
			}
		}
		for _, l := range labels {
			restore()
			br(l.Height+k, mapPC(l.Target))
		}
	}
	out[0].Pseudo = false // the step
	return out
}
