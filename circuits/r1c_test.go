package circuits

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/test"
)

// productCircuit asserts (A + B + 3)·(C − D) = A·2 + 5 and (A + B)·C = 0.
type productCircuit struct{ A, B, C, D frontend.Variable }

func (c *productCircuit) Define(api frontend.API) error {
	p := newProductAsserter(api)
	p.assert(api.Add(c.A, c.B, 3), api.Sub(c.C, c.D), api.Add(api.Mul(c.A, 2), 5))
	p.zero(api.Add(c.A, c.B), c.C)
	return nil
}

// TestProductAsserter: with gnark's R1CS builder one product costs one
// constraint, and the compiled system accepts exactly the witnesses that
// satisfy the equations (as the test engine and PLONK, which take the
// two-step form, do).
func TestProductAsserter(t *testing.T) {
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &productCircuit{})
	if err != nil {
		t.Fatal(err)
	}
	if n := ccs.GetNbConstraints(); n != 2 {
		t.Fatalf("%d R1CS constraints for two asserted products, want 2", n)
	}
	plonk, err := frontend.Compile(ecc.BN254.ScalarField(), scs.NewBuilder, &productCircuit{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		w    productCircuit
		good bool
	}{
		{productCircuit{2, -2, 10, 7}, true},  // 3·3 = 9, 0·10 = 0
		{productCircuit{2, -2, 10, 8}, false}, // 3·2 ≠ 9
		{productCircuit{-2, 0, 0, -1}, true},  // 1·1 = 1, −2·0 = 0
		{productCircuit{-2, 0, 1, 0}, false},  // 1·1 = 1, but −2·1 ≠ 0: the second alone
		{productCircuit{3, -3, 5, 1}, false},  // 3·4 ≠ 11
	} {
		w, err := frontend.NewWitness(&tc.w, ecc.BN254.ScalarField())
		if err != nil {
			t.Fatal(err)
		}
		for name, err := range map[string]error{"r1cs": ccs.IsSolved(w), "plonk": plonk.IsSolved(w), "engine": test.IsSolved(&productCircuit{}, &tc.w, ecc.BN254.ScalarField())} {
			if (err == nil) != tc.good {
				t.Errorf("%s: witness %v: solved %v, want %v (%v)", name, tc.w, err == nil, tc.good, err)
			}
		}
	}
}

// TestCompiledCircuitRejectsTampering: the segment circuit compiled by
// gnark's R1CS builder (where products are asserted as single constraints,
// productAsserter) accepts the valid witnesses of every family and rejects
// single-field tamperings of their rows, as the test engine does.
func TestCompiledCircuitRejectsTampering(t *testing.T) {
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, tiny.NewCircuit())
	if err != nil {
		t.Fatal(err)
	}
	solves := func(w *Circuit) error {
		wit, err := frontend.NewWitness(w, ecc.BN254.ScalarField())
		if err != nil {
			t.Fatal(err)
		}
		return ccs.IsSolved(wit)
	}
	tried := 0
	valid := func(s solved) {
		if err := solves(s.w); err != nil {
			t.Fatalf("%s: valid witness rejected by the compiled circuit: %v", s.name, err)
		}
	}
	seen := firstRowOfEachFamily(validWitnesses(t), valid, func(s solved, r int, row *Row, cl Class, cells []wcell) {
		for i, c := range cells {
			if testing.Short() && i%3 != int(cl)%3 {
				continue // -short: a third of the fields, rotating by family
			}
			tried++
			old := *c.v
			n := toBig(old)
			n.Add(n, bigOf(1))
			*c.v = n
			if solves(s.w) == nil {
				t.Errorf("%s row %d (%s): tampered %s accepted by the compiled circuit", s.name, r, cl, c.name)
			}
			*c.v = old
		}
	})
	t.Logf("%d families, %d single-field tamperings rejected by the compiled R1CS", len(seen), tried)
}
