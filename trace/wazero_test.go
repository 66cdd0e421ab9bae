package trace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/mcpzero/mcpzero/internal/hostabi"
)

// outcome is what both implementations must agree on.
type outcome struct {
	results []uint64
	trap    TrapKind
	memory  []byte
	globals map[string]uint64
	output  []byte
}

func (o *outcome) String() string {
	return fmt.Sprintf("results=%v trap=%v mem=%d bytes globals=%v output=%q", o.results, o.trap, len(o.memory), o.globals, o.output)
}

type engine struct {
	name string
	cfg  func() wazero.RuntimeConfig
}

var engines = []engine{
	{"interpreter", wazero.NewRuntimeConfigInterpreter},
	{"compiler", wazero.NewRuntimeConfigCompiler},
}

// trapFromWazero maps wazero's error of a call to our trap kinds.
func trapFromWazero(err error) (TrapKind, bool) {
	if errors.Is(err, hostabi.ErrOutputLimit) {
		return TrapOutputLimit, true
	}
	if errors.Is(err, hostabi.ErrOutOfBounds) {
		return TrapOutOfBoundsMemory, true
	}
	msg := err.Error()
	for k := TrapUnreachable; k <= TrapOutputLimit; k++ {
		if strings.Contains(msg, "wasm error: "+k.String()) || k == TrapStackOverflow && strings.Contains(msg, k.String()) {
			return k, true
		}
	}
	return TrapNone, false
}

// runWazero calls export on a fresh instance; err is for failures that are
// neither results nor traps (compile, instantiate).
func runWazero(t testing.TB, e engine, bin []byte, export string, args []uint64, input []byte, maxPages uint32, globalNames []string) (*outcome, error) {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, e.cfg().WithMemoryLimitPages(maxPages))
	defer rt.Close(ctx)
	if err := instantiateHosts(ctx, rt, bin); err != nil {
		t.Fatal(err)
	}
	cm, err := rt.CompileModule(ctx, bin)
	if err != nil {
		return nil, err
	}
	mod, err := rt.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		return nil, err
	}
	fn := mod.ExportedFunction(export)
	if fn == nil {
		return nil, fmt.Errorf("no export %q", export)
	}
	io := &hostabi.IO{Input: input}
	res, err := fn.Call(hostabi.WithIO(ctx, io), args...)
	o := &outcome{output: io.Output, globals: map[string]uint64{}}
	if err != nil {
		k, ok := trapFromWazero(err)
		if !ok {
			return nil, fmt.Errorf("unrecognised wazero error: %w", err)
		}
		o.trap = k
	} else {
		rt := fn.Definition().ResultTypes()
		for i, v := range res {
			if rt[i] == api.ValueTypeI32 {
				v = uint64(uint32(v))
			}
			o.results = append(o.results, v)
		}
	}
	if mem := mod.Memory(); mem != nil && !reflect.ValueOf(mem).IsNil() {
		b, _ := mem.Read(0, mem.Size())
		o.memory = append([]byte(nil), b...)
	}
	for _, name := range globalNames {
		g := mod.ExportedGlobal(name)
		v := g.Get()
		if g.Type() == api.ValueTypeI32 {
			v = uint64(uint32(v))
		}
		o.globals[name] = v
	}
	return o, nil
}

// runTracer runs the same call on the tracer.
func runTracer(m *Module, export string, args []uint64, input []byte, opts ...Option) (*outcome, *Trace, error) {
	tr, err := Run(context.Background(), m, export, args, input, opts...)
	if err != nil {
		return nil, nil, err
	}
	o := &outcome{results: tr.Results, trap: tr.Trap, memory: tr.FinalMemory, output: tr.Output, globals: map[string]uint64{}}
	for _, e := range m.Exports {
		if e.Kind == ExternGlobal {
			o.globals[e.Name] = tr.FinalGlobals[e.Index]
		}
	}
	return o, tr, nil
}

