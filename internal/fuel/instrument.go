package fuel

import (
	"bytes"
	"fmt"
)

// ExportName is the name under which an instrumented module exports its
// fuel counter, a mutable i64 global.
const ExportName = "mcpzero_fuel"

// Section ids of the binary format.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
	secTag       = 13
)

var sectionNames = map[byte]string{
	secCustom: "custom", secType: "type", secImport: "import", secFunction: "function",
	secTable: "table", secMemory: "memory", secGlobal: "global", secExport: "export",
	secStart: "start", secElement: "element", secCode: "code", secData: "data",
	secDataCount: "datacount", secTag: "tag",
}

// sectionRank is the order in which non-custom sections must appear.
var sectionRank = map[byte]int{
	secType: 1, secImport: 2, secFunction: 3, secTable: 4, secMemory: 5, secTag: 6,
	secGlobal: 7, secExport: 8, secStart: 9, secElement: 10, secDataCount: 11,
	secCode: 12, secData: 13,
}

var header = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

// Option configures Instrument.
type Option func(*config)

type config struct {
	initial        int64
	perInstruction bool
	checkpoints    bool
}

// WithInitialFuel sets the counter's value at instantiation, the budget of
// the module's start function (and of anything the host runs before it sets
// a budget itself). The default is 0: a module with a start function traps
// at instantiation unless given fuel here. Negative values are treated as 0.
func WithInitialFuel(n int64) Option {
	return func(c *config) {
		if n < 0 {
			n = 0
		}
		c.initial = n
	}
}

// PerInstruction charges 1 before every instruction instead of once per
// straight-line segment. Fuel used is the same for every call that does not
// trap, by construction; it is far slower and exists as the reference the
// segment metering is tested against, and for debugging.
func PerInstruction() Option { return func(c *config) { c.perInstruction = true } }

// Stats describes what Instrument did.
type Stats struct {
	Functions    int // defined functions rewritten
	Instructions int // instructions in their bodies
	Charges      int // charge sequences inserted
	FuelGlobal   uint32
}

// Instrument returns a copy of the module whose functions charge fuel to an
// added global exported as ExportName. The input is not modified.
func Instrument(wasm []byte, opts ...Option) ([]byte, error) {
	out, _, err := InstrumentStats(wasm, opts...)
	return out, err
}

type section struct {
	id      byte
	start   int // offset of the id byte
	content []byte
	cstart  int // offset of content
}

