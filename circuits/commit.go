package circuits

import (
	"fmt"
	"slices"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/mcpzero/mcpzero/circuits/claim"
	"github.com/mcpzero/mcpzero/trace"
)

// ClassUnsupported marks, in the program table, an instruction the circuits
// cannot execute yet. It is committed like any other entry (so that a
// module's commitment does not depend on which paths a run takes) but no
// row can execute it: no class selector produces its flags.
const ClassUnsupported Class = 63

// ModuleTable is the circuit's view of a module: the encoded program table,
// the function table and the initial globals. Commit hashes exactly this.
//
// The circuit's program differs from the tracer's by pseudo-instructions:
// every function body is preceded by a prologue (one local.set per
// parameter, last first, then one local.zero per other local, scratch
// locals included) that a call jumps to, so that a call row itself has a
// fixed number of memory accesses; a signed load is followed by its sign
// extension, host copies and bulk memory by their byte rows; multi-value
// branches and returns are expanded (multivalue.go). PC maps a tracer pc to
// the circuit's (the first entry of its expansion).
type ModuleTable struct {
	Entries []Entry
	Funcs   []trace.FuncInfo // Entry is the circuit pc of the body (after the prologue)
	// I32Params has bit i set when parameter i of function f is an i32
	// (the first segment range-checks the arguments by type).
	I32Params []uint64
	Globals   []uint64
	// Pages is the initial memory size in 64 KiB pages; Image is the
	// initial memory (data segments applied) without its trailing zeros.
	Pages uint32
	// MaxPages bounds memory.grow: the module's maximum, or 65536.
	MaxPages uint32
	Image    []byte
	memRoot  fr.Element  // MemoryRoot(Image)
	progTree *sparseTree // the program tree (memtree.go)
	funcTree *sparseTree // the function tree
	elemTree *sparseTree // the funcref table tree
	PC       []uint32    // tracer pc -> circuit pc
	// Elems is the funcref table: per slot, the prologue pc, params,
	// locals and canonical type of the function it holds; a null slot has
	// type NullType and an imported function's slot hostType + its type,
	// which no call_indirect expects.
	Elems []TableEntry
	// Unsupported lists the instructions encoded as ClassUnsupported.
	Unsupported []*UnsupportedError
	prologue    []uint32          // function -> circuit pc of its prologue
	funcOf      []uint32          // tracer pc -> function, for errors
	wrappers    map[uint32]uint32 // host function -> prologue pc of its wrapper (hostWrapper)
	scratch     []uint32          // function -> scratch locals after its declared ones (multivalue.go)
}

// TableEntry is one slot of the funcref table as call_indirect sees it.
type TableEntry struct {
	Prologue, Params, Locals, Type uint32
}

// NullType is the type of a null table slot.
const NullType = 1<<32 - 1

// hostType + t is the type of a slot holding an imported (host) function
// of canonical type t: call_indirect can neither call it (the circuits
// execute module code only) nor prove its traps, since only types below
// hostType and NullType are provable (circuit.go), so such a run is
// refused with an *UnsupportedError.
const hostType = 1 << 31

func (e TableEntry) packed() fr.Element {
	var r, t fr.Element
	r.SetUint64(uint64(e.Prologue))
	for i, v := range []uint32{e.Params, e.Locals, e.Type} {
		t.SetUint64(uint64(v))
		t.Mul(&t, pow2fr(uint(32*(i+1))))
		r.Add(&r, &t)
	}
	return r
}

// canonicalTypes maps every type index to the first index of an equal type.
func canonicalTypes(mod *trace.Module) []uint32 {
	out := make([]uint32, len(mod.Types))
	for i, t := range mod.Types {
		out[i] = uint32(i)
		for j := 0; j < i; j++ {
			u := mod.Types[j]
			if slices.Equal(t.Params, u.Params) && slices.Equal(t.Results, u.Results) {
				out[i] = uint32(j)
				break
			}
		}
	}
	return out
}

