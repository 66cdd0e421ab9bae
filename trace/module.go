package trace

import (
	"fmt"
)

// ValType is a WebAssembly value type.
type ValType byte

const (
	I32       ValType = 0x7F
	I64       ValType = 0x7E
	F32       ValType = 0x7D
	F64       ValType = 0x7C
	V128      ValType = 0x7B
	FuncRef   ValType = 0x70
	ExternRef ValType = 0x6F
	unknown   ValType = 0 // polymorphic stack entry during validation
)

func (t ValType) String() string {
	switch t {
	case I32:
		return "i32"
	case I64:
		return "i64"
	case F32:
		return "f32"
	case F64:
		return "f64"
	case V128:
		return "v128"
	case FuncRef:
		return "funcref"
	case ExternRef:
		return "externref"
	}
	return fmt.Sprintf("valtype(%#x)", byte(t))
}

func (t ValType) integer() bool { return t == I32 || t == I64 }

// FuncType is a function signature.
type FuncType struct {
	Params  []ValType
	Results []ValType
}

func (t FuncType) String() string { return fmt.Sprintf("%v -> %v", t.Params, t.Results) }

// External kinds of imports and exports.
const (
	ExternFunc   byte = 0
	ExternTable  byte = 1
	ExternMemory byte = 2
	ExternGlobal byte = 3
)

// Import is one import.
type Import struct {
	Module, Name string
	Kind         byte
	Type         uint32 // function imports: type index
	Offset       int
}

// Export is one export.
type Export struct {
	Name  string
	Kind  byte
	Index uint32
}

// Limits of a memory (pages) or table (elements).
type Limits struct {
	Min    uint32
	Max    uint32
	HasMax bool
}

// Global is a module-defined global.
type Global struct {
	Type    ValType
	Mutable bool
	Init    uint64 // value of the constant initializer (bits for floats)
	Offset  int
	// Imported globals have no known value; a module with one is unprovable.
	Imported bool
}

// ElemSegment is an active element segment of table 0.
type ElemSegment struct {
	Offset uint32
	Funcs  []uint32
	At     int
}

// DataSegment is a data segment of memory 0.
type DataSegment struct {
	Offset  uint32
	Bytes   []byte
	At      int
	Passive bool // bulk memory: not copied at instantiation (and not provable)
}

// Func is a function of the module, imported ones first.
type Func struct {
	Type     uint32
	Import   *Import // nil for module-defined functions
	Locals   []ValType
	BodyAt   int // byte offset of the body (after its size)
	BodyEnd  int
	Name     string
	unproven []Violation // instructions outside the provable subset
}

// Module is a decoded and validated WebAssembly module plus its program
// table. It is immutable after Decode and safe for concurrent Runs.
type Module struct {
	Types   []FuncType
	Imports []Import
	Funcs   []Func
	Table   *Limits
	Memory  *Limits
	Globals []Global
	Exports []Export
	Start   *uint32
	Elems   []ElemSegment
	Datas   []DataSegment
	Program *Program

	numImportedFuncs int
	moduleViolations []Violation
	dataCount        *uint32
	startAt          int
	// hostKinds[f] != 0 marks an import of a provable host function.
	hostKinds []IOKind
}

// ExportedFunc returns the function index of the named export.
func (m *Module) ExportedFunc(name string) (uint32, bool) {
	for _, e := range m.Exports {
		if e.Kind == ExternFunc && e.Name == name {
			return e.Index, true
		}
	}
	return 0, false
}

// FuncType returns the signature of function f.
func (m *Module) FuncType(f uint32) FuncType { return m.Types[m.Funcs[f].Type] }

const (
	maxLocals   = 50000 // per function
	maxPages    = 65536
	maxTableLen = 1 << 20
)

// Decode parses and validates a WebAssembly 1.0 binary (plus the
// sign-extension operators and multi-value block types) and builds its
// program table. Errors are *DecodeError wrapping ErrMalformed or
// ErrInvalid. Instructions outside the provable subset are not errors here:
// CheckProvable reports them.
func Decode(bin []byte) (mod *Module, err error) {
	d := &decoder{r: reader{b: bin, end: len(bin), section: "header", fn: -1}, m: &Module{}}
	defer func() {
		// The decoder is written not to panic; this is a last line of
		// defence so that hostile input can never crash the caller.
		if p := recover(); p != nil {
			mod, err = nil, &DecodeError{Kind: ErrMalformed, Section: d.r.section, Offset: d.r.pos, Func: d.r.fn, Msg: fmt.Sprint("internal error: ", p)}
		}
	}()
	d.decode()
	if d.r.err != nil {
		return nil, d.r.err
	}
	return d.m, nil
}

