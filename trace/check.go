package trace

import (
	"fmt"
	"sort"

	"github.com/mcpzero/mcpzero/internal/hostabi"
)

// hostKind returns which provable host function an import is, or 0.
func hostKind(im *Import, ft FuncType) IOKind {
	if im.Module != hostabi.Module {
		return 0
	}
	want := map[string]struct {
		k              IOKind
		params, result int
	}{
		hostabi.FnInputSize:   {IOInputSize, 0, 1},
		hostabi.FnInputRead:   {IOInputRead, 3, 1},
		hostabi.FnOutputWrite: {IOOutputWrite, 2, 0},
	}[im.Name]
	if want.k == 0 || len(ft.Params) != want.params || len(ft.Results) != want.result {
		return 0
	}
	for _, t := range ft.Params {
		if t != I32 {
			return 0
		}
	}
	for _, t := range ft.Results {
		if t != I32 {
			return 0
		}
	}
	return want.k
}

// Violations lists every violation of the provable subset in the module:
// module-level ones (imports other than the provable host functions, start
// function, globals from imports) and every unsupported instruction, local
// type or signature of every function, ordered by byte offset.
func (m *Module) Violations() []Violation {
	vs := m.moduleLevelViolations()
	for i := range m.Funcs {
		vs = append(vs, m.funcViolations(i)...)
	}
	sortViolations(vs)
	return vs
}

func sortViolations(vs []Violation) {
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].Offset < vs[j].Offset })
}

func (m *Module) moduleLevelViolations() []Violation {
	vs := append([]Violation(nil), m.moduleViolations...)
	for i := range m.Imports {
		im := &m.Imports[i]
		switch im.Kind {
		case ExternTable, ExternMemory, ExternGlobal:
			vs = append(vs, Violation{Func: -1, Offset: im.Offset, What: fmt.Sprintf("import of %s %s.%s (only the host functions of module %q can be imported)", externName(im.Kind), im.Module, im.Name, hostabi.Module)})
		}
	}
	if m.Start != nil {
		vs = append(vs, Violation{Func: -1, Offset: m.startAt, What: "start function (initialise in the exported function instead)"})
	}
	return vs
}

// funcViolations are the reasons function f itself is unprovable.
func (m *Module) funcViolations(f int) []Violation {
	fn := &m.Funcs[f]
	var vs []Violation
	if fn.Import != nil {
		if m.hostKinds[f] == 0 {
			what := fmt.Sprintf("import of function %s.%s", fn.Import.Module, fn.Import.Name)
			if fn.Import.Module == hostabi.Module {
				what += fmt.Sprintf(" (provable host functions: %v with the types of docs/ABI.md)", hostabi.ProvableFunctions)
			}
			vs = append(vs, Violation{Func: f, Name: fn.Name, Offset: fn.Import.Offset, What: what})
		}
		return vs
	}
	ft := m.Types[fn.Type]
	for _, t := range ft.Params {
		if !t.integer() {
			vs = append(vs, Violation{Func: f, Name: fn.Name, Offset: fn.BodyAt, What: fmt.Sprintf("parameter of type %v", t)})
			break
		}
	}
	for _, v := range fn.unproven {
		v.Name = fn.Name
		vs = append(vs, v)
	}
	return vs
}

// CheckProvable reports whether the whole module is inside the provable
// subset. The error is a *ProvabilityError listing every violation.
func CheckProvable(m *Module) error {
	if vs := m.Violations(); len(vs) > 0 {
		return &ProvabilityError{Violations: vs}
	}
	return nil
}

// CheckCallProvable reports whether a call of the export can be traced: the
// module-level requirements hold and every function reachable from it
// (through call, and through call_indirect to any table element of the
// right type) is provable. A module that mixes float functions with integer
// ones can still have provable exports.
func CheckCallProvable(m *Module, export string) error {
	f, ok := m.ExportedFunc(export)
	if !ok {
		return fmt.Errorf("%w: %q", ErrExport, export)
	}
	vs := m.moduleLevelViolations()
	for _, g := range m.reachable(f) {
		vs = append(vs, m.funcViolations(int(g))...)
	}
	if len(vs) > 0 {
		sortViolations(vs)
		return &ProvabilityError{Violations: vs}
	}
	return nil
}

// reachable returns the functions a call of f may execute.
func (m *Module) reachable(f uint32) []uint32 {
	seen := make([]bool, len(m.Funcs))
	var tableFuncs []uint32
	for _, e := range m.Elems {
		tableFuncs = append(tableFuncs, e.Funcs...)
	}
	canon := m.canonicalTypes()
	work := []uint32{f}
	seen[f] = true
	var out []uint32
	for len(work) > 0 {
		g := work[len(work)-1]
		work = work[:len(work)-1]
		out = append(out, g)
		pf := m.Program.Funcs[g]
		if m.Funcs[g].Import != nil {
			continue
		}
		for pc := pf.Entry; pc < pf.End; pc++ {
			in := &m.Program.Code[pc]
			switch in.Op {
			case 0x10:
				if c := uint32(in.Imm); !seen[c] {
					seen[c] = true
					work = append(work, c)
				}
			case 0x11:
				for _, c := range tableFuncs {
					if !seen[c] && canon[m.Funcs[c].Type] == canon[in.Imm] {
						seen[c] = true
						work = append(work, c)
					}
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// canonicalTypes maps each type index to the smallest index of a
// structurally equal type, for call_indirect's signature check.
func (m *Module) canonicalTypes() []uint32 {
	c := make([]uint32, len(m.Types))
	first := make(map[string]uint32, len(m.Types))
	for i, t := range m.Types {
		b := make([]byte, 0, len(t.Params)+len(t.Results)+1)
		for _, p := range t.Params {
			b = append(b, byte(p))
		}
		b = append(b, 0)
		for _, r := range t.Results {
			b = append(b, byte(r))
		}
		k := string(b)
		if j, ok := first[k]; ok {
			c[i] = j
		} else {
			first[k] = uint32(i)
			c[i] = uint32(i)
		}
	}
	return c
}
