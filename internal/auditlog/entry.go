package auditlog

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/tlog"
)

// Digest is a SHA-256 digest. The zero Digest means "none".
type Digest [32]byte

// SHA256 returns the digest of b.
func SHA256(b []byte) Digest { return sha256.Sum256(b) }

// IsZero reports whether d is the zero ("none") digest.
func (d Digest) IsZero() bool { return d == Digest{} }

// String is the lowercase hex form, as sha256sum prints it.
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// MarshalText encodes d as hex.
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes 64 hex digits.
func (d *Digest) UnmarshalText(b []byte) error {
	v, err := ParseDigest(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ParseDigest parses 64 hex digits.
func ParseDigest(s string) (Digest, error) {
	var d Digest
	if len(s) != 2*len(d) {
		return d, fmt.Errorf("auditlog: digest %q: want %d hex digits", s, 2*len(d))
	}
	if _, err := hex.Decode(d[:], []byte(s)); err != nil {
		return d, fmt.Errorf("auditlog: digest %q: %v", s, err)
	}
	return d, nil
}

// Kind names the operation an entry records. Kinds are short lowercase
// tokens; the kernel may add kinds without changing the entry format.
type Kind string

// The kinds of state-changing operation the kernel logs.
const (
	KindSpawn        Kind = "spawn"
	KindAttach       Kind = "attach"
	KindExecute      Kind = "execute"
	KindSnapshot     Kind = "snapshot"
	KindRecover      Kind = "recover"
	KindTerminate    Kind = "terminate"
	KindGrant        Kind = "grant"
	KindRevoke       Kind = "revoke"
	KindAgreementUse Kind = "agreement_use"
	KindProofStored  Kind = "proof_stored"
)

func (k Kind) valid() bool {
	if len(k) == 0 || len(k) > maxKind || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// Entry is one record of the operation log: what one state-changing kernel
// operation did, in digests. It holds no wall-clock time and no raw inputs
// or outputs, only their SHA-256 digests.
type Entry struct {
	// Index is the entry's position in the log (0-based), assigned by the
	// log at append. It is hashed, so an entry moved to another position
	// no longer verifies.
	Index uint64 `json:"index"`
	// Seq is the kernel's logical time of the operation; strictly
	// increasing along the log.
	Seq  uint64 `json:"seq"`
	Kind Kind   `json:"kind"`
	// Agent is the agent the operation acted on ("" for none).
	Agent string `json:"agent,omitempty"`
	// Plugin is the digest of the plugin's WebAssembly module, when one is
	// involved.
	Plugin Digest `json:"plugin"`
	// Method is the plugin method executed, or the capability granted or
	// revoked, or "" when neither applies.
	Method string `json:"method,omitempty"`
	// Input and Output are the digests of the operation's input and
	// output bytes (execute params and result; for other kinds whatever the
	// kernel defines as the operation's input and output).
	Input  Digest `json:"input"`
	Output Digest `json:"output"`
	// StateBefore and StateAfter are the agent's state roots before and
	// after the operation.
	StateBefore Digest `json:"state_before"`
	StateAfter  Digest `json:"state_after"`
	// Fuel is the fuel the operation used.
	Fuel uint64 `json:"fuel"`
	// Proof is the digest (SHA-256 of the file bytes) of the proof bundle
	// of this operation, or zero when there is none.
	Proof Digest `json:"proof"`
	// Ref is the sequence number of another operation this one refers to
	// (the proved execute, for KindProofStored), or 0.
	Ref uint64 `json:"ref,omitempty"`
	// Detail is short, kernel-defined, non-secret text about the
	// operation (for example the grant's scope). Hashed like the rest.
	Detail string `json:"detail,omitempty"`
}

// Limits on the variable-length fields, so that a decoder never allocates
// what a hostile file asks for.
const (
	maxKind   = 64
	maxString = 1024
	maxDetail = 4096
	// MaxEntrySize bounds an encoded entry.
	MaxEntrySize = 1 + 8 + 8 + 1 + 2*(binary.MaxVarintLen64) + maxKind + maxString + maxString + maxDetail + 6*32 + 8 + 8 + 2*binary.MaxVarintLen64
)

// entryVersion is the first byte of every encoded entry.
const entryVersion = 1

// Encode returns the canonical encoding of e, the bytes the log stores and
// hashes:
//
//	u8  version (1)
//	u64 index, u64 seq                           big-endian
//	str kind, str agent                          uvarint length, UTF-8 bytes
//	[32] plugin
//	str method
//	[32] input, [32] output, [32] state before, [32] state after
//	u64 fuel
//	[32] proof
//	u64 ref
//	str detail
//
// It fails with ErrMalformedEntry when a field is out of its limits.
func (e *Entry) Encode() ([]byte, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 256+len(e.Agent)+len(e.Method)+len(e.Detail))
	b = append(b, entryVersion)
	b = binary.BigEndian.AppendUint64(b, e.Index)
	b = binary.BigEndian.AppendUint64(b, e.Seq)
	b = appendString(b, string(e.Kind))
	b = appendString(b, e.Agent)
	b = append(b, e.Plugin[:]...)
	b = appendString(b, e.Method)
	b = append(b, e.Input[:]...)
	b = append(b, e.Output[:]...)
	b = append(b, e.StateBefore[:]...)
	b = append(b, e.StateAfter[:]...)
	b = binary.BigEndian.AppendUint64(b, e.Fuel)
	b = append(b, e.Proof[:]...)
	b = binary.BigEndian.AppendUint64(b, e.Ref)
	b = appendString(b, e.Detail)
	return b, nil
}

func (e *Entry) check() error {
	switch {
	case !e.Kind.valid():
		return errorf(ErrMalformedEntry, "kind %q is not a lowercase token of at most %d bytes", e.Kind, maxKind)
	case len(e.Agent) > maxString || !utf8.ValidString(e.Agent):
		return errorf(ErrMalformedEntry, "agent is not UTF-8 of at most %d bytes", maxString)
	case len(e.Method) > maxString || !utf8.ValidString(e.Method):
		return errorf(ErrMalformedEntry, "method is not UTF-8 of at most %d bytes", maxString)
	case len(e.Detail) > maxDetail || !utf8.ValidString(e.Detail):
		return errorf(ErrMalformedEntry, "detail is not UTF-8 of at most %d bytes", maxDetail)
	}
	return nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// DecodeEntry parses the canonical encoding of an entry. It accepts only
// canonical bytes (Encode of the result gives data back), so that one entry
// has exactly one encoding and one hash.
func DecodeEntry(data []byte) (*Entry, error) {
	if len(data) > MaxEntrySize {
		return nil, errorf(ErrMalformedEntry, "%d bytes, more than the %d an entry can have", len(data), MaxEntrySize)
	}
	d := decoder{b: data}
	if v := d.byte("version"); d.err == nil && v != entryVersion {
		return nil, errorf(ErrMalformedEntry, "version %d, want %d", v, entryVersion)
	}
	var e Entry
	e.Index = d.u64("index")
	e.Seq = d.u64("seq")
	e.Kind = Kind(d.str("kind", maxKind))
	e.Agent = d.str("agent", maxString)
	e.Plugin = d.digest("plugin")
	e.Method = d.str("method", maxString)
	e.Input = d.digest("input")
	e.Output = d.digest("output")
	e.StateBefore = d.digest("state before")
	e.StateAfter = d.digest("state after")
	e.Fuel = d.u64("fuel")
	e.Proof = d.digest("proof")
	e.Ref = d.u64("ref")
	e.Detail = d.str("detail", maxDetail)
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, errorf(ErrMalformedEntry, "%d trailing bytes", len(d.b))
	}
	again, err := e.Encode()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(again, data) {
		return nil, errorf(ErrMalformedEntry, "not in canonical form")
	}
	return &e, nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(field string, n int) {
	if d.err == nil {
		d.err = errorf(ErrMalformedEntry, "truncated at %s (want %d more bytes, have %d)", field, n, len(d.b))
	}
}

func (d *decoder) take(field string, n int) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b) < n {
		d.fail(field, n)
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte(field string) byte {
	if v := d.take(field, 1); v != nil {
		return v[0]
	}
	return 0
}

func (d *decoder) u64(field string) uint64 {
	if v := d.take(field, 8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func (d *decoder) digest(field string) (out Digest) {
	if v := d.take(field, len(out)); v != nil {
		copy(out[:], v)
	}
	return out
}

func (d *decoder) str(field string, max int) string {
	if d.err != nil {
		return ""
	}
	n, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.err = errorf(ErrMalformedEntry, "bad length of %s", field)
		return ""
	}
	if n > uint64(max) {
		d.err = errorf(ErrMalformedEntry, "%s is %d bytes, more than %d", field, n, max)
		return ""
	}
	d.b = d.b[k:]
	return string(d.take(field, int(n)))
}

// RecordHash is the RFC 6962 leaf hash of an encoded entry:
// SHA-256(0x00 || data).
func RecordHash(data []byte) tlog.Hash { return tlog.RecordHash(data) }