// InstrumentStats is Instrument that also reports what it did.
func InstrumentStats(wasm []byte, opts ...Option) ([]byte, Stats, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	var st Stats
	if len(wasm) < 8 || !bytes.Equal(wasm[:8], header) {
		return nil, st, &FormatError{Section: "header", Offset: 0, Msg: "not a wasm binary module version 1", Err: ErrMalformed}
	}
	// Split into sections.
	var secs []section
	r := &reader{b: wasm, pos: 8, section: "header"}
	lastRank := 0
	seen := map[byte]bool{}
	for !r.eof() {
		start := r.pos
		id, _ := r.byte()
		name, known := sectionNames[id]
		if !known {
			r.pos = start
			return nil, st, r.fail(ErrMalformed, "unknown section id %d", id)
		}
		r.section = name
		size, err := r.u32()
		if err != nil {
			return nil, st, err
		}
		cstart := r.pos
		content, err := r.bytes(int(size))
		if err != nil {
			return nil, st, err
		}
		if id != secCustom {
			if seen[id] || sectionRank[id] < lastRank {
				return nil, st, &FormatError{Section: name, Offset: start, Msg: "section out of order or repeated", Err: ErrMalformed}
			}
			seen[id] = true
			lastRank = sectionRank[id]
		}
		secs = append(secs, section{id: id, start: start, content: content, cstart: cstart})
	}

	find := func(id byte) *section {
		for i := range secs {
			if secs[i].id == id {
				return &secs[i]
			}
		}
		return nil
	}

	// Imports: count imported functions and globals. The new global comes
	// after the imported and defined ones, so no existing global index
	// moves. The checkpoint import, when added, comes after the imported
	// functions, so defined functions move up by one (remap).
	var importedGlobals, importedFuncs, importCount uint32
	var importBody []byte
	if s := find(secImport); s != nil {
		var err error
		importCount, importBody, importedFuncs, importedGlobals, err = scanImports(s)
		if err != nil {
			return nil, st, err
		}
	}
	var definedGlobals uint32
	var globalBody []byte
	if s := find(secGlobal); s != nil {
		gr := &reader{b: s.content, base: s.cstart, section: "global"}
		n, err := gr.u32()
		if err != nil {
			return nil, st, err
		}
		definedGlobals = n
		globalBody = s.content[gr.pos:]
	}
	fuelIdx := importedGlobals + definedGlobals
	if fuelIdx < importedGlobals || fuelIdx > 1<<30 {
		return nil, st, &FormatError{Section: "global", Offset: 0, Msg: "too many globals", Err: ErrMalformed}
	}
	st.FuelGlobal = fuelIdx

	ck := checkpointer{enabled: cfg.checkpoints, imported: importedFuncs}
	remap := ck.remap

	var exportCount uint32
	var exportBody []byte
	if s := find(secExport); s != nil {
		n, body, err := scanExports(s, remap)
		if err != nil {
			return nil, st, err
		}
		exportCount, exportBody = n, body
	}

	var funcCount uint32
	var funcTypes []uint32
	if s := find(secFunction); s != nil {
		fr := &reader{b: s.content, base: s.cstart, section: "function"}
		n, err := fr.u32()
		if err != nil {
			return nil, st, err
		}
		funcCount = n
		if n > uint32(len(s.content)) {
			return nil, st, fr.fail(ErrMalformed, "%d functions in %d bytes", n, len(s.content))
		}
		for i := uint32(0); i < n; i++ {
			t, err := fr.u32()
			if err != nil {
				return nil, st, err
			}
			funcTypes = append(funcTypes, t)
		}
	}
	var paramCounts []uint32
	if s := find(secType); s != nil {
		var err error
		if paramCounts, err = scanTypes(s); err != nil {
			return nil, st, err
		}
	}

	replaced := map[byte][]byte{}
	if ck.enabled {
		// The checkpoint's type () -> () is appended to the type section.
		var typeCount uint32
		var typeBody []byte
		if s := find(secType); s != nil {
			tr := &reader{b: s.content, base: s.cstart, section: "type"}
			n, err := tr.u32()
			if err != nil {
				return nil, st, err
			}
			typeCount, typeBody = n, s.content[tr.pos:]
		}
		t := appendULEB(nil, uint64(typeCount)+1)
		t = append(t, typeBody...)
		replaced[secType] = append(t, 0x60, 0x00, 0x00)
		im := appendULEB(nil, uint64(importCount)+1)
		im = append(im, importBody...)
		im = appendName(im, CheckpointModule)
		im = appendName(im, CheckpointFunction)
		im = append(im, 0x00)
		replaced[secImport] = appendULEB(im, uint64(typeCount))
		ck.fn = importedFuncs
		var err error
		if globalBody, err = rewriteGlobals(globalBody, find(secGlobal), definedGlobals, remap); err != nil {
			return nil, st, err
		}
		for _, id := range []byte{secStart, secElement, secTable} {
			if s := find(id); s != nil {
				b, err := rewriteSection(s, remap)
				if err != nil {
					return nil, st, err
				}
				replaced[id] = b
			}
		}
	}

	if s := find(secCode); s != nil {
		newCode, err := instrumentCode(s, fuelIdx, cfg, &ck, funcTypes, paramCounts, &st)
		if err != nil {
			return nil, st, err
		}
		if uint32(st.Functions) != funcCount {
			return nil, st, &FormatError{Section: "code", Offset: s.start, Msg: fmt.Sprintf("%d bodies for %d declared functions", st.Functions, funcCount), Err: ErrMalformed}
		}
		replaced[secCode] = newCode
	} else if funcCount != 0 {
		return nil, st, &FormatError{Section: "function", Offset: 0, Msg: fmt.Sprintf("%d functions declared but no code section", funcCount), Err: ErrMalformed}
	}

	// New global section: old entries plus the counter (and the reserve).
	newGlobals := uint64(1)
	if ck.enabled {
		newGlobals = 2
	}
	g := appendULEB(nil, uint64(definedGlobals)+newGlobals)
	g = append(g, globalBody...)
	g = append(g, 0x7e, 0x01, 0x42)
	g = appendSLEB(g, cfg.initial)
	g = append(g, 0x0b)
	e := appendULEB(nil, uint64(exportCount)+newGlobals)
	e = append(e, exportBody...)
	e = appendName(e, ExportName)
	e = append(e, 0x03)
	e = appendULEB(e, uint64(fuelIdx))
	if ck.enabled {
		g = append(g, 0x7e, 0x01, 0x42, 0x00, 0x0b) // reserve, 0
		e = appendName(e, ReserveExportName)
		e = append(e, 0x03)
		e = appendULEB(e, uint64(fuelIdx)+1)
	}
	replaced[secGlobal] = g
	replaced[secExport] = e

	// Re-emit the sections in order, inserting the ones the module lacked.
	out := make([]byte, 0, len(wasm)+len(wasm)/2+64)
	out = append(out, header...)
	emit := func(id byte, content []byte) {
		out = append(out, id)
		out = appendULEB(out, uint64(len(content)))
		out = append(out, content...)
	}
	placed := map[byte]bool{}
	insertBefore := func(rank int) {
		for _, id := range []byte{secType, secImport, secGlobal, secExport} {
			if b, ok := replaced[id]; ok && !placed[id] && sectionRank[id] < rank {
				emit(id, b)
				placed[id] = true
			}
		}
	}
	for _, s := range secs {
		if s.id == secCustom {
			if ck.enabled && customName(s.content) == "name" {
				if b, ok := rewriteNames(s.content, remap); ok {
					emit(secCustom, b)
				} // a name section we cannot renumber is dropped: debug names only
				continue
			}
			emit(secCustom, s.content)
			continue
		}
		insertBefore(sectionRank[s.id])
		if b, ok := replaced[s.id]; ok {
			emit(s.id, b)
			placed[s.id] = true
			continue
		}
		emit(s.id, s.content)
	}
	insertBefore(1 << 30)
	return out, st, nil
}

