package auditlog

import (
	"bytes"
	"encoding/json"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ExportFormat names version 1 of the .audit file format.
const ExportFormat = "mcpzero-audit-export/v1"

// MaxExportSize bounds an .audit file (the proof bundle dominates).
const MaxExportSize = 256 << 20

// Export is the self-contained .audit file: one entry, its inclusion proof,
// the signed checkpoint the proof is against, and the proof bundle the entry
// links to when it has one. It is JSON so that an auditor can read it; every
// field that is verified is in its exact binary form (base64), never a
// re-encoding.
type Export struct {
	Format string `json:"format"`
	// Entry is the canonical encoding of the entry (base64 in JSON).
	Entry []byte `json:"entry"`
	// Index is the entry's position in the log.
	Index int64 `json:"index"`
	// Inclusion is the inclusion proof against Checkpoint (base64 hashes).
	Inclusion []tlog.Hash `json:"inclusion"`
	// Checkpoint is the signed checkpoint note, as the kernel signed it.
	Checkpoint string `json:"checkpoint"`
	// ProofBundle is the proof bundle file the entry links to (base64), or
	// absent when the entry links to none.
	ProofBundle []byte `json:"proof_bundle,omitempty"`
}

// Marshal encodes x as indented JSON.
func (x *Export) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ParseExport decodes an .audit file strictly: unknown fields, trailing
// data and other formats are refused.
func ParseExport(data []byte) (*Export, error) {
	if len(data) > MaxExportSize {
		return nil, errorf(ErrMalformedExport, "%d bytes, more than %d", len(data), MaxExportSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var x Export
	if err := dec.Decode(&x); err != nil {
		return nil, errorf(ErrMalformedExport, "%v", err)
	}
	if dec.More() {
		return nil, errorf(ErrMalformedExport, "data after the JSON object")
	}
	if x.Format != ExportFormat {
		return nil, errorf(ErrMalformedExport, "format %q, want %q", x.Format, ExportFormat)
	}
	return &x, nil
}

// Verified is what a successful VerifyExport established.
type Verified struct {
	Entry      *Entry     `json:"entry"`
	LeafHash   tlog.Hash  `json:"leaf_hash"`
	Checkpoint Checkpoint `json:"-"`
	// BundleChecked is true when a proof bundle was embedded, matched the
	// entry's digest, and the bundle verifier (if any) accepted it.
	BundleChecked bool `json:"bundle_checked"`
	// BundleVerified is true when a BundleVerifier checked the bundle's
	// proof itself, not only its digest.
	BundleVerified bool `json:"bundle_verified"`
}

// VerifyOption configures VerifyExport.
type VerifyOption func(*verifyConfig)

type verifyConfig struct {
	bundle func(bundle []byte, e *Entry) error
}

// WithBundleVerifier has VerifyExport also verify an embedded proof bundle
// with fn (the zero-knowledge proof check lives in package verifier, which
// this package does not import).
func WithBundleVerifier(fn func(bundle []byte, e *Entry) error) VerifyOption {
	return func(c *verifyConfig) { c.bundle = fn }
}

// VerifyExport checks an export with the kernel's verifier key alone:
//
//  1. the checkpoint is signed by v, and its origin is v's name;
//  2. the entry is canonically encoded and declares the index it is at;
//  3. the inclusion proof puts the entry's leaf hash at that index of the
//     tree the checkpoint commits to;
//  4. when the entry links a proof bundle, the file embeds it and its
//     SHA-256 is the linked digest (and the bundle verifier, if given,
//     accepts it); a bundle the entry does not link is refused.
func VerifyExport(x *Export, v note.Verifier, opts ...VerifyOption) (*Verified, error) {
	var cfg verifyConfig
	for _, o := range opts {
		o(&cfg)
	}
	c, err := OpenCheckpoint([]byte(x.Checkpoint), v)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	e, err := DecodeEntry(x.Entry)
	if err != nil {
		return nil, fmt.Errorf("entry: %w", err)
	}
	if x.Index < 0 || e.Index != uint64(x.Index) {
		return nil, errorf(ErrInclusion, "the entry declares index %d but is exported as index %d", e.Index, x.Index)
	}
	if err := VerifyInclusion(c, x.Index, x.Entry, x.Inclusion); err != nil {
		return nil, err
	}
	out := &Verified{Entry: e, LeafHash: RecordHash(x.Entry), Checkpoint: c}
	switch {
	case e.Proof.IsZero() && len(x.ProofBundle) != 0:
		return nil, errorf(ErrBundleMismatch, "the file embeds a proof bundle but entry %d links none", e.Index)
	case e.Proof.IsZero():
	case len(x.ProofBundle) == 0:
		return nil, errorf(ErrBundleMismatch, "entry %d links proof bundle %s but the file does not embed it", e.Index, e.Proof)
	default:
		if got := SHA256(x.ProofBundle); got != e.Proof {
			return nil, errorf(ErrBundleMismatch, "embedded bundle has digest %s, entry %d links %s", got, e.Index, e.Proof)
		}
		out.BundleChecked = true
		if cfg.bundle != nil {
			if err := cfg.bundle(x.ProofBundle, e); err != nil {
				return nil, fmt.Errorf("proof bundle: %w", err)
			}
			out.BundleVerified = true
		}
	}
	return out, nil
}
