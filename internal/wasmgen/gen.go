package wasmgen

import "encoding/binary"

// A generator of valid modules inside the provable subset, driven by fuzz
// bytes: typed stack discipline by construction (every expression is built
// for the type it must leave), loops bounded by counters the body cannot
// touch, calls only to lower-numbered functions (no recursion), so every
// generated program terminates.

// valType is a WebAssembly value type's binary encoding (trace.ValType's
// values; the package does not import trace, whose tests import it).
type valType byte

const (
	i32 valType = 0x7F
	i64 valType = 0x7E
)

// Export is the name of the function every generated module exports: its
// type is (i32, i64) -> (i32, i64), or with SingleResult one of
// (i32, i64) -> i32 and (i32, i64) -> i64.
const Export = "run"

// Option configures Module.
type Option func(*config)

type config struct {
	singleResult bool
}

// SingleResult makes Export return one value, as WebAssembly 1.0 allows
// (the circuits' tests prove programs of both kinds). The data then
// generates other programs than without the option.
func SingleResult() Option { return func(c *config) { c.singleResult = true } }

// Call derives from the same fuzz bytes the arguments and the input that
// the tests call Export with: the input is the last 50 bytes (all of a
// shorter input), and from 12 bytes on the arguments are the little-endian
// u32 and u64 that end it (else both 0), so that fuzzing the bytes also
// varies them.
func Call(data []byte) (args []uint64, input []byte) {
	args = []uint64{0, 0}
	input = data
	if len(input) > 50 {
		input = input[len(input)-50:]
	}
	if len(data) >= 12 {
		args[0] = uint64(binary.LittleEndian.Uint32(data[len(data)-12:]))
		args[1] = binary.LittleEndian.Uint64(data[len(data)-8:])
	}
	return args, input
}

type byteSource struct {
	b []byte
	i int
}

// next returns the next input byte; past the end it cycles through the
// input again, scrambled, so that short inputs still give rich programs
// (fuel bounds the size).
func (s *byteSource) next() byte {
	if len(s.b) == 0 {
		return 0
	}
	c := s.b[s.i%len(s.b)] ^ byte(s.i/len(s.b)*151)
	s.i++
	return c
}

func (s *byteSource) intn(n int) int { return int(s.next()) % n }

func (s *byteSource) u32() uint32 {
	return uint32(s.next()) | uint32(s.next())<<8 | uint32(s.next())<<16 | uint32(s.next())<<24
}

func uleb(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7F)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
		} else {
			return append(b, c)
		}
	}
}

func sleb(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7F)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// gen generates a function: params (i32, i64), locals 2..5 (i32, i64,
// i32, i64) and counters 6..7 (i32) owned by loops.
type gen struct {
	src      *byteSource
	code     []byte
	fuel     int
	fn       int // index of the function being generated
	nf       int // number of functions (= table size)
	depth    int // structured-control nesting (labels)
	loops    int
	funcSigs [][2][]valType
}

const genCounter0 = 6

// genImports are the provable host functions every generated module
// imports: 0 input_size, 1 input_read, 2 output_write.
const genImports = 3

var genI32Locals = []uint32{0, 2, 4}
var genI64Locals = []uint32{1, 3, 5}

func (g *gen) op(b ...byte) { g.code = append(g.code, b...) }

func (g *gen) expr(t valType) {
	g.fuel--
	if g.fuel <= 0 {
		g.constant(t)
		return
	}
	if t == i32 {
		g.expr32()
	} else {
		g.expr64()
	}
}

func (g *gen) constant(t valType) {
	s := g.src
	var v int64
	switch s.intn(4) {
	case 0:
		v = int64(s.intn(5)) - 1
	case 1:
		v = int64(int32(s.u32()))
	case 2:
		v = int64(s.u32())<<32 | int64(s.u32())
	default:
		v = int64(s.intn(64))
	}
	if t == i32 {
		g.op(0x41)
		g.code = sleb(g.code, int64(int32(v)))
	} else {
		g.op(0x42)
		g.code = sleb(g.code, v)
	}
}

