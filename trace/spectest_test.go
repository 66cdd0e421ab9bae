package trace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// specDir finds the WebAssembly spec test suite of version ("v1" for 1.0,
// "v2" for 2.0) shipped in wazero's module (JSON + .wasm converted by
// wast2json).
func specDir(t *testing.T, version string) string {
	t.Helper()
	modVersion := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/tetratelabs/wazero" {
				modVersion = d.Version
				if d.Replace != nil {
					modVersion = d.Replace.Version
				}
			}
		}
	}
	var dirs []string
	if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/tetratelabs/wazero").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
			cache = strings.TrimSpace(string(out))
		}
	}
	if cache != "" && modVersion != "" {
		dirs = append(dirs, filepath.Join(cache, "github.com/tetratelabs/wazero@"+modVersion))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "internal/integration_test/spectest", version, "testdata")
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return p
		}
	}
	t.Skipf("wazero's spec test suite not found in the module cache (tried %v)", dirs)
	return ""
}

type specValue struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type specCommand struct {
	Type       string `json:"type"`
	Line       int    `json:"line"`
	Filename   string `json:"filename"`
	Name       string `json:"name"`
	ModuleType string `json:"module_type"`
	Text       string `json:"text"`
	Action     struct {
		Type   string      `json:"type"`
		Module string      `json:"module"`
		Field  string      `json:"field"`
		Args   []specValue `json:"args"`
	} `json:"action"`
	Expected []specValue `json:"expected"`
}

// specTrap maps the spec's trap messages to our kinds.
func specTrap(text string) (TrapKind, bool) {
	switch {
	case strings.HasPrefix(text, "integer divide by zero"):
		return TrapIntegerDivideByZero, true
	case strings.HasPrefix(text, "integer overflow"):
		return TrapIntegerOverflow, true
	case strings.HasPrefix(text, "out of bounds memory access"):
		return TrapOutOfBoundsMemory, true
	case strings.HasPrefix(text, "undefined element"), strings.HasPrefix(text, "uninitialized element"):
		return TrapInvalidTableAccess, true
	case strings.HasPrefix(text, "indirect call type mismatch"):
		return TrapIndirectCallTypeMismatch, true
	case strings.HasPrefix(text, "unreachable"):
		return TrapUnreachable, true
	case strings.HasPrefix(text, "call stack exhausted"):
		return TrapStackOverflow, true
	}
	return 0, false
}

func specInt(v specValue) (uint64, bool) {
	if v.Type != "i32" && v.Type != "i64" {
		return 0, false
	}
	x, err := strconv.ParseUint(v.Value, 10, 64)
	return x, err == nil
}

type specStats struct {
	ran, passed, unprovable, unprovableWholeModule, notInteger int
	rejected, rejectWant, multiValue, classified               int
	// With a specWazero: calls compared with wazero (results, trap,
	// memory) and traces checked by Verify.
	wazeroAgreed, verified int
}

// specWazero mirrors the modules of a spec file in wazero's interpreter with
// the WebAssembly 2.0 features, as the kernel runs them, so that every call
// the tracer runs is also compared with wazero on results, traps and the
// whole memory afterwards, and its trace is checked with Verify.
type specWazero struct {
	ctx context.Context
	rt  wazero.Runtime
	n   int
}

// instantiate loads bin as a fresh wazero module.
func (w *specWazero) instantiate(bin []byte) (api.Module, error) {
	w.n++
	cm, err := w.rt.CompileModule(w.ctx, bin)
	if err != nil {
		return nil, err
	}
	return w.rt.InstantiateModule(w.ctx, cm, wazero.NewModuleConfig().WithName(fmt.Sprint("spec", w.n)))
}

// call invokes export on mod and returns its outcome with the memory after.
func (w *specWazero) call(mod api.Module, export string, args []uint64) (*outcome, error) {
	fn := mod.ExportedFunction(export)
	if fn == nil {
		return nil, fmt.Errorf("wazero: no export %q", export)
	}
	res, err := fn.Call(w.ctx, args...)
	o := &outcome{}
	if err != nil {
		k, ok := trapFromWazero(err)
		if !ok {
			return nil, fmt.Errorf("wazero: unrecognised error: %w", err)
		}
		o.trap = k
	} else {
		rts := fn.Definition().ResultTypes()
		for i, v := range res {
			if rts[i] == api.ValueTypeI32 {
				v = uint64(uint32(v))
			}
			o.results = append(o.results, v)
		}
	}
	if mem := mod.Memory(); mem != nil {
		b, _ := mem.Read(0, mem.Size())
		o.memory = append([]byte(nil), b...)
	}
	return o, nil
}

