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

// TestEstimatedConstraints keeps Shape.EstimatedConstraints within 15% of
// the compiled count: the smallest standard shape always, every standard
// shape without -short.
func TestEstimatedConstraints(t *testing.T) {
	shapes := Shapes()
	if testing.Short() {
		shapes = shapes[:1]
	}
	for _, s := range shapes {
		cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, s.NewCircuit())
		if err != nil {
			t.Fatal(err)
		}
		got, est := cs.GetNbConstraints(), s.EstimatedConstraints()
		if ratio := float64(est) / float64(got); ratio < 0.85 || ratio > 1.15 {
			t.Errorf("%s: estimated %d constraints, compiled %d (ratio %.2f)", s.ID(), est, got, ratio)
		}
	}
}