type decoder struct {
	r        reader
	m        *Module
	funcDecl []uint32 // type indices from the function section
	codeSeen bool
	// importedGlobals precede the module's globals in the index space.
	importedGlobals []Global
}

var sectionNames = [...]string{"custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "datacount"}

// sectionOrder gives the position of each section id in the required order.
var sectionOrder = [...]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10}

func (d *decoder) decode() {
	r := &d.r
	if len(r.b) < 4 || string(r.b[:4]) != "\x00asm" {
		r.malformed("magic header not detected")
		return
	}
	r.pos = 4
	if len(r.b) < 8 {
		r.malformed("unexpected end")
		return
	}
	if string(r.b[4:8]) != "\x01\x00\x00\x00" {
		r.malformed("unknown binary version")
		return
	}
	r.pos = 8
	last := 0
	for r.ok() && r.pos < len(r.b) {
		r.section = "header"
		r.end = len(r.b)
		idAt := r.pos
		id := r.byte()
		size := r.u32()
		if !r.ok() {
			return
		}
		if int(id) >= len(sectionNames) {
			r.fail(ErrMalformed, idAt, fmt.Sprintf("malformed section id %d", id))
			return
		}
		r.section = sectionNames[id]
		if uint64(size) > uint64(r.remaining()) {
			r.fail(ErrMalformed, idAt, "section size out of bounds (unexpected end)")
			return
		}
		end := r.pos + int(size)
		r.end = end
		if id != 0 {
			if sectionOrder[id] <= last {
				r.fail(ErrMalformed, idAt, "unexpected section (out of order or duplicate)")
				return
			}
			last = sectionOrder[id]
		}
		switch id {
		case 0:
			d.custom()
		case 1:
			d.typeSection()
		case 2:
			d.importSection()
		case 3:
			d.functionSection()
		case 4:
			d.tableSection()
		case 5:
			d.memorySection()
		case 6:
			d.globalSection()
		case 7:
			d.exportSection()
		case 8:
			d.startSection()
		case 9:
			d.elementSection()
		case 10:
			d.codeSection()
		case 11:
			d.dataSection()
		case 12:
			n := r.u32()
			d.m.dataCount = &n
		}
		if r.ok() && r.pos != end {
			r.malformed("section size mismatch")
		}
		r.end = len(r.b)
	}
	if !r.ok() {
		return
	}
	r.section = "function"
	if len(d.funcDecl) > 0 && !d.codeSeen {
		r.fail(ErrMalformed, len(r.b), "function and code section have inconsistent lengths")
		return
	}
	if d.m.dataCount != nil && int(*d.m.dataCount) != len(d.m.Datas) {
		r.section = "datacount"
		r.fail(ErrMalformed, len(r.b), "data count and data section have inconsistent lengths")
		return
	}
	d.finish()
}

func (d *decoder) custom() {
	r := &d.r
	name := r.name()
	if !r.ok() {
		return
	}
	if name == "name" {
		d.nameSection(r.b[r.pos:r.end])
	}
	r.pos = r.end
}

// nameSection reads function names; a broken name section is ignored, as
// the specification allows.
func (d *decoder) nameSection(b []byte) {
	nr := reader{b: b, end: len(b), section: "custom", fn: -1}
	for nr.ok() && nr.pos < nr.end {
		id := nr.byte()
		size := nr.u32()
		if !nr.ok() || uint64(size) > uint64(nr.remaining()) {
			return
		}
		next := nr.pos + int(size)
		if id == 1 {
			n := nr.count(2)
			for i := 0; i < n && nr.ok(); i++ {
				idx := nr.u32()
				name := nr.name()
				if nr.ok() && int(idx) < len(d.m.Funcs) && d.m.Funcs[idx].Name == "" {
					d.m.Funcs[idx].Name = name
				}
			}
		}
		nr.pos = next
	}
}

func (d *decoder) valType() ValType {
	r := &d.r
	at := r.pos
	t := ValType(r.byte())
	switch t {
	case I32, I64, F32, F64, V128, FuncRef, ExternRef:
		return t
	}
	if r.ok() {
		r.fail(ErrMalformed, at, fmt.Sprintf("malformed value type %#x", byte(t)))
	}
	return 0
}

