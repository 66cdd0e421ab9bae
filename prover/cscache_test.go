package prover

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/consensys/gnark/frontend"

	"github.com/mcpzero/mcpzero/verifier"
)

// The on-disk constraint-system cache must give back a system with the
// same digest (the key-cache key) as compiling it.
func TestCSCache(t *testing.T) {
	if executableHash() == "" {
		t.Skip("cannot hash the test executable")
	}
	for _, b := range []verifier.Backend{verifier.Groth16, verifier.PLONK} {
		ks, _ := OpenKeyStore(t.TempDir())
		shape := "cube-cache-" + b.String()
		blank := func() frontend.Circuit { return &cubeCircuit{} }
		c1, err := compileShape(b, shape, blank, ks)
		if err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(ks.Dir(), "cs-*.bin"))
		if len(files) != 1 {
			t.Fatalf("%v: cache files %v", b, files)
		}
		c2, ok := ks.loadCS(b, shape)
		if !ok || c2.digest != c1.digest || c2.cs.GetNbConstraints() != c1.cs.GetNbConstraints() {
			t.Fatalf("%v: cached system differs (ok=%v)", b, ok)
		}
		// A corrupt file is ignored (and recompiled by compileShape).
		os.WriteFile(files[0], []byte("junk"), 0o644)
		if _, ok := ks.loadCS(b, shape); ok {
			t.Fatalf("%v: corrupt cache file accepted", b)
		}
		// An older build's file for the same shape is removed on store.
		stale := filepath.Join(ks.Dir(), "cs-"+b.String()+"-"+shape+"-0000000000000000.bin")
		os.WriteFile(stale, []byte("old"), 0o644)
		ks.storeCS(b, shape, c1.cs)
		if _, err := os.Stat(stale); !os.IsNotExist(err) {
			t.Fatalf("%v: stale cache file kept", b)
		}
	}
}