func (g *gen) memarg(align, off uint32) {
	g.code = uleb(g.code, uint64(align))
	g.code = uleb(g.code, uint64(off))
}

// address leaves an i32 address that is usually in bounds of the 1-2 pages.
func (g *gen) address() {
	s := g.src
	if s.intn(8) == 0 {
		g.expr(i32) // anything: may trap
		return
	}
	g.expr(i32)
	g.op(0x41)
	g.code = sleb(g.code, int64(int32(0x1FFF8&^(uint32(s.intn(4))<<14))))
	g.op(0x71) // i32.and
}

// loadOp is a load opcode and its natural alignment (log2).
type loadOp struct{ op, align byte }

// load emits one of loads at a random address, alignment and offset.
func (g *gen) load(loads []loadOp) {
	s := g.src
	l := loads[s.intn(len(loads))]
	g.address()
	g.op(l.op)
	g.memarg(uint32(s.intn(int(l.align)+1)), uint32(s.intn(3))*uint32(s.next()))
}

// operator emits n operands of type t, then one of ops.
func (g *gen) operator(t valType, n int, ops []byte) {
	for range n {
		g.expr(t)
	}
	g.op(ops[g.src.intn(len(ops))])
}

func (g *gen) expr32() {
	s := g.src
	switch s.intn(20) {
	case 19:
		// br_table carrying a value out of one of two nested blocks:
		// (block (result i32) (block (result i32) v i (br_table 0 1 0)) k i32.add)
		g.op(0x02, byte(i32), 0x02, byte(i32))
		g.depth += 2
		g.expr(i32)
		g.expr(i32)
		g.op(0x0E, 2, 0, 1, 0, 0x0B)
		g.depth--
		g.constant(i32)
		g.op(0x6A, 0x0B)
		g.depth--
	case 18:
		g.op(0x10, 0) // input_size
	case 0, 1:
		g.constant(i32)
	case 2, 3:
		g.op(0x20)
		g.code = uleb(g.code, uint64(genI32Locals[s.intn(3)]))
	case 4:
		g.op(0x23, 0) // global.get 0 (i32)
	case 5, 6:
		g.operator(i32, 2, []byte{0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F})
	case 7:
		g.operator(i32, 1, []byte{0x45, 0x67, 0x68, 0x69, 0xC0, 0xC1})
	case 8:
		g.operator(i64, 2, []byte{0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A})
	case 9:
		g.operator(i64, 1, []byte{0xA7, 0x50})
	case 10:
		g.load([]loadOp{{0x28, 2}, {0x2C, 0}, {0x2D, 0}, {0x2E, 1}, {0x2F, 1}})
	case 11:
		g.expr(i32)
		g.expr(i32)
		g.expr(i32)
		g.op(0x1B)
	case 12:
		// (block (result i32) stmt* (br_if 0 value cond) value)
		g.op(0x02, byte(i32))
		g.depth++
		g.stmts(2)
		g.expr(i32)
		g.expr(i32)
		g.op(0x0D, 0)
		g.op(0x1A)
		g.expr(i32)
		g.depth--
		g.op(0x0B)
	case 13:
		g.expr(i32)
		g.op(0x04, byte(i32))
		g.depth++
		g.stmts(1)
		g.expr(i32)
		g.op(0x05)
		g.stmts(1)
		g.expr(i32)
		g.depth--
		g.op(0x0B)
	case 14:
		g.call(i32)
	case 15:
		if s.intn(4) == 0 {
			g.op(0x41, 1, 0x40, 0) // memory.grow 1
		} else {
			g.op(0x3F, 0)
		}
	case 16:
		g.expr(i32)
		g.op(0x22)
		g.code = uleb(g.code, uint64(genI32Locals[s.intn(3)]))
	case 17:
		// call_indirect through the table: element i has type i of funcSigs.
		if g.fn == 0 {
			g.constant(i32)
			return
		}
		f := s.intn(g.fn)
		sig := g.funcSigs[f]
		if len(sig[1]) != 1 || sig[1][0] != i32 {
			g.constant(i32)
			return
		}
		for _, p := range sig[0] {
			g.expr(p)
		}
		idx := f
		switch s.intn(8) {
		case 0:
			idx = g.nf + s.intn(3) // out of the table: traps
		case 1:
			idx = s.intn(g.fn) // a lower function, maybe of another type
		}
		g.op(0x41)
		g.code = sleb(g.code, int64(idx))
		g.op(0x11)
		g.code = uleb(g.code, uint64(f))
		if s.intn(2) == 0 {
			g.op(0)
		} else {
			g.op(0x80, 0) // table 0 as a two-byte LEB, as LLVM 20 writes it
		}
	}
}

