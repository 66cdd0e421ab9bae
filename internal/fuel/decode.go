package fuel

// instr is one decoded instruction of a function body: its byte range in
// the body and whether it ends a straight-line segment.
type instr struct {
	start, end  int
	endsSegment bool
	// hasFunc marks call, return_call and ref.func, whose immediate fn is a
	// function index (renumbered when an import is added).
	hasFunc bool
	fn      uint32
	// isCall marks call, call_indirect and call_ref: the callee charges
	// the global, so the function's local counter is written back before
	// and reloaded after. exits marks an instruction that may leave the
	// function (return, return_call*, a branch to the function's label, the
	// plugin's own unreachable): the counter is written back before it.
	isCall, exits bool
	// A branch to the function's own label also counts the function's
	// final end (as the tracer does): br always (toFn), br_if when taken
	// (toFn), br_table when the index selects one of fnPos or, past the
	// table, when fnDefault.
	toFn      bool
	fnPos     []uint32
	fnDefault bool
	tableLen  uint32 // br_table: labels before the default
	// frame is, for block, loop, if, else and end, the control frame they
	// open, continue or close (frames are numbered in order of opening,
	// the function's own frame is 0); -1 otherwise. targets are the frames
	// a branch may go to; cond says whether it may also fall through
	// (br_if, br_table, br_on_*). sink.go uses them.
	frame   int32
	targets []int32
	cond    bool
}

// A segment ends at an instruction after which control may continue
// somewhere other than the next instruction, or where the next instruction
// is also reached by a branch:
//
//   - br, br_if, br_table, return, unreachable, return_call*, br_on_null,
//     br_on_non_null: they may leave;
//   - if, else: `if` may jump to the else arm or past `end`; `else`, reached
//     by falling off the then arm, jumps past `end`;
//   - loop: the first instruction of its body is the target of every branch
//     to the loop;
//   - end of a block or if: the next instruction is the target of branches
//     out of it. The end of a loop is not a target (branches to a loop go to
//     its start), so it does not end a segment.
//
// Calls do not end a segment: the callee returns to the next instruction
// (a trap ends the whole call anyway).

const (
	kindBlock = iota
	kindLoop
	kindIf
	kindFunc
)

// decodeBody decodes the expression of a function body from r (positioned
// after the locals) to its final end, which must be the last byte.
func decodeBody(r *reader, ins []instr) ([]instr, error) {
	ctl := []byte{kindFunc}
	ids := []int32{0} // frame ids parallel to ctl
	frames := int32(1)
	target := func(l uint32) int32 {
		if l >= uint32(len(ids)) {
			return -1 // invalid depth: wazero's validation refuses the module
		}
		return ids[len(ids)-1-int(l)]
	}
	for {
		if r.eof() {
			return nil, r.fail(ErrMalformed, "function body ends before its final end")
		}
		start := r.pos
		op, _ := r.byte()
		ends := false
		hasFunc, isCall, exits, toFn, fnDefault := false, false, false, false, false
		var fnPos []uint32
		var tableLen uint32
		fnLabel := uint32(len(ctl) - 1) // relative depth of the function's label
		var fn uint32
		var err error
		frame := int32(-1)
		var targets []int32
		cond := false
		switch {
		case op == 0x00: // unreachable
			ends, exits = true, true
		case op == 0x01: // nop
		case op == 0x02 || op == 0x03 || op == 0x04: // block, loop, if
			err = skipBlockType(r)
			frame = frames
			ids = append(ids, frames)
			frames++
			switch op {
			case 0x02:
				ctl = append(ctl, kindBlock)
			case 0x03:
				ctl = append(ctl, kindLoop)
				ends = true
			case 0x04:
				ctl = append(ctl, kindIf)
				ends = true
			}
		case op == 0x05: // else
			if ctl[len(ctl)-1] != kindIf {
				r.pos = start
				return nil, r.fail(ErrMalformed, "else outside if")
			}
			ends = true
			frame = ids[len(ids)-1]
		case op == 0x0b: // end
			k := ctl[len(ctl)-1]
			ctl = ctl[:len(ctl)-1]
			frame = ids[len(ids)-1]
			ids = ids[:len(ids)-1]
			ends = k != kindLoop
			if k == kindFunc {
				ins = append(ins, instr{start: start, end: r.pos, endsSegment: true, frame: 0})
				if !r.eof() {
					return nil, r.fail(ErrMalformed, "bytes after the function's final end")
				}
				return ins, nil
			}
		case op == 0x0c || op == 0x0d: // br, br_if
			var l uint32
			l, err = r.u32()
			ends, exits, toFn = true, l == fnLabel, l == fnLabel
			targets, cond = []int32{target(l)}, op == 0x0d
		case op == 0x0e: // br_table
			var n uint32
			if n, err = r.u32(); err == nil {
				tableLen = n
				for i := uint32(0); i <= n && err == nil; i++ {
					var l uint32
					l, err = r.u32()
					targets = append(targets, target(l))
					if l == fnLabel {
						exits = true
						if i == n {
							fnDefault = true
						} else {
							fnPos = append(fnPos, i)
						}
					}
				}
			}
			ends, cond = true, true
		case op == 0x0f: // return
			ends, exits = true, true
		case op == 0x10: // call
			fn, err = r.u32()
			hasFunc, isCall = true, true
		case op == 0x11 || op == 0x13: // call_indirect, return_call_indirect
			if _, err = r.u32(); err == nil {
				_, err = r.u32()
			}
			ends, exits, isCall = op == 0x13, op == 0x13, op == 0x11
		case op == 0x12: // return_call
			fn, err = r.u32()
			hasFunc = true
			ends, exits = true, true
		case op == 0x14 || op == 0x15: // call_ref, return_call_ref
			_, err = r.u32()
			ends, exits, isCall = op == 0x15, op == 0x15, op == 0x14
		case op == 0x1a || op == 0x1b: // drop, select
		case op == 0x1c: // select t*
			var n uint32
			if n, err = r.u32(); err == nil {
				for i := uint32(0); i < n && err == nil; i++ {
					err = skipValType(r)
				}
			}
		case op >= 0x20 && op <= 0x26: // local.*, global.*, table.get/set
			_, err = r.u32()
		case op >= 0x28 && op <= 0x3e: // loads and stores
			err = skipMemArg(r)
		case op == 0x3f || op == 0x40: // memory.size, memory.grow
			_, err = r.u32()
		case op == 0x41:
			err = r.sleb(32)
		case op == 0x42:
			err = r.sleb(64)
		case op == 0x43:
			_, err = r.bytes(4)
		case op == 0x44:
			_, err = r.bytes(8)
		case op >= 0x45 && op <= 0xc4: // numeric, no immediates
		case op == 0xd0: // ref.null heaptype
			err = r.sleb(33)
		case op == 0xd1 || op == 0xd3 || op == 0xd4: // ref.is_null, ref.eq, ref.as_non_null
		case op == 0xd2: // ref.func
			fn, err = r.u32()
			hasFunc = true
		case op == 0xd5 || op == 0xd6: // br_on_null, br_on_non_null
			var l uint32
			l, err = r.u32()
			ends, exits = true, l == fnLabel
			targets, cond = []int32{target(l)}, true
		case op == 0xfc:
			err = skipPrefixFC(r)
		case op == 0xfd:
			err = skipPrefixFD(r)
		case op == 0xfe:
			err = skipPrefixFE(r)
		default:
			r.pos = start
			return nil, r.fail(ErrUnsupported, "opcode 0x%02x", op)
		}
		if err != nil {
			return nil, err
		}
		ins = append(ins, instr{start: start, end: r.pos, endsSegment: ends, hasFunc: hasFunc, fn: fn, isCall: isCall, exits: exits,
			toFn: toFn, fnPos: fnPos, fnDefault: fnDefault, tableLen: tableLen, frame: frame, targets: targets, cond: cond})
	}
}