// TestSpecSuite runs every assert_return / assert_trap / assert_exhaustion
// of the WebAssembly 1.0 spec suite whose call can be traced, and checks that
// every binary module the suite marks invalid or malformed is rejected.
func TestSpecSuite(t *testing.T) {
	dir := specDir(t, "v1")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Skipf("no spec tests in %s", dir)
	}
	sort.Strings(files)
	var total specStats
	var failures []string
	for _, file := range files {
		st := runSpecFile(t, dir, file, &failures, nil)
		total.ran += st.ran
		total.passed += st.passed
		total.unprovable += st.unprovable
		total.unprovableWholeModule += st.unprovableWholeModule
		total.notInteger += st.notInteger
		total.rejected += st.rejected
		total.rejectWant += st.rejectWant
		total.multiValue += st.multiValue
		total.classified += st.classified
	}
	t.Logf("spec suite v1 (%d files): assertions ran=%d passed=%d; skipped as unprovable=%d (of which float arguments/results=%d); "+
		"whole-module provability would have skipped %d more",
		len(files), total.ran, total.passed, total.unprovable, total.notInteger, total.unprovableWholeModule)
	t.Logf("spec suite v1: invalid/malformed binary modules rejected=%d of %d, %d of them with the suite's classification (plus %d multi-value modules accepted on purpose)", total.rejected, total.rejectWant, total.classified, total.multiValue)
	for i, f := range failures {
		if i == 30 {
			t.Errorf("... %d more failures", len(failures)-30)
			break
		}
		t.Error(f)
	}
	if total.passed != total.ran {
		t.Errorf("passed %d != ran %d", total.passed, total.ran)
	}
	if total.ran < 1000 {
		t.Errorf("only %d assertions ran; the suite was not found or not parsed", total.ran)
	}
	if total.rejected != total.rejectWant {
		t.Errorf("rejected %d of %d invalid/malformed modules", total.rejected, total.rejectWant)
	}
}

