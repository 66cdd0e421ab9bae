package verifier

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/pedersen"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
)

// TestCraftedKeyCommitmentIndex: a bundle embedding a Groth16 key whose
// commitment names public input 0 (or one past the last) decodes, and
// gnark's Verify indexes publicWitness[j-1] with it unchecked. Verifying
// such a bundle without a pinned key set (`mcpzero verify FILE` without
// --vk, kernel.VerifyProof with nil keys) panicked (found by a review);
// now the key is refused as malformed (ErrEncoding), naming the index.
func TestCraftedKeyCommitmentIndex(t *testing.T) {
	_, _, g1, g2 := bn254.Generators()
	for _, idx := range []int{0, 5, 1 << 31} {
		var vk groth16bn254.VerifyingKey
		vk.G1.Alpha, vk.G1.Beta, vk.G1.Delta = g1, g1, g1
		vk.G2.Beta, vk.G2.Gamma, vk.G2.Delta = g2, g2, g2
		vk.G1.K = []bn254.G1Affine{g1, g1, g1, g1, g1, g1} // the one wire, 4 public inputs, 1 commitment wire
		vk.CommitmentKeys = []pedersen.VerifyingKey{{G: g2, GSigmaNeg: g2}}
		vk.PublicAndCommitmentCommitted = [][]int{{idx}}
		var raw bytes.Buffer
		if _, err := vk.WriteTo(&raw); err != nil {
			t.Fatal(err)
		}
		proof := groth16bn254.Proof{Ar: g1, Krs: g1, Bs: g2, Commitments: []bn254.G1Affine{g1}, CommitmentPok: g1}
		var praw bytes.Buffer
		if _, err := proof.WriteTo(&praw); err != nil {
			t.Fatal(err)
		}
		ks := &KeySet{GnarkVersion: GnarkVersion, Backend: Groth16, Curve: Curve, Setup: DevSetup,
			Keys: []*ShapeKey{{Shape: "crafted", Raw: raw.Bytes()}}}
		b := &Bundle{GnarkVersion: GnarkVersion, Backend: Groth16, Curve: Curve, Setup: DevSetup,
			KeySet: ks.Fingerprint(), Statement: Statement{Status: Returned},
			Segments: []Segment{{Shape: "crafted", Key: ks.Keys[0].Fingerprint(), Public: make(fr.Vector, 4), Proof: praw.Bytes()}},
			Keys:     ks}
		enc, err := b.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var dec Bundle
		if err := dec.UnmarshalBinary(enc); err != nil {
			if !errors.Is(err, ErrEncoding) {
				t.Fatalf("index %d: decoding refused the bundle with %v, want ErrEncoding", idx, err)
			}
			continue // refused at decoding: as good
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("index %d: Verify panicked: %v", idx, r)
				}
			}()
			_, err = Verify(&dec, nil)
		}()
		if !errors.Is(err, ErrEncoding) || !strings.Contains(err.Error(), "names public input") {
			t.Errorf("index %d: Verify = %v, want ErrEncoding naming the public input", idx, err)
		}
	}
}

// TestNoPanic: a panic inside a gnark verifier comes back as an error (the
// net under checkCommitted, for panics no key check foresees).
func TestNoPanic(t *testing.T) {
	err := noPanic(func() error { panic("index out of range") })
	if err == nil || !strings.Contains(err.Error(), "index out of range") {
		t.Fatalf("noPanic = %v, want the panic as an error", err)
	}
	want := errors.New("invalid proof")
	if err := noPanic(func() error { return want }); err != want {
		t.Fatalf("noPanic passed %v through as %v", want, err)
	}
}