func skipBlockType(r *reader) error {
	if r.eof() {
		return r.fail(ErrMalformed, "unexpected end")
	}
	switch r.b[r.pos] {
	case 0x40, 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f:
		r.pos++
		return nil
	case 0x63, 0x64:
		r.pos++
		return r.sleb(33)
	}
	return r.sleb(33) // type index
}

func skipMemArg(r *reader) error {
	align, err := r.u32()
	if err != nil {
		return err
	}
	if align&0x40 != 0 { // multi-memory: memory index follows
		if _, err := r.u32(); err != nil {
			return err
		}
	}
	_, err = r.uleb(64)
	return err
}

func skipPrefixFC(r *reader) error {
	start := r.pos - 1
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 7: // saturating truncations
		return nil
	case sub == 8: // memory.init data mem
		if _, err := r.u32(); err != nil {
			return err
		}
		_, err = r.u32()
	case sub == 9 || sub == 13 || sub == 11 || (sub >= 15 && sub <= 17):
		// data.drop, elem.drop, memory.fill, table.grow/size/fill: one index
		_, err = r.u32()
	case sub == 10 || sub == 12 || sub == 14: // memory.copy, table.init, table.copy
		if _, err := r.u32(); err != nil {
			return err
		}
		_, err = r.u32()
	default:
		r.pos = start
		return r.fail(ErrUnsupported, "opcode 0xfc %d", sub)
	}
	return err
}

func skipPrefixFD(r *reader) error {
	start := r.pos - 1
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 11 || sub == 92 || sub == 93: // loads, stores
		return skipMemArg(r)
	case sub == 12 || sub == 13: // v128.const, i8x16.shuffle
		_, err = r.bytes(16)
	case sub >= 21 && sub <= 34: // extract/replace lane
		_, err = r.byte()
	case sub >= 84 && sub <= 91: // load/store lane
		if err = skipMemArg(r); err == nil {
			_, err = r.byte()
		}
	case sub <= 275: // no immediates
	default:
		r.pos = start
		return r.fail(ErrUnsupported, "opcode 0xfd %d", sub)
	}
	return err
}

func skipPrefixFE(r *reader) error {
	start := r.pos - 1
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub == 3: // atomic.fence
		_, err = r.byte()
	case sub <= 2 || (sub >= 0x10 && sub <= 0x4e):
		err = skipMemArg(r)
	default:
		r.pos = start
		return r.fail(ErrUnsupported, "opcode 0xfe %d", sub)
	}
	return err
}
