package fuel

import "sort"

// segment is a straight-line run of instructions, ins[first..last], and the
// fuel charged before it.
type segment struct {
	first, last int
	cost        int64
}

// segments splits a body into its segments (one per instruction with
// perInstr) and gives each its own cost: its instruction count, plus one
// for the function's end when it ends with a br to the function's label.
func segments(raw []byte, ins []instr, perInstr bool) []segment {
	var segs []segment
	segStart := 0
	for i := range ins {
		if !perInstr && !ins[i].endsSegment && i != len(ins)-1 {
			continue
		}
		cost := int64(i - segStart + 1)
		if ins[i].toFn && raw[ins[i].start] == 0x0c { // br to the function's label: its end counts
			cost++
		}
		segs = append(segs, segment{first: segStart, last: i, cost: cost})
		segStart = i + 1
	}
	return segs
}

// frameInfo is what sink needs to know about one block, loop or if.
type frameInfo struct {
	op                  byte // 0x02 block, 0x03 loop, 0x04 if
	open, elseAt, endAt int
	conditional         bool  // some br_if, br_table or br_on_* may go to it
	brs                 []int // the unconditional br instructions to it
}

// sink moves the charge of a segment S into the segments that lead to it
// when every way into S is certain once such a segment has started: S is
//
//   - the first segment of a loop, entered by falling in from the segment
//     that ends with the loop instruction, or by an unconditional br to the
//     loop from a segment that ends with it (not S itself);
//   - the segment after the end of a block, entered by falling off the
//     block's end or by an unconditional br to the block;
//   - the segment after the end of an if that has an else, entered from the
//     end of either arm or by an unconditional br to the if.
//
// A frame that some conditional branch (br_if, br_table, br_on_*) may reach
// keeps its charge. So a charge still only ever pays for instructions that
// will run unless the call traps: the fuel of a call that returns is
// unchanged, the call fails on fuel exactly when its instruction count
// passes the budget, and every loop still pays at least once per iteration
// (each move puts S's cost on the segment of every edge into S, including
// the one on the cycle). The gain: the while-shaped loop (test at the top,
// br back at the bottom) pays once per iteration instead of twice, and the
// code after a block, or after an if/else, pays with what precedes it.
// Segments are visited from the last to the first, so costs flow up
// through chains of such joins.
func sink(raw []byte, ins []instr, segs []segment) {
	segOf := make([]int, len(ins))
	for si, s := range segs {
		for i := s.first; i <= s.last; i++ {
			segOf[i] = si
		}
	}
	frames := map[int32]*frameInfo{}
	get := func(id int32) *frameInfo {
		f := frames[id]
		if f == nil {
			f = &frameInfo{open: -1, elseAt: -1, endAt: -1}
			frames[id] = f
		}
		return f
	}
	for i := range ins {
		in := &ins[i]
		op := raw[in.start]
		if in.frame > 0 {
			f := get(in.frame)
			switch op {
			case 0x02, 0x03, 0x04:
				f.op, f.open = op, i
			case 0x05:
				f.elseAt = i
			case 0x0b:
				f.endAt = i
			}
		}
		for _, t := range in.targets {
			if t <= 0 {
				continue // the function's label (its end is the last segment) or invalid
			}
			f := get(t)
			if in.cond {
				f.conditional = true
			} else {
				f.brs = append(f.brs, i)
			}
		}
	}
	type move struct {
		to    int   // the segment whose charge moves
		preds []int // the segments it moves to
	}
	var moves []move
	for _, f := range frames {
		if f.conditional || f.open < 0 || f.endAt < 0 {
			continue
		}
		var first int
		var preds []int
		switch f.op {
		case 0x03:
			first = f.open + 1
			preds = append(preds, segOf[f.open])
		case 0x02:
			first = f.endAt + 1
			preds = append(preds, segOf[f.endAt])
		case 0x04:
			if f.elseAt < 0 {
				continue // the false edge of the if is conditional
			}
			first = f.endAt + 1
			preds = append(preds, segOf[f.elseAt], segOf[f.endAt])
		default:
			continue
		}
		if first >= len(ins) || segs[segOf[first]].first != first {
			continue
		}
		for _, b := range f.brs {
			preds = append(preds, segOf[b])
		}
		to, self := segOf[first], false
		for _, p := range preds {
			self = self || p == to
		}
		if !self {
			moves = append(moves, move{to: to, preds: preds})
		}
	}
	sort.Slice(moves, func(i, j int) bool { return moves[i].to > moves[j].to })
	for _, m := range moves {
		c := segs[m.to].cost
		seen := map[int]bool{}
		for _, p := range m.preds {
			if !seen[p] {
				seen[p] = true
				segs[p].cost += c
			}
		}
		segs[m.to].cost = 0
	}
}
