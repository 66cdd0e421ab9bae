package prover

import (
	"bytes"
	"errors"
	"fmt"

	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"

	"github.com/mcpzero/mcpzero/verifier"
)

// ErrKeyImport: imported keys are malformed, do not belong together or do
// not fit the circuit.
var ErrKeyImport = errors.New("imported keys do not fit")

// ImportCeremonyKeys stores a Groth16 proving/verifying key pair produced
// by a multi-party ceremony (gnark's backend/groth16/bn254/mpcsetup, keys
// written with WriteTo) for the compiled circuit cs, labelled
// CeremonySetup. It checks what can be checked without a witness: both
// keys decode (with subgroup checks), share α, β and δ, and match the
// circuit's size and public inputs. Every proof made with them is still
// verified by the prover before it enters a bundle.
//
// PLONK needs no circuit-specific ceremony, only a ceremony SRS; importing
// one is not supported yet.
func (s *KeyStore) ImportCeremonyKeys(shape string, b verifier.Backend, cs constraint.ConstraintSystem, pkRaw, vkRaw []byte) (*Keys, error) {
	if b != verifier.Groth16 {
		return nil, fmt.Errorf("prover: %w: only Groth16 keys can be imported (PLONK takes a ceremony SRS, not supported yet)", ErrKeyImport)
	}
	pk := new(groth16bn254.ProvingKey)
	if err := readAll(pk.ReadFrom, pkRaw); err != nil {
		return nil, fmt.Errorf("prover: %w: proving key: %v", ErrKeyImport, err)
	}
	vk := new(groth16bn254.VerifyingKey)
	if err := readAll(vk.ReadFrom, vkRaw); err != nil {
		return nil, fmt.Errorf("prover: %w: verifying key: %v", ErrKeyImport, err)
	}
	switch {
	case !pk.G1.Alpha.Equal(&vk.G1.Alpha) || !pk.G2.Beta.Equal(&vk.G2.Beta) || !pk.G2.Delta.Equal(&vk.G2.Delta):
		return nil, fmt.Errorf("prover: %w: the proving and verifying keys come from different setups (α, β or δ differ)", ErrKeyImport)
	case vk.NbPublicWitness() != cs.GetNbPublicVariables()-1:
		return nil, fmt.Errorf("prover: %w: the verifying key has %d public inputs, shape %s has %d", ErrKeyImport, vk.NbPublicWitness(), shape, cs.GetNbPublicVariables()-1)
	case pk.Domain.Cardinality < uint64(cs.GetNbConstraints()):
		return nil, fmt.Errorf("prover: %w: the proving key's domain (%d) is smaller than shape %s (%d constraints)", ErrKeyImport, pk.Domain.Cardinality, shape, cs.GetNbConstraints())
	case len(pk.CommitmentKeys) != len(vk.CommitmentKeys):
		return nil, fmt.Errorf("prover: %w: commitment keys differ between the proving and verifying key", ErrKeyImport)
	}
	d, err := CSDigest(b, cs)
	if err != nil {
		return nil, err
	}
	var vkBuf bytes.Buffer
	if _, err := vk.WriteTo(&vkBuf); err != nil {
		return nil, err
	}
	k := &Keys{Shape: shape, Backend: b, Setup: verifier.CeremonySetup, CSDigest: d, pk: pk,
		VK: &verifier.ShapeKey{Shape: shape, CSDigest: d, Raw: vkBuf.Bytes()}}
	if err := s.store(k); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.mem[d] = k
	s.mu.Unlock()
	return k, nil
}