// Table encodes a decoded module for the circuits.
func Table(mod *trace.Module) (*ModuleTable, error) {
	if mod == nil || mod.Program == nil {
		return nil, fmt.Errorf("circuits: module has no program table")
	}
	p := mod.Program
	t := &ModuleTable{PC: make([]uint32, len(p.Code)), prologue: make([]uint32, len(p.Funcs)), funcOf: make([]uint32, len(p.Code))}
	for pc, in := range p.Code {
		t.funcOf[pc] = in.Func
	}
	entryOf := map[uint32]int{}
	for f, fi := range p.Funcs {
		if fi.Entry != trace.HaltPC {
			entryOf[fi.Entry] = f
		}
	}
	// Scratch locals of multi-value branches (multivalue.go), after each
	// function's declared ones.
	t.scratch = make([]uint32, len(p.Funcs))
	for pc, in := range p.Code {
		if _, s := multiArity(p, uint32(pc)); s > t.scratch[in.Func] {
			t.scratch[in.Func] = s
		}
	}
	// Layout: prologues before bodies.
	n := uint32(0)
	for pc := range p.Code {
		if f, ok := entryOf[uint32(pc)]; ok {
			t.prologue[f] = n
			n += p.Funcs[f].Locals + t.scratch[f]
		}
		t.PC[pc] = n
		if mv := multiValue(p, uint32(pc), n, 0, func(pc uint32) uint32 { return pc }); mv != nil {
			n += uint32(len(mv))
			continue
		}
		n++
		if e, err := Encode(p, uint32(pc)); err == nil && (e.Class == ClassLoad || e.Class == ClassStore) {
			n += uint32(len(memExpansion(p.Code[pc].Op, e)))
		} else if err == nil && (e.Class == ClassInputRead || e.Class == ClassOutputWrite) {
			n++
		} else if err == nil && (e.Class == ClassExtSplit || e.Class == ClassShrS || e.Class == ClassDivS) {
			n++
		} else if err == nil && e.Class == ClassBrTable {
			n += uint32(p.Code[pc].Imm) + 1
		} else if err == nil && (e.Class == ClassMemCopy || e.Class == ClassMemFill) {
			n += uint32(len(moveExpansion(e)))
		}
	}
	mapPC := func(pc uint32) uint32 {
		if pc == trace.HaltPC || int(pc) >= len(t.PC) {
			return pc
		}
		return t.PC[pc]
	}
	t.Funcs = make([]trace.FuncInfo, len(p.Funcs))
	t.I32Params = make([]uint64, len(p.Funcs))
	for f, fi := range p.Funcs {
		fi.Entry = mapPC(fi.Entry)
		fi.Locals += t.scratch[f]
		t.Funcs[f] = fi
		for i, vt := range mod.FuncType(uint32(f)).Params {
			if i < 64 && vt == trace.I32 {
				t.I32Params[f] |= 1 << i
			}
		}
	}
	for pc := range p.Code {
		if f, ok := entryOf[uint32(pc)]; ok {
			fi := p.Funcs[f]
			for i := int(fi.Params) - 1; i >= 0; i-- {
				t.Entries = append(t.Entries, Entry{Class: ClassLocalSet, W64: true, Pseudo: true, Imm: uint64(i)})
			}
			for i := fi.Params; i < fi.Locals+t.scratch[f]; i++ {
				t.Entries = append(t.Entries, Entry{Class: ClassLocalZero, W64: true, Pseudo: true, Imm: uint64(i)})
			}
		}
		if mv := multiValue(p, uint32(pc), uint32(len(t.Entries)), p.Funcs[p.Code[pc].Func].Locals, mapPC); mv != nil {
			t.Entries = append(t.Entries, mv...)
			continue
		}
		e, err := Encode(p, uint32(pc))
		if err != nil {
			ue, ok := err.(*UnsupportedError)
			if !ok {
				return nil, err
			}
			t.Unsupported = append(t.Unsupported, ue)
			e = Entry{Class: ClassUnsupported, Imm: uint64(p.Code[pc].Op)}
		}
		switch e.Class {
		case ClassBr, ClassBrIf, ClassIf, ClassElse:
			e.Target = mapPC(e.Target)
		case ClassCallInd:
			e.Imm = uint64(canonicalTypes(mod)[p.Code[pc].Imm])
		case ClassCall:
			callee := t.Funcs[p.Code[pc].Imm] // with its scratch locals
			e.Target = t.prologue[p.Code[pc].Imm]
			e.Height = callee.Params
			e.Imm = uint64(callee.Locals)
		}
		t.Entries = append(t.Entries, e)
		if e.Class == ClassLoad || e.Class == ClassStore {
			t.Entries = append(t.Entries, memExpansion(p.Code[pc].Op, e)...)
		}
		if e.Class == ClassDivS {
			// Imm: 2^(W-1), the quotient the zero test compares (overflow)
			half := uint64(1) << 31
			if e.W64 {
				half = 1 << 63
			}
			t.Entries = append(t.Entries, Entry{Class: ClassDivSPush, W64: e.W64, Neg: e.Neg, Pseudo: true, Imm: half})
		}
		if e.Class == ClassShrS {
			t.Entries = append(t.Entries, Entry{Class: ClassShrSPush, W64: e.W64, Pseudo: true})
		}
		if e.Class == ClassExtSplit {
			t.Entries = append(t.Entries, extPush(p.Code[pc].Op, e))
		}
		if e.Class == ClassBrTable {
			in := p.Code[pc]
			labels := p.BrTable[in.Table : uint64(in.Table)+in.Imm+1]
			for k, l := range labels {
				c := Entry{Class: ClassBrCase, W64: true, Pseudo: true, Imm: uint64(k), Target: mapPC(l.Target), Height: l.Height, Arity: l.Arity}
				if k == len(labels)-1 {
					c.Class, c.Imm = ClassBr, 0 // the default label
				}
				t.Entries = append(t.Entries, c)
			}
		}
		t.Entries = append(t.Entries, hostCopy(e.Class)...)
		if e.Class == ClassMemCopy || e.Class == ClassMemFill {
			t.Entries = append(t.Entries, moveExpansion(e)...)
		}
	}
	if uint32(len(t.Entries)) != n {
		return nil, fmt.Errorf("circuits: internal error: program layout of %d entries, %d emitted", n, len(t.Entries))
	}
	t.MaxPages = 65536
	if mod.Memory != nil {
		t.Pages = mod.Memory.Min
		if mod.Memory.HasMax {
			t.MaxPages = mod.Memory.Max
		}
		img := make([]byte, int(mod.Memory.Min)*65536)
		for _, d := range mod.Datas {
			if uint64(d.Offset)+uint64(len(d.Bytes)) > uint64(len(img)) {
				return nil, fmt.Errorf("circuits: data segment at offset %d does not fit the initial memory", d.Offset)
			}
			copy(img[d.Offset:], d.Bytes)
		}
		t.Image = trimZeros(img)
	}
	if mod.Table != nil {
		canon := canonicalTypes(mod)
		t.Elems = make([]TableEntry, mod.Table.Min)
		for i := range t.Elems {
			t.Elems[i].Type = NullType
		}
		for _, seg := range mod.Elems {
			for k, f := range seg.Funcs {
				i := uint64(seg.Offset) + uint64(k)
				if i >= uint64(len(t.Elems)) {
					return nil, fmt.Errorf("circuits: element segment at offset %d does not fit the table", seg.Offset)
				}
				fi := p.Funcs[f]
				if fi.Entry == trace.HaltPC {
					if pc, ok := t.hostWrapper(p, uint32(f)); ok {
						// called through its wrapper, as a module function
						t.Elems[i] = TableEntry{Prologue: pc, Params: fi.Params, Locals: fi.Params, Type: canon[mod.Funcs[f].Type]}
						continue
					}
					t.Elems[i] = TableEntry{Type: hostType + canon[mod.Funcs[f].Type]} // not callable, not null
					continue
				}
				t.Elems[i] = TableEntry{Prologue: t.prologue[f], Params: fi.Params, Locals: t.Funcs[f].Locals, Type: canon[mod.Funcs[f].Type]}
			}
		}
	}
	for _, g := range mod.Globals {
		if g.Imported {
			return nil, fmt.Errorf("circuits: imported globals have no committed value")
		}
		t.Globals = append(t.Globals, g.Init)
	}
	t.memRoot = MemoryRoot(t.Image)
	if len(t.Entries) > MaxProgram {
		return nil, fmt.Errorf("%w: a program of %d circuit entries; the program tree holds %d", ErrShape, len(t.Entries), MaxProgram)
	}
	if len(t.Funcs) > MaxFuncs || len(t.Elems) > MaxTable {
		return nil, fmt.Errorf("%w: %d functions and a table of %d slots; the circuits hold %d and %d", ErrShape, len(t.Funcs), len(t.Elems), MaxFuncs, MaxTable)
	}
	prog := make([]fr.Element, len(t.Entries))
	for i, e := range t.Entries {
		prog[i] = e.packed()
	}
	t.progTree = blockTreeOf(prog)
	t.funcTree = newSparseTree(zeroFuncNodes)
	for i, f := range t.Funcs {
		t.funcTree.set(uint64(i), funcLeaf(packedFunc(f, t.I32Params[i])))
	}
	elems := make([]fr.Element, len(t.Elems))
	for i, e := range t.Elems {
		elems[i] = e.packed()
	}
	t.elemTree = blockTreeOf(elems)
	return t, nil
}

