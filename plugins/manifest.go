package plugins

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"

	"github.com/mcpzero/mcpzero/internal/keys"
)

// ManifestVersion is the version of the manifest format and of the signed
// message (SigningDomain).
const ManifestVersion = 1

// SigningDomain prefixes the bytes an ed25519 plugin signature covers, so
// that a manifest signature can never be confused with another signature
// made by the same key.
const SigningDomain = "mcpzero/plugin-manifest/v1\x00"

// Manifest describes a plugin: its identity, the SHA-256 of its wasm, the
// methods it exports, the capabilities it asks for and its limits.
type Manifest struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// WasmSHA256 is the hex SHA-256 of the .wasm the manifest was signed for.
	WasmSHA256 string `json:"wasm_sha256"`
	// Methods are exported functions of type () -> () callable by Execute.
	Methods []string `json:"methods"`
	// Capabilities the plugin requests beyond the host ABI every plugin gets
	// ("wasi" for deterministic WASI: fake clock, seeded randomness, no files).
	Capabilities []string `json:"capabilities,omitempty"`
	Limits       Limits   `json:"limits"`
}

// Limits are the resources a plugin declares it needs. The agent's
// constraints bound them: attaching a plugin that needs more fails.
type Limits struct {
	// MemoryPages is the most 64 KiB pages of linear memory the plugin uses.
	MemoryPages uint32 `json:"memory_pages,omitempty"`
	// FuelPerCall is the most fuel one call uses (enforced once fuel metering
	// is installed).
	FuelPerCall uint64 `json:"fuel_per_call,omitempty"`
}

// Signature is an ed25519 signature over SigningDomain || CanonicalJSON(manifest).
type Signature struct {
	KeyID     string `json:"key_id"`
	PublicKey []byte `json:"public_key"` // base64 in JSON
	Sig       []byte `json:"sig"`        // base64 in JSON
}

// Signed is the manifest file format: a manifest and its signature.
type Signed struct {
	Manifest  Manifest   `json:"manifest"`
	Signature *Signature `json:"signature,omitempty"`
}

var (
	// ErrInvalidManifest is returned for a manifest that breaks a format rule.
	ErrInvalidManifest = errors.New("invalid plugin manifest")
	// ErrInvalidSignature is the class of every signature failure below;
	// test for it with errors.Is.
	ErrInvalidSignature = errors.New("invalid plugin signature")
	// ErrUnsigned: the manifest carries no signature.
	ErrUnsigned = fmt.Errorf("%w: unsigned", ErrInvalidSignature)
	// ErrTampered: the wasm does not hash to the manifest's wasm_sha256.
	ErrTampered = fmt.Errorf("%w: wasm does not match its signed manifest (tampered)", ErrInvalidSignature)
	// ErrUntrustedKey: signed by a key the verifier does not trust.
	ErrUntrustedKey = fmt.Errorf("%w: signed by an untrusted key", ErrInvalidSignature)
	// ErrBadSignature: the signature does not verify under the key.
	ErrBadSignature = fmt.Errorf("%w: signature does not verify", ErrInvalidSignature)
)

var (
	nameRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)
	methodRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)
)

// ID is name@version, how messages name a plugin.
func (m *Manifest) ID() string { return m.Name + "@" + m.Version }

// Validate checks the manifest's format rules.
func (m *Manifest) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: plugin %q: %s", ErrInvalidManifest, m.Name, fmt.Sprintf(format, args...))
	}
	if !nameRE.MatchString(m.Name) {
		return bad("name must match %s", nameRE)
	}
	if m.Version == "" || len(m.Version) > 64 {
		return bad("version must have 1 to 64 characters")
	}
	if d, err := hex.DecodeString(m.WasmSHA256); err != nil || len(d) != sha256.Size {
		return bad("wasm_sha256 must be 64 hex digits")
	}
	if len(m.Methods) == 0 {
		return bad("no methods")
	}
	seen := map[string]bool{}
	for _, meth := range m.Methods {
		if !methodRE.MatchString(meth) {
			return bad("method %q is not an identifier", meth)
		}
		if seen[meth] {
			return bad("method %q listed twice", meth)
		}
		seen[meth] = true
	}
	for _, c := range m.Capabilities {
		if !nameRE.MatchString(c) {
			return bad("capability %q is not a name", c)
		}
	}
	return nil
}

