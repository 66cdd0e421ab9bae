package fuel

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/mcpzero/mcpzero/trace"
)

// TestFuelEqualsTracerSteps compares the fuel of each call with the step
// count of the tracer's interpreter (trace/, one step per executed
// instruction) on the same programs and inputs.
func TestFuelEqualsTracerSteps(t *testing.T) {
	mod, err := trace.Decode(programsWasm)
	if err != nil {
		t.Fatal(err)
	}
	wmod, m := instance(t, engines[1], programsWasm)
	calls := []struct {
		fn  string
		arg uint64
	}{{"count", 0}, {"count", 37}, {"fib", 12}, {"deep", 50}, {"trap", 0}}
	for x := uint64(0); x < 120; x++ {
		calls = append(calls, struct {
			fn  string
			arg uint64
		}{"mix", x})
	}
	for _, c := range calls {
		tr, err := trace.Run(context.Background(), mod, c.fn, []uint64{c.arg}, nil)
		if err != nil {
			t.Fatalf("trace %s(%d): %v", c.fn, c.arg, err)
		}
		res, used, err := m.Call(context.Background(), wmod.ExportedFunction(c.fn), 1<<40, c.arg)
		if err != nil {
			t.Fatalf("%s(%d): %v", c.fn, c.arg, err)
		}
		if uint32(res[0]) != uint32(tr.Results[0]) {
			t.Fatalf("%s(%d): wazero %d, tracer %d", c.fn, c.arg, res[0], tr.Results[0])
		}
		if uint64(used) != tr.Steps {
			t.Errorf("%s(%d): fuel %d, tracer steps %d", c.fn, c.arg, used, tr.Steps)
		}
	}
}

// TestFuelEqualsTracerStepsOnSpecSuite runs every assert_return of the spec
// suite that the tracer can run (provable modules and calls without
// imports) under fuel metering and under the tracer: for each call that
// returns, fuel used must equal the tracer's step count.
func TestFuelEqualsTracerStepsOnSpecSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("about 30 s: runs the spec suite on the tracer")
	}
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(api.CoreFeaturesV2))
	defer rt.Close(ctx)
	if err := DefineCheckpoint(ctx, rt); err != nil {
		t.Fatal(err)
	}
	compared, name := 0, 0
	for _, dir := range specDirs(t) {
		jsons, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, jf := range jsons {
			data, _ := os.ReadFile(jf)
			var doc struct {
				Commands []specCommand `json:"commands"`
			}
			if json.Unmarshal(data, &doc) != nil {
				continue
			}
			var tmod *trace.Module
			var wmod api.Module
			var meter *Meter
			for _, c := range doc.Commands {
				switch c.Type {
				case "module":
					tmod, wmod = nil, nil
					wasm, err := os.ReadFile(filepath.Join(dir, c.Filename))
					if err != nil {
						continue
					}
					tm, err := trace.Decode(wasm)
					if err != nil {
						continue
					}
					inst, err := Instrument(wasm, WithCheckpoints())
					if err != nil {
						continue
					}
					name++
					m, err := rt.InstantiateWithConfig(ctx, inst, wazero.NewModuleConfig().WithName(fmt.Sprint("m", name)))
					if err != nil {
						continue
					}
					tmod, wmod = tm, m
					meter, _ = NewMeter(m)
				case "assert_return":
					if tmod == nil || c.Action.Type != "invoke" || c.Action.Module != "" {
						continue
					}
					if trace.CheckCallProvable(tmod, c.Action.Field) != nil {
						continue
					}
					var args []uint64
					ok := true
					for _, a := range c.Action.Args {
						v, good := a.bits()
						ok = ok && good
						args = append(args, v)
					}
					fn := wmod.ExportedFunction(c.Action.Field)
					if !ok || fn == nil {
						continue
					}
					tr, err := trace.Run(ctx, tmod, c.Action.Field, args, nil, trace.WithMaxSteps(1<<24))
					if err != nil || tr.Status != trace.Returned {
						continue
					}
					_, used, err := meter.Call(ctx, fn, 1<<40, args...)
					if err != nil {
						t.Errorf("%s:%d: wazero failed where the tracer returned: %v", filepath.Base(jf), c.Line, err)
						continue
					}
					compared++
					if uint64(used) != tr.Steps {
						t.Errorf("%s:%d %s: fuel %d, tracer steps %d", filepath.Base(jf), c.Line, c.Action.Field, used, tr.Steps)
					}
				}
			}
		}
	}
	if compared < 1000 {
		t.Fatalf("only %d calls compared", compared)
	}
	t.Logf("%d spec-suite calls: fuel used == tracer steps", compared)
}
