package circuits

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
)

// TestConstraintsPerRow compiles shapes that differ only in their number of
// rows, so that the difference isolates the per-step cost from the fixed
// cost (program table, boundary states, range-check tables).
func TestConstraintsPerRow(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles several shapes")
	}
	base := Shape{Rows: 64, Prog: 64, Funcs: 4, Stack: 16, Locals: 16, Globals: 4, Depth: 4, Mem: 64, In: 32, Out: 32}
	big := base
	big.Rows = 512
	n := func(s Shape) int {
		cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, s.NewCircuit())
		if err != nil {
			t.Fatal(err)
		}
		return cs.GetNbConstraints()
	}
	a, b := n(base), n(big)
	perRow := float64(b-a) / float64(big.Rows-base.Rows)
	t.Logf("%s: %d constraints; %s: %d constraints; marginal %.1f constraints/step, fixed %.0f",
		base.ID(), a, big.ID(), b, perRow, float64(a)-perRow*float64(base.Rows))
	for _, s := range Shapes() {
		if s.Rows > 1024 {
			continue
		}
		c := n(s)
		t.Logf("%s: %d constraints, %.1f per step at capacity", s.ID(), c, float64(c)/float64(s.Rows))
	}
}
