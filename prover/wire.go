package prover

import (
	"errors"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"

	"github.com/mcpzero/mcpzero/trace"
	"github.com/mcpzero/mcpzero/verifier"
)

// shapeSpec is one circuit shape (capacity class) as the prover sees it.
type shapeSpec struct {
	id       string
	capacity int // steps per segment
	blank    func() frontend.Circuit
}

// The prover's view of package circuits: every function the engine needs
// to prove real runs goes through these few, so the engine itself is
// tested with toy circuits.
var (
	allShapes       func() []shapeSpec
	segmentCapacity func() int
	commitModule    func(mod *trace.Module) (fr.Element, error)
	planRun         func(mod *trace.Module, t *trace.Trace) (verifier.Statement, []job, error)
)

// errNotWired is returned until package circuits provides segment circuits.
var errNotWired = errors.New("prover: segment circuits are not available in this build")

func wired() error {
	if allShapes == nil || segmentCapacity == nil || commitModule == nil || planRun == nil {
		return errNotWired
	}
	return nil
}
