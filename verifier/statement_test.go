package verifier

import (
	"errors"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/mcpzero/mcpzero/circuits/claim"
)

// claimBundle builds a bundle whose segment public inputs are honest claims
// for its statement (no proofs: bindClaims is the pure part of Verify).
func claimBundle(t *testing.T, nseg int) *Bundle {
	t.Helper()
	s := Statement{Function: 3, Export: "f", Args: []uint64{27, 3}, Input: []byte("in"),
		Status: Returned, Results: []uint64{30}, Output: []byte("out"), Steps: uint64(10 * nseg)}
	s.Module.SetUint64(1234)
	cs := s.ClaimStatement()
	claims := make([]claim.Claim, nseg)
	prev := cs.Initial()
	for i := range claims {
		after := claim.Hash(claim.U64(claim.TagState), claim.U64(uint64(i)))
		if i == nseg-1 {
			after = cs.Final()
		}
		claims[i] = claim.Claim{Module: s.Module, Before: prev, After: after, Steps: 10}
		prev = after
	}
	root, err := claim.MerkleRoot(claims)
	if err != nil {
		t.Fatal(err)
	}
	s.TraceRoot = root
	b := &Bundle{Statement: s}
	for _, c := range claims {
		v := c.Values()
		b.Segments = append(b.Segments, Segment{Shape: "s", Public: fr.Vector(v[:])})
	}
	return b
}

func TestBindClaims(t *testing.T) {
	if err := bindClaims(claimBundle(t, 3)); err != nil {
		t.Fatalf("honest claims rejected: %v", err)
	}
	cases := map[string]func(b *Bundle){
		"argument":       func(b *Bundle) { b.Statement.Args[0] = 28 },
		"input byte":     func(b *Bundle) { b.Statement.Input[0] ^= 1 },
		"result":         func(b *Bundle) { b.Statement.Results[0] = 31 },
		"output":         func(b *Bundle) { b.Statement.Output = nil },
		"function":       func(b *Bundle) { b.Statement.Function = 4 },
		"status":         func(b *Bundle) { b.Statement.Status = Trapped; b.Statement.Trap = 1 },
		"steps":          func(b *Bundle) { b.Statement.Steps++ },
		"module":         func(b *Bundle) { b.Statement.Module.SetUint64(1) },
		"trace root":     func(b *Bundle) { b.Statement.TraceRoot.SetUint64(1) },
		"dropped":        func(b *Bundle) { b.Segments = b.Segments[1:] },
		"reordered":      func(b *Bundle) { b.Segments[0], b.Segments[1] = b.Segments[1], b.Segments[0] },
		"public count":   func(b *Bundle) { b.Segments[1].Public = b.Segments[1].Public[:3] },
		"huge steps":     func(b *Bundle) { b.Segments[1].Public[3].SetOne().Neg(&b.Segments[1].Public[3]) },
		"zero steps seg": func(b *Bundle) { b.Segments[1].Public[3].SetZero() },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			b := claimBundle(t, 3)
			mutate(b)
			if err := bindClaims(b); !errors.Is(err, ErrStatement) {
				t.Fatalf("got %v, want ErrStatement", err)
			}
		})
	}
}
