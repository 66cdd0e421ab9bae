package verifier

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// TestCheckEncoding: the layout walk accepts gnark's own encodings of both
// backends' verifying keys and proofs, and refuses, naming why, each kind
// of corruption it exists for, before gnark decodes anything.
func TestCheckEncoding(t *testing.T) {
	uncompressed := func(b []byte, off int) []byte {
		c := bytes.Clone(b)
		c[off] &= 0x3F // the two flag bits of a compressed point
		return c
	}
	u32 := func(b []byte, off int, v uint32) []byte {
		c := bytes.Clone(b)
		binary.BigEndian.PutUint32(c[off:], v)
		return c
	}
	for _, backend := range []Backend{Groth16, PLONK} {
		t.Run(backend.String(), func(t *testing.T) {
			tk := setupStep(t, backend, "a")
			vk, proof := tk.set.Key("step").Raw, tk.proof(3)
			type tcase struct {
				name string
				kind encodingKind
				raw  []byte
				want string // "" accepts
			}
			cases := []tcase{
				{"verifying key", verifyingKeyEncoding, vk, ""},
				{"proof", proofEncoding, proof, ""},
				{"key, one trailing byte", verifyingKeyEncoding, append(bytes.Clone(vk), 0), "trailing"},
				{"proof, one trailing byte", proofEncoding, append(bytes.Clone(proof), 0), "trailing"},
				{"key, last byte missing", verifyingKeyEncoding, vk[:len(vk)-1], "needed"},
				{"proof, last byte missing", proofEncoding, proof[:len(proof)-1], "needed"},
				{"empty proof", proofEncoding, nil, "needed"},
			}
			switch backend {
			case Groth16:
				// K's length follows [α]1 [β]1 [β]2 [γ]2 [δ]1 [δ]2; the
				// proof's commitments follow Ar, Bs, Krs.
				cases = append(cases,
					tcase{"key, K of 2^32-1 points", verifyingKeyEncoding, u32(vk, 3*32+3*64, 0xFFFF_FFFF), "a length of"},
					tcase{"key, [α]1 uncompressed", verifyingKeyEncoding, uncompressed(vk, 0), "uncompressed"},
					tcase{"proof, 2^32-1 commitments", proofEncoding, u32(proof, 32+64+32, 0xFFFF_FFFF), "a length of"})
			case PLONK:
				// S[0] follows the header, Size, SizeInv, Generator,
				// NbPublicVariables and CosetShift; the claimed values'
				// length follows 8 G1 points.
				cases = append(cases,
					tcase{"key, S[0] uncompressed", verifyingKeyEncoding, uncompressed(vk, 3*8+2*32+8+32), "uncompressed"},
					tcase{"key, version 2", verifyingKeyEncoding, u32(vk, 12, 2), "header"},
					tcase{"proof, 2^32-1 claimed values", proofEncoding, u32(proof, 8*32, 0xFFFF_FFFF), "a length of"})
			}
			for _, c := range cases {
				err := checkEncoding(backend, c.kind, c.raw)
				switch {
				case c.want == "" && err != nil:
					t.Errorf("%s: refused: %v", c.name, err)
				case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
					t.Errorf("%s: got %v, want an error about %q", c.name, err, c.want)
				}
			}
			// Through the key: a corrupted proof is ErrEncoding, not a crash.
			bad := u32(proof, map[Backend]int{Groth16: 32 + 64 + 32, PLONK: 8 * 32}[backend], 0xFFFF_FFFF)
			err := tk.set.Key("step").VerifyProof(backend, bad, fr.Vector{fr.NewElement(3), fr.NewElement(stepNext(3))})
			if !errors.Is(err, ErrEncoding) {
				t.Fatalf("corrupted proof through VerifyProof: got %v, want ErrEncoding", err)
			}
		})
	}
}