func diffOutcome(a, b *outcome) string {
	var d []string
	if fmt.Sprint(a.results) != fmt.Sprint(b.results) {
		d = append(d, fmt.Sprintf("results %v vs %v", a.results, b.results))
	}
	if a.trap != b.trap {
		d = append(d, fmt.Sprintf("trap %v vs %v", a.trap, b.trap))
	}
	if !bytes.Equal(a.memory, b.memory) {
		d = append(d, fmt.Sprintf("memory differs (%d vs %d bytes)", len(a.memory), len(b.memory)))
	}
	if fmt.Sprint(a.globals) != fmt.Sprint(b.globals) {
		d = append(d, fmt.Sprintf("globals %v vs %v", a.globals, b.globals))
	}
	if !bytes.Equal(a.output, b.output) {
		d = append(d, fmt.Sprintf("output %q vs %q", a.output, b.output))
	}
	return strings.Join(d, "; ")
}

// agree runs a call on the tracer and both wazero engines and fails the
// test on any difference. It returns the tracer's trace.
func agree(t testing.TB, bin []byte, export string, args []uint64, input []byte, opts ...Option) *Trace {
	t.Helper()
	return agreeTolerant(t, bin, export, args, input, false, opts...)
}

// agreeTolerant is agree; with compilerMemTolerance, a difference in
// memory alone with the compiler, on a run where the tracer and the
// interpreter agree in everything, is logged instead of failing: a wazero
// compiler bug the fuzzer found (testdata/divergence, see
// TestWazeroCompilerDivergence). The interpreter still checks the tracer
// fully.
func agreeTolerant(t testing.TB, bin []byte, export string, args []uint64, input []byte, compilerMemTolerance bool, opts ...Option) *Trace {
	t.Helper()
	m, err := Decode(bin)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	const pages = 64
	opts = append([]Option{WithMaxMemoryPages(pages)}, opts...)
	ours, tr, err := runTracer(m, export, args, input, opts...)
	if err != nil {
		t.Fatalf("tracer %s%v: %v", export, args, err)
	}
	for _, e := range engines {
		theirs, err := runWazero(t, e, bin, export, args, input, pages, exportedGlobals(m))
		if err != nil {
			t.Fatalf("wazero %s %s%v: %v", e.name, export, args, err)
		}
		if d := diffOutcome(ours, theirs); d != "" {
			if compilerMemTolerance && e.name == "compiler" {
				theirs.memory = ours.memory
				if diffOutcome(ours, theirs) == "" {
					t.Logf("%s%v: known wazero compiler memory divergence (tracer and interpreter agree)", export, args)
					continue
				}
			}
			t.Fatalf("%s%v: tracer vs wazero %s: %s", export, args, e.name, d)
		}
	}
	return tr
}

func exportedGlobals(m *Module) []string {
	var names []string
	for _, e := range m.Exports {
		if e.Kind == ExternGlobal {
			names = append(names, e.Name)
		}
	}
	return names
}

func runWazeroCompileOnly(bin []byte) (struct{}, error) {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	_, err := rt.CompileModule(ctx, bin)
	return struct{}{}, err
}

func mustReadPath(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// instantiateHosts defines the provable I/O functions of module "mcpzero"
// with hostabi.DefineIO, the code the kernel uses, and a stub that traps for
// every other imported function (a provable call never reaches them).
func instantiateHosts(ctx context.Context, rt wazero.Runtime, bin []byte) error {
	m, err := Decode(bin)
	if err != nil {
		return err
	}
	builders := map[string]wazero.HostModuleBuilder{hostabi.Module: hostabi.DefineIO(rt.NewHostModuleBuilder(hostabi.Module))}
	defined := map[string]bool{}
	for _, n := range hostabi.ProvableFunctions {
		defined[hostabi.Module+"."+n] = true
	}
	for f := range m.Funcs {
		im := m.Funcs[f].Import
		if im == nil || defined[im.Module+"."+im.Name] {
			continue
		}
		defined[im.Module+"."+im.Name] = true
		b, ok := builders[im.Module]
		if !ok {
			b = rt.NewHostModuleBuilder(im.Module)
			builders[im.Module] = b
		}
		ft := m.Types[im.Type]
		conv := func(ts []ValType) []api.ValueType {
			out := make([]api.ValueType, len(ts))
			for i, t := range ts {
				out[i] = api.ValueType(t)
			}
			return out
		}
		b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(context.Context, api.Module, []uint64) {
			panic("unprovable import called")
		}), conv(ft.Params), conv(ft.Results)).Export(im.Name)
	}
	for _, b := range builders {
		if _, err := b.Instantiate(ctx); err != nil {
			return err
		}
	}
	return nil
}
