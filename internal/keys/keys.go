package keys

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// PEM block types of the key files.
const (
	privateType = "MCPZERO ED25519 PRIVATE KEY"
	publicType  = "MCPZERO ED25519 PUBLIC KEY"
)

var (
	// ErrPermissions is returned by LoadPrivate when the key file can be read
	// by users other than its owner.
	ErrPermissions = errors.New("keys: private key file permissions too open")
	// ErrFormat is returned for a file that is not a key file of the right kind.
	ErrFormat = errors.New("keys: malformed key file")
	// ErrExists is returned by the Save functions instead of overwriting a file.
	ErrExists = errors.New("keys: key file already exists")
)

// Generate returns a new key pair from r (crypto/rand when r is nil).
func Generate(r io.Reader) (ed25519.PublicKey, ed25519.PrivateKey, error) {
	if r == nil {
		r = rand.Reader
	}
	return ed25519.GenerateKey(r)
}

// ID is the key ID of pub: the first 8 bytes of SHA-256(pub), in hex. It
// names a key in manifests, listings and messages.
func ID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:8])
}

// SavePrivate writes priv's seed to path with mode 0600. It never overwrites
// an existing file.
func SavePrivate(path string, priv ed25519.PrivateKey) error {
	if len(priv) != ed25519.PrivateKeySize {
		return fmt.Errorf("%w: private key has %d bytes", ErrFormat, len(priv))
	}
	data := pem.EncodeToMemory(&pem.Block{Type: privateType, Bytes: priv.Seed()})
	return writeNew(path, data, 0o600)
}

// SavePublic writes pub to path with mode 0644. It never overwrites an
// existing file.
func SavePublic(path string, pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: public key has %d bytes", ErrFormat, len(pub))
	}
	return writeNew(path, EncodePublic(pub), 0o644)
}

// EncodePublic returns the PEM form of pub, as SavePublic writes it.
func EncodePublic(pub ed25519.PublicKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: publicType, Bytes: pub})
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%w: %s", ErrExists, path)
	}
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("keys: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("keys: sync %s: %w", path, err)
	}
	return f.Close()
}

// LoadPrivate reads a private key file. It refuses a file whose mode lets
// group or others read or write it, naming the file and the fix.
func LoadPrivate(path string) (ed25519.PrivateKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o, want 0600 (chmod 600 %s)", ErrPermissions, path, perm, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	b, err := decode(path, data, privateType)
	if err != nil {
		return nil, err
	}
	if len(b) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: %s: seed has %d bytes, want %d", ErrFormat, path, len(b), ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(b), nil
}

// LoadPublic reads a public key file.
func LoadPublic(path string) (ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	return ParsePublic(path, data)
}

// ParsePublic parses the PEM form of a public key; name is used in errors.
func ParsePublic(name string, data []byte) (ed25519.PublicKey, error) {
	b, err := decode(name, data, publicType)
	if err != nil {
		return nil, err
	}
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: %s: public key has %d bytes, want %d", ErrFormat, name, len(b), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

func decode(name string, data []byte, typ string) ([]byte, error) {
	blk, _ := pem.Decode(data)
	if blk == nil {
		return nil, fmt.Errorf("%w: %s: no PEM block", ErrFormat, name)
	}
	if blk.Type != typ {
		return nil, fmt.Errorf("%w: %s: block %q, want %q", ErrFormat, name, blk.Type, typ)
	}
	return blk.Bytes, nil
}

// LoadPublicDir loads every *.pub file in dir, keyed by key ID. A missing
// directory is an empty set.
func LoadPublicDir(dir string) (map[string]ed25519.PublicKey, error) {
	out := map[string]ed25519.PublicKey{}
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".pub") {
			continue
		}
		pub, err := LoadPublic(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out[ID(pub)] = pub
	}
	return out, nil
}
