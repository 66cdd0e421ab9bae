package prover

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/mcpzero/mcpzero/verifier"
)

var update = flag.Bool("update", false, "rewrite the golden toy bundles in ../verifier/testdata")

// TestGoldenToyBundle writes (with -update) the toy bundles that the
// verifier's and the CLI's tests decode and verify: a format-stability
// regression test (they must keep decoding, re-encoding to the same bytes
// and verifying) that needs no prover in the verifier's tests.
func TestGoldenToyBundle(t *testing.T) {
	if !*update {
		t.Skip("run with -update to regenerate ../verifier/testdata/toy*.{proof,vks}")
	}
	dir := filepath.Join("..", "verifier", "testdata")
	os.MkdirAll(dir, 0o755)
	for _, kd := range []struct{ keys, name string }{{t.TempDir(), "toy"}, {t.TempDir(), "other"}} {
		b, _, _, err := runToy(t, context.Background(), 3, WithKeysDir(kd.keys))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Keys.WriteFile(filepath.Join(dir, kd.name+".vks")); err != nil {
			t.Fatal(err)
		}
		if kd.name != "toy" {
			continue
		}
		if err := b.WriteFile(filepath.Join(dir, "toy-embedded.proof")); err != nil {
			t.Fatal(err)
		}
		b.Keys = nil
		if err := b.WriteFile(filepath.Join(dir, "toy.proof")); err != nil {
			t.Fatal(err)
		}
		if _, err := verifier.Verify(b, nil); err == nil {
			t.Fatal("bundle without keys verified with no keys")
		}
	}
}
