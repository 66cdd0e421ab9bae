package claim

import (
	"errors"
	"fmt"
	"math/bits"
)

// Errors of CheckStatement; each failure wraps exactly one of them and names
// the segment concerned.
var (
	ErrModule    = errors.New("segment proves another module")
	ErrInitial   = errors.New("first segment does not start from the statement's initial state")
	ErrChain     = errors.New("segments do not chain")
	ErrFinal     = errors.New("last segment does not end in the statement's status and output")
	ErrSteps     = errors.New("segment steps do not add up to the statement's step count")
	ErrTraceRoot = errors.New("trace root does not match the segment claims")
	ErrBadStatus = errors.New("statement status is invalid")
)

// CheckStatement is the pure part of verification: given claims whose
// proofs verified, it checks that they prove stmt. The claims must be
// non-empty and in order; each must name stmt.Module; the first must start from stmt.Initial(), each must end where the
// next starts, the last must end in stmt.Final(); their steps must add up to
// stmt.Steps and their Merkle root must be stmt.TraceRoot.
//
// A segment may prove zero steps: a long host copy or a function prologue
// is pseudo rows only, which change the machine state (and are constrained
// like any row) without counting as steps, and may fill whole segments.
func CheckStatement(stmt Statement, claims []Claim) error {
	if len(claims) == 0 {
		return ErrNoClaims
	}
	switch {
	case stmt.Status == StatusReturned && stmt.Trap != TrapNone:
		return fmt.Errorf("%w: returned with trap kind %s", ErrBadStatus, stmt.Trap)
	case stmt.Status == StatusTrapped && stmt.Trap == TrapNone:
		return fmt.Errorf("%w: trapped without a trap kind", ErrBadStatus)
	case stmt.Status != StatusReturned && stmt.Status != StatusTrapped:
		return fmt.Errorf("%w: %s", ErrBadStatus, stmt.Status)
	}
	var total uint64
	for i, c := range claims {
		if !c.Module.Equal(&stmt.Module) {
			return fmt.Errorf("%w: segment %d", ErrModule, i)
		}
		var carry uint64
		total, carry = bits.Add64(total, c.Steps, 0)
		if carry != 0 {
			return fmt.Errorf("%w: overflow at segment %d", ErrSteps, i)
		}
		if i+1 < len(claims) && !c.After.Equal(&claims[i+1].Before) {
			return fmt.Errorf("%w: after of segment %d != before of segment %d", ErrChain, i, i+1)
		}
	}
	if init := stmt.Initial(); !claims[0].Before.Equal(&init) {
		return fmt.Errorf("%w: segment 0", ErrInitial)
	}
	if fin := stmt.Final(); !claims[len(claims)-1].After.Equal(&fin) {
		return fmt.Errorf("%w: segment %d (statement says %s, trap %s)", ErrFinal, len(claims)-1, stmt.Status, stmt.Trap)
	}
	if total != stmt.Steps {
		return fmt.Errorf("%w: segments sum to %d, statement says %d", ErrSteps, total, stmt.Steps)
	}
	root, err := MerkleRoot(claims)
	if err != nil {
		return err
	}
	if !root.Equal(&stmt.TraceRoot) {
		return ErrTraceRoot
	}
	return nil
}
