package prover

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
)

// ErrUnsatisfied means the witness built from the trace does not satisfy
// the circuit. For an honest trace this is a bug in the witness builder or
// the circuit, never something a user can fix.
var ErrUnsatisfied = errors.New("witness does not satisfy the circuit")

// ProveWitness proves a full witness for cs with these keys and returns
// gnark's encoding of the proof. The proof is verified once before it is
// returned (about a millisecond), so a bundle never carries a proof that
// its own verifier would reject.
//
// gnark's prover cannot be interrupted: on cancellation ctx's error is
// returned at once and the abandoned proof finishes in the background.
func (k *Keys) ProveWitness(ctx context.Context, cs constraint.ConstraintSystem, full witness.Witness) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pub, err := full.Public()
	if err != nil {
		return nil, err
	}
	pubVec, ok := pub.Vector().(fr.Vector)
	if !ok {
		return nil, fmt.Errorf("prover: witness is not over BN254")
	}
	type result struct {
		proof io.WriterTo
		err   error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		switch pk := k.pk.(type) {
		case *groth16bn254.ProvingKey:
			c, ok := cs.(*csbn254.R1CS)
			if !ok {
				r.err = fmt.Errorf("prover: Groth16 needs a BN254 R1CS, got %T", cs)
				break
			}
			r.proof, r.err = groth16bn254.Prove(c, pk, full)
		case *plonkbn254.ProvingKey:
			c, ok := cs.(*csbn254.SparseR1CS)
			if !ok {
				r.err = fmt.Errorf("prover: PLONK needs a BN254 sparse R1CS, got %T", cs)
				break
			}
			r.proof, r.err = plonkbn254.Prove(c, pk, full)
		default:
			r.err = fmt.Errorf("prover: no proving key")
		}
		done <- r
	}()
	var r result
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r = <-done:
	}
	if r.err != nil {
		return nil, fmt.Errorf("prover: shape %s: %w: %v", k.Shape, ErrUnsatisfied, r.err)
	}
	var buf bytes.Buffer
	if _, err := r.proof.WriteTo(&buf); err != nil {
		return nil, err
	}
	if err := k.VK.VerifyProof(k.Backend, buf.Bytes(), pubVec); err != nil {
		return nil, fmt.Errorf("prover: shape %s: fresh proof does not verify: %w", k.Shape, err)
	}
	return buf.Bytes(), nil
}