func (g *gen) expr64() {
	s := g.src
	switch s.intn(12) {
	case 0, 1:
		g.constant(i64)
	case 2, 3:
		g.op(0x20)
		g.code = uleb(g.code, uint64(genI64Locals[s.intn(3)]))
	case 4:
		g.op(0x23, 1)
	case 5, 6:
		g.operator(i64, 2, []byte{0x7C, 0x7D, 0x7E, 0x7F, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A})
	case 7:
		g.operator(i64, 1, []byte{0x79, 0x7A, 0x7B, 0xC2, 0xC3, 0xC4})
	case 8:
		g.operator(i32, 1, []byte{0xAC, 0xAD})
	case 9:
		g.load([]loadOp{{0x29, 3}, {0x30, 0}, {0x31, 0}, {0x32, 1}, {0x33, 1}, {0x34, 2}, {0x35, 2}})
	case 10:
		g.expr(i64)
		g.expr(i64)
		g.expr(i32)
		g.op(0x1B)
	case 11:
		g.call(i64)
	}
}

// call calls a lower-numbered function whose first result has type t.
func (g *gen) call(t valType) {
	for f := g.fn - 1; f >= 0; f-- {
		sig := g.funcSigs[f]
		if len(sig[1]) == 1 && sig[1][0] == t && g.src.intn(2) == 0 {
			for _, p := range sig[0] {
				g.expr(p)
			}
			g.op(0x10)
			g.code = uleb(g.code, uint64(f+genImports))
			return
		}
	}
	g.constant(t)
}

func (g *gen) stmts(n int) {
	k := g.src.intn(n + 1)
	for i := 0; i < k && g.fuel > 0; i++ {
		g.stmt()
	}
}