// hostWrapper returns the prologue pc of the wrapper of provable host
// function f, appending it to the program on first use: pseudo-instructions
// only (a prologue, a local.get per parameter, the host call and its copy
// entry, a return), so that a call_indirect through a table slot holding f
// proves as a call of a module function and still counts one step, as the
// tracer's does.
func (t *ModuleTable) hostWrapper(p *trace.Program, f uint32) (uint32, bool) {
	if pc, ok := t.wrappers[f]; ok {
		return pc, true
	}
	fi := p.Funcs[f]
	c, ok := hostClass(fi.Import)
	if !ok {
		return 0, false
	}
	pc := uint32(len(t.Entries))
	for i := int(fi.Params) - 1; i >= 0; i-- {
		t.Entries = append(t.Entries, Entry{Class: ClassLocalSet, W64: true, Pseudo: true, Imm: uint64(i)})
	}
	for i := range fi.Params {
		t.Entries = append(t.Entries, Entry{Class: ClassLocalGet, W64: true, Pseudo: true, Imm: uint64(i)})
	}
	t.Entries = append(t.Entries, Entry{Class: c, W64: true, Pseudo: true})
	t.Entries = append(t.Entries, hostCopy(c)...)
	t.Entries = append(t.Entries, Entry{Class: ClassReturn, Pseudo: true, Arity: fi.Results, Imm: HaltPC})
	if t.wrappers == nil {
		t.wrappers = map[uint32]uint32{}
	}
	t.wrappers[f] = pc
	return pc, true
}

