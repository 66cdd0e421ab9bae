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

// TestShapeIDsStable pins the standard shapes: users cache keys per shape
// id, so a shape is never changed or removed, only appended.
func TestShapeIDsStable(t *testing.T) {
	want := []string{
		"seg-r64-p64-f4-s16-l16-g4-d4-m0-i0-o0-t0",
		"seg-r1024-p512-f16-s64-l64-g16-d16-m1024-i256-o256-t16",
		"seg-r8192-p512-f32-s128-l128-g16-d32-m4096-i1024-o1024-t32",
		"seg-r4096-p2048-f64-s256-l256-g32-d64-m16384-i4096-o4096-t256",
		"seg-r3840-p512-f32-s128-l128-g16-d32-m2048-i512-o512-t32",
		"seg-r1024-p2048-f64-s256-l256-g32-d64-m16384-i4096-o4096-t256",
		"seg-r1024-p1536-f64-s256-l256-g32-d64-m8192-i4096-o4096-t256",
		"seg-r3840-p384-f32-s128-l128-g16-d32-m2048-i512-o512-t32",
		"seg-r1024-p1024-f16-s64-l64-g16-d16-m1024-i256-o256-t16",
	}
	got := Shapes()
	if len(got) < len(want) {
		t.Fatalf("%d standard shapes, want at least %d", len(got), len(want))
	}
	for i, id := range want {
		if got[i].ID() != id {
			t.Errorf("shape %d is %s, want %s", i, got[i].ID(), id)
		}
	}
}

// TestBudgetShapesDomain keeps the shapes for the 4 GiB proving budget
// under 2^21 constraints: above, gnark's FFT domain (the next power
// of two) doubles, and the proving memory with it.
func TestBudgetShapesDomain(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles two 2 M-constraint shapes")
	}
	// Shapes 4 and 5 passed 2^21 when memory and the program became
	// Merkle trees (2.13 M and 2.59 M); 6 and 7 take their places.
	for _, i := range []int{6, 7} {
		s := Shapes()[i]
		cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, s.NewCircuit())
		if err != nil {
			t.Fatal(err)
		}
		n := cs.GetNbConstraints()
		t.Logf("%s: %d constraints", s.ID(), n)
		if n > 1<<21 {
			t.Errorf("%s: %d constraints, over 2^21 = %d", s.ID(), n, 1<<21)
		}
	}
}
