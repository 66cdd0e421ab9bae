package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/mcpzero/mcpzero/bench"
	"github.com/mcpzero/mcpzero/bench/harness"
	"github.com/mcpzero/mcpzero/circuits"
	"github.com/mcpzero/mcpzero/prover"
	"github.com/mcpzero/mcpzero/verifier"
)

// smokeProveSizes are the sizes of the -short run: each fits the smallest
// circuit shape, whose dev setup takes seconds. Programs with host I/O need
// a larger shape (minutes of setup) and are left out of the smoke run.
var smokeProveSizes = map[string]int{"recursion": 3}

// proveMeasurement is what a child process reports for one program.
type proveMeasurement struct {
	Steps              uint64          `json:"steps"`
	Segments           int             `json:"segments"`
	Shapes             []string        `json:"shapes"`
	Constraints        int             `json:"constraints"`
	ConstraintsPerStep float64         `json:"constraints_per_step"`
	Setup              float64         `json:"setup_ms"`      // dev setup run by the first call (0: keys were cached)
	FirstCall          float64         `json:"first_call_ms"` // the first call, less any setup: loads keys from disk
	Prove              harness.Summary `json:"prove"`         // keys in memory
	Verify             harness.Summary `json:"verify"`
	BundleBytes        int             `json:"bundle_bytes"`
}

// warmShapes are set up before any program is proven (each in a child of
// its own, timed: that is the setup cost), so that every program proves on
// the shape cheapest to prove with warm keys — the steady state the goals
// speak of. Without them the first program would pick the shape cheapest
// to set up and prove together (the loop took 17 segments of the 64-row
// shape, 22.5 s, instead of one 1,024-row segment).
var warmShapes = []int{0, 1} // circuits.Shapes() indices: the 64-row and the 1,024-row shapes

// proverSection proves every benchmark program in a child process of its
// own (for its peak memory): a first call, which runs the dev setup of any
// shape whose keys are not cached yet (timed apart: that is the setup cost),
// then repeated proofs with warm keys, then verifications. Outside -short
// the warmShapes are set up first.
func proverSection(ctx context.Context, o *options) (*harness.Section, error) {
	s := &harness.Section{
		Name:  "prover",
		Title: "Proving (Groth16, BN254, dev setup)",
		Columns: []string{"program", "size", "steps", "segments", "constraints/step", "setup",
			"prove", "steps/s", "first call", "verify", "verify/segment", "bundle", "peak RSS"},
	}
	setupOf := map[string]time.Duration{}
	if !o.short {
		for _, i := range warmShapes {
			id := circuits.Shapes()[i].ID()
			o.log("prover: dev setup of shape %s in a child process", id)
			child, err := harness.RunChild(nil, "-child", "setup-shape", id, o.keysDir)
			if err != nil {
				return nil, err
			}
			var m struct {
				Setup float64 `json:"setup_ms"`
			}
			if err := json.Unmarshal(child.Stdout, &m); err != nil {
				return nil, fmt.Errorf("setup child of %s: %w", id, err)
			}
			setupOf[id] = time.Duration(m.Setup * 1e6)
			s.Note("setup child of shape %s: peak RSS %.0f MiB", id, float64(child.PeakRSS)/(1<<20))
		}
	}
	var perStep []float64 // constraints per step of each program, for the average the issue asks for
	for _, p := range bench.Programs() {
		if o.short {
			// Smoke sizes: a single segment of the smallest shape each.
			small, ok := smokeProveSizes[p.Name]
			if !ok {
				s.Note("%s skipped in the smoke run: it needs a shape whose setup takes minutes", p.Name)
				continue
			}
			p = p.Sized(small)
		}
		o.log("prover %s (%s): proving in a child process", p.Name, p.What)
		child, err := harness.RunChild(nil, "-child", "prove", p.Name, strconv.Itoa(p.Param), o.keysDir, strconv.Itoa(o.repeat))
		if err != nil {
			return nil, err
		}
		var m proveMeasurement
		if err := json.Unmarshal(child.Stdout, &m); err != nil {
			return nil, fmt.Errorf("child output of %s: %w", p.Name, err)
		}
		setup := "cached"
		if m.Setup > 0 {
			setup = fmt.Sprintf("%.1f s", m.Setup/1e3)
			for _, sh := range m.Shapes {
				if _, ok := setupOf[sh]; !ok {
					setupOf[sh] = time.Duration(m.Setup * 1e6)
				}
			}
		}
		s.Add(map[string]any{
			"program": p.Name, "size": p.What, "steps": m.Steps, "segments": m.Segments,
			"constraints/step": m.ConstraintsPerStep, "setup": setup,
			"prove": m.Prove, "steps/s": float64(m.Steps) / (m.Prove.Median / 1e3),
			"first call": fmt.Sprintf("%.0f ms", m.FirstCall), "verify": m.Verify,
			"verify/segment": fmt.Sprintf("%.2f ms", m.Verify.Median/float64(m.Segments)),
			"bundle":         fmt.Sprintf("%d B", m.BundleBytes),
			"peak RSS":       fmt.Sprintf("%.0f MiB", float64(child.PeakRSS)/(1<<20)),
		})
		o.log("prover %s: %d steps, prove %s", p.Name, m.Steps, m.Prove)
		perStep = append(perStep, m.ConstraintsPerStep)
	}
	if len(perStep) > 0 {
		sum := 0.0
		for _, c := range perStep {
			sum += c
		}
		s.Note("constraints per step averaged over the %d programs: %.0f (each program's proven constraints, padding included, over its steps)", len(perStep), sum/float64(len(perStep)))
	}
	for sh, d := range setupOf {
		s.Note("setup of shape %s: %.1f s (dev setup, once per shape; cached on disk afterwards)", sh, d.Seconds())
	}
	s.Note("prove: median of in-process proofs with keys in memory; first call: the child's first proof, loading keys from the disk cache.")
	s.Note("peak RSS: the child process that made all of this program's proofs and verifications.")
	s.Note("proofs here run without the prover's default 4 GiB memory budget (cheapest shapes); with it, shapes over 2^21 constraints are avoided (docs/PERFORMANCE.md).")
	return s, nil
}

