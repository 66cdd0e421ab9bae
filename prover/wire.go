package prover

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/consensys/gnark/frontend"

	"github.com/mcpzero/mcpzero/circuits"
	"github.com/mcpzero/mcpzero/circuits/claim"
	"github.com/mcpzero/mcpzero/trace"
	"github.com/mcpzero/mcpzero/verifier"
)

// This file is the one place that maps package circuits onto the engine's
// jobs; the engine, the bundle and the verifier are tested with toy
// circuits, and this mapping with real runs.

// shapeSpec is one circuit shape (capacity class) as the prover sees it.
type shapeSpec struct {
	id       string
	capacity int // steps per segment
	blank    func() frontend.Circuit
}

func allShapes() []shapeSpec {
	var out []shapeSpec
	for _, s := range circuits.Shapes() {
		out = append(out, shapeSpec{id: s.ID(), capacity: s.Rows, blank: s.NewCircuit})
	}
	return out
}

// ErrNoShape: the run fits none of the circuit shapes (too many
// instructions, functions, globals, stack or locals), or uses something the
// circuits cannot prove yet. Nothing was proven.
var ErrNoShape = errors.New("run fits no circuit shape")

// shapeSize returns a shape's constraint count and whether it has cached
// keys. Constraint counts come from the key store's records; a shape never
// compiled uses circuits' estimate of its size.
func shapeSize(cfg *config, s circuits.Shape) (constraints int, hasKeys bool) {
	constraints = s.EstimatedConstraints()
	if ks, err := cfg.keyStore(); err == nil {
		if c, h, known := ks.shapeHint(cfg.backend, s.ID()); known {
			constraints, hasKeys = c, h
		}
	}
	return constraints, hasKeys
}

// shapeCost estimates the seconds to prove a run of segs segments with
// shape s: the proofs of every segment, plus a dev setup when the shape
// has no keys yet (setup costs ten times a proof per constraint, so an
// already set-up shape usually wins). With WithoutSetup, shapes without
// keys are never chosen.
func shapeCost(cfg *config, s circuits.Shape, segs int) float64 {
	constraints, hasKeys := shapeSize(cfg, s)
	cost := float64(segs) * float64(constraints) * proveSecondsPerConstraint(cfg.backend)
	if !hasKeys {
		if cfg.noSetup {
			return math.Inf(1)
		}
		cost += float64(constraints) * setupSecondsPerConstraint(cfg.backend)
	}
	return cost
}

// shapeMemoryNeed is the estimated peak memory of proving with shape s
// (memory.go), with a setup when it has no keys and setups are allowed.
func shapeMemoryNeed(cfg *config, s circuits.Shape) ShapeMemory {
	constraints, hasKeys := shapeSize(cfg, s)
	setup := !hasKeys && !cfg.noSetup
	return ShapeMemory{Shape: s.ID(), Constraints: constraints, Setup: setup,
		Bytes: shapeMemory(cfg.backend, constraints, setup)}
}

// pickShape returns the cheapest shape (by shapeCost) that the run fits
// and whose estimated memory is within the budget, with the run's
// statement and segment claims for it. Every shape's segment count is the
// circuits' own cut of this run (Rows): a segment ends early when it
// would open more program, memory or table blocks than its shape holds,
// so steps / rows can be far off for compiled code.
func pickShape(ctx context.Context, cfg *config, table *circuits.ModuleTable, tr *trace.Trace) (circuits.Shape, claim.Statement, []claim.Claim, error) {
	var fits []circuits.Shape
	cost := map[string]float64{}
	need := map[string]ShapeMemory{}
	var fitErr error
	for _, s := range circuits.Shapes() {
		if err := ctx.Err(); err != nil {
			return circuits.Shape{}, claim.Statement{}, nil, err
		}
		_, segs, err := table.Rows(s, tr)
		if err != nil {
			fitErr = err // the last, usually the largest shape's reason
			continue
		}
		fits = append(fits, s)
		cost[s.ID()] = shapeCost(cfg, s, segs)
		need[s.ID()] = shapeMemoryNeed(cfg, s)
	}
	sort.SliceStable(fits, func(i, j int) bool { return cost[fits[i].ID()] < cost[fits[j].ID()] })
	budgetErr := &MemoryBudgetError{Budget: cfg.memoryBudget}
	for _, s := range fits {
		if cfg.memoryBudget != 0 && need[s.ID()].Bytes > cfg.memoryBudget {
			budgetErr.Shapes = append(budgetErr.Shapes, need[s.ID()])
			continue
		}
		cst, claims, err := table.Statement(s, tr)
		if err != nil {
			return circuits.Shape{}, claim.Statement{}, nil, err // Rows accepted it: not a fit error
		}
		return s, cst, claims, nil
	}
	if len(budgetErr.Shapes) > 0 {
		sort.SliceStable(budgetErr.Shapes, func(i, j int) bool { return budgetErr.Shapes[i].Bytes < budgetErr.Shapes[j].Bytes })
		return circuits.Shape{}, claim.Statement{}, nil, fmt.Errorf("prover: %w", budgetErr)
	}
	return circuits.Shape{}, claim.Statement{}, nil, fmt.Errorf("prover: %w: %v", ErrNoShape, fitErr)
}

// planRun replays the call, picks the cheapest shape the run fits within
// the memory budget (pickShape), and
// returns the trace, the statement and one job per segment (the circuits
// cut the run into segments of the shape's rows). The statement is
// cross-checked against the bundle's cleartext before anything is proven.
func planRun(ctx context.Context, cfg *config, mod *trace.Module, function string, in Input, topts []trace.Option) (*trace.Trace, verifier.Statement, []job, error) {
	var none verifier.Statement
	table, err := circuits.Table(mod)
	if err != nil {
		return nil, none, nil, err
	}
	tr, err := trace.Run(ctx, mod, function, in.Args, in.Bytes, topts...)
	if err != nil {
		return nil, none, nil, fmt.Errorf("prover: replay: %w", err)
	}
	shape, cst, claims, err := pickShape(ctx, cfg, table, tr)
	if err != nil {
		return nil, none, nil, err
	}
	stmt := verifier.Statement{
		Module: cst.Module, Function: cst.Function, Export: function,
		Args: tr.Args, Input: tr.Input, Status: verifier.Status(cst.Status), Trap: uint32(cst.Trap),
		Output: tr.Output, Steps: cst.Steps, TraceRoot: cst.TraceRoot,
	}
	if cst.Status == claim.StatusReturned {
		stmt.Results = tr.Results
	}
	// The cleartext must hash to exactly the statement the circuits prove;
	// a disagreement here is a bug, better caught before proving.
	if got := stmt.ClaimStatement(); got != cst {
		return nil, none, nil, fmt.Errorf("prover: internal error: bundle statement disagrees with the circuits' statement")
	}
	jobs := make([]job, len(claims))
	for k := range claims {
		k := k
		jobs[k] = job{
			shape: shape.ID(),
			blank: shape.NewCircuit,
			assign: func() (frontend.Circuit, error) {
				c, cl, err := shape.Assign(table, tr, k)
				if err != nil {
					return nil, err
				}
				if cl != claims[k] {
					return nil, fmt.Errorf("internal error: segment %d's witness proves another claim", k)
				}
				return c, nil
			},
		}
	}
	return tr, stmt, jobs, nil
}
