package bench

import (
	"math/big"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
)

// PlainCircuit is the proving baseline: N chained multiplications,
// x ← x² + i, one R1CS constraint each and no lookups or commitments — the
// cheapest circuit gnark can prove with N constraints, so its prove time is
// the machine's limit for that size.
type PlainCircuit struct {
	N int `gnark:"-"`
	X frontend.Variable
	Y frontend.Variable `gnark:",public"`
}

// Define implements frontend.Circuit.
func (c *PlainCircuit) Define(api frontend.API) error {
	x := c.X
	for i := 0; i < c.N; i++ {
		x = api.Add(api.Mul(x, x), i)
	}
	api.AssertIsEqual(x, c.Y)
	return nil
}

// PlainAssignment is a satisfying assignment of the n-constraint circuit.
func PlainAssignment(n int) *PlainCircuit {
	f := ecc.BN254.ScalarField()
	x := big.NewInt(3)
	for i := 0; i < n; i++ {
		x.Mul(x, x)
		x.Add(x, big.NewInt(int64(i)))
		x.Mod(x, f)
	}
	return &PlainCircuit{N: n, X: 3, Y: x}
}
