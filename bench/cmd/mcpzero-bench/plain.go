package main

import (
	"context"
	"fmt"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"

	"github.com/mcpzero/mcpzero/bench"
	"github.com/mcpzero/mcpzero/bench/harness"
	"github.com/mcpzero/mcpzero/prover"
	"github.com/mcpzero/mcpzero/verifier"
)

// plainSection proves a one-segment run (fib(3), the smallest shape) and a
// plain gnark circuit with exactly as many constraints, alternately, so that
// the ratio of their prove times says how far our circuit is from what gnark
// can do with that many constraints on this machine.
func plainSection(ctx context.Context, o *options) (*harness.Section, error) {
	p := bench.Programs()[2].Sized(3) // recursion: fib(3)
	wasm, err := p.Wasm()
	if err != nil {
		return nil, err
	}
	ks, err := prover.OpenKeyStore(o.keysDir)
	if err != nil {
		return nil, err
	}
	in := prover.Input{Args: p.Args(), Bytes: p.Input()}
	res, err := prover.Prove(ctx, wasm, p.Export, in, prover.WithKeyStore(ks)) // sets up keys if needed
	if err != nil {
		return nil, err
	}
	if res.Stats.Segments != 1 {
		return nil, fmt.Errorf("fib(3) took %d segments; the baseline needs one", res.Stats.Segments)
	}
	n := res.Stats.Constraints
	cs, err := prover.Compile(verifier.Groth16, &bench.PlainCircuit{N: n - 1}) // + the final assertion
	if err != nil {
		return nil, err
	}
	start := time.Now()
	keys, _, err := ks.LoadOrSetup(ctx, fmt.Sprintf("plain-%d", cs.GetNbConstraints()), verifier.Groth16, cs)
	if err != nil {
		return nil, err
	}
	plainSetup := time.Since(start)
	w, err := frontend.NewWitness(bench.PlainAssignment(n-1), ecc.BN254.ScalarField())
	if err != nil {
		return nil, err
	}
	var ours, plain []float64
	for i := 0; i < max(o.repeat, 3); i++ {
		r, err := prover.Prove(ctx, wasm, p.Export, in, prover.WithKeyStore(ks), prover.WithoutSetup())
		if err != nil {
			return nil, err
		}
		ours = append(ours, float64(r.Stats.ProveTime.Nanoseconds())/1e6)
		t0 := time.Now()
		if _, err := keys.ProveWitness(ctx, cs, w); err != nil {
			return nil, err
		}
		plain = append(plain, float64(time.Since(t0).Nanoseconds())/1e6)
	}
	so, sp := harness.Summarize(ours, "ms"), harness.Summarize(plain, "ms")
	s := &harness.Section{
		Name:    "plain",
		Title:   "Prover versus a plain gnark circuit of the same constraint count (Groth16, BN254)",
		Columns: []string{"circuit", "constraints", "prove", "constraints/s", "ratio to plain"},
	}
	s.Add(map[string]any{"circuit": "mcpzero segment (" + res.Stats.Shapes[0] + ")", "constraints": n,
		"prove": so, "constraints/s": float64(n) / (so.Median / 1e3), "ratio to plain": so.Median / sp.Median})
	s.Add(map[string]any{"circuit": "plain: x ← x² + i chain", "constraints": cs.GetNbConstraints(),
		"prove": sp, "constraints/s": float64(cs.GetNbConstraints()) / (sp.Median / 1e3), "ratio to plain": 1.0})
	s.Note("The two are proven alternately, %d times each; prove time excludes tracing and witness building.", len(ours))
	s.Note("Setup of the plain circuit took %.1f s.", plainSetup.Seconds())
	return s, nil
}