func scanImports(s *section) (count uint32, body []byte, funcs, globals uint32, err error) {
	r := &reader{b: s.content, base: s.cstart, section: "import"}
	n, err := r.u32()
	if err != nil {
		return 0, nil, 0, 0, err
	}
	body = s.content[r.pos:]
	count = n
	for i := uint32(0); i < n; i++ {
		var mod string
		if mod, err = r.name(); err != nil {
			return
		}
		if mod == CheckpointModule {
			return 0, nil, 0, 0, ErrAlreadyInstrumented
		}
		if _, err = r.name(); err != nil {
			return
		}
		var kind byte
		if kind, err = r.byte(); err != nil {
			return
		}
		switch kind {
		case 0x00: // func: type index
			_, err = r.u32()
			funcs++
		case 0x01: // table: reftype + limits
			if _, err = r.byte(); err == nil {
				err = skipLimits(r)
			}
		case 0x02: // memory: limits
			err = skipLimits(r)
		case 0x03: // global: valtype + mut
			if _, err = r.byte(); err == nil {
				_, err = r.byte()
			}
			globals++
		case 0x04: // tag: attribute + type index
			if _, err = r.byte(); err == nil {
				_, err = r.u32()
			}
		default:
			r.pos--
			return 0, nil, 0, 0, r.fail(ErrMalformed, "unknown import kind 0x%02x", kind)
		}
		if err != nil {
			return
		}
	}
	if !r.eof() {
		return 0, nil, 0, 0, r.fail(ErrMalformed, "trailing bytes")
	}
	return
}

func skipLimits(r *reader) error {
	flag, err := r.byte()
	if err != nil {
		return err
	}
	if flag > 0x07 {
		r.pos--
		return r.fail(ErrMalformed, "bad limits flag 0x%02x", flag)
	}
	if _, err := r.uleb(64); err != nil {
		return err
	}
	if flag&1 != 0 {
		_, err = r.uleb(64)
	}
	return err
}

func scanExports(s *section, remap func(uint32) uint32) (uint32, []byte, error) {
	r := &reader{b: s.content, base: s.cstart, section: "export"}
	n, err := r.u32()
	if err != nil {
		return 0, nil, err
	}
	var body []byte
	for i := uint32(0); i < n; i++ {
		name, err := r.name()
		if err != nil {
			return 0, nil, err
		}
		if name == ExportName || name == ReserveExportName {
			return 0, nil, ErrAlreadyInstrumented
		}
		kind, err := r.byte()
		if err != nil {
			return 0, nil, err
		}
		idx, err := r.u32()
		if err != nil {
			return 0, nil, err
		}
		if kind == 0x00 {
			idx = remap(idx)
		}
		body = appendName(body, name)
		body = append(body, kind)
		body = appendULEB(body, uint64(idx))
	}
	if !r.eof() {
		return 0, nil, r.fail(ErrMalformed, "trailing bytes")
	}
	return n, body, nil
}

