package keys

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	pub, priv, err := Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	kp, pp := filepath.Join(dir, "op.key"), filepath.Join(dir, "op.pub")
	if err := SavePrivate(kp, priv); err != nil {
		t.Fatal(err)
	}
	if err := SavePublic(pp, pub); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(kp)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode %o", fi.Mode().Perm())
	}
	got, err := LoadPrivate(kp)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, priv) {
		t.Fatal("private key changed")
	}
	gotPub, err := LoadPublic(pp)
	if err != nil || !bytes.Equal(gotPub, pub) {
		t.Fatalf("public key: %v", err)
	}
	set, err := LoadPublicDir(dir)
	if err != nil || len(set) != 1 || !bytes.Equal(set[ID(pub)], pub) {
		t.Fatalf("dir: %v %v", set, err)
	}
	if len(ID(pub)) != 16 {
		t.Fatalf("id %q", ID(pub))
	}
	if err := SavePrivate(kp, priv); !errors.Is(err, ErrExists) {
		t.Fatalf("overwrite: %v", err)
	}
	if err := SavePublic(pp, pub); !errors.Is(err, ErrExists) {
		t.Fatalf("overwrite: %v", err)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	_, priv, _ := Generate(nil)
	kp := filepath.Join(dir, "op.key")
	if err := SavePrivate(kp, priv); err != nil {
		t.Fatal(err)
	}
	os.Chmod(kp, 0o644)
	if _, err := LoadPrivate(kp); !errors.Is(err, ErrPermissions) {
		t.Fatalf("wide mode: %v", err)
	}
	if _, err := LoadPrivate(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing file loaded")
	}
	if _, err := LoadPublic(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing file loaded")
	}
	bad := filepath.Join(dir, "bad.pub")
	os.WriteFile(bad, []byte("nope"), 0o600)
	if _, err := LoadPublic(bad); !errors.Is(err, ErrFormat) {
		t.Fatalf("garbage: %v", err)
	}
	if _, err := LoadPublicDir(dir); !errors.Is(err, ErrFormat) {
		t.Fatalf("dir with garbage: %v", err)
	}
	os.Chmod(kp, 0o600)
	if _, err := LoadPublic(kp); !errors.Is(err, ErrFormat) {
		t.Fatalf("private as public: %v", err)
	}
	wrong := filepath.Join(dir, "short.key")
	os.WriteFile(wrong, []byte("-----BEGIN MCPZERO ED25519 PRIVATE KEY-----\nAAAA\n-----END MCPZERO ED25519 PRIVATE KEY-----\n"), 0o600)
	if _, err := LoadPrivate(wrong); !errors.Is(err, ErrFormat) {
		t.Fatalf("short seed: %v", err)
	}
	if _, err := ParsePublic("x", EncodePublic(make([]byte, 3))); !errors.Is(err, ErrFormat) {
		t.Fatalf("short pub: %v", err)
	}
	if err := SavePrivate(filepath.Join(dir, "z"), priv[:5]); !errors.Is(err, ErrFormat) {
		t.Fatal(err)
	}
	if err := SavePublic(filepath.Join(dir, "z"), make([]byte, 5)); !errors.Is(err, ErrFormat) {
		t.Fatal(err)
	}
	if set, err := LoadPublicDir(filepath.Join(dir, "none")); err != nil || len(set) != 0 {
		t.Fatal(set, err)
	}
}
