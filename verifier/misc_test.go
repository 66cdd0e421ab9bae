package verifier

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNamesAndParsing(t *testing.T) {
	for in, want := range map[string]Backend{"groth16": Groth16, "PLONK": PLONK, "": Groth16} {
		if got, err := ParseBackend(in); err != nil || got != want {
			t.Errorf("ParseBackend(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseBackend("stark"); err == nil {
		t.Error("ParseBackend(stark) succeeded")
	}
	names := map[string]string{
		Groth16.String(): "groth16", PLONK.String(): "plonk", Backend(9).String(): "backend(9)",
		DevSetup.String(): "dev", CeremonySetup.String(): "ceremony", SetupKind(7).String(): "setup(7)",
		Returned.String(): "returned", Trapped.String(): "trapped", Status(5).String(): "status(5)",
		TrapName(1): "unreachable",
	}
	for got, want := range names {
		if got != want {
			t.Errorf("name %q, want %q", got, want)
		}
	}
	fp := FingerprintOf([]byte("x"))
	raw, err := json.Marshal(fp)
	if err != nil || !strings.Contains(string(raw), fp.String()) {
		t.Fatalf("fingerprint JSON %s: %v", raw, err)
	}
	var back Fingerprint
	if err := json.Unmarshal(raw, &back); err != nil || back != fp {
		t.Fatalf("fingerprint JSON round trip: %v", err)
	}
	if err := json.Unmarshal([]byte(`"zz"`), &back); err == nil {
		t.Fatal("bad fingerprint JSON accepted")
	}
	var e Bundle
	e.Statement.Module.SetUint64(255)
	if h := HexFE(&e.Statement.Module); len(h) != 66 || !strings.HasSuffix(h, "ff") {
		t.Fatalf("HexFE = %s", h)
	}
}

func TestFiles(t *testing.T) {
	tk := setupStep(t, Groth16, "a")
	dir := t.TempDir()
	b := stepBundle(t, tk, 1, 1)
	bp, kp := filepath.Join(dir, "b.proof"), filepath.Join(dir, "k.vks")
	if err := b.WriteFile(bp); err != nil {
		t.Fatal(err)
	}
	if err := tk.set.WriteFile(kp); err != nil {
		t.Fatal(err)
	}
	b2, err := ReadBundleFile(bp)
	if err != nil || b2.Statement.Export != "step" {
		t.Fatalf("ReadBundleFile: %v", err)
	}
	k2, err := ReadKeySetFile(kp)
	if err != nil || k2.Fingerprint() != tk.set.Fingerprint() {
		t.Fatalf("ReadKeySetFile: %v", err)
	}
	if _, err := ReadBundleFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	os.WriteFile(kp, []byte("MCPZVKS\x00junk"), 0o644)
	if _, err := ReadKeySetFile(kp); !errors.Is(err, ErrEncoding) || !strings.Contains(err.Error(), kp) {
		t.Fatalf("corrupt key set: %v", err)
	}
	// A key whose bytes are not a verifying key is refused when added.
	if err := (&KeySet{Backend: Groth16}).Add(&ShapeKey{Shape: "x", Raw: []byte{1, 2, 3}}); !errors.Is(err, ErrEncoding) {
		t.Fatalf("bad key bytes: %v", err)
	}
	// Replacing a shape's key keeps one entry.
	s := &KeySet{Backend: Groth16}
	k := tk.set.Keys[0]
	s.Add(&ShapeKey{Shape: "b", Raw: k.Raw})
	s.Add(&ShapeKey{Shape: "a", Raw: k.Raw})
	s.Add(&ShapeKey{Shape: "b", Raw: k.Raw})
	if len(s.Keys) != 2 || s.Keys[0].Shape != "a" || s.Key("b") == nil || s.Key("c") != nil {
		t.Fatalf("key set %v", s.Keys)
	}
}