func (e Entry) packed() fr.Element {
	// flags | target<<16 | height<<48 | imm<<80, as in the circuit.
	var r, t fr.Element
	r.SetUint64(e.Flags())
	t.SetUint64(uint64(e.Target))
	t.Mul(&t, pow2fr(16))
	r.Add(&r, &t)
	t.SetUint64(uint64(e.Height))
	t.Mul(&t, pow2fr(48))
	r.Add(&r, &t)
	t.SetUint64(e.Imm)
	t.Mul(&t, pow2fr(80))
	r.Add(&r, &t)
	return r
}

func packedFunc(f trace.FuncInfo, i32Mask uint64) fr.Element {
	var r, t fr.Element
	r.SetUint64(uint64(f.Entry))
	t.SetUint64(uint64(f.Params))
	t.Mul(&t, pow2fr(32))
	r.Add(&r, &t)
	t.SetUint64(uint64(f.Locals))
	t.Mul(&t, pow2fr(64))
	r.Add(&r, &t)
	t.SetUint64(i32Mask)
	t.Mul(&t, pow2fr(96))
	r.Add(&r, &t)
	return r
}

func pow2fr(n uint) *fr.Element {
	var e fr.Element
	e.SetUint64(1)
	var two fr.Element
	two.SetUint64(2)
	for range n {
		e.Mul(&e, &two)
	}
	return &e
}

// Commitment is the module commitment: HashLong(TagModule, root of the
// program tree, root of the function tree, digest of the initial globals,
// initial memory pages, maximum pages, memory root of the initial memory
// image, funcref table size, root of the funcref table tree); the trees
// are those of memtree.go.
func (t *ModuleTable) Commitment() fr.Element {
	return claim.HashLong(claim.U64(claim.TagModule), t.progTree.root(), t.funcTree.root(), claim.ValuesDigest(t.Globals),
		claim.U64(uint64(t.Pages)), claim.U64(uint64(t.MaxPages)), t.memRoot, claim.U64(uint64(len(t.Elems))), t.elemTree.root())
}

// Commit is the module commitment of a decoded module (the statement's M).
func Commit(mod *trace.Module) (fr.Element, error) {
	t, err := Table(mod)
	if err != nil {
		return fr.Element{}, err
	}
	return t.Commitment(), nil
}
