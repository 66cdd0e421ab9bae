package auditlog

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/mcpzero/mcpzero/internal/keys"
)

// Checkpoint is the state of a log that a key signs: its origin (the log's
// name, which is also the signing key's name), its size (number of entries)
// and the RFC 6962 root hash of its first Size entries.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// Body is the checkpoint's text in the transparency-log checkpoint format
// (https://c2sp.org/tlog-checkpoint), the text a note signs:
//
//	<origin>\n<size>\n<base64 root>\n
func (c Checkpoint) Body() []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

// Tree is the checkpoint as tlog's tree, for tlog's proof checks.
func (c Checkpoint) Tree() tlog.Tree { return tlog.Tree{N: c.Size, Hash: c.Root} }

func (c Checkpoint) String() string {
	return fmt.Sprintf("%s size %d root %s", c.Origin, c.Size, c.Root)
}

// ParseCheckpoint parses a checkpoint body. It accepts exactly the text Body
// writes: three lines, a non-negative decimal size without leading zeros and
// a 32-byte root in standard base64. Extension lines are refused: this log
// never writes them, so their presence means the text is not ours.
func ParseCheckpoint(body []byte) (Checkpoint, error) {
	var c Checkpoint
	if !bytes.HasSuffix(body, []byte("\n")) {
		return c, errorf(ErrMalformedCheckpoint, "body does not end in a newline")
	}
	lines := strings.Split(string(body[:len(body)-1]), "\n")
	if len(lines) != 3 {
		return c, errorf(ErrMalformedCheckpoint, "body has %d lines, want 3 (origin, size, root)", len(lines))
	}
	if !validName(lines[0]) {
		return c, errorf(ErrMalformedCheckpoint, "origin %q is not a valid key name", lines[0])
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return c, errorf(ErrMalformedCheckpoint, "size %q is not a canonical non-negative integer", lines[1])
	}
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return c, errorf(ErrMalformedCheckpoint, "root %q is not %d bytes of base64", lines[2], tlog.HashSize)
	}
	c.Origin, c.Size = lines[0], n
	copy(c.Root[:], root)
	return c, nil
}

// validName is note's rule for key names (non-empty UTF-8, no spaces or
// plus signs), which the origin also obeys because it is the key's name.
func validName(s string) bool {
	return s != "" && !strings.ContainsAny(s, " \t\n\r+") && strings.ToValidUTF8(s, "\uFFFD") == s
}

// SignCheckpoint signs c as a note with s. The origin must be the signer's
// name, so that a verifier key names the log it verifies.
func SignCheckpoint(c Checkpoint, s note.Signer) ([]byte, error) {
	if c.Origin != s.Name() {
		return nil, fmt.Errorf("auditlog: checkpoint origin %q is not the signing key's name %q", c.Origin, s.Name())
	}
	return note.Sign(&note.Note{Text: string(c.Body())}, s)
}

// OpenCheckpoint verifies a signed checkpoint note with v and parses it. It
// fails with ErrBadSignature when v has not signed the note (including when
// the note is signed only by other keys), and with ErrMalformedCheckpoint
// when the note or its body does not parse or the origin is not v's name.
func OpenCheckpoint(msg []byte, v note.Verifier) (Checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			var by []string
			for _, s := range unverified.Note.UnverifiedSigs {
				by = append(by, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
			}
			return Checkpoint{}, errorf(ErrBadSignature, "not signed by the given key %s+%08x (signed by: %s)", v.Name(), v.KeyHash(), strings.Join(by, ", "))
		case errors.As(err, &invalid):
			return Checkpoint{}, errorf(ErrBadSignature, "invalid signature by %s+%08x: the checkpoint text or its signature was changed", invalid.Name, invalid.Hash)
		}
		if err.Error() == "malformed note" {
			return Checkpoint{}, errorf(ErrMalformedCheckpoint, "not a signed note")
		}
		return Checkpoint{}, errorf(ErrBadSignature, "%v", err)
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return c, err
	}
	if c.Origin != v.Name() {
		return c, errorf(ErrMalformedCheckpoint, "origin %q is not the key's name %q", c.Origin, v.Name())
	}
	return c, nil
}

// Origin is the log name, and the checkpoint key name, used for the kernel
// whose signing key has public key pub: "mcpzero.kernel/" and the first 8
// bytes of SHA-256(pub) in hex. Deriving it from the key keeps the logs of
// different kernels apart without any configuration.
func Origin(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return "mcpzero.kernel/" + hex.EncodeToString(h[:8])
}

// NewSigner returns a note signer named name for the ed25519 key priv.
func NewSigner(name string, priv ed25519.PrivateKey) (note.Signer, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, errorf(ErrBadKey, "ed25519 private key is %d bytes, want %d", len(priv), ed25519.PrivateKeySize)
	}
	vkey, err := note.NewEd25519VerifierKey(name, priv.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, errorf(ErrBadKey, "%v", err)
	}
	// note builds signers only from its text form of a private key:
	// PRIVATE+KEY+<name>+<key hash>+<base64(0x01 || seed)>, the key hash
	// being the one in the verifier key's text.
	// The name has no '+' (note refuses it) but base64 may, so cut at the
	// first two.
	parts := strings.SplitN(vkey, "+", 3)
	skey := "PRIVATE+KEY+" + name + "+" + parts[1] + "+" +
		base64.StdEncoding.EncodeToString(append([]byte{1}, priv.Seed()...))
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, errorf(ErrBadKey, "%v", err)
	}
	return s, nil
}

// VerifierKey is the text form of the note verifier key for pub under name,
// "<name>+<key hash hex>+<base64(0x01 || pub)>": the kernel's public key file
// for auditors (kernel.pub).
func VerifierKey(name string, pub ed25519.PublicKey) (string, error) {
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		return "", errorf(ErrBadKey, "%v", err)
	}
	return vkey, nil
}

// ParseVerifierKey reads a verifier key file: one note verifier key line
// (surrounding white space and '#' comment lines are ignored), as the
// kernel's kernel.pub holds; or an ed25519 public key in the PEM format of
// internal/keys, whose log origin is then Origin(pub).
func ParseVerifierKey(data []byte) (note.Verifier, error) {
	if strings.HasPrefix(strings.TrimSpace(string(data)), "-----BEGIN") {
		pub, err := keys.ParsePublic("key file", data)
		if err != nil {
			return nil, errorf(ErrBadKey, "%v", err)
		}
		vkey, err := VerifierKey(Origin(pub), pub)
		if err != nil {
			return nil, err
		}
		data = []byte(vkey)
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		return nil, errorf(ErrBadKey, "key file has %d key lines, want 1 note verifier key (name+hash+base64key)", len(lines))
	}
	v, err := note.NewVerifier(lines[0])
	if err != nil {
		return nil, errorf(ErrBadKey, "not a note verifier key (name+hash+base64key): %v", err)
	}
	return v, nil
}