func (d *decoder) typeSection() {
	r := &d.r
	n := r.count(3)
	d.m.Types = make([]FuncType, 0, n)
	for i := 0; i < n && r.ok(); i++ {
		if c := r.byte(); c != 0x60 && r.ok() {
			r.fail(ErrMalformed, r.pos-1, fmt.Sprintf("malformed functype %#x", c))
			return
		}
		var ft FuncType
		np := r.count(1)
		ft.Params = make([]ValType, 0, np)
		for j := 0; j < np && r.ok(); j++ {
			ft.Params = append(ft.Params, d.valType())
		}
		nr := r.count(1)
		ft.Results = make([]ValType, 0, nr)
		for j := 0; j < nr && r.ok(); j++ {
			ft.Results = append(ft.Results, d.valType())
		}
		d.m.Types = append(d.m.Types, ft)
	}
}

func (d *decoder) limits(max uint64, what string) Limits {
	r := &d.r
	at := r.pos
	flag := r.byte()
	var l Limits
	switch flag {
	case 0:
		l.Min = r.u32()
	case 1:
		l.Min = r.u32()
		l.Max = r.u32()
		l.HasMax = true
	default:
		if r.ok() {
			r.fail(ErrMalformed, at, fmt.Sprintf("malformed limits flags %#x", flag))
		}
		return l
	}
	if !r.ok() {
		return l
	}
	if uint64(l.Min) > max || (l.HasMax && uint64(l.Max) > max) {
		r.fail(ErrInvalid, at, fmt.Sprintf("%s size must be at most %d", what, max))
	} else if l.HasMax && l.Max < l.Min {
		r.fail(ErrInvalid, at, "size minimum must not be greater than maximum")
	}
	return l
}

func (d *decoder) tableType() *Limits {
	r := &d.r
	at := r.pos
	if t := ValType(r.byte()); t != FuncRef && r.ok() {
		r.fail(ErrMalformed, at, "malformed element type")
	}
	l := d.limits(1<<32-1, "table")
	return &l
}

func (d *decoder) globalType() (ValType, bool) {
	r := &d.r
	t := d.valType()
	at := r.pos
	mut := r.byte()
	if mut > 1 && r.ok() {
		r.fail(ErrMalformed, at, "malformed mutability")
	}
	return t, mut == 1
}

func (d *decoder) importSection() {
	r := &d.r
	n := r.count(4)
	for i := 0; i < n && r.ok(); i++ {
		im := Import{Offset: r.pos}
		im.Module = r.name()
		im.Name = r.name()
		kindAt := r.pos
		im.Kind = r.byte()
		switch im.Kind {
		case ExternFunc:
			at := r.pos
			im.Type = r.u32()
			if r.ok() && int(im.Type) >= len(d.m.Types) {
				r.fail(ErrInvalid, at, fmt.Sprintf("unknown type %d", im.Type))
			}
			d.m.Imports = append(d.m.Imports, im)
			d.m.Funcs = append(d.m.Funcs, Func{Type: im.Type})
			d.m.numImportedFuncs++
		case ExternTable:
			t := d.tableType()
			if d.m.Table != nil && r.ok() {
				r.fail(ErrInvalid, kindAt, "multiple tables")
			}
			d.m.Table = t
			d.m.Imports = append(d.m.Imports, im)
		case ExternMemory:
			l := d.limits(maxPages, "memory")
			if d.m.Memory != nil && r.ok() {
				r.fail(ErrInvalid, kindAt, "multiple memories")
			}
			d.m.Memory = &l
			d.m.Imports = append(d.m.Imports, im)
		case ExternGlobal:
			t, mut := d.globalType()
			d.m.Imports = append(d.m.Imports, im)
			d.importedGlobals = append(d.importedGlobals, Global{Type: t, Mutable: mut, Offset: im.Offset, Imported: true})
		default:
			if r.ok() {
				r.fail(ErrMalformed, kindAt, fmt.Sprintf("malformed import kind %#x", im.Kind))
			}
		}
	}
	// Pointers into d.m.Imports are taken only now that it no longer grows.
	k := 0
	for i := range d.m.Imports {
		if d.m.Imports[i].Kind == ExternFunc {
			d.m.Funcs[k].Import = &d.m.Imports[i]
			k++
		}
	}
}

