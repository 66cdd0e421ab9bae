package circuits

import (
	"bytes"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/test"

	"github.com/mcpzero/mcpzero/circuits/claim"
)

// TestZeroStepSegments: a 200-byte input_read cut for a 64-row shape fills
// whole segments with copy rows, which are pseudo rows and prove zero
// steps. The honest run's statement must verify and every segment solve
// (claim.CheckStatement used to refuse zero-step segments).
func TestZeroStepSegments(t *testing.T) {
	mod := loadModule(t, "io.wasm")
	tab, err := Table(mod)
	if err != nil {
		t.Fatal(err)
	}
	tr := runInput(t, mod, "run", nil, bytes.Repeat([]byte("x"), 200), 64)
	s := Shape{Rows: 64, Prog: 256, Funcs: 8, Stack: 16, Locals: 32, Globals: 2, Depth: 12, Mem: 256, In: 256, Out: 256, Table: 4}
	stmt, claims, err := tab.Statement(s, tr)
	if err != nil {
		t.Fatal(err)
	}
	empty := 0
	for _, c := range claims {
		if c.Steps == 0 {
			empty++
		}
	}
	if empty == 0 {
		t.Fatalf("no zero-step segment among %d: the test no longer exercises the case", len(claims))
	}
	if err := claim.CheckStatement(stmt, claims); err != nil {
		t.Fatalf("honest statement with %d zero-step segments refused: %v", empty, err)
	}
	for k := range claims {
		w, _, err := s.Assign(tab, tr, k)
		if err != nil {
			t.Fatalf("segment %d: %v", k, err)
		}
		if err := test.IsSolved(s.NewCircuit(), w, ecc.BN254.ScalarField()); err != nil {
			t.Fatalf("segment %d of %d: %v", k, len(claims), err)
		}
	}
	t.Logf("%d steps, %d segments, %d with zero steps", tr.Steps, len(claims), empty)
}
