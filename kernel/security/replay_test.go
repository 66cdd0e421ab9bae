package security

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/mcpzero/mcpzero/internal/keys"
	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/plugins"
)

// TestReplayHostValues: executes that used the clock, randomness and files
// are replayed on a fresh kernel from their records alone
// (kernel.WithReplayHost): same outputs although time has passed, the
// replay kernel has another seed and the file is gone; asking for something
// the record does not hold is a typed divergence.
func TestReplayHostValues(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	pub, priv, _ := ed25519.GenerateKey(nil)
	trusted := plugins.KeySet{keys.ID(pub): pub}
	caps, _ := os.ReadFile(filepath.Join("testdata", "caps.wasm"))
	files, _ := os.ReadFile(filepath.Join("testdata", "files.wasm"))
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "in.txt"), []byte("recorded input"), 0o644)
	install := func(k *kernel.Kernel) {
		for _, p := range []struct {
			m    plugins.Manifest
			wasm []byte
		}{
			{plugins.Manifest{Name: "caps", Version: "1.0.0", Methods: []string{"clock", "random"}, Capabilities: []string{"clock", "random"}, Limits: plugins.Limits{MemoryPages: 1}}, caps},
			{plugins.Manifest{Name: "files", Version: "1.0.0", Methods: []string{"read"}, Capabilities: []string{plugins.CapabilityWASI, CapabilityFS}, Limits: plugins.Limits{MemoryPages: 1}}, files},
		} {
			s, _ := plugins.Sign(p.m, p.wasm, priv)
			if _, err := k.InstallPlugin(ctx, s, p.wasm); err != nil {
				t.Fatal(err)
			}
		}
	}
	k, err := kernel.Open(f.st, kernel.WithTrustedKeys(trusted), kernel.WithAuthorizer(&Authorizer{M: f.m}), kernel.WithHostCapabilities(&HostCaps{M: f.m}))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	install(k)
	agent, _ := k.Spawn(kernel.Constraints{})
	for _, r := range []string{"cap:clock", "cap:random", "cap:fs", "fs:" + dir} {
		op := OpUse
		if r == "fs:"+dir {
			op = OpRead
		}
		f.grant(t, string(agent), r, op)
	}
	k.AttachPlugin(ctx, agent, "caps")
	k.AttachPlugin(ctx, agent, "files")
	type call struct {
		method string
		input  []byte
		out    []byte
		host   []kernel.HostValue
	}
	var calls []call
	for _, c := range []struct {
		method string
		input  string
	}{{"clock", ""}, {"random", ""}, {"random", ""}, {"read", "in.txt"}} {
		r, err := k.ExecuteDetailed(ctx, agent, c.method, []byte(c.input))
		if err != nil {
			t.Fatal(err)
		}
		x, _ := k.ExecRecord(r.Record.Seq)
		calls = append(calls, call{c.method, []byte(c.input), r.Output, x.Host})
	}
	os.Remove(filepath.Join(dir, "in.txt"))

	// A fresh kernel, another store (another seed), no grants needed: the
	// replay authorizer allows everything, the values come from the record.
	st := store.OpenMemory()
	defer st.Close()
	m2, _ := Open(st)
	rk, err := kernel.Open(st, kernel.WithTrustedKeys(trusted), kernel.WithAuthorizer(allowAll{}), kernel.WithHostCapabilities(&HostCaps{M: m2}))
	if err != nil {
		t.Fatal(err)
	}
	defer rk.Close()
	install(rk)
	ra, _ := rk.Spawn(kernel.Constraints{})
	rk.AttachPlugin(ctx, ra, "caps")
	rk.AttachPlugin(ctx, ra, "files")
	for i, c := range calls {
		out, err := rk.Execute(kernel.WithReplayHost(ctx, c.host), ra, c.method, c.input)
		if err != nil || !bytes.Equal(out, c.out) {
			t.Fatalf("replay %d (%s): %x %v, recorded %x", i, c.method, out, err, c.out)
		}
	}
	// Without the record the replay kernel differs (its own clock and seed).
	if out, _ := rk.Execute(ctx, ra, "random", nil); bytes.Equal(out, calls[1].out) {
		t.Fatal("random bytes equal without the record: the test proves nothing")
	}
	// A record that does not match what the plugin asks for is a divergence.
	if _, err := rk.Execute(kernel.WithReplayHost(ctx, calls[0].host), ra, "random", nil); !errors.Is(err, kernel.ErrReplayHost) {
		t.Fatalf("mismatched record: %v", err)
	}
}

type allowAll struct{}

func (allowAll) AuthorizeAttach(*kernel.AttachRequest) error                       { return nil }
func (allowAll) AuthorizeExecute(kernel.AgentID, *plugins.Manifest, string) error  { return nil }
func (allowAll) AuthorizeHostCall(kernel.AgentID, *plugins.Manifest, string) error { return nil }
