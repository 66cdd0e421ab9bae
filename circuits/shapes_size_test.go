package circuits

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
)

// TestStandardShapeSizes compiles every standard shape and logs its
// constraint count (slow: minutes for the largest).
func TestStandardShapeSizes(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles every standard shape")
	}
	for _, s := range Shapes() {
		cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, s.NewCircuit())
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d constraints, %.1f per row at capacity", s.ID(), cs.GetNbConstraints(), float64(cs.GetNbConstraints())/float64(s.Rows))
	}
}