func instrumentCode(s *section, fuelIdx uint32, cfg config, ck *checkpointer, funcTypes, paramCounts []uint32, st *Stats) ([]byte, error) {
	r := &reader{b: s.content, base: s.cstart, section: "code"}
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	out := appendULEB(make([]byte, 0, len(s.content)*2), uint64(n))
	var ins []instr
	var body []byte
	for i := uint32(0); i < n; i++ {
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		bstart := r.pos
		raw, err := r.bytes(int(size))
		if err != nil {
			return nil, err
		}
		br := &reader{b: raw, base: r.base + bstart, section: "code"}
		if i >= uint32(len(funcTypes)) || funcTypes[i] >= uint32(len(paramCounts)) {
			return nil, br.fail(ErrMalformed, "function %d has no valid type", i)
		}
		// Locals: vec(count, valtype), copied, plus one i64 for the counter,
		// whose index follows the parameters and the declared locals.
		nl, err := br.u32()
		if err != nil {
			return nil, err
		}
		entriesStart := br.pos
		local := uint64(paramCounts[funcTypes[i]])
		for j := uint32(0); j < nl; j++ {
			c, err := br.u32()
			if err != nil {
				return nil, err
			}
			local += uint64(c)
			if err := skipValType(br); err != nil {
				return nil, err
			}
		}
		if local >= 1<<31 {
			return nil, br.fail(ErrMalformed, "too many locals")
		}
		localsEnd := br.pos
		ins, err = decodeBody(br, ins[:0])
		if err != nil {
			return nil, err
		}
		// Two locals: the i64 counter, then an i32 scratch for conditional
		// branches to the function's label.
		body = appendULEB(body[:0], uint64(nl)+2)
		body = append(body, raw[entriesStart:localsEnd]...)
		body = append(body, 0x01, 0x7e, 0x01, 0x7f)
		body = emitBody(body, raw, ins, fuelIdx, uint32(local), cfg.perInstruction, ck, st)
		out = appendULEB(out, uint64(len(body)))
		out = append(out, body...)
		st.Functions++
		st.Instructions += len(ins)
	}
	if !r.eof() {
		return nil, r.fail(ErrMalformed, "trailing bytes after %d function bodies", n)
	}
	return out, nil
}

func skipValType(r *reader) error {
	c, err := r.byte()
	if err != nil {
		return err
	}
	switch c {
	case 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f:
		return nil
	case 0x63, 0x64: // (ref null ht), (ref ht): heap type as s33
		return r.sleb(33)
	}
	r.pos--
	return r.fail(ErrMalformed, "bad value type 0x%02x", c)
}

// emitBody writes the instructions of one body, each segment preceded by
// its charge (none when sink moved its cost into the segments that lead to
// it), renumbering function indices when a checkpoint import was added.
//
// The counter lives in a local (loc) while the function runs: loaded from
// the global at entry and after each call, written back before each call
// and before every way out of the function (return, a branch to its label,
// its final end, a trap by unreachable, a tail call). So the global is
// exact whenever another function, the host or the caller can see it, and
// the charges in between are register arithmetic.
func emitBody(out, raw []byte, ins []instr, g, loc uint32, perInstr bool, ck *checkpointer, st *Stats) []byte {
	out = appendSyncIn(out, g, loc)
	segs := segments(raw, ins, perInstr)
	if !perInstr {
		sink(raw, ins, segs) // sink.go
	}
	for _, s := range segs {
		if s.cost > 0 {
			out = appendCharge(out, g, loc, s.cost, ck)
			st.Charges++
		}
		for j := s.first; j <= s.last; j++ {
			in := &ins[j]
			op := raw[in.start]
			if (in.toFn && op == 0x0d) || len(in.fnPos) > 0 || in.fnDefault {
				out = appendBranchToFnCharge(out, g, loc, in, op, ck)
			}
			if in.isCall || in.exits || j == len(ins)-1 {
				out = appendSyncOut(out, g, loc)
			}
			if in.hasFunc && ck.enabled {
				out = append(out, raw[in.start])
				out = appendULEB(out, uint64(ck.remap(in.fn)))
			} else {
				out = append(out, raw[in.start:in.end]...)
			}
			if in.isCall {
				out = appendSyncIn(out, g, loc)
			}
		}
	}
	return out
}

