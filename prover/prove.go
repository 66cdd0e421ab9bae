package prover

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/mcpzero/mcpzero/circuits"
	"github.com/mcpzero/mcpzero/trace"
	"github.com/mcpzero/mcpzero/verifier"
)

// Input is what a call consumes: integer arguments (one per parameter, i32
// zero-extended) and input bytes for plugins using the host I/O ABI.
type Input struct {
	Args  []uint64
	Bytes []byte
}

// Result is a proven run: the bundle and how long each part took.
type Result struct {
	Bundle *verifier.Bundle
	Stats  Stats
}

// ErrReplayMismatch: the replay did not end as the caller expected
// (WithExpectedOutcome); nothing was proven.
var ErrReplayMismatch = errors.New("replay does not reproduce the expected outcome")

// Prove replays a call of function (an export of module) on input with the
// tracer and proves it. Modules outside the provable subset fail before any
// proving with the tracer's *trace.ProvabilityError (instruction, function,
// offset); a trap is proven as a trap, not returned as an error.
func Prove(ctx context.Context, module []byte, function string, in Input, opts ...Option) (*Result, error) {
	mod, err := trace.Decode(module)
	if err != nil {
		return nil, err
	}
	return ProveModule(ctx, mod, function, in, opts...)
}

// ProveCall is Prove with the arguments as text ("27,3", as `mcpzero run`
// takes them), parsed against the export's parameter types.
func ProveCall(ctx context.Context, module []byte, function, args string, input []byte, opts ...Option) (*Result, error) {
	mod, err := trace.Decode(module)
	if err != nil {
		return nil, err
	}
	if err := trace.CheckCallProvable(mod, function); err != nil {
		return nil, err
	}
	f, _ := mod.ExportedFunc(function)
	vals, err := ParseArgs(args, mod.FuncType(f).Params)
	if err != nil {
		return nil, fmt.Errorf("--args for %s: %w", function, err)
	}
	return ProveModule(ctx, mod, function, Input{Args: vals, Bytes: input}, opts...)
}

// CommitModule decodes a module and computes its commitment (what a
// statement's Module is), for `verify --module`.
func CommitModule(module []byte) (*trace.Module, fr.Element, error) {
	mod, err := trace.Decode(module)
	if err != nil {
		return nil, fr.Element{}, err
	}
	c, err := circuits.Commit(mod)
	return mod, c, err
}

// ProveModule is Prove on a decoded module.
func ProveModule(ctx context.Context, mod *trace.Module, function string, in Input, opts ...Option) (*Result, error) {
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	if !cfg.backend.Valid() {
		return nil, fmt.Errorf("prover: unknown backend %v", cfg.backend)
	}
	if err := trace.CheckCallProvable(mod, function); err != nil {
		return nil, err
	}
	defer applyMemoryLimit(cfg.memoryBudget)()
	start := time.Now()
	tr := newTracker(cfg.progress)
	defer tr.close()
	res := &Result{Bundle: &verifier.Bundle{}}
	st := &res.Stats

	tr.begin(PhaseTrace, "", 0, 0, 0)
	var topts []trace.Option
	if cfg.maxSteps > 0 {
		topts = append(topts, trace.WithMaxSteps(cfg.maxSteps))
	}
	t, stmt, jobs, err := planRun(ctx, &cfg, mod, function, in, topts)
	if err != nil {
		return nil, err
	}
	st.TraceTime = time.Since(start)
	st.Steps = t.Steps
	if cfg.expect != nil {
		if err := matchOutcome(&stmt, cfg.expect); err != nil {
			return nil, err
		}
	}
	res.Bundle.Statement = stmt
	keys, err := proveJobs(ctx, &cfg, tr, jobs, res.Bundle, st)
	if err != nil {
		return nil, err
	}
	// The whole bundle must pass the auditor's verifier (statement binding,
	// chaining, root, every proof) before it leaves the prover.
	if _, err := verifier.Verify(res.Bundle, keys); err != nil {
		return nil, fmt.Errorf("prover: internal error: the bundle does not verify: %w", err)
	}
	raw, err := res.Bundle.MarshalBinary()
	if err != nil {
		return nil, err
	}
	st.BundleBytes = len(raw)
	if st.Steps > 0 {
		st.ConstraintsPerStep = float64(st.Constraints) / float64(st.Steps)
	}
	st.Total = time.Since(start)
	tr.complete()
	return res, nil
}

func matchOutcome(s *verifier.Statement, want *Outcome) error {
	got := fmt.Sprintf("%s", s.Status)
	if s.Status == verifier.Trapped {
		got += " (" + verifier.TrapName(s.Trap) + ")"
	}
	switch {
	case s.Status != want.Status || (s.Status == verifier.Trapped && s.Trap != want.Trap):
		exp := want.Status.String()
		if want.Status == verifier.Trapped {
			exp += " (" + verifier.TrapName(want.Trap) + ")"
		}
		return fmt.Errorf("prover: %w: replay %s, expected %s", ErrReplayMismatch, got, exp)
	case !slices.Equal(s.Results, want.Results) && !(len(s.Results) == 0 && len(want.Results) == 0):
		return fmt.Errorf("prover: %w: replay results %v, expected %v", ErrReplayMismatch, s.Results, want.Results)
	case !bytes.Equal(s.Output, want.Output):
		return fmt.Errorf("prover: %w: replay wrote %d output bytes that differ from the %d expected", ErrReplayMismatch, len(s.Output), len(want.Output))
	}
	return nil
}
