package verifier

import (
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// Option configures Verify.
type Option func(*config)

type config struct {
	requireCeremony bool
	module          *fr.Element
}

// RequireCeremony refuses keys from a single-party dev setup (ErrDevSetup).
func RequireCeremony() Option { return func(c *config) { c.requireCeremony = true } }

// WithModuleCommitment also requires the statement's module commitment to be
// m (ErrModuleMismatch otherwise). Compute m from the module's bytes with
// the circuits' commitment function.
func WithModuleCommitment(m fr.Element) Option {
	return func(c *config) { c.module = &m }
}

// Result is what a successful verification established.
type Result struct {
	Statement Statement
	Backend   Backend
	Setup     SetupKind   // from the key set verified against
	KeySet    Fingerprint // fingerprint of that key set
	// Pinned is false when the bundle's own embedded keys were used: then
	// the proof only shows consistency with keys the prover chose, which
	// proves nothing about the run.
	Pinned   bool
	Segments int
	// Warnings are printed loudly by every tool (dev setup, unpinned key).
	Warnings []string
}

// NotPinnedWarning is printed when a bundle is verified against its own
// embedded keys.
const NotPinnedWarning = "KEY NOT PINNED — verified against the keys embedded in the bundle; pass a trusted key set (--vk) to learn anything"

// statementBinder checks that the segment claims (the proofs' public inputs)
// chain into the bundle's statement: initial and final states, I/O digests,
// step counts, function and module, trace root. It is set by the file that
// binds the circuits' claim layout; tests of the orchestration replace it.
var statementBinder func(b *Bundle) error

// Verify checks a bundle against keys: every segment proof, the chaining
// of the segment claims into the statement, and the trace root. keys is
// the auditor's pinned key set; when nil, the keys embedded in the bundle
// are used and the result says so (Pinned false, a warning).
//
// Every error wraps one of the package's sentinel errors; a failing segment
// is reported as a *SegmentError.
func Verify(b *Bundle, keys *KeySet, opts ...Option) (*Result, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if b == nil || len(b.Segments) == 0 {
		return nil, encodingErr("empty bundle", nil)
	}
	res := &Result{Statement: b.Statement, Backend: b.Backend, Segments: len(b.Segments), Pinned: keys != nil}
	if keys == nil {
		if b.Keys == nil {
			return nil, fmt.Errorf("%w: no verifying key given and none embedded in the bundle", ErrKeyMismatch)
		}
		keys = b.Keys
		res.Warnings = append(res.Warnings, NotPinnedWarning)
		// The prover embeds the set it names; any difference (one of the
		// keys' constraint-system digests, say, which no proof check
		// reads) is tampering.
		if fp := keys.Fingerprint(); fp != b.KeySet {
			return nil, fmt.Errorf("%w: the bundle names key set %s but embeds key set %s", ErrKeyMismatch, b.KeySet, fp)
		}
	}
	res.Setup, res.KeySet = keys.Setup, keys.Fingerprint()
	if keys.Setup == DevSetup {
		res.Warnings = append(res.Warnings, DevSetupWarning)
	}
	if keys.GnarkVersion != b.GnarkVersion {
		return nil, fmt.Errorf("%w: bundle made with gnark %s, key set with gnark %s", ErrVersion, b.GnarkVersion, keys.GnarkVersion)
	}
	if keys.Backend != b.Backend || keys.Curve != b.Curve {
		return nil, fmt.Errorf("%w: bundle is a %s/%s proof, key set %s is for %s/%s",
			ErrKeyMismatch, b.Backend, b.Curve, res.KeySet, keys.Backend, keys.Curve)
	}
	if cfg.requireCeremony && !res.Pinned {
		// An embedded key set can claim any setup kind; only a pinned one
		// can vouch for a ceremony.
		return nil, fmt.Errorf("%w: a ceremony was required but no key set was pinned", ErrDevSetup)
	}
	if cfg.requireCeremony && keys.Setup != CeremonySetup {
		return nil, fmt.Errorf("%w: key set %s comes from a single-party dev setup", ErrDevSetup, res.KeySet)
	}
	if cfg.module != nil && !cfg.module.Equal(&b.Statement.Module) {
		return nil, fmt.Errorf("%w: the bundle proves a run of module %s, the given module's commitment is %s",
			ErrModuleMismatch, shortFE(&b.Statement.Module), shortFE(cfg.module))
	}
	for i, seg := range b.Segments {
		k := keys.Key(seg.Shape)
		if k == nil {
			return nil, &SegmentError{Index: i, Shape: seg.Shape,
				Err: fmt.Errorf("%w: key set %s has no key for this shape", ErrKeyMismatch, res.KeySet)}
		}
		if fp := k.Fingerprint(); fp != seg.Key {
			return nil, &SegmentError{Index: i, Shape: seg.Shape,
				Err: fmt.Errorf("%w: proven with key %s, the pinned key is %s", ErrKeyMismatch, seg.Key, fp)}
		}
		if err := k.VerifyProof(b.Backend, seg.Proof, seg.Public); err != nil {
			return nil, &SegmentError{Index: i, Shape: seg.Shape, Err: err}
		}
	}
	if statementBinder == nil {
		return nil, errors.New("verifier: no statement binding compiled in")
	}
	if err := statementBinder(b); err != nil {
		if !errors.Is(err, ErrStatement) {
			err = fmt.Errorf("%w: %v", ErrStatement, err)
		}
		return nil, err
	}
	return res, nil
}

// shortFE prints a field element as 0x + its first 8 bytes, for messages.
func shortFE(e *fr.Element) string {
	b := e.Bytes()
	return fmt.Sprintf("0x%x…", b[:8])
}

// HexFE prints a field element as 0x + 64 hex digits (canonical big-endian).
func HexFE(e *fr.Element) string {
	b := e.Bytes()
	return fmt.Sprintf("0x%x", b[:])
}