// childSetupShape: setup-shape SHAPE KEYSDIR runs the Groth16 dev setup of
// one shape; prints {"setup_ms": …}.
func childSetupShape(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("setup-shape wants SHAPE KEYSDIR")
	}
	infos, _, err := prover.SetupShapes(context.Background(), prover.SetupRequest{KeysDir: args[1], Shapes: []string{args[0]}})
	if err != nil {
		return err
	}
	if len(infos) != 1 || !infos[0].Present {
		return fmt.Errorf("setup of %s made no keys", args[0])
	}
	// The dev setup's own time, as a prover's first call reports it
	// (Stats.SetupTime), without compiling the circuit.
	return json.NewEncoder(osStdout()).Encode(struct {
		Setup float64 `json:"setup_ms"`
	}{float64(infos[0].Time.Nanoseconds()) / 1e6})
}

// childProve: prove NAME PARAM KEYSDIR REPEAT [BACKEND]; prints a proveMeasurement.
func childProve(args []string) error {
	if len(args) != 4 && len(args) != 5 {
		return fmt.Errorf("prove wants NAME PARAM KEYSDIR REPEAT [BACKEND]")
	}
	backend := verifier.Groth16
	if len(args) == 5 {
		b, err := verifier.ParseBackend(args[4])
		if err != nil {
			return err
		}
		backend = b
	}
	repeat, err := strconv.Atoi(args[3])
	if err != nil {
		return fmt.Errorf("bad REPEAT: %w", err)
	}
	p, wasm, err := childProgram(args[0], args[1])
	if err != nil {
		return err
	}
	ctx := context.Background()
	ks, err := prover.OpenKeyStore(args[2])
	if err != nil {
		return err
	}
	in := prover.Input{Args: p.Args(), Bytes: p.Input()}
	prove := func() (*prover.Result, error) {
		opts := []prover.Option{prover.WithKeyStore(ks), prover.WithBackend(backend)}
		if repeat > 0 {
			// The per-program table runs without the default 4 GiB memory
			// budget: the cheapest shapes keep make bench within its 30
			// minutes and comparable with earlier runs (the budget's shapes
			// double sha256's proving work). The long run (repeat 0) keeps
			// the default budget, as its setup child does.
			opts = append(opts, prover.WithMemoryBudget(0))
		}
		return prover.Prove(ctx, wasm, p.Export, in, opts...)
	}
	start := time.Now()
	res, err := prove()
	if err != nil {
		return err
	}
	m := proveMeasurement{
		Steps: res.Stats.Steps, Segments: res.Stats.Segments, Shapes: res.Stats.Shapes,
		Constraints: res.Stats.Constraints, ConstraintsPerStep: res.Stats.ConstraintsPerStep,
		FirstCall: float64(time.Since(start).Nanoseconds()) / 1e6, BundleBytes: res.Stats.BundleBytes,
	}
	if res.Stats.KeysCreated {
		m.Setup = float64(res.Stats.SetupTime.Nanoseconds()) / 1e6
		m.FirstCall -= m.Setup
	}
	if repeat == 0 {
		// One proof only (the long run): its time, less setup, is the prove time.
		m.Prove = harness.Summarize([]float64{m.FirstCall}, "ms")
	} else if m.Prove, err = harness.Time(min(repeat, 2), func() error { _, err := prove(); return err }); err != nil {
		return err
	}
	keys := res.Bundle.Keys
	res.Bundle.Keys = nil // verify against the key set as an auditor would hold it, pinned
	if m.Verify, err = harness.Time(max(repeat, 5), func() error {
		_, err := verifier.Verify(res.Bundle, keys)
		return err
	}); err != nil {
		return err
	}
	return json.NewEncoder(osStdout()).Encode(m)
}

// childProgram is the benchmark program NAME at size PARAM, and its module.
func childProgram(name, param string) (bench.Program, []byte, error) {
	n, err := strconv.Atoi(param)
	if err != nil {
		return bench.Program{}, nil, fmt.Errorf("bad PARAM: %w", err)
	}
	for _, q := range bench.Programs() {
		if q.Name == name {
			p := q.Sized(n)
			wasm, err := p.Wasm()
			return p, wasm, err
		}
	}
	return bench.Program{}, nil, fmt.Errorf("no benchmark program %q", name)
}