func runSpecFile(t *testing.T, dir, file string, failures *[]string, wz *specWazero) (st specStats) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Commands []specCommand `json:"commands"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	base := filepath.Base(file)
	type loaded struct {
		mod  *Module
		inst *Instance
		err  error
		// tainted: another module shares its state (register), or a call we
		// could not trace may have changed it; later calls are skipped.
		tainted bool
		wz      api.Module // the same module in wazero, with a specWazero
	}
	var cur *loaded
	named := map[string]*loaded{}
	fail := func(c specCommand, format string, args ...any) {
		*failures = append(*failures, base+":"+strconv.Itoa(c.Line)+": "+sprintf(format, args...))
	}
	for _, c := range doc.Commands {
		switch c.Type {
		case "module":
			bin, err := os.ReadFile(filepath.Join(dir, c.Filename))
			if err != nil {
				t.Fatal(err)
			}
			l := &loaded{}
			l.mod, l.err = Decode(bin)
			if l.err != nil {
				fail(c, "valid module %s rejected: %v", c.Filename, l.err)
			} else {
				l.inst, l.err = NewInstance(l.mod, WithMaxMemoryPages(65536))
			}
			if wz != nil && l.err == nil {
				if l.wz, err = wz.instantiate(bin); err != nil {
					fail(c, "wazero rejects %s: %v", c.Filename, err)
				}
			}
			cur = l
			if c.Name != "" {
				named[c.Name] = l
			}
		case "register":
			l := cur
			if c.Name != "" && named[c.Name] != nil {
				l = named[c.Name]
			}
			if l != nil {
				l.tainted = true
			}
		case "assert_invalid", "assert_malformed":
			if c.ModuleType != "binary" {
				continue
			}
			bin, err := os.ReadFile(filepath.Join(dir, c.Filename))
			if err != nil {
				t.Fatal(err)
			}
			st.rejectWant++
			if _, err := Decode(bin); err != nil {
				want := ErrMalformed
				if c.Type == "assert_invalid" {
					want = ErrInvalid
				}
				var de *DecodeError
				if !errors.As(err, &de) {
					fail(c, "%s: error is not a *DecodeError: %v", c.Filename, err)
				} else {
					// Rejecting is what counts; the boundary between
					// malformed and invalid differs between implementations,
					// so the classification is only counted.
					st.rejected++
					if errors.Is(err, want) {
						st.classified++
					}
				}
			} else if c.Text == "invalid result arity" {
				// Multi-value (WebAssembly 2.0) is accepted on purpose, as
				// wazero does: see docs/RATIONALE.md.
				st.rejectWant--
				st.multiValue++
			} else {
				fail(c, "%s %s (%s) accepted", c.Type, c.Filename, c.Text)
			}
		case "assert_return", "assert_trap", "assert_exhaustion", "action":
			if c.Action.Type != "invoke" {
				continue
			}
			l := cur
			if c.Action.Module != "" {
				l = named[c.Action.Module]
			}
			if l == nil || l.err != nil || l.tainted {
				if c.Type != "action" {
					st.unprovable++
				}
				continue
			}
			args := make([]uint64, 0, len(c.Action.Args))
			intOnly := true
			for _, a := range c.Action.Args {
				x, ok := specInt(a)
				intOnly = intOnly && ok
				args = append(args, x)
			}
			for _, e := range c.Expected {
				if _, ok := specInt(e); !ok {
					intOnly = false
				}
			}
			if err := CheckCallProvable(l.mod, c.Action.Field); err != nil || !intOnly {
				if mayWriteState(l.mod, c.Action.Field) {
					l.tainted = true
				}
				if c.Type != "action" {
					st.unprovable++
					if !intOnly {
						st.notInteger++
					}
				}
				continue
			}
			if c.Type != "action" && CheckProvable(l.mod) != nil {
				st.unprovableWholeModule++
			}
			tr, err := l.inst.Run(context.Background(), c.Action.Field, args, nil, WithMaxMemoryPages(65536))
			if err == nil && l.wz != nil {
				// Both run every call, actions included, so that their
				// states stay in step.
				theirs, werr := wz.call(l.wz, c.Action.Field, args)
				ours := &outcome{results: tr.Results, trap: tr.Trap, memory: tr.FinalMemory}
				if werr != nil {
					fail(c, "%s%v: %v", c.Action.Field, args, werr)
				} else if d := diffOutcome(ours, theirs); d != "" {
					fail(c, "%s%v: tracer vs wazero: %s", c.Action.Field, args, d)
				} else {
					st.wazeroAgreed++
				}
				if verr := tr.Verify(); verr != nil {
					fail(c, "%s%v: %v", c.Action.Field, args, verr)
				} else {
					st.verified++
				}
			}
			if c.Type == "action" {
				continue
			}
			st.ran++
			if err != nil {
				fail(c, "%s %s%v: %v", c.Type, c.Action.Field, args, err)
				continue
			}
			switch c.Type {
			case "assert_return":
				if tr.Status != Returned {
					fail(c, "%s%v: trapped %v, want %v", c.Action.Field, args, tr.Trap, c.Expected)
					continue
				}
				ok := len(tr.Results) == len(c.Expected)
				for i := 0; ok && i < len(c.Expected); i++ {
					want, _ := specInt(c.Expected[i])
					ok = tr.Results[i] == want
				}
				if !ok {
					fail(c, "%s%v = %v, want %v", c.Action.Field, args, tr.Results, c.Expected)
					continue
				}
			default:
				want, known := specTrap(c.Text)
				if tr.Status != Trapped || !known || tr.Trap != want {
					fail(c, "%s%v: status %v trap %v, want trap %q", c.Action.Field, args, tr.Status, tr.Trap, c.Text)
					continue
				}
			}
			st.passed++
		}
	}
	return st
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// mayWriteState reports whether a call of export may change memory or
// globals (its reachable code stores, sets a global or grows memory).
func mayWriteState(m *Module, export string) bool {
	f, ok := m.ExportedFunc(export)
	if !ok {
		return false
	}
	for _, g := range m.reachable(f) {
		pf := m.Program.Funcs[g]
		if m.Funcs[g].Import != nil {
			return true
		}
		for pc := pf.Entry; pc < pf.End; pc++ {
			switch op := m.Program.Code[pc].Op; {
			case op == 0x24, op >= 0x36 && op <= 0x3E, op == 0x40, op >= 0xFC00:
				return true
			}
		}
	}
	return false
}

// TestSpecSuiteBulkMemory runs the WebAssembly 2.0 spec files of the
// provable bulk-memory instructions (memory.copy, memory.fill): every
// assertion against the suite's expectations, every call also against
// wazero (results, traps, memory) and Verify, and every module the suite
// marks invalid must be rejected.
func TestSpecSuiteBulkMemory(t *testing.T) {
	dir := specDir(t, "v2")
	ctx := context.Background()
	for _, name := range []string{"memory_copy.json", "memory_fill.json"} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(dir, name)
			if _, err := os.Stat(file); err != nil {
				t.Skipf("%s not in wazero's v2 spec suite: %v", name, err)
			}
			rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(api.CoreFeaturesV2))
			defer rt.Close(ctx)
			var failures []string
			st := runSpecFile(t, dir, file, &failures, &specWazero{ctx: ctx, rt: rt})
			t.Logf("spec suite v2 %s: assertions ran=%d passed=%d skipped=%d (unprovable %d, float %d); calls compared with wazero=%d, traces verified=%d; invalid modules rejected=%d of %d",
				name, st.ran, st.passed, st.unprovable, st.unprovable-st.notInteger, st.notInteger, st.wazeroAgreed, st.verified, st.rejected, st.rejectWant)
			for i, f := range failures {
				if i == 30 {
					t.Errorf("... %d more failures", len(failures)-30)
					break
				}
				t.Error(f)
			}
			if st.passed != st.ran || st.ran == 0 {
				t.Errorf("passed %d of %d", st.passed, st.ran)
			}
			if st.unprovable != 0 {
				t.Errorf("%d assertions skipped: every call of these files is integer bulk-memory code", st.unprovable)
			}
			if st.rejected != st.rejectWant || st.rejectWant == 0 {
				t.Errorf("rejected %d of %d invalid modules", st.rejected, st.rejectWant)
			}
			if st.wazeroAgreed < st.ran || st.verified < st.ran {
				t.Errorf("%d calls compared with wazero and %d verified, want at least the %d assertions", st.wazeroAgreed, st.verified, st.ran)
			}
		})
	}
}
