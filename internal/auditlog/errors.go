package auditlog

import (
	"errors"
	"fmt"
)

// Sentinel errors; every error this package returns wraps one of them, so
// callers test with errors.Is.
var (
	// ErrMalformedEntry: bytes that are not the canonical encoding of an entry.
	ErrMalformedEntry = errors.New("auditlog: malformed entry")
	// ErrMalformedCheckpoint: a checkpoint body or note that does not parse.
	ErrMalformedCheckpoint = errors.New("auditlog: malformed checkpoint")
	// ErrBadSignature: a checkpoint not signed by the expected key.
	ErrBadSignature = errors.New("auditlog: checkpoint signature does not verify")
	// ErrInclusion: an entry is not in the tree a checkpoint commits to.
	ErrInclusion = errors.New("auditlog: inclusion proof does not verify")
	// ErrConsistency: a newer checkpoint does not extend an older one (the
	// log was forked or rolled back).
	ErrConsistency = errors.New("auditlog: consistency proof does not verify")
	// ErrMalformedExport: an .audit file that does not parse.
	ErrMalformedExport = errors.New("auditlog: malformed export file")
	// ErrBundleMismatch: an exported proof bundle that is not the one the
	// entry links to, or is missing.
	ErrBundleMismatch = errors.New("auditlog: proof bundle does not match the entry")
	// ErrBadKey: a key file that does not parse.
	ErrBadKey = errors.New("auditlog: bad key")
	// ErrDiverged: replay computed a different state than the log records.
	ErrDiverged = errors.New("auditlog: replay diverged from the log")
)

func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}
