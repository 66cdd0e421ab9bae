package verifier

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/mcpzero/mcpzero/circuits/claim"
)

func init() { statementBinder = bindClaims }

// Claims reads every segment's public inputs as a segment claim.
func (b *Bundle) Claims() ([]claim.Claim, error) {
	out := make([]claim.Claim, len(b.Segments))
	for i, seg := range b.Segments {
		c, err := claimOf(seg.Public)
		if err != nil {
			return nil, fmt.Errorf("%w: segment %d: %v", ErrStatement, i, err)
		}
		out[i] = c
	}
	return out, nil
}

func claimOf(pub fr.Vector) (claim.Claim, error) {
	if len(pub) != claim.NbPublic {
		return claim.Claim{}, fmt.Errorf("%d public inputs, a segment claim has %d", len(pub), claim.NbPublic)
	}
	var steps big.Int
	pub[3].BigInt(&steps)
	if !steps.IsUint64() {
		return claim.Claim{}, fmt.Errorf("step count %s does not fit in 64 bits", steps.String())
	}
	return claim.Claim{Module: pub[0], Before: pub[1], After: pub[2], Steps: steps.Uint64()}, nil
}

// ClaimStatement is the statement as the circuits define it: the cleartext
// arguments, input, results and output replaced by their Poseidon2 digests.
func (s *Statement) ClaimStatement() claim.Statement {
	return claim.Statement{
		Module:    s.Module,
		Function:  s.Function,
		Input:     claim.InputDigest(s.Args, s.Input),
		Output:    claim.OutputDigest(s.Results, s.Output),
		Status:    claim.Status(s.Status),
		Trap:      claim.TrapKind(s.Trap),
		Steps:     s.Steps,
		TraceRoot: s.TraceRoot,
	}
}

// TrapName names a trap kind for humans.
func TrapName(kind uint32) string { return claim.TrapKind(kind).String() }

// bindClaims checks that the verified segment claims prove the bundle's
// statement (claim.CheckStatement: module, initial state from function and
// input digest, chaining, final state from status, trap and output digest,
// step count, trace root).
func bindClaims(b *Bundle) error {
	claims, err := b.Claims()
	if err != nil {
		return err
	}
	if err := claim.CheckStatement(b.Statement.ClaimStatement(), claims); err != nil {
		return fmt.Errorf("%w: %v", ErrStatement, err)
	}
	return nil
}
