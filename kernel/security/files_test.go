package security

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/mcpzero/mcpzero/internal/keys"
	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/plugins"
)

// TestFiles: a plugin sees a directory only when the agent is granted it
// (read-only, at the same path), reads in it are recorded with the
// operation, and nothing outside it is reachable; without the grant it
// sees no file at all.
func TestFiles(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	root := t.TempDir()
	data, secret := filepath.Join(root, "data"), filepath.Join(root, "secret")
	os.Mkdir(data, 0o755)
	os.Mkdir(secret, 0o755)
	os.WriteFile(filepath.Join(data, "hello.txt"), []byte("hello, plugin"), 0o644)
	os.WriteFile(filepath.Join(secret, "key.txt"), []byte("s3cr3t"), 0o644)
	pub, priv, _ := ed25519.GenerateKey(nil)
	wasm, err := os.ReadFile(filepath.Join("testdata", "files.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	for _, engine := range []plugins.Engine{plugins.EngineCompiler, plugins.EngineInterpreter} {
		k, err := kernel.Open(f.st, kernel.WithEngine(engine), kernel.WithTrustedKeys(plugins.KeySet{keys.ID(pub): pub}),
			kernel.WithAuthorizer(&Authorizer{M: f.m}))
		if err != nil {
			t.Fatal(err)
		}
		s, _ := plugins.Sign(plugins.Manifest{Name: "files", Version: "1.0.0", Methods: []string{"read"},
			Capabilities: []string{plugins.CapabilityWASI, CapabilityFS}, Limits: plugins.Limits{MemoryPages: 1}}, wasm, priv)
		if _, err := k.InstallPlugin(ctx, s, wasm); err != nil {
			t.Fatal(err)
		}
		agent, _ := k.Spawn(kernel.Constraints{})
		if err := k.AttachPlugin(ctx, agent, "files"); !errors.Is(err, kernel.ErrPermissionDenied) {
			t.Fatalf("attach without cap:fs: %v", err)
		}
		f.grant(t, string(agent), CapabilityResource(CapabilityFS), OpUse)
		if err := k.AttachPlugin(ctx, agent, "files"); err != nil {
			t.Fatal(err)
		}
		errno := func(out []byte) uint32 { return binary.LittleEndian.Uint32(out) }
		// No directory granted yet: nothing to open.
		out, err := k.Execute(ctx, agent, "read", []byte("hello.txt"))
		if err != nil || errno(out) == 0 {
			t.Fatalf("%s: read without a directory grant: %x %v", engine, out, err)
		}
		f.grant(t, string(agent), KindFS+":"+data, OpRead)
		r, err := k.ExecuteDetailed(ctx, agent, "read", []byte("hello.txt"))
		if err != nil || errno(r.Output) != 0 || string(r.Output[4:]) != "hello, plugin" {
			t.Fatalf("%s: granted read: %q %v", engine, r.Output, err)
		}
		rec, err := k.ExecRecord(r.Record.Seq)
		if err != nil || len(rec.Host) != 2 || rec.Host[0].Fn != kernel.HostFSMount || string(rec.Host[0].Value) != data ||
			rec.Host[1].Fn != FnFSRead || !bytes.Equal(rec.Host[1].Value, []byte(filepath.Join(data, "hello.txt")+"\x00hello, plugin")) {
			t.Fatalf("%s: read not recorded: %+v %v", engine, rec, err)
		}
		for _, p := range []string{"../secret/key.txt", secret + "/key.txt", "/etc/passwd"} {
			out, err := k.Execute(ctx, agent, "read", []byte(p))
			if err != nil || errno(out) == 0 || bytes.Contains(out, []byte("s3cr3t")) {
				t.Fatalf("%s: %s reachable: %q %v", engine, p, out, err)
			}
		}
		k.Close()
	}
}