func (d *decoder) functionSection() {
	r := &d.r
	n := r.count(1)
	d.funcDecl = make([]uint32, 0, n)
	for i := 0; i < n && r.ok(); i++ {
		at := r.pos
		t := r.u32()
		if r.ok() && int(t) >= len(d.m.Types) {
			r.fail(ErrInvalid, at, fmt.Sprintf("unknown type %d", t))
		}
		d.funcDecl = append(d.funcDecl, t)
		d.m.Funcs = append(d.m.Funcs, Func{Type: t})
	}
}

func (d *decoder) tableSection() {
	r := &d.r
	n := r.count(3)
	for i := 0; i < n && r.ok(); i++ {
		at := r.pos
		t := d.tableType()
		if d.m.Table != nil && r.ok() {
			r.fail(ErrInvalid, at, "multiple tables")
		}
		d.m.Table = t
	}
}

func (d *decoder) memorySection() {
	r := &d.r
	n := r.count(2)
	for i := 0; i < n && r.ok(); i++ {
		at := r.pos
		l := d.limits(maxPages, "memory")
		if d.m.Memory != nil && r.ok() {
			r.fail(ErrInvalid, at, "multiple memories")
		}
		d.m.Memory = &l
	}
}

// constExpr reads a constant initializer of type want. Only t.const and
// global.get of an imported immutable global are valid in WebAssembly 1.0;
// the value of global.get is unknown here (imports are unprovable), so it
// yields 0 and a module-level violation.
func (d *decoder) constExpr(want ValType) (v uint64, fromGlobal bool) {
	r := &d.r
	at := r.pos
	op := r.byte()
	var got ValType
	switch op {
	case 0x41:
		v, got = uint64(uint32(int32(r.sleb(32)))), I32
	case 0x42:
		v, got = uint64(r.sleb(64)), I64
	case 0x43:
		b := r.bytes(4)
		if len(b) == 4 {
			v = uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24
		}
		got = F32
	case 0x44:
		b := r.bytes(8)
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		got = F64
	case 0xD0: // ref.null t (reference types)
		t := ValType(r.byte())
		if t != FuncRef && t != ExternRef && r.ok() {
			r.fail(ErrMalformed, at, "malformed reference type")
			return
		}
		v, got = NullFunc, t
	case 0xD2: // ref.func x (reference types)
		fat := r.pos
		f := r.u32()
		if r.ok() && int(f) >= len(d.m.Funcs) {
			r.fail(ErrInvalid, fat, fmt.Sprintf("unknown function %d", f))
			return
		}
		v, got = uint64(f), FuncRef
	case 0x23:
		gat := r.pos
		g := r.u32()
		if !r.ok() {
			return
		}
		if int(g) >= len(d.importedGlobals) {
			r.fail(ErrInvalid, gat, fmt.Sprintf("unknown global %d", g))
			return
		}
		if d.importedGlobals[g].Mutable {
			r.fail(ErrInvalid, gat, "constant expression required")
			return
		}
		got, fromGlobal = d.importedGlobals[g].Type, true
	default:
		if r.ok() {
			r.fail(ErrInvalid, at, "constant expression required")
		}
		return
	}
	endAt := r.pos
	if e := r.byte(); e != 0x0B && r.ok() {
		if e == 0x41 || e == 0x42 || e == 0x23 || e == 0x43 || e == 0x44 {
			r.fail(ErrInvalid, endAt, "type mismatch: constant expression has more than one value")
		} else {
			r.fail(ErrInvalid, endAt, "constant expression required")
		}
	}
	if r.ok() && got != want {
		r.fail(ErrInvalid, at, fmt.Sprintf("type mismatch: constant expression of type %v, want %v", got, want))
	}
	return v, fromGlobal
}

func (d *decoder) globalSection() {
	r := &d.r
	n := r.count(3)
	for i := 0; i < n && r.ok(); i++ {
		g := Global{Offset: r.pos}
		g.Type, g.Mutable = d.globalType()
		var fromGlobal bool
		g.Init, fromGlobal = d.constExpr(g.Type)
		if fromGlobal {
			d.m.moduleViolations = append(d.m.moduleViolations, Violation{Func: -1, Offset: g.Offset, What: "global initialised from an imported global"})
		}
		d.m.Globals = append(d.m.Globals, g)
	}
}

