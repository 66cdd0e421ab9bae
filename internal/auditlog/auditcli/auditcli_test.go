package auditcli

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/mcpzero/mcpzero/internal/auditlog"
	"github.com/mcpzero/mcpzero/verifier"
)

const (
	toyProof = "../../../verifier/testdata/toy.proof"
	toyVK    = "../../../verifier/testdata/toy.vks"
	otherVK  = "../../../verifier/testdata/other.vks"
)

// writeExport writes a log of 5 entries, signed by a fresh key, and the
// export of entry 3 (which links bundle when non-nil); it returns the paths
// of the .audit file and of kernel.pub.
func writeExport(t *testing.T, bundle []byte, change func(e *auditlog.Entry)) (string, string) {
	t.Helper()
	dir := t.TempDir()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{4}, 32))
	pub := priv.Public().(ed25519.PublicKey)
	s, err := auditlog.NewSigner(auditlog.Origin(pub), priv)
	if err != nil {
		t.Fatal(err)
	}
	vk, _ := auditlog.VerifierKey(s.Name(), pub)
	keyFile := filepath.Join(dir, "kernel.pub")
	os.WriteFile(keyFile, []byte(vk+"\n"), 0o644)

	var tr auditlog.MemTree
	var target []byte
	for i := uint64(0); i < 5; i++ {
		e := auditlog.Entry{Index: i, Seq: i + 1, Kind: auditlog.KindExecute, Agent: "agent-1", Method: "run", Fuel: 10 * i}
		if i == 3 && bundle != nil {
			var b verifier.Bundle
			if err := b.UnmarshalBinary(bundle); err != nil {
				t.Fatal(err)
			}
			e.Kind, e.Proof, e.Ref = auditlog.KindProofStored, auditlog.SHA256(bundle), 3
			e.Input, e.Output = sha256.Sum256(b.Statement.Input), sha256.Sum256(b.Statement.Output)
		}
		if i == 3 && change != nil {
			change(&e)
		}
		data, err := e.Encode()
		if err != nil {
			t.Fatal(err)
		}
		tr.Append(data)
		if i == 3 {
			target = data
		}
	}
	root, _ := tr.Root(5)
	msg, err := auditlog.SignCheckpoint(auditlog.Checkpoint{Origin: s.Name(), Size: 5, Root: root}, s)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := tr.ProveInclusion(3, 5)
	raw, _ := (&auditlog.Export{Format: auditlog.ExportFormat, Entry: target, Index: 3, Inclusion: p, Checkpoint: string(msg), ProofBundle: bundle}).Marshal()
	file := filepath.Join(dir, "op.audit")
	os.WriteFile(file, raw, 0o644)
	return file, keyFile
}

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	app := &cli.App{Name: "mcpzero-verify", Writer: &out, ErrWriter: &out,
		Flags:          []cli.Flag{&cli.BoolFlag{Name: "json"}},
		Commands:       []*cli.Command{Command("audit", "test")},
		ExitErrHandler: func(*cli.Context, error) {}}
	err := app.Run(append([]string{"mcpzero-verify"}, args...))
	return out.String(), err
}

func TestVerifyFileCommand(t *testing.T) {
	file, key := writeExport(t, nil, nil)
	out, err := run(t, "audit", file, "--key", key)
	if err != nil || !strings.Contains(out, "VALID: entry 3 (seq 4, execute)") || !strings.Contains(out, "size 5") {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err = run(t, "--json", "audit", file, "--key", key)
	if err != nil || !strings.Contains(out, `"valid": true`) || !strings.Contains(out, `"tree_size": 5`) {
		t.Fatalf("%v\n%s", err, out)
	}
	// Usage errors.
	if _, err := run(t, "audit", file); err == nil || !strings.Contains(err.Error(), "--key") {
		t.Fatalf("no key: %v", err)
	}
	if _, err := run(t, "audit", "--key", key); err == nil {
		t.Fatal("no file")
	}
	if _, err := run(t, "audit", filepath.Join(t.TempDir(), "none.audit"), "--key", key); err == nil {
		t.Fatal("missing file")
	}
	// The file with another kernel's key.
	otherPub := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32)).Public().(ed25519.PublicKey)
	otherVKey, _ := auditlog.VerifierKey(auditlog.Origin(otherPub), otherPub)
	otherKey := filepath.Join(t.TempDir(), "other.pub")
	os.WriteFile(otherKey, []byte(otherVKey), 0o644)
	if _, err := run(t, "audit", file, "--key", otherKey); err == nil || !strings.Contains(err.Error(), "NOT VALID") {
		t.Fatalf("other key: %v", err)
	}
	// A changed byte in the file.
	raw, _ := os.ReadFile(file)
	os.WriteFile(file, bytes.Replace(raw, []byte(`"index": 3`), []byte(`"index": 2`), 1), 0o644)
	if _, err := run(t, "audit", file, "--key", key); !errors.Is(err, auditlog.ErrInclusion) {
		t.Fatalf("tampered: %v", err)
	}
}

func TestVerifyFileWithProofBundle(t *testing.T) {
	bundle, err := os.ReadFile(toyProof)
	if err != nil {
		t.Fatal(err)
	}
	file, key := writeExport(t, bundle, nil)
	r, err := VerifyFile(file, Options{KeyFile: key, VKFile: toyVK})
	if err != nil {
		t.Fatal(err)
	}
	if r.Bundle == nil || !r.Bundle.Verified || !r.Bundle.Pinned {
		t.Fatalf("%+v", r.Bundle)
	}
	// Against the wrong pinned keys.
	if _, err := VerifyFile(file, Options{KeyFile: key, VKFile: otherVK}); err == nil {
		t.Fatal("bundle verified against other keys")
	}
	// An entry whose digests are not the bundle's statement.
	file, key = writeExport(t, bundle, func(e *auditlog.Entry) { e.Output[0] ^= 1 })
	if _, err := VerifyFile(file, Options{KeyFile: key, VKFile: toyVK}); !errors.Is(err, ErrStatementMismatch) {
		t.Fatalf("statement mismatch: %v", err)
	}
	file, key = writeExport(t, bundle, func(e *auditlog.Entry) { e.Input[0] ^= 1 })
	if _, err := VerifyFile(file, Options{KeyFile: key, VKFile: toyVK}); !errors.Is(err, ErrStatementMismatch) {
		t.Fatalf("statement mismatch: %v", err)
	}
}

