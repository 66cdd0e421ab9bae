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
			withCk, err := Instrument(wasm, WithCheckpoints())
			if err != nil {
				if errors.Is(err, ErrUnsupported) {
					refused++
					continue
				}
				t.Errorf("%s: Instrument with checkpoints: %v", filepath.Base(f), err)
				continue
			}
			cm3, err := rt.CompileModule(ctx, withCk)
			if err != nil {
				t.Errorf("%s: module instrumented with checkpoints does not compile: %v", filepath.Base(f), err)
				continue
			}
			cm3.Close(ctx)
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
				var seg, per, chk api.Module
				var mSeg, mPer, mChk *Meter
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
						if err := DefineCheckpoint(ctx, rt); err != nil {
							t.Fatal(err)
						}
						a, err1 := Instrument(wasm, WithInitialFuel(1<<40))
						b, err2 := Instrument(wasm, WithInitialFuel(1<<40), PerInstruction())
						ck, err3 := Instrument(wasm, WithInitialFuel(1<<40), WithCheckpoints())
						if err1 != nil || err2 != nil || err3 != nil {
							continue
						}
						s, err1 := rt.InstantiateWithConfig(ctx, a, wazero.NewModuleConfig().WithName("seg"))
						p, err2 := rt.InstantiateWithConfig(ctx, b, wazero.NewModuleConfig().WithName("per"))
						if err1 != nil || err2 != nil {
							continue // imports from other modules: out of scope here
						}
						ckMod, err3 := rt.InstantiateWithConfig(ctx, ck, wazero.NewModuleConfig().WithName("chk"))
						if err3 != nil {
							t.Errorf("%s: %s: instantiating with checkpoints fails: %v", e.name, c.Filename, err3)
							continue
						}
						seg, per, chk = s, p, ckMod
						mSeg, _ = NewMeter(s)
						mPer, _ = NewMeter(p)
						mChk, _ = NewMeter(ckMod)
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
						rc, uc, err3 := mChk.Call(ctx, chk.ExportedFunction(c.Action.Field), 1<<40, args...)
						where := filepath.Base(jf) + ":" + strconv.Itoa(c.Line)
						if (err1 == nil) != (err2 == nil) {
							t.Errorf("%s %s: segment err %v, per-instruction err %v", e.name, where, err1, err2)
							continue
						}
						if err1 != nil {
							continue // e.g. call depth; both failed alike
						}
						calls++
						if err3 != nil {
							t.Errorf("%s %s: fails with checkpoints only: %v", e.name, where, err3)
							continue
						}
						if us != up || us != uc {
							t.Errorf("%s %s: segment metering charged %d, per-instruction %d, with checkpoints %d", e.name, where, us, up, uc)
						}
						for i := range rs {
							if i < len(c.Expected) && c.Expected[i].Type != "i32" && c.Expected[i].Type != "i64" &&
								c.Expected[i].Type != "f32" && c.Expected[i].Type != "f64" {
								continue // references are host pointers, v128 halves: not comparable here
							}
							if rs[i] != rp[i] || rs[i] != rc[i] {
								t.Errorf("%s %s: results differ: %v vs %v vs %v", e.name, where, rs, rp, rc)
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
	t.Logf("%d calls: segment metering == per-instruction metering == segment metering with checkpoints, same fuel on every engine run", calls)
}
