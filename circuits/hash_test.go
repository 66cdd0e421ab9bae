package circuits

import (
	"fmt"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"

	"github.com/mcpzero/mcpzero/circuits/claim"
)

// listCircuit computes listDigest of Items[:N] and compares it with Want.
type listCircuit struct {
	Kind  uint64
	Items []frontend.Variable
	N     frontend.Variable
	Want  frontend.Variable
}

func (c *listCircuit) Define(api frontend.API) error {
	h, err := newHasher(api)
	if err != nil {
		return err
	}
	g := prefixFlags(api, c.N, len(c.Items))
	api.AssertIsEqual(h.listDigest(c.Kind, []frontend.Variable{c.N}, c.Items, g), c.Want)
	return nil
}

// TestListDigestMatchesClaim: the circuit's list digest of the first n of
// 2·rate + 3 cells equals claim.ListDigest for every n, across the sponge's
// block boundaries, whatever the cells past n hold; the digest of another
// length, or with a changed cell below n, is rejected.
func TestListDigestMatchesClaim(t *testing.T) {
	const size = 2*claim.SpongeRate + 3
	items := make([]fr.Element, size)
	for i := range items {
		items[i].SetUint64(uint64(7*i + 1))
	}
	assign := func(n int, want fr.Element) *listCircuit {
		vs := make([]frontend.Variable, size)
		for i := range vs {
			vs[i] = items[i] // cells past n are stale, not zero
		}
		return &listCircuit{Kind: claim.ListBytes, Items: vs, N: n, Want: want}
	}
	digest := func(n int) fr.Element {
		return claim.ListDigest(claim.ListBytes, []fr.Element{claim.U64(uint64(n))}, items[:n])
	}
	shape := &listCircuit{Kind: claim.ListBytes, Items: make([]frontend.Variable, size)}
	for n := 0; n <= size; n++ {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			if err := test.IsSolved(shape, assign(n, digest(n)), ecc.BN254.ScalarField()); err != nil {
				t.Fatalf("honest digest of %d cells rejected: %v", n, err)
			}
			other := (n + 1) % (size + 1)
			if err := test.IsSolved(shape, assign(n, digest(other)), ecc.BN254.ScalarField()); err == nil {
				t.Fatalf("digest of %d cells accepted for %d", other, n)
			}
			if n > 0 {
				bad := assign(n, digest(n))
				bad.Items[n-1] = 12345
				if err := test.IsSolved(shape, bad, ecc.BN254.ScalarField()); err == nil {
					t.Fatalf("changed cell %d accepted", n-1)
				}
			}
			kind := assign(n, claim.ListDigest(claim.ListElements, []fr.Element{claim.U64(uint64(n))}, items[:n]))
			if err := test.IsSolved(shape, kind, ecc.BN254.ScalarField()); err == nil {
				t.Fatal("a digest of another list kind accepted")
			}
		})
	}
}
