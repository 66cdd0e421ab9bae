package circuits

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"

	"github.com/mcpzero/mcpzero/circuits/claim"
	"github.com/mcpzero/mcpzero/trace"
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
		"seg-r512-p512-f16-s1024-l1024-g16-d512-m1024-i256-o256-t16",
		"seg-r1024-p512-f16-s4096-l4096-g16-d2048-m1024-i256-o256-t16",
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
	// Merkle trees (2.13 M and 2.59 M); 6 and 7 take their places. 9 and
	// 10 are the deep-recursion shapes.
	for _, i := range []int{6, 7, 9, 10} {
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

// TestDeepRecursionShape: a recursion 300 frames deep fits no shape but
// the first deep-recursion one (Fit takes the first that fits), 1,999
// frames (the tracer's limit is 2,000) only the second; 10 frames fit the
// 1,024-row shape, 40 the 4,096-row large one. Without -short, the
// segments of both deep runs solve (of the 1,999-frame run: the first,
// the deepest and the last).
func TestDeepRecursionShape(t *testing.T) {
	mod := loadModule(t, "deep.wasm")
	tab, err := Table(mod)
	if err != nil {
		t.Fatal(err)
	}
	deep, deepest := Shapes()[9], Shapes()[10]
	for _, tc := range []struct {
		n    uint64
		want Shape
	}{{10, Shapes()[1]}, {40, Shapes()[3]}, {300, deep}, {1999, deepest}} {
		tr := run(t, mod, "sum", []uint64{tc.n}, 1<<16)
		if tr.Status != trace.Returned || tr.Results[0] != tc.n*(tc.n+1)/2 {
			t.Fatalf("sum(%d): %v %v", tc.n, tr.Status, tr.Results)
		}
		got, err := Fit(tab, tr)
		if err != nil || got != tc.want {
			t.Fatalf("sum(%d) fits %s (%v), want %s", tc.n, got.ID(), err, tc.want.ID())
		}
	}
	if tr := run(t, mod, "sum", []uint64{2000}, 1<<16); tr.Status != trace.Trapped || tr.Trap != trace.TrapStackOverflow {
		t.Fatalf("sum(2000): %v %v, want the tracer's call-depth trap", tr.Status, tr.Trap)
	}
	if testing.Short() {
		return // the deep shapes compile to 0.7 M and 1.8 M constraints: solve them without -short
	}
	for _, tc := range []struct {
		n     uint64
		shape Shape
	}{{300, deep}, {1999, deepest}} {
		tr := run(t, mod, "sum", []uint64{tc.n}, 1<<16)
		stmt, claims, err := tab.Statement(tc.shape, tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := claim.CheckStatement(stmt, claims); err != nil {
			t.Fatal(err)
		}
		segs := []int{0, len(claims) / 2, len(claims) - 1}
		if tc.n == 300 {
			segs = segs[:0]
			for k := range claims {
				segs = append(segs, k)
			}
		}
		for _, k := range segs {
			w, _, err := tc.shape.Assign(tab, tr, k)
			if err != nil {
				t.Fatal(err)
			}
			if err := test.IsSolved(tc.shape.NewCircuit(), w, ecc.BN254.ScalarField()); err != nil {
				t.Fatalf("sum(%d): segment %d of %d: %v", tc.n, k, len(claims), err)
			}
		}
		t.Logf("sum(%d): %d steps, %d segments of %s; solved %v", tc.n, tr.Steps, len(claims), tc.shape.ID(), segs)
	}
}
