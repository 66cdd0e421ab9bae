package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/mcpzero/mcpzero/bench"
	"github.com/mcpzero/mcpzero/bench/harness"
)

// plonkSection proves the smallest program with PLONK (KZG over BN254 with
// an unsafe test SRS: a dev setup) beside Groth16, in child processes, so
// that the two backends compare on the same run. Larger programs are left
// to Groth16: PLONK proves about 2.5x fewer constraints per second here.
func plonkSection(ctx context.Context, o *options) (*harness.Section, error) {
	p := bench.Programs()[2].Sized(3) // recursion: fib(3), one segment of the smallest shape
	s := &harness.Section{
		Name:    "plonk",
		Title:   "Backends side by side: Groth16 and PLONK on " + p.What,
		Columns: []string{"backend", "steps", "constraints/step", "setup", "prove", "verify", "bundle", "peak RSS"},
	}
	for _, backend := range []string{"groth16", "plonk"} {
		child, err := harness.RunChild(nil, "-child", "prove", p.Name, strconv.Itoa(p.Param), o.keysDir, strconv.Itoa(o.repeat), backend)
		if err != nil {
			return nil, err
		}
		var m proveMeasurement
		if err := json.Unmarshal(child.Stdout, &m); err != nil {
			return nil, fmt.Errorf("child output of %s: %w", backend, err)
		}
		setup := "cached"
		if m.Setup > 0 {
			setup = fmt.Sprintf("%.1f s", m.Setup/1e3)
		}
		s.Add(map[string]any{"backend": backend, "steps": m.Steps, "constraints/step": m.ConstraintsPerStep,
			"setup": setup, "prove": m.Prove, "verify": m.Verify, "bundle": fmt.Sprintf("%d B", m.BundleBytes),
			"peak RSS": fmt.Sprintf("%.0f MiB", float64(child.PeakRSS)/(1<<20))})
		o.log("%s: prove %s", backend, m.Prove)
	}
	s.Note("constraints/step counts R1CS constraints for Groth16 and SCS (PLONK) constraints for PLONK.")
	return s, nil
}
