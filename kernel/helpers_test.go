package kernel

import (
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"

	"github.com/mcpzero/mcpzero/internal/keys"
	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/plugins"
)

var ctx = context.Background()

// testKey signs every plugin of the tests.
var testPub, testPriv, _ = ed25519.GenerateKey(nil)

func trusted() plugins.KeySet { return plugins.KeySet{keys.ID(testPub): testPub} }

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// example returns the signed manifest and wasm of plugins/examples/<name>.
func example(t testing.TB, name string) (*plugins.Signed, []byte) {
	t.Helper()
	dir := filepath.Join("..", "plugins", "examples", name)
	wasm := readFile(t, filepath.Join(dir, name+".wasm"))
	m, err := plugins.ParseManifest(readFile(t, filepath.Join(dir, "manifest.json")))
	if err != nil {
		t.Fatal(err)
	}
	s, err := plugins.Sign(*m, wasm, testPriv)
	if err != nil {
		t.Fatal(err)
	}
	return s, wasm
}

// fixture signs plugins/testdata/<file>.wasm as plugin name with methods.
func fixture(t testing.TB, file, name string, pages uint32, methods ...string) (*plugins.Signed, []byte) {
	t.Helper()
	wasm := readFile(t, filepath.Join("..", "plugins", "testdata", file+".wasm"))
	s, err := plugins.Sign(plugins.Manifest{Name: name, Version: "0.1.0", Methods: methods,
		Limits: plugins.Limits{MemoryPages: pages}}, wasm, testPriv)
	if err != nil {
		t.Fatal(err)
	}
	return s, wasm
}

func newKernel(t testing.TB, st store.Store, opts ...Option) *Kernel {
	t.Helper()
	k, err := Open(st, append([]Option{WithTrustedKeys(trusted())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

func install(t testing.TB, k *Kernel, s *plugins.Signed, wasm []byte) *PluginInfo {
	t.Helper()
	p, err := k.InstallPlugin(ctx, s, wasm)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// counterAgent returns a kernel on st with the counter installed and an
// agent with it attached.
func counterAgent(t testing.TB, st store.Store, opts ...Option) (*Kernel, AgentID) {
	t.Helper()
	k := newKernel(t, st, opts...)
	s, wasm := example(t, "counter")
	install(t, k, s, wasm)
	id, err := k.Spawn(Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.AttachPlugin(ctx, id, "counter"); err != nil {
		t.Fatal(err)
	}
	return k, id
}

func newKeyPair() (ed25519.PublicKey, ed25519.PrivateKey, error) { return ed25519.GenerateKey(nil) }
