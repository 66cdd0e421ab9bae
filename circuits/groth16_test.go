package circuits

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/mcpzero/mcpzero/circuits/claim"
)

// TestGroth16ProveVerify is a real setup, prove and verify of a small shape,
// with the public witness built by claim.Claim.PublicWitness (as the
// verifier does), and a check that another claim does not verify.
func TestGroth16ProveVerify(t *testing.T) {
	shape := Shape{Rows: 16, Prog: 16, Funcs: 1, Stack: 4, Locals: 2, Globals: 1, Depth: 1}
	mod := loadModule(t, "tiny.wasm")
	tab, err := Table(mod)
	if err != nil {
		t.Fatal(err)
	}
	tr := run(t, mod, "f", []uint64{7}, shape.Rows)
	stmt, claims, err := tab.Statement(shape, tr)
	if err != nil {
		t.Fatal(err)
	}
	if err := claim.CheckStatement(stmt, claims); err != nil {
		t.Fatal(err)
	}
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, shape.NewCircuit())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d constraints", shape.ID(), ccs.GetNbConstraints())
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	assignment, cl, err := shape.Assign(tab, tr, 0)
	if err != nil {
		t.Fatal(err)
	}
	full, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(ccs, pk, full)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := cl.PublicWitness()
	if err != nil {
		t.Fatal(err)
	}
	if err := groth16.Verify(proof, vk, pub); err != nil {
		t.Fatalf("valid proof rejected: %v", err)
	}
	// The statement says trapped with kind unreachable: claim another outcome.
	other := cl
	other.After = claim.FinalState(claim.StatusReturned, claim.TrapNone, claim.OutputDigest([]uint64{8}, nil))
	pub2, err := other.PublicWitness()
	if err != nil {
		t.Fatal(err)
	}
	if err := groth16.Verify(proof, vk, pub2); err == nil {
		t.Fatal("proof verified against another final state")
	}
	other = cl
	other.Steps++
	pub3, _ := other.PublicWitness()
	if err := groth16.Verify(proof, vk, pub3); err == nil {
		t.Fatal("proof verified with another step count")
	}
}