func (g *gen) stmt() {
	s := g.src
	g.fuel--
	switch s.intn(10) {
	case 9:
		if s.intn(2) == 0 {
			// drop(input_read(addr, offset, len))
			g.address()
			g.op(0x41)
			g.code = sleb(g.code, int64(s.intn(40)))
			g.op(0x41)
			g.code = sleb(g.code, int64(s.intn(70)))
			g.op(0x10, 1, 0x1A)
		} else {
			// output_write(addr, len)
			g.address()
			g.op(0x41)
			g.code = sleb(g.code, int64(s.intn(70)))
			g.op(0x10, 2)
		}
	case 0, 1:
		t := i32
		locals := genI32Locals
		if s.intn(2) == 0 {
			t, locals = i64, genI64Locals
		}
		g.expr(t)
		g.op(0x21)
		g.code = uleb(g.code, uint64(locals[s.intn(3)]))
	case 2:
		if s.intn(2) == 0 {
			g.expr(i32)
			g.op(0x24, 0)
		} else {
			g.expr(i64)
			g.op(0x24, 1)
		}
	case 3, 4:
		stores := []struct {
			op, align byte
			t         valType
		}{{0x36, 2, i32}, {0x37, 3, i64}, {0x3A, 0, i32}, {0x3B, 1, i32}, {0x3C, 0, i64}, {0x3D, 1, i64}, {0x3E, 2, i64}}
		st := stores[s.intn(len(stores))]
		g.address()
		g.expr(st.t)
		g.op(st.op)
		g.memarg(uint32(s.intn(int(st.align)+1)), uint32(s.intn(3))*uint32(s.next()))
	case 5:
		// Bounded loop: counter local owned by this nesting level.
		if g.loops >= 2 {
			g.expr(i32)
			g.op(0x1A)
			return
		}
		c := uint64(genCounter0 + g.loops)
		g.op(0x41)
		g.code = sleb(g.code, int64(s.intn(6)))
		g.op(0x21)
		g.code = uleb(g.code, c)
		g.op(0x03, 0x40)
		g.loops++
		g.depth++
		g.stmts(3)
		// counter--, continue while > 0
		g.op(0x20)
		g.code = uleb(g.code, c)
		g.op(0x41, 1, 0x6B, 0x22)
		g.code = uleb(g.code, c)
		g.op(0x41, 0, 0x4A, 0x0D, 0)
		g.depth--
		g.loops--
		g.op(0x0B)
	case 6:
		// br_table over three nested blocks.
		g.op(0x02, 0x40, 0x02, 0x40, 0x02, 0x40)
		g.depth += 3
		g.expr(i32)
		g.op(0x0E, 2, 0, 1, 2)
		g.op(0x0B)
		g.depth--
		g.stmts(1)
		g.op(0x0B)
		g.depth--
		g.stmts(1)
		g.op(0x0B)
		g.depth--
	case 7:
		g.expr(i32)
		g.op(0x04, 0x40)
		g.depth++
		g.stmts(2)
		if s.intn(3) == 0 {
			g.op(0x0C, 0) // br out of the if
		}
		g.op(0x05)
		g.stmts(2)
		g.depth--
		g.op(0x0B)
	case 8:
		switch s.intn(6) {
		case 0:
			g.expr(i32)
			g.op(0x04, 0x40, 0x00, 0x0B) // if cond: unreachable
		case 1:
			g.bulk()
		default:
			g.expr(i64)
			g.op(0x1A)
		}
	}
}

// bulk emits a memory.copy or memory.fill: usually in bounds with a short
// length, sometimes overlapping (src near dst, either side), sometimes with
// any length (which may trap).
func (g *gen) bulk() {
	s := g.src
	g.address() // dst
	fill := s.intn(3) == 0
	if fill {
		g.expr(i32) // val: any i32, only its low byte is written
	} else if s.intn(2) == 0 {
		// src = dst + delta, delta in [-16, 16]: overlapping copies.
		g.op(0x22, 4, 0x20, 4, 0x41)
		g.code = sleb(g.code, int64(s.intn(33))-16)
		g.op(0x6A)
	} else {
		g.address()
	}
	if s.intn(8) == 0 {
		g.expr(i32) // any length
	} else {
		g.op(0x41)
		g.code = sleb(g.code, int64(s.intn(80)))
	}
	if fill {
		g.op(0xFC, 11, 0)
	} else {
		g.op(0xFC, 10, 0, 0)
	}
}

