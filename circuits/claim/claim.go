package claim

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/witness"
)

// Claim is what one segment proof proves, and exactly the segment circuit's
// public inputs, in this order: executing the module committed to by Module
// from the boundary state Before for Steps steps reaches the boundary state
// After. Before is InitialState(...) for a run's first segment and After is
// FinalState(...) for its last; in between they are state digests
// (HashLong(TagState, ...), see docs/CIRCUITS.md) that chain consecutive segments.
type Claim struct {
	Module fr.Element
	Before fr.Element
	After  fr.Element
	Steps  uint64
}

// NbPublic is the number of public inputs of every segment circuit.
const NbPublic = 4

// Values returns the public inputs in the circuit's order.
func (c Claim) Values() [NbPublic]fr.Element {
	return [NbPublic]fr.Element{c.Module, c.Before, c.After, U64(c.Steps)}
}

// PublicWitness is the gnark public witness of the segment circuit for c,
// for groth16.Verify / plonk.Verify.
func (c Claim) PublicWitness() (witness.Witness, error) {
	w, err := witness.New(ecc.BN254.ScalarField())
	if err != nil {
		return nil, err
	}
	vals := c.Values()
	ch := make(chan any, NbPublic)
	for i := range vals {
		ch <- vals[i]
	}
	close(ch)
	if err := w.Fill(NbPublic, 0, ch); err != nil {
		return nil, fmt.Errorf("claim: public witness: %w", err)
	}
	return w, nil
}

// FromPublicWitness reads a claim back from a public witness (for tools that
// inspect a bundle). It fails unless w holds exactly NbPublic BN254 values
// and Steps fits in 64 bits.
func FromPublicWitness(w witness.Witness) (Claim, error) {
	vec, ok := w.Vector().(fr.Vector)
	if !ok {
		return Claim{}, fmt.Errorf("claim: public witness is not over BN254")
	}
	if len(vec) != NbPublic {
		return Claim{}, fmt.Errorf("claim: public witness has %d values, want %d", len(vec), NbPublic)
	}
	var steps big.Int
	vec[3].BigInt(&steps)
	if !steps.IsUint64() {
		return Claim{}, fmt.Errorf("claim: steps %s does not fit in 64 bits", steps.String())
	}
	return Claim{Module: vec[0], Before: vec[1], After: vec[2], Steps: steps.Uint64()}, nil
}

// Leaf is the claim's leaf in the trace tree: Hash(TagLeaf, public inputs...).
func (c Claim) Leaf() fr.Element {
	v := c.Values()
	return Hash(U64(TagLeaf), v[0], v[1], v[2], v[3])
}
