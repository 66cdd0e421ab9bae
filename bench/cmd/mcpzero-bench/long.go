package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/mcpzero/mcpzero/bench/harness"
	"github.com/mcpzero/mcpzero/prover"
)

// longRunSteps is the bar: a run of at least this many steps must
// prove on this 2-core machine.
const longRunSteps = 100_000

// longFib is the recursion program's size for the long run: naive fib(19)
// executes about 149,000 steps (fib(18) falls short of 100,000).
const longFib = 19

// longSection proves one run of at least 100,000 steps end to end in a
// child process (setup of any shape without cached keys, then one proof
// and its verification) and reports its cost. It is opt-in (make
// bench-long): with a fresh key cache it takes about half an hour.
func longSection(ctx context.Context, o *options) (*harness.Section, error) {
	size := longFib
	if o.short {
		size = 3 // the smoke run checks the plumbing only
	}
	p, _, err := childProgram("recursion", strconv.Itoa(size))
	if err != nil {
		return nil, fmt.Errorf("long run: %w", err)
	}
	s := &harness.Section{
		Name:  "long",
		Title: "A long run: at least 100,000 steps proven end to end (Groth16, BN254, dev setup)",
		Columns: []string{"program", "size", "steps", "segments", "shapes", "constraints", "constraints/step", "setup", "setup peak RSS",
			"prove", "steps/s", "verify", "bundle", "peak RSS"},
	}
	// Setup first, in a child of its own, so that the proving child's peak
	// memory is the prover's, not the setup's.
	o.log("long run: setting up the keys of %s (%s) in a child process", p.Name, p.What)
	setupChild, err := harness.RunChild(nil, "-child", "setup", p.Name, strconv.Itoa(p.Param), o.keysDir)
	if err != nil {
		return nil, err
	}
	var sm setupMeasurement
	if err := json.Unmarshal(setupChild.Stdout, &sm); err != nil {
		return nil, fmt.Errorf("child output of the long run's setup: %w", err)
	}
	o.log("long run: proving %s (%s) in a child process", p.Name, p.What)
	child, err := harness.RunChild(nil, "-child", "prove", p.Name, strconv.Itoa(p.Param), o.keysDir, "0")
	if err != nil {
		return nil, err
	}
	var m proveMeasurement
	if err := json.Unmarshal(child.Stdout, &m); err != nil {
		return nil, fmt.Errorf("child output of the long run: %w", err)
	}
	m.Setup = sm.Setup
	if !o.short && m.Steps < longRunSteps {
		return nil, fmt.Errorf("long run: %s ran %d steps, fewer than %d", p.What, m.Steps, longRunSteps)
	}
	setup := "cached"
	if m.Setup > 0 {
		setup = fmt.Sprintf("%.1f s", m.Setup/1e3)
	}
	s.Add(map[string]any{
		"program": p.Name, "size": p.What, "steps": m.Steps, "segments": m.Segments, "shapes": fmt.Sprint(m.Shapes),
		"constraints": m.Constraints, "constraints/step": m.ConstraintsPerStep, "setup": setup,
		"setup peak RSS": fmt.Sprintf("%.0f MiB", float64(setupChild.PeakRSS)/(1<<20)),
		"prove":          fmt.Sprintf("%.1f s", m.Prove.Median/1e3), "steps/s": float64(m.Steps) / (m.Prove.Median / 1e3),
		"verify": m.Verify, "bundle": fmt.Sprintf("%d B", m.BundleBytes),
		"peak RSS": fmt.Sprintf("%.0f MiB", float64(child.PeakRSS)/(1<<20)),
	})
	s.Note("one proof (not a median): the run is proven once; prove includes tracing, witness building and loading the keys from disk.")
	s.Note("setup ran first in a child process of its own (setup peak RSS); peak RSS is the child that proved and verified with keys from disk.")
	s.Note("reproduce: make bench-long (with a fresh key cache; -keys-dir reuses one).")
	o.log("long run: %d steps in %d segments, prove %.1f s", m.Steps, m.Segments, m.Prove.Median/1e3)
	return s, nil
}

// setupMeasurement is what the setup child reports.
type setupMeasurement struct {
	Setup  float64  `json:"setup_ms"` // 0: the keys were cached
	Shapes []string `json:"shapes"`
}

// childSetup: setup NAME PARAM KEYSDIR. It makes the keys a proof of the
// program would use, by starting that proof and cancelling it as soon as
// proving begins (the keys are on disk by then), and prints a
// setupMeasurement.
func childSetup(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("setup wants NAME PARAM KEYSDIR")
	}
	p, wasm, err := childProgram(args[0], args[1])
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var m setupMeasurement
	var setupStart time.Time
	shapes := map[string]bool{}
	progress := func(pr prover.Progress) {
		switch pr.Phase {
		case prover.PhaseSetup:
			if setupStart.IsZero() {
				setupStart = time.Now()
			}
			if !shapes[pr.Shape] {
				shapes[pr.Shape] = true
				m.Shapes = append(m.Shapes, pr.Shape)
			}
		case prover.PhaseProve:
			if !setupStart.IsZero() && m.Setup == 0 {
				m.Setup = float64(time.Since(setupStart).Nanoseconds()) / 1e6
			}
			cancel()
		}
	}
	_, err = prover.Prove(ctx, wasm, p.Export, prover.Input{Args: p.Args(), Bytes: p.Input()},
		prover.WithKeysDir(args[2]), prover.WithProgress(progress))
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return json.NewEncoder(osStdout()).Encode(m)
}