func (d *decoder) exportSection() {
	r := &d.r
	n := r.count(3)
	seen := make(map[string]bool, n)
	for i := 0; i < n && r.ok(); i++ {
		at := r.pos
		e := Export{Name: r.name()}
		kindAt := r.pos
		e.Kind = r.byte()
		e.Index = r.u32()
		if !r.ok() {
			return
		}
		var limit int
		switch e.Kind {
		case ExternFunc:
			limit = len(d.m.Funcs)
		case ExternTable:
			limit = boolInt(d.m.Table != nil)
		case ExternMemory:
			limit = boolInt(d.m.Memory != nil)
		case ExternGlobal:
			limit = len(d.importedGlobals) + len(d.m.Globals)
		default:
			r.fail(ErrMalformed, kindAt, fmt.Sprintf("malformed export kind %#x", e.Kind))
			return
		}
		if int(e.Index) >= limit {
			r.fail(ErrInvalid, kindAt, fmt.Sprintf("unknown %s %d", externName(e.Kind), e.Index))
			return
		}
		if seen[e.Name] {
			r.fail(ErrInvalid, at, fmt.Sprintf("duplicate export name %q", e.Name))
			return
		}
		seen[e.Name] = true
		d.m.Exports = append(d.m.Exports, e)
	}
}