func TestVerifyFileBadBundleAndKeys(t *testing.T) {
	bad := []byte("not a bundle")
	file, key := writeExport(t, nil, func(e *auditlog.Entry) { e.Proof = auditlog.SHA256(bad) })
	raw, _ := os.ReadFile(file)
	x, _ := auditlog.ParseExport(raw)
	x.ProofBundle = bad
	raw, _ = x.Marshal()
	os.WriteFile(file, raw, 0o644)
	if _, err := VerifyFile(file, Options{KeyFile: key}); err == nil || !strings.Contains(err.Error(), "proof bundle") {
		t.Fatalf("undecodable bundle: %v", err)
	}
	if _, err := VerifyFile(file, Options{KeyFile: key + ".missing"}); err == nil {
		t.Fatal("missing key")
	}
	if _, err := VerifyFile(file, Options{KeyFile: key, VKFile: key}); err == nil {
		t.Fatal("bad vk")
	}
	os.WriteFile(key, []byte("garbage"), 0o644)
	if _, err := VerifyFile(file, Options{KeyFile: key}); !errors.Is(err, auditlog.ErrBadKey) {
		t.Fatal(err)
	}
	os.WriteFile(file, []byte("{}"), 0o644)
	if _, err := VerifyFile(file, Options{KeyFile: key}); err == nil {
		t.Fatal("empty export")
	}
}

func TestPrintEntry(t *testing.T) {
	var b bytes.Buffer
	PrintEntry(&b, &auditlog.Entry{Agent: "a", Ref: 3, Detail: "d", Fuel: 1, StateAfter: auditlog.SHA256(nil)})
	for _, want := range []string{"agent       a", "ref         seq 3", "detail      d", "fuel        1", "state"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in\n%s", want, b.String())
		}
	}
}

func TestConsistencyFileCommand(t *testing.T) {
	dir := t.TempDir()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{4}, 32))
	pub := priv.Public().(ed25519.PublicKey)
	s, _ := auditlog.NewSigner(auditlog.Origin(pub), priv)
	vk, _ := auditlog.VerifierKey(s.Name(), pub)
	key := filepath.Join(dir, "kernel.pub")
	os.WriteFile(key, []byte(vk), 0o644)
	var tr auditlog.MemTree
	for i := uint64(0); i < 9; i++ {
		e := auditlog.Entry{Index: i, Seq: i + 1, Kind: auditlog.KindSpawn}
		data, _ := e.Encode()
		tr.Append(data)
	}
	sign := func(n int64) string {
		root, _ := tr.Root(n)
		msg, err := auditlog.SignCheckpoint(auditlog.Checkpoint{Origin: s.Name(), Size: n, Root: root}, s)
		if err != nil {
			t.Fatal(err)
		}
		return string(msg)
	}
	p, _ := tr.ProveConsistency(4, 9)
	raw, _ := (&auditlog.ConsistencyFile{Format: auditlog.ConsistencyFormat, Old: sign(4), New: sign(9), Proof: p}).Marshal()
	file := filepath.Join(dir, "c.json")
	os.WriteFile(file, raw, 0o644)
	kept := filepath.Join(dir, "kept")
	os.WriteFile(kept, []byte(sign(4)), 0o644)
	other := filepath.Join(dir, "other")
	os.WriteFile(other, []byte(sign(3)), 0o644)

	out, err := run(t, "audit", file, "--key", key, "--checkpoint", kept)
	if err != nil || !strings.Contains(out, "at size 9") || !strings.Contains(out, "extends size 4") || !strings.Contains(out, "the one you kept") {
		t.Fatalf("%v\n%s", err, out)
	}
	if out, err := run(t, "--json", "audit", file, "--key", key); err != nil || !strings.Contains(out, `"new_size": 9`) {
		t.Fatalf("%v\n%s", err, out)
	}
	if _, err := run(t, "audit", file, "--key", key, "--checkpoint", other); !errors.Is(err, auditlog.ErrConsistency) {
		t.Fatalf("other kept checkpoint: %v", err)
	}
	if _, err := run(t, "audit", file, "--key", key, "--checkpoint", filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing kept checkpoint")
	}
	os.WriteFile(file, bytes.Replace(raw, []byte(`"proof": [`), []byte(`"proof": [], "x": [`), 1), 0o644)
	if _, err := run(t, "audit", file, "--key", key); err == nil {
		t.Fatal("malformed consistency file accepted")
	}
	// --checkpoint makes no sense for an export.
	exp, expKey := writeExport(t, nil, nil)
	if _, err := run(t, "audit", exp, "--key", expKey, "--checkpoint", kept); err == nil || !strings.Contains(err.Error(), "consistency files only") {
		t.Fatal(err)
	}
	if _, err := VerifyConsistencyFile(filepath.Join(dir, "none"), Options{KeyFile: key}); err == nil {
		t.Fatal("missing file")
	}
	if _, err := VerifyConsistencyFile(kept, Options{KeyFile: filepath.Join(dir, "none")}); err == nil {
		t.Fatal("missing key")
	}
}
