package plugins

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/mcpzero/mcpzero/internal/keys"
)

func TestManifestValidate(t *testing.T) {
	good := Manifest{Name: "p", Version: "1", WasmSHA256: strings.Repeat("a", 64), Methods: []string{"run"}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*Manifest){
		"empty name":     func(m *Manifest) { m.Name = "" },
		"upper name":     func(m *Manifest) { m.Name = "P" },
		"no version":     func(m *Manifest) { m.Version = "" },
		"bad digest":     func(m *Manifest) { m.WasmSHA256 = "abc" },
		"no methods":     func(m *Manifest) { m.Methods = nil },
		"bad method":     func(m *Manifest) { m.Methods = []string{"a-b"} },
		"dup method":     func(m *Manifest) { m.Methods = []string{"a", "a"} },
		"bad capability": func(m *Manifest) { m.Capabilities = []string{""} },
	} {
		m := good
		mutate(&m)
		if err := m.Validate(); !errors.Is(err, ErrInvalidManifest) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSignVerify(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	trusted := KeySet{keys.ID(pub): pub}
	wasm := []byte("\x00asm\x01\x00\x00\x00")
	s, err := Sign(Manifest{Name: "p", Version: "1", Methods: []string{"b", "a"}, Capabilities: []string{"wasi"}}, wasm, priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(s, wasm, trusted); err != nil {
		t.Fatal(err)
	}
	if err := trusted.VerifyPlugin(s, wasm); err != nil {
		t.Fatal(err)
	}
	// The file form round-trips and still verifies.
	back, err := ParseSigned(s.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(back, wasm, trusted); err != nil {
		t.Fatal(err)
	}
	// The order of methods does not matter to the signature; their content does.
	back.Manifest.Methods = []string{"a", "b"}
	if err := Verify(back, wasm, trusted); err != nil {
		t.Fatalf("reordered methods: %v", err)
	}
	back.Manifest.Methods = []string{"a", "c"}
	if err := Verify(back, wasm, trusted); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("changed methods: %v", err)
	}
	back.Manifest.Methods = []string{"a", "b"}
	back.Manifest.Limits.MemoryPages = 9
	if err := Verify(back, wasm, trusted); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("changed limits: %v", err)
	}
	other, _, _ := ed25519.GenerateKey(nil)
	for name, tt := range map[string]struct {
		s    *Signed
		wasm []byte
		ks   KeySet
		want error
	}{
		"tampered":        {s, append([]byte{}, append(wasm, 0)...), trusted, ErrTampered},
		"unsigned":        {&Signed{Manifest: s.Manifest}, wasm, trusted, ErrUnsigned},
		"untrusted":       {s, wasm, KeySet{}, ErrUntrustedKey},
		"substituted key": {s, wasm, KeySet{keys.ID(pub): other}, ErrUntrustedKey},
		"wrong key id":    {&Signed{Manifest: s.Manifest, Signature: &Signature{KeyID: "00", PublicKey: pub, Sig: s.Signature.Sig}}, wasm, trusted, ErrBadSignature},
		"invalid":         {&Signed{Manifest: Manifest{Name: "p"}}, wasm, trusted, ErrInvalidManifest},
	} {
		err := Verify(tt.s, tt.wasm, tt.ks)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", name, err, tt.want)
		}
		if tt.want != ErrInvalidManifest && (!errors.Is(err, ErrInvalidSignature) || !strings.Contains(err.Error(), "p@1")) {
			t.Errorf("%s: %v does not name the plugin or is not ErrInvalidSignature", name, err)
		}
	}
	if _, err := Sign(Manifest{Name: "p"}, wasm, priv); !errors.Is(err, ErrInvalidManifest) {
		t.Fatal(err)
	}
}

func TestParse(t *testing.T) {
	m, err := ParseManifest([]byte(`{"name":"x","version":"1","wasm_sha256":"","methods":["run"]}`))
	if err != nil || m.Name != "x" {
		t.Fatal(m, err)
	}
	m, err = ParseManifest([]byte(`{"manifest":{"name":"y","version":"1","wasm_sha256":"","methods":["run"]}}`))
	if err != nil || m.Name != "y" {
		t.Fatal(m, err)
	}
	if _, err := ParseManifest([]byte(`{"name":"x","extra":1}`)); !errors.Is(err, ErrInvalidManifest) {
		t.Fatal(err)
	}
	if _, err := ParseSigned([]byte(`{"manifest":{},"x":1}`)); !errors.Is(err, ErrInvalidManifest) {
		t.Fatal(err)
	}
}
