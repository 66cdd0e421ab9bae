package verifier

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
)

// ShapeKey is the verifying key of one circuit shape.
type ShapeKey struct {
	// Shape is the circuit shape's stable identifier.
	Shape string
	// CSDigest is the digest of the compiled constraint system the key was
	// set up for (see package prover); it ties the key to exactly one circuit.
	CSDigest [32]byte
	// Raw is gnark's compressed encoding of the verifying key.
	Raw []byte

	parsed any // *groth16bn254.VerifyingKey or *plonkbn254.VerifyingKey
}

// Fingerprint of this key alone.
func (k *ShapeKey) Fingerprint() Fingerprint { return FingerprintOf(k.Raw) }

// KeySet holds the verifying keys of every circuit shape made by one setup.
// It is the one thing an auditor pins: one file, one fingerprint over all
// shapes.
type KeySet struct {
	GnarkVersion string
	Backend      Backend
	Curve        string
	Setup        SetupKind
	Keys         []*ShapeKey // sorted by Shape, unique
}

// Key returns the verifying key of shape, or nil.
func (s *KeySet) Key(shape string) *ShapeKey {
	i := sort.Search(len(s.Keys), func(i int) bool { return s.Keys[i].Shape >= shape })
	if i < len(s.Keys) && s.Keys[i].Shape == shape {
		return s.Keys[i]
	}
	return nil
}

// Add inserts or replaces the key of k.Shape, keeping Keys sorted. The key's
// bytes are parsed (with subgroup checks) before it is accepted.
func (s *KeySet) Add(k *ShapeKey) error {
	if err := k.parse(s.Backend); err != nil {
		return err
	}
	i := sort.Search(len(s.Keys), func(i int) bool { return s.Keys[i].Shape >= k.Shape })
	if i < len(s.Keys) && s.Keys[i].Shape == k.Shape {
		s.Keys[i] = k
		return nil
	}
	s.Keys = append(s.Keys, nil)
	copy(s.Keys[i+1:], s.Keys[i:])
	s.Keys[i] = k
	return nil
}

// Fingerprint identifies the whole set: SHA-256 over its canonical encoding,
// so that changing any key, the backend, the setup kind or the gnark version
// changes it.
func (s *KeySet) Fingerprint() Fingerprint {
	b, _ := s.MarshalBinary()
	return FingerprintOf(b)
}

const keySetMagic = "MCPZVKS\x00"

// KeySetFormatVersion is the version of the key-set file format.
const KeySetFormatVersion = 1

// MarshalBinary encodes the set canonically (see docs/BUNDLE.md).
func (s *KeySet) MarshalBinary() ([]byte, error) {
	w := &wireWriter{}
	w.raw([]byte(keySetMagic))
	w.u16(KeySetFormatVersion)
	w.str(s.GnarkVersion)
	w.u8(uint8(s.Backend))
	w.str(s.Curve)
	w.u8(uint8(s.Setup))
	w.u32(uint32(len(s.Keys)))
	for _, k := range s.Keys {
		w.str(k.Shape)
		w.raw(k.CSDigest[:])
		w.bytes(k.Raw)
	}
	return w.b, nil
}

// UnmarshalBinary decodes and validates a key set: magic, format and gnark
// versions, backend, curve, sorted unique shapes, and every key parsed with
// subgroup checks.
func (s *KeySet) UnmarshalBinary(b []byte) error { return s.unmarshal(b, true) }

// unmarshal decodes a key set; with eager false the verifying keys' points
// are decoded (with subgroup checks) only when first used, which spares a
// bundle's embedded keys the cost when a pinned set is used instead.
func (s *KeySet) unmarshal(b []byte, eager bool) error {
	if !bytes.HasPrefix(b, []byte(keySetMagic)) {
		return encodingErr("not an mcpzero verifying-key set (bad magic)", nil)
	}
	r := &wireReader{b: b[len(keySetMagic):]}
	v := r.u16()
	gv := r.str()
	if r.err != nil {
		return encodingErr("key set header", r.err)
	}
	if v != KeySetFormatVersion {
		return fmt.Errorf("%w: key set format version %d, this build reads %d", ErrVersion, v, KeySetFormatVersion)
	}
	if gv != GnarkVersion {
		return fmt.Errorf("%w: key set written with gnark %s, this build uses gnark %s", ErrVersion, gv, GnarkVersion)
	}
	out := KeySet{GnarkVersion: gv}
	out.Backend = Backend(r.u8())
	out.Curve = r.str()
	out.Setup = SetupKind(r.u8())
	n := r.count(4 + 32 + 4)
	if r.err != nil {
		return encodingErr("key set header", r.err)
	}
	if !out.Backend.Valid() || out.Curve != Curve || !out.Setup.valid() {
		return encodingErr(fmt.Sprintf("key set names backend %v, curve %q, setup %v", out.Backend, out.Curve, out.Setup), nil)
	}
	for i := 0; i < n; i++ {
		k := &ShapeKey{Shape: r.str()}
		copy(k.CSDigest[:], r.take(32))
		k.Raw = r.bytes()
		if r.err != nil {
			return encodingErr(fmt.Sprintf("key %d", i), r.err)
		}
		if i > 0 && out.Keys[i-1].Shape >= k.Shape {
			return encodingErr("key set shapes not sorted and unique", nil)
		}
		if eager {
			if err := k.parse(out.Backend); err != nil {
				return err
			}
		}
		out.Keys = append(out.Keys, k)
	}
	if err := r.done(); err != nil {
		return encodingErr("key set", err)
	}
	*s = out
	return nil
}

