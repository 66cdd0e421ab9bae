package fuel

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// specDirs returns wazero's copy of the WebAssembly spec test suite in the
// module cache, or skips the test.
func specDirs(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Skipf("go env GOMODCACHE: %v", err)
	}
	base := filepath.Join(strings.TrimSpace(string(out)), "github.com/tetratelabs/wazero@v1.12.0/internal/integration_test/spectest")
	var dirs []string
	for _, v := range []string{"v1", "v2"} {
		d := filepath.Join(base, v, "testdata")
		if _, err := os.Stat(d); err == nil {
			dirs = append(dirs, d)
		}
	}
	if len(dirs) == 0 {
		t.Skip("wazero spec test suite not in the module cache")
	}
	return dirs
}

// TestSpecCorpusCompiles instruments every module of the spec test suite
// (thousands, many deliberately malformed): Instrument must never panic,
// and every module wazero compiles must still compile once instrumented.
func TestSpecCorpusCompiles(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(api.CoreFeaturesV2))
	defer rt.Close(ctx)
	var total, valid, refused int
	for _, dir := range specDirs(t) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.wasm"))
		for _, f := range files {
			wasm, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			total++
			inst, ierr := Instrument(wasm)
			cm, perr := rt.CompileModule(ctx, wasm)
			if perr != nil {
				continue
			}
			cm.Close(ctx)
			valid++
			if ierr != nil {
				if errors.Is(ierr, ErrUnsupported) {
					refused++
					continue
				}
				t.Errorf("%s: wazero compiles it but Instrument fails: %v", filepath.Base(f), ierr)
				continue
			}
			cm2, err := rt.CompileModule(ctx, inst)
			if err != nil {
				t.Errorf("%s: instrumented module does not compile: %v", filepath.Base(f), err)
				continue
			}
			cm2.Close(ctx)
		}
	}
	if valid < 1000 {
		t.Fatalf("only %d valid modules of %d: corpus not found as expected", valid, total)
	}
	t.Logf("%d modules, %d valid, all valid ones instrumented and compiled (%d refused as unsupported)", total, valid, refused)
}

type specCommand struct {
	Type     string `json:"type"`
	Line     int    `json:"line"`
	Filename string `json:"filename"`
	Action   struct {
		Type   string      `json:"type"`
		Module string      `json:"module"`
		Field  string      `json:"field"`
		Args   []specValue `json:"args"`
	} `json:"action"`
	Expected []specValue `json:"expected"`
}

type specValue struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"` // a string, or an array for v128
}

func (v specValue) bits() (uint64, bool) {
	switch v.Type {
	case "i32", "f32", "i64", "f64":
		var str string
		if json.Unmarshal(v.Value, &str) != nil {
			return 0, false
		}
		n, err := strconv.ParseUint(str, 10, 64)
		return n, err == nil
	}
	return 0, false
}

// TestSpecDifferential runs every assert_return of the spec suite (on
// modules without imports) under segment metering and per-instruction
// metering, on both engines: results must be identical, and fuel used must
// be the same in both modes and on both engines.
func TestSpecDifferential(t *testing.T) {
	ctx := context.Background()
	engs := engines
	if testing.Short() {
		engs = engines[1:] // interpreter only under -short
	}
	fuelSeen := map[string]int64{}
	var calls int
	for _, e := range engs {
		for _, dir := range specDirs(t) {
			jsons, _ := filepath.Glob(filepath.Join(dir, "*.json"))
			for _, jf := range jsons {
				data, err := os.ReadFile(jf)
				if err != nil {
					t.Fatal(err)
				}
				var doc struct {
					Commands []specCommand `json:"commands"`
				}
				if err := json.Unmarshal(data, &doc); err != nil {
					t.Fatalf("%s: %v", jf, err)
				}
				var rt wazero.Runtime
				var seg, per api.Module
				var mSeg, mPer *Meter
				closeRT := func() {
					if rt != nil {
						rt.Close(ctx)
						rt = nil
					}
				}
				for _, c := range doc.Commands {
					switch c.Type {
					case "module":
						closeRT()
						seg, per = nil, nil
						wasm, err := os.ReadFile(filepath.Join(dir, c.Filename))
						if err != nil {
							continue
						}
						rt = wazero.NewRuntimeWithConfig(ctx, e.cfg().WithCoreFeatures(api.CoreFeaturesV2))
						a, err1 := Instrument(wasm, WithInitialFuel(1<<40))
						b, err2 := Instrument(wasm, WithInitialFuel(1<<40), PerInstruction())
						if err1 != nil || err2 != nil {
							continue
						}
						s, err1 := rt.InstantiateWithConfig(ctx, a, wazero.NewModuleConfig().WithName("seg"))
						p, err2 := rt.InstantiateWithConfig(ctx, b, wazero.NewModuleConfig().WithName("per"))
						if err1 != nil || err2 != nil {
							continue // imports from other modules: out of scope here
						}
						seg, per = s, p
						mSeg, _ = NewMeter(s)
						mPer, _ = NewMeter(p)
					case "assert_return":
						if seg == nil || c.Action.Type != "invoke" || c.Action.Module != "" {
							continue
						}
						var args []uint64
						ok := true
						for _, a := range c.Action.Args {
							v, good := a.bits()
							ok = ok && good
							args = append(args, v)
						}
						fs, fp := seg.ExportedFunction(c.Action.Field), per.ExportedFunction(c.Action.Field)
						if !ok || fs == nil {
							continue
						}
						rs, us, err1 := mSeg.Call(ctx, fs, 1<<40, args...)
						rp, up, err2 := mPer.Call(ctx, fp, 1<<40, args...)
						where := filepath.Base(jf) + ":" + strconv.Itoa(c.Line)
						if (err1 == nil) != (err2 == nil) {
							t.Errorf("%s %s: segment err %v, per-instruction err %v", e.name, where, err1, err2)
							continue
						}
						if err1 != nil {
							continue // e.g. call depth; both failed alike
						}
						calls++
						if us != up {
							t.Errorf("%s %s: segment metering charged %d, per-instruction %d", e.name, where, us, up)
						}
						for i := range rs {
							if i < len(c.Expected) && c.Expected[i].Type != "i32" && c.Expected[i].Type != "i64" &&
								c.Expected[i].Type != "f32" && c.Expected[i].Type != "f64" {
								continue // references are host pointers, v128 halves: not comparable here
							}
							if rs[i] != rp[i] {
								t.Errorf("%s %s: results differ: %v vs %v", e.name, where, rs, rp)
								break
							}
						}
						key := filepath.Base(filepath.Dir(dir)) + "/" + where
						if prev, seen := fuelSeen[key]; seen && prev != us {
							t.Errorf("%s: fuel %d on %s, %d on the other engine", where, us, e.name, prev)
						}
						fuelSeen[key] = us
					}
				}
				closeRT()
			}
		}
	}
	if calls < 5000 {
		t.Fatalf("only %d calls compared", calls)
	}
	t.Logf("%d calls: segment metering == per-instruction metering, same fuel on every engine run", calls)
}