// Module builds a valid WebAssembly module from data, deterministically
// (any bytes, empty included). It has 1 to 4 functions, of types
// (i32, i64) -> i32 or -> i64, each calling only lower ones; the last has
// type (i32, i64) -> (i32, i64) (see SingleResult) and is exported as
// Export. It imports the provable host functions mcpzero.input_size
// () -> i32, mcpzero.input_read (dst, offset, len i32) -> i32 and
// mcpzero.output_write (src, len i32), and also exports "memory" (1 page,
// at most 2, a data segment at 16), "g0" (mutable i32 global, 7) and "g1"
// (mutable i64 global, 9). Slot i of its funcref table (one slot per
// defined function) holds the i-th function the module defines.
func Module(data []byte, opts ...Option) []byte {
	var c config
	for _, o := range opts {
		o(&c)
	}
	src := &byteSource{b: data}
	nf := 1 + src.intn(4)
	g := &gen{src: src, nf: nf}
	sigChoices := [][2][]valType{
		{{i32, i64}, {i32}},
		{{i32, i64}, {i64}},
		{{i32, i64}, {i32, i64}},
	}
	for f := 0; f < nf; f++ {
		sig := sigChoices[2]
		if f < nf-1 || c.singleResult {
			sig = sigChoices[src.intn(2)]
		}
		g.funcSigs = append(g.funcSigs, sig)
	}
	bodies := make([][]byte, nf)
	// The exported function first, so that it gets the input's first bytes.
	for k := 0; k < nf; k++ {
		f := (nf - 1 + k) % nf
		sig := g.funcSigs[f]
		g.fn, g.code, g.fuel, g.depth = f, nil, 40+src.intn(80), 0
		// Locals after the params (0 i32, 1 i64): 2 i32, 3 i64, 4 i32,
		// 5 i64, and the loop counters 6, 7 (i32).
		g.code = append(g.code, 5, 1, byte(i32), 1, byte(i64), 1, byte(i32), 1, byte(i64), 2, byte(i32))
		g.stmts(4)
		for _, t := range sig[1] {
			g.expr(t)
		}
		g.op(0x0B)
		bodies[f] = g.code
	}
	var mod []byte
	mod = append(mod, 0, 'a', 's', 'm', 1, 0, 0, 0)
	section := func(id byte, payload []byte) {
		mod = append(mod, id)
		mod = uleb(mod, uint64(len(payload)))
		mod = append(mod, payload...)
	}
	// types: one per function
	var p []byte
	p = uleb(p, uint64(nf+genImports))
	hostSigs := [][2][]valType{{nil, {i32}}, {{i32, i32, i32}, {i32}}, {{i32, i32}, nil}}
	for _, s := range append(append([][2][]valType(nil), g.funcSigs...), hostSigs...) {
		p = append(p, 0x60)
		p = uleb(p, uint64(len(s[0])))
		for _, t := range s[0] {
			p = append(p, byte(t))
		}
		p = uleb(p, uint64(len(s[1])))
		for _, t := range s[1] {
			p = append(p, byte(t))
		}
	}
	section(1, p)
	p = uleb(nil, genImports)
	for i, name := range []string{"input_size", "input_read", "output_write"} {
		p = uleb(p, 7)
		p = append(p, "mcpzero"...)
		p = uleb(p, uint64(len(name)))
		p = append(p, name...)
		p = append(p, 0)
		p = uleb(p, uint64(nf+i))
	}
	section(2, p)
	p = uleb(nil, uint64(nf))
	for f := 0; f < nf; f++ {
		p = uleb(p, uint64(f))
	}
	section(3, p)
	section(4, []byte{1, 0x70, 0, byte(nf)}) // table nf
	section(5, []byte{1, 1, 1, 2})           // memory 1..2
	section(6, []byte{2, byte(i32), 1, 0x41, 0x07, 0x0B, byte(i64), 1, 0x42, 0x09, 0x0B})
	p = uleb(nil, 4)
	for _, e := range []struct {
		name string
		kind byte
		idx  int
	}{{"run", 0, nf - 1 + genImports}, {"memory", 2, 0}, {"g0", 3, 0}, {"g1", 3, 1}} {
		p = uleb(p, uint64(len(e.name)))
		p = append(p, e.name...)
		p = append(p, e.kind)
		p = uleb(p, uint64(e.idx))
	}
	section(7, p)
	// element segment: table[i] = function i
	p = []byte{1, 0, 0x41, 0, 0x0B}
	p = uleb(p, uint64(nf))
	for f := 0; f < nf; f++ {
		p = uleb(p, uint64(f+genImports))
	}
	section(9, p)
	p = uleb(nil, uint64(nf))
	for _, b := range bodies {
		p = uleb(p, uint64(len(b)))
		p = append(p, b...)
	}
	section(10, p)
	// a data segment so that loads see something
	section(11, []byte{1, 0, 0x41, 0x10, 0x0B, 8, 1, 2, 3, 4, 0xF0, 0xE0, 0xD0, 0xC0})
	return mod
}
