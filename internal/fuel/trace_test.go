package fuel

import (
	"context"
	"testing"

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