func externName(k byte) string {
	return [...]string{"function", "table", "memory", "global"}[k&3]
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (d *decoder) startSection() {
	r := &d.r
	at := r.pos
	s := r.u32()
	if !r.ok() {
		return
	}
	if int(s) >= len(d.m.Funcs) {
		r.fail(ErrInvalid, at, fmt.Sprintf("unknown function %d", s))
		return
	}
	if ft := d.m.Types[d.m.Funcs[s].Type]; len(ft.Params) != 0 || len(ft.Results) != 0 {
		r.fail(ErrInvalid, at, "start function must have type [] -> []")
		return
	}
	d.m.Start = &s
	d.m.startAt = at
}

func (d *decoder) elementSection() {
	r := &d.r
	n := r.count(2)
	for i := 0; i < n && r.ok(); i++ {
		at := r.pos
		flag := r.u32()
		if !r.ok() {
			return
		}
		if flag > 7 {
			r.fail(ErrMalformed, at, fmt.Sprintf("malformed element segment kind %d", flag))
			return
		}
		// Kinds other than 0 (active, table 0, function indices) come from
		// the bulk-memory and reference-types proposals: decoded, so that the
		// module loads, but not provable.
		active := flag&1 == 0
		var off uint64
		if flag == 2 || flag == 6 {
			tat := r.pos
			if t := r.u32(); t != 0 && r.ok() {
				r.fail(ErrInvalid, tat, fmt.Sprintf("unknown table %d", t))
				return
			}
		}
		if active {
			if d.m.Table == nil {
				r.fail(ErrInvalid, at, "unknown table 0")
				return
			}
			var fromGlobal bool
			off, fromGlobal = d.constExpr(I32)
			if fromGlobal {
				d.m.moduleViolations = append(d.m.moduleViolations, Violation{Func: -1, Offset: at, What: "element offset from an imported global"})
			}
		}
		if flag != 0 {
			d.m.moduleViolations = append(d.m.moduleViolations, Violation{Func: -1, Offset: at, What: fmt.Sprintf("element segment of kind %d (bulk memory / reference types)", flag)})
		}
		exprs := flag&4 != 0
		if flag&3 != 0 {
			// elemkind (0x00) or reftype
			kat := r.pos
			k := r.byte()
			if r.ok() && ((!exprs && k != 0) || (exprs && ValType(k) != FuncRef && ValType(k) != ExternRef)) {
				r.fail(ErrMalformed, kat, fmt.Sprintf("malformed element kind %#x", k))
				return
			}
		}
		cnt := r.count(1)
		seg := ElemSegment{Offset: uint32(off), Funcs: make([]uint32, 0, cnt), At: at}
		for j := 0; j < cnt && r.ok(); j++ {
			if exprs {
				v, _ := d.constExpr(FuncRef)
				seg.Funcs = append(seg.Funcs, uint32(v))
				continue
			}
			fat := r.pos
			f := r.u32()
			if r.ok() && int(f) >= len(d.m.Funcs) {
				r.fail(ErrInvalid, fat, fmt.Sprintf("unknown function %d", f))
			}
			seg.Funcs = append(seg.Funcs, f)
		}
		if flag == 0 {
			d.m.Elems = append(d.m.Elems, seg)
		}
	}
}

func (d *decoder) dataSection() {
	r := &d.r
	n := r.count(2)
	for i := 0; i < n && r.ok(); i++ {
		at := r.pos
		flag := r.u32()
		if !r.ok() {
			return
		}
		if flag > 2 {
			r.fail(ErrMalformed, at, fmt.Sprintf("malformed data segment kind %d", flag))
			return
		}
		if flag == 2 {
			mat := r.pos
			if mi := r.u32(); mi != 0 && r.ok() {
				r.fail(ErrInvalid, mat, fmt.Sprintf("unknown memory %d", mi))
				return
			}
		}
		var off uint64
		if flag != 1 {
			if d.m.Memory == nil {
				r.fail(ErrInvalid, at, "unknown memory 0")
				return
			}
			var fromGlobal bool
			off, fromGlobal = d.constExpr(I32)
			if fromGlobal {
				d.m.moduleViolations = append(d.m.moduleViolations, Violation{Func: -1, Offset: at, What: "data offset from an imported global"})
			}
		} else {
			d.m.moduleViolations = append(d.m.moduleViolations, Violation{Func: -1, Offset: at, What: "passive data segment (bulk memory)"})
		}
		cnt := r.count(1)
		b := r.bytes(cnt)
		d.m.Datas = append(d.m.Datas, DataSegment{Offset: uint32(off), Bytes: b, At: at, Passive: flag == 1})
	}
}

func (d *decoder) codeSection() {
	r := &d.r
	d.codeSeen = true
	at := r.pos
	n := r.count(2)
	if r.ok() && n != len(d.funcDecl) {
		r.fail(ErrMalformed, at, "function and code section have inconsistent lengths")
		return
	}
	d.m.Program = &Program{Funcs: make([]FuncInfo, len(d.m.Funcs))}
	v := newValidator(d)
	for i := 0; i < n && r.ok(); i++ {
		fi := d.m.numImportedFuncs + i
		r.fn = fi
		size := r.u32()
		if !r.ok() {
			return
		}
		if uint64(size) > uint64(r.remaining()) {
			r.malformed("function body size out of bounds")
			return
		}
		bodyEnd := r.pos + int(size)
		saveEnd := r.end
		r.end = bodyEnd
		f := &d.m.Funcs[fi]
		f.BodyAt, f.BodyEnd = r.pos, bodyEnd
		groups := r.count(2)
		total := uint64(0)
		for j := 0; j < groups && r.ok(); j++ {
			cat := r.pos
			c := r.u32()
			total += uint64(c)
			if total > maxLocals {
				r.fail(ErrMalformed, cat, "too many locals")
				return
			}
			t := d.valType()
			for k := uint32(0); k < c && r.ok(); k++ {
				f.Locals = append(f.Locals, t)
			}
		}
		if !r.ok() {
			return
		}
		v.function(fi)
		if r.ok() && r.pos != bodyEnd {
			r.malformed("section size mismatch: function body has trailing bytes")
		}
		r.end = saveEnd
		r.pos = bodyEnd
	}
	r.fn = -1
}

// finish fills the program-table entries of imported functions and the
// names, and checks what needs the whole module.
func (d *decoder) finish() {
	m := d.m
	if m.Program == nil {
		m.Program = &Program{Funcs: make([]FuncInfo, len(m.Funcs))}
	}
	for _, e := range m.Exports {
		if e.Kind == ExternFunc && m.Funcs[e.Index].Name == "" {
			m.Funcs[e.Index].Name = e.Name
		}
	}
	m.hostKinds = make([]IOKind, len(m.Funcs))
	for i := range m.Funcs {
		f := &m.Funcs[i]
		ft := m.Types[f.Type]
		pf := &m.Program.Funcs[i]
		pf.Name = f.Name
		pf.Type = f.Type
		pf.Params = uint32(len(ft.Params))
		pf.Results = uint32(len(ft.Results))
		pf.Locals = uint32(len(ft.Params) + len(f.Locals))
		if f.Import != nil {
			pf.Import = f.Import.Module + "." + f.Import.Name
			pf.Entry, pf.End = HaltPC, HaltPC
			m.hostKinds[i] = hostKind(f.Import, ft)
		}
	}
	// Link calls to their callee's entry (HaltPC for imports).
	for pc := range m.Program.Code {
		if in := &m.Program.Code[pc]; in.Op == 0x10 {
			in.Target = m.Program.Funcs[in.Imm].Entry
		}
	}
	m.Globals = append(d.importedGlobals, m.Globals...)
}
