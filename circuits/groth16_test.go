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

// TestGroth16Traps: real Groth16 proofs of a call_indirect type mismatch
// and of an output_write past the output limit verify against their
// claims, and not against the same run claimed with another trap kind or
// as returned.
func TestGroth16Traps(t *testing.T) {
	shape := Shape{Rows: 16, Prog: 64, Funcs: 8, Stack: 8, Locals: 8, Globals: 1, Depth: 2, Mem: 40, In: 8, Out: 8, Table: 4}
	mod, tab := trapsTable(t)
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, shape.NewCircuit())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d constraints", shape.ID(), ccs.GetNbConstraints())
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		export string
		args   []uint64
		kind   claim.TrapKind
		output []byte
	}{
		{"indirect", []uint64{2}, claim.TrapIndirectCallType, nil},
		{"write", []uint64{3, 0, 1<<20 - 2}, claim.TrapOutputLimit, make([]byte, 3)},
	} {
		tr := run(t, mod, tc.export, tc.args, 64)
		stmt, claims, err := tab.Statement(shape, tr)
		if err != nil {
			t.Fatal(err)
		}
		if len(claims) != 1 || stmt.Trap != tc.kind {
			t.Fatalf("%s: %d segments, trap %s", tc.export, len(claims), stmt.Trap)
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
			t.Fatalf("%s: valid proof rejected: %v", tc.export, err)
		}
		for _, k := range []claim.TrapKind{claim.TrapNone, claim.TrapOutOfBounds, claim.TrapInvalidTableAccess, claim.TrapIndirectCallType, claim.TrapOutputLimit} {
			if k == tc.kind {
				continue
			}
			other := cl
			other.After = claim.FinalState(claim.StatusTrapped, k, claim.OutputDigest(nil, tc.output))
			if k == claim.TrapNone {
				other.After = claim.FinalState(claim.StatusReturned, k, claim.OutputDigest(nil, tc.output))
			}
			pub2, err := other.PublicWitness()
			if err != nil {
				t.Fatal(err)
			}
			if err := groth16.Verify(proof, vk, pub2); err == nil {
				t.Errorf("%s: proof verified with trap kind %s", tc.export, k)
			}
		}
	}
}