// appendBranchToFnCharge charges 1 more when a br_if or br_table about to
// run takes the branch to the function's own label (the function's end then
// counts, as in the tracer). The condition or index is parked in the scratch
// local (loc+1) while the charge is computed, then pushed back.
func appendBranchToFnCharge(out []byte, g, loc uint32, in *instr, op byte, ck *checkpointer) []byte {
	scratch := uint64(loc) + 1
	out = append(out, 0x21) // local.set $scratch
	out = appendULEB(out, scratch)
	out = append(out, 0x20) // local.get $loc
	out = appendULEB(out, uint64(loc))
	getScratch := func() {
		out = append(out, 0x20)
		out = appendULEB(out, scratch)
	}
	if op == 0x0d { // br_if: taken when the condition is not zero
		getScratch()
		out = append(out, 0x41, 0x00, 0x47) // i32.const 0; i32.ne
	} else { // br_table: the index selects the function's label
		out = append(out, 0x41, 0x00) // i32.const 0
		for _, p := range in.fnPos {
			getScratch()
			out = append(out, 0x41)
			out = appendSLEB(out, int64(int32(p)))
			out = append(out, 0x46, 0x72) // i32.eq; i32.or
		}
		if in.fnDefault {
			getScratch()
			out = append(out, 0x41)
			out = appendSLEB(out, int64(int32(in.tableLen)))
			out = append(out, 0x4f, 0x72) // i32.ge_u; i32.or
		}
	}
	out = append(out, 0xad, 0x7d, 0x21) // i64.extend_i32_u; i64.sub; local.set $loc
	out = appendULEB(out, uint64(loc))
	out = appendCharge(out, g, loc, 0, ck) // the exhaustion check
	getScratch()
	return out
}

// appendSyncIn appends global.get $fuel; local.set $loc.
func appendSyncIn(out []byte, g, loc uint32) []byte {
	out = append(out, 0x23)
	out = appendULEB(out, uint64(g))
	out = append(out, 0x21)
	return appendULEB(out, uint64(loc))
}

// appendSyncOut appends local.get $loc; global.set $fuel.
func appendSyncOut(out []byte, g, loc uint32) []byte {
	out = append(out, 0x20)
	out = appendULEB(out, uint64(loc))
	out = append(out, 0x24)
	return appendULEB(out, uint64(g))
}

// appendCharge appends
//
//	local.get $loc; i64.const cost; i64.sub; local.tee $loc
//	i64.const 0; i64.lt_s
//	if; local.get $loc; global.set $fuel; unreachable; end
//
// (with checkpoints, `call $checkpoint; global.get $fuel; local.set $loc`
// in place of `unreachable`), which leaves the operand stack as it found
// it, so it is valid anywhere, including inside blocks with parameters and
// in unreachable code.
func appendCharge(out []byte, g, loc uint32, cost int64, ck *checkpointer) []byte {
	out = append(out, 0x20)
	out = appendULEB(out, uint64(loc))
	out = append(out, 0x42)
	out = appendSLEB(out, cost)
	out = append(out, 0x7d, 0x22)
	out = appendULEB(out, uint64(loc))
	out = append(out, 0x42, 0x00, 0x53, 0x04, 0x40)
	out = appendSyncOut(out, g, loc)
	if ck.enabled {
		out = append(out, 0x10)
		out = appendULEB(out, uint64(ck.fn))
		out = appendSyncIn(out, g, loc)
	} else {
		out = append(out, 0x00)
	}
	return append(out, 0x0b)
}

// scanTypes returns the number of parameters of each type.
func scanTypes(s *section) ([]uint32, error) {
	r := &reader{b: s.content, base: s.cstart, section: "type"}
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	if n > uint32(len(s.content)) {
		return nil, r.fail(ErrMalformed, "%d types in %d bytes", n, len(s.content))
	}
	out := make([]uint32, 0, n)
	for i := uint32(0); i < n; i++ {
		form, err := r.byte()
		if err != nil {
			return nil, err
		}
		if form != 0x60 {
			r.pos--
			return nil, r.fail(ErrUnsupported, "type form 0x%02x", form)
		}
		var params uint32
		for k := 0; k < 2; k++ {
			c, err := r.u32()
			if err != nil {
				return nil, err
			}
			if k == 0 {
				params = c
			}
			for j := uint32(0); j < c; j++ {
				if err := skipValType(r); err != nil {
					return nil, err
				}
			}
		}
		out = append(out, params)
	}
	if !r.eof() {
		return nil, r.fail(ErrMalformed, "trailing bytes")
	}
	return out, nil
}

func appendName(b []byte, s string) []byte {
	b = appendULEB(b, uint64(len(s)))
	return append(b, s...)
}
