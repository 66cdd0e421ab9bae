package main

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/mcpzero/mcpzero/circuits"
	"github.com/mcpzero/mcpzero/prover"
)

// TestProveMaxMemory: --max-memory below every shape's estimate fails
// before any work with the typed budget error naming the shapes; a size it
// cannot read is a usage error.
func TestProveMaxMemory(t *testing.T) {
	keys := t.TempDir()
	_, _, err := runCLI(t, "prove", "../../prover/testdata/add.wasm", "--func", "add", "--args", "27,3",
		"--keys-dir", keys, "--max-memory", "1MiB")
	if !errors.Is(err, prover.ErrMemoryBudget) || !strings.Contains(err.Error(), "budget 1.0 MiB") ||
		!strings.Contains(err.Error(), circuits.Shapes()[0].ID()) {
		t.Fatalf("got %v, want the budget error naming the smallest shape", err)
	}
	if ents, _ := os.ReadDir(keys); len(ents) != 0 {
		t.Fatalf("keys touched: %v", ents)
	}
	for _, bad := range []string{"lots", "-1G", "4XB"} {
		_, _, err := runCLI(t, "prove", "../../prover/testdata/add.wasm", "--func", "add", "--args", "27,3",
			"--keys-dir", t.TempDir(), "--max-memory", bad)
		if !errors.Is(err, prover.ErrBadSize) || !strings.Contains(err.Error(), "--max-memory") {
			t.Errorf("--max-memory %s: got %v", bad, err)
		}
	}
}