// ReadKeySetFile loads a pinned key-set file.
func ReadKeySetFile(path string) (*KeySet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s KeySet
	if err := s.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

// WriteFile writes the set to path.
func (s *KeySet) WriteFile(path string) error {
	b, err := s.MarshalBinary()
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// parse decodes Raw with subgroup checks and requires it to be consumed whole.
func (k *ShapeKey) parse(b Backend) error {
	if k.parsed != nil {
		return nil
	}
	var rf io.ReaderFrom
	switch b {
	case Groth16:
		vk := new(groth16bn254.VerifyingKey)
		rf, k.parsed = vk, vk
	case PLONK:
		vk := new(plonkbn254.VerifyingKey)
		rf, k.parsed = vk, vk
	default:
		return encodingErr(fmt.Sprintf("unknown backend %v", b), nil)
	}
	if err := checkEncoding(b, verifyingKeyEncoding, k.Raw); err != nil {
		k.parsed = nil
		return encodingErr(fmt.Sprintf("verifying key of shape %s", k.Shape), err)
	}
	n, err := rf.ReadFrom(bytes.NewReader(k.Raw))
	if err == nil && n != int64(len(k.Raw)) {
		err = fmt.Errorf("%d trailing bytes", int64(len(k.Raw))-n)
	}
	if err == nil {
		err = checkCommitted(k.parsed)
	}
	if err != nil {
		k.parsed = nil
		return encodingErr(fmt.Sprintf("verifying key of shape %s", k.Shape), err)
	}
	return nil
}

// noPanic runs a gnark verifier and turns a panic into an error: bundles
// and their embedded keys are untrusted input, and gnark's verifiers index
// key fields they do not check (checkCommitted covers the one we know).
func noPanic(verify func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gnark's verifier panicked on this key and proof: %v", r)
		}
	}()
	return verify()
}

// checkCommitted refuses a Groth16 key whose commitments name a public
// input that is not there: gnark's Verify reads publicWitness[j-1] for each
// such index j unchecked, so a crafted key embedded in a bundle (verified
// without a pinned set) made Verify panic instead of fail.
func checkCommitted(parsed any) error {
	vk, ok := parsed.(*groth16bn254.VerifyingKey)
	if !ok {
		return nil
	}
	nbPublic := len(vk.G1.K) - len(vk.PublicAndCommitmentCommitted) - 1
	for i, c := range vk.PublicAndCommitmentCommitted {
		for _, j := range c {
			if j < 1 || j > nbPublic {
				return fmt.Errorf("commitment %d names public input %d of %d", i, j, max(nbPublic, 0))
			}
		}
	}
	return nil
}

// VerifyProof checks one proof (gnark's encoding) against this key and the
// public inputs. It returns an error wrapping ErrProofInvalid or ErrEncoding.
func (k *ShapeKey) VerifyProof(b Backend, proof []byte, public fr.Vector) error {
	if err := k.parse(b); err != nil {
		return err
	}
	if err := checkEncoding(b, proofEncoding, proof); err != nil {
		return encodingErr("proof", err)
	}
	var err error
	switch vk := k.parsed.(type) {
	case *groth16bn254.VerifyingKey:
		p := new(groth16bn254.Proof)
		if err = readWhole(p, proof); err != nil {
			return encodingErr("proof", err)
		}
		err = noPanic(func() error { return groth16bn254.Verify(p, vk, public) })
	case *plonkbn254.VerifyingKey:
		p := new(plonkbn254.Proof)
		if err = readWhole(p, proof); err != nil {
			return encodingErr("proof", err)
		}
		err = noPanic(func() error { return plonkbn254.Verify(p, vk, public) })
	default:
		return encodingErr("verifying key of another backend", nil)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrProofInvalid, err)
	}
	return nil
}

func readWhole(rf io.ReaderFrom, b []byte) error {
	n, err := rf.ReadFrom(bytes.NewReader(b))
	if err != nil {
		return err
	}
	if n != int64(len(b)) {
		return fmt.Errorf("%d trailing bytes", int64(len(b))-n)
	}
	return nil
}
