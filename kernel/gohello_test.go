package kernel

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/plugins"
)

// buildGoHello builds plugins/examples/gohello with the Go toolchain into a
// temporary directory. It skips the test only when the toolchain cannot
// build for wasip1 here (an environmental reason), saying why.
func buildGoHello(t *testing.T) []byte {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("gohello: no go toolchain on PATH: %v", err)
	}
	out := filepath.Join(t.TempDir(), "gohello.wasm")
	cmd := exec.Command(goBin, "build", "-buildmode=c-shared", "-trimpath", "-o", out, ".")
	cmd.Dir = filepath.Join("..", "plugins", "examples", "gohello")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("gohello: GOOS=wasip1 GOARCH=wasm go build failed (environment?): %v\n%s", err, msg)
	}
	return readFile(t, out)
}

// TestGoPlugin runs the Go-built example on both engines: WASI is present
// but deterministic, so the outputs (clock and randomness included) and
// state roots agree.
func TestGoPlugin(t *testing.T) {
	wasm := buildGoHello(t)
	m, err := plugins.ParseManifest(readFile(t, "../plugins/examples/gohello/manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := plugins.Sign(*m, wasm, testPriv)
	if err != nil {
		t.Fatal(err)
	}
	var results [2][]string
	for i, e := range []plugins.Engine{plugins.EngineCompiler, plugins.EngineInterpreter} {
		k := newKernel(t, store.OpenMemory(), WithEngine(e))
		install(t, k, s, wasm)
		id, err := k.Spawn(Constraints{})
		if err != nil {
			t.Fatal(err)
		}
		if err := k.AttachPlugin(ctx, id, "gohello"); err != nil {
			t.Fatal(err)
		}
		for _, c := range [][2]string{{"greet", "ada"}, {"greet", ""}, {"entropy", ""}, {"entropy", ""}} {
			r, err := k.ExecuteDetailed(ctx, id, c[0], []byte(c[1]))
			if err != nil {
				t.Fatalf("%s %s: %v", e, c[0], err)
			}
			results[i] = append(results[i], string(r.Output)+" "+r.Record.StateRootAfter.String())
		}
		if !strings.HasPrefix(results[i][0], "hello, ada (greeting #1) ") || !strings.HasPrefix(results[i][1], "hello, world (greeting #2) ") {
			t.Fatalf("%s: %q", e, results[i])
		}
		if results[i][2] != results[i][3] {
			t.Fatalf("%s: entropy differs between calls: %q", e, results[i][2:])
		}
	}
	for j := range results[0] {
		if results[0][j] != results[1][j] {
			t.Fatalf("engines disagree: %q vs %q", results[0][j], results[1][j])
		}
	}
	t.Logf("gohello: %q", results[0])
	// Without the wasi capability the same module is refused at attach.
	m2 := *m
	m2.Capabilities = nil
	m2.Name = "gohello-nowasi"
	s2, _ := plugins.Sign(m2, wasm, testPriv)
	k := newKernel(t, store.OpenMemory())
	install(t, k, s2, wasm)
	id, _ := k.Spawn(Constraints{})
	if err := k.AttachPlugin(ctx, id, "gohello-nowasi"); err == nil || !strings.Contains(err.Error(), "wasi") {
		t.Fatalf("attach without wasi capability: %v", err)
	}
}
