package verifier

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every failure the verifier reports wraps exactly one of
// them, so callers can branch with errors.Is; the message names what did not
// verify.
var (
	// ErrEncoding: the bundle or key file is not a well-formed encoding
	// (bad magic, truncated, trailing bytes, malformed point).
	ErrEncoding = errors.New("bad encoding")
	// ErrVersion: the file was written by another format version or another
	// gnark version, whose serialization this build cannot trust.
	ErrVersion = errors.New("version mismatch")
	// ErrProofInvalid: a segment proof does not verify against its claim
	// and key. Use errors.As with *SegmentError to learn which segment.
	ErrProofInvalid = errors.New("proof invalid")
	// ErrStatement: the segment claims do not chain, or do not add up to
	// the statement (initial/final state, I/O digests, steps, trace root),
	// or the cleartext arguments/results do not match their digests.
	ErrStatement = errors.New("statement mismatch")
	// ErrKeyMismatch: the verifying key the bundle was made with is not the
	// pinned one, or the key set lacks a shape the bundle uses.
	ErrKeyMismatch = errors.New("verifying key mismatch")
	// ErrModuleMismatch: the module given to check against has another
	// commitment than the one the statement names.
	ErrModuleMismatch = errors.New("module commitment mismatch")
	// ErrDevSetup: the keys come from a single-party dev setup and the
	// caller required a ceremony.
	ErrDevSetup = errors.New("dev setup not allowed")
)

// SegmentError says which segment of a bundle failed and why.
type SegmentError struct {
	Index int    // 0-based segment index
	Shape string // the segment's circuit shape
	Err   error  // wraps ErrProofInvalid or ErrKeyMismatch
}

func (e *SegmentError) Error() string {
	return fmt.Sprintf("segment %d (shape %s): %v", e.Index, e.Shape, e.Err)
}

func (e *SegmentError) Unwrap() error { return e.Err }

// encodingErr wraps ErrEncoding with context.
func encodingErr(what string, err error) error {
	if err == nil {
		return fmt.Errorf("%w: %s", ErrEncoding, what)
	}
	return fmt.Errorf("%w: %s: %v", ErrEncoding, what, err)
}
