// Package prover turns a WebAssembly run into a proof bundle: it replays the
// call with the tracer, picks a circuit shape and splits the trace into
// segments, sets up or loads the keys for the shape (cached on disk, keyed
// by a digest of the constraint system) and proves every segment with gnark.
//
// Go services embed it as a library; the mcpzero CLI is a thin layer over it:
//
//	res, err := prover.Prove(ctx, wasm, "add", prover.Input{Args: []uint64{27, 3}},
//		prover.WithKeysDir(dir),                    // default: prover.DefaultKeysDir()
//		prover.WithProgress(func(p prover.Progress) { ... }),
//	)
//	// res.Bundle.WriteFile("run.proof"); res.Stats has steps, segments, constraints, times.
//
// To prove a logged execution (the kernel), pass the outcome wazero
// returned: the replay must reproduce it or Prove fails with
// ErrReplayMismatch before proving anything:
//
//	prover.ProveModule(ctx, mod, export, in, prover.WithExpectedOutcome(prover.Outcome{
//		Status: verifier.Returned, Results: results, Output: output}))
//
// Groth16 on BN254 is the default (WithBackend(verifier.PLONK) for PLONK).
// A shape without cached keys gets a single-party DEV setup, recorded as
// such in the keys and every bundle; WithoutSetup refuses instead, and
// RequireCeremony refuses dev keys.
package prover
