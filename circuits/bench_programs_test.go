package circuits_test

import (
	"context"
	"testing"

	"github.com/mcpzero/mcpzero/bench"
	"github.com/mcpzero/mcpzero/circuits"
	"github.com/mcpzero/mcpzero/trace"
)

// TestBenchmarkProgramsFit replays the benchmark programs (bench.Programs)
// and reports, per program, its steps, the circuit rows they take (steps
// plus pseudo-rows) and the shape they fit; a program the circuits cannot
// prove yet is reported with the reason.
func TestBenchmarkProgramsFit(t *testing.T) {
	if testing.Short() {
		t.Skip("replays every benchmark program")
	}
	var steps, rows int
	for _, p := range bench.Programs() {
		bin, err := p.Wasm()
		if err != nil {
			t.Fatal(err)
		}
		mod, err := trace.Decode(bin)
		if err != nil {
			t.Fatal(err)
		}
		tab, err := circuits.Table(mod)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := trace.Run(context.Background(), mod, p.Export, p.Args(), p.Input())
		if err != nil {
			t.Fatal(err)
		}
		shape, err := circuits.Fit(tab, tr)
		if err != nil {
			t.Logf("%-14s %7d steps: not provable yet: %v", p.What, tr.Steps, err)
			continue
		}
		r, segs, err := tab.Rows(shape, tr)
		if err != nil {
			t.Fatal(err)
		}
		steps += int(tr.Steps)
		rows += r
		t.Logf("%-14s %7d steps %7d rows (%.2f rows/step) %3d segments of %s", p.What, tr.Steps, r, float64(r)/float64(tr.Steps), segs, shape.ID())
	}
	if steps > 0 {
		t.Logf("all provable programs: %d steps, %d rows, %.2f rows/step", steps, rows, float64(rows)/float64(steps))
	}
}