// CanonicalJSON is the encoding a signature covers: the manifest's fields in
// declaration order, methods and capabilities sorted, no spaces.
func (m *Manifest) CanonicalJSON() []byte {
	c := *m
	c.Methods = append([]string(nil), m.Methods...)
	c.Capabilities = append([]string(nil), m.Capabilities...)
	sort.Strings(c.Methods)
	sort.Strings(c.Capabilities)
	if len(c.Capabilities) == 0 {
		c.Capabilities = nil
	}
	b, err := json.Marshal(&c)
	if err != nil {
		panic("plugins: manifest cannot fail to marshal: " + err.Error())
	}
	return b
}

func signingMessage(m *Manifest) []byte {
	return append([]byte(SigningDomain), m.CanonicalJSON()...)
}

// WasmDigest returns the hex SHA-256 of wasm.
func WasmDigest(wasm []byte) string {
	h := sha256.Sum256(wasm)
	return hex.EncodeToString(h[:])
}

// Sign sets m.WasmSHA256 from wasm, validates m and signs it with priv.
func Sign(m Manifest, wasm []byte, priv ed25519.PrivateKey) (*Signed, error) {
	m.WasmSHA256 = WasmDigest(wasm)
	if err := m.Validate(); err != nil {
		return nil, err
	}
	pub := priv.Public().(ed25519.PublicKey)
	return &Signed{Manifest: m, Signature: &Signature{
		KeyID:     keys.ID(pub),
		PublicKey: pub,
		Sig:       ed25519.Sign(priv, signingMessage(&m)),
	}}, nil
}

// ParseSigned parses a manifest file. Unknown fields are refused, so that
// nothing in the file goes unsigned.
func ParseSigned(data []byte) (*Signed, error) {
	var s Signed
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidManifest, err)
	}
	return &s, nil
}

// ParseManifest parses a bare manifest (the input of signing), or the
// manifest inside a signed file.
func ParseManifest(data []byte) (*Manifest, error) {
	if s, err := ParseSigned(data); err == nil && s.Manifest.Name != "" {
		return &s.Manifest, nil
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidManifest, err)
	}
	return &m, nil
}

// Marshal returns the indented JSON of the signed file.
func (s *Signed) Marshal() []byte {
	b, _ := json.MarshalIndent(s, "", "  ")
	return append(b, '\n')
}

// KeySet is a set of trusted public keys by key ID.
type KeySet map[string]ed25519.PublicKey

// Verifier decides whether a signed manifest and its wasm may be installed.
// KeySet is the default; the security manager provides a role-aware one.
type Verifier interface {
	VerifyPlugin(s *Signed, wasm []byte) error
}

// VerifyPlugin implements Verifier with the keys of ks.
func (ks KeySet) VerifyPlugin(s *Signed, wasm []byte) error { return Verify(s, wasm, ks) }

// Verify checks, in order: the manifest's format, that wasm hashes to the
// manifest's wasm_sha256, that the signature is present, made by a key in
// trusted, and valid. Each failure names the plugin and wraps
// ErrInvalidSignature (or ErrInvalidManifest).
func Verify(s *Signed, wasm []byte, trusted KeySet) error {
	m := &s.Manifest
	if err := m.Validate(); err != nil {
		return err
	}
	fail := func(err error, format string, args ...any) error {
		return fmt.Errorf("plugin %s: %w: %s", m.ID(), err, fmt.Sprintf(format, args...))
	}
	if got := WasmDigest(wasm); got != m.WasmSHA256 {
		return fail(ErrTampered, "wasm sha256 %s, manifest says %s", got, m.WasmSHA256)
	}
	sig := s.Signature
	if sig == nil || len(sig.Sig) == 0 {
		return fail(ErrUnsigned, "the manifest has no signature; sign it with `mcpzero plugin sign`")
	}
	if len(sig.PublicKey) != ed25519.PublicKeySize || keys.ID(sig.PublicKey) != sig.KeyID {
		return fail(ErrBadSignature, "public key does not match key id %s", sig.KeyID)
	}
	pub, ok := trusted[sig.KeyID]
	if !ok || !bytes.Equal(pub, sig.PublicKey) {
		return fail(ErrUntrustedKey, "key %s is not trusted", sig.KeyID)
	}
	if !ed25519.Verify(pub, signingMessage(m), sig.Sig) {
		return fail(ErrBadSignature, "key %s", sig.KeyID)
	}
	return nil
}
