package verifier

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/consensys/gnark"
)

// Backend names the proof system a key or bundle belongs to.
type Backend uint8

const (
	// Groth16 on BN254: 164–196 byte proofs, ~1 ms verify, a circuit-specific
	// setup. The default.
	Groth16 Backend = 1
	// PLONK on BN254: larger proofs, a universal SRS.
	PLONK Backend = 2
)

func (b Backend) String() string {
	switch b {
	case Groth16:
		return "groth16"
	case PLONK:
		return "plonk"
	}
	return fmt.Sprintf("backend(%d)", uint8(b))
}

// ParseBackend reads "groth16" or "plonk".
func ParseBackend(s string) (Backend, error) {
	switch strings.ToLower(s) {
	case "groth16", "":
		return Groth16, nil
	case "plonk":
		return PLONK, nil
	}
	return 0, fmt.Errorf("unknown proof backend %q (want groth16 or plonk)", s)
}

// Valid reports whether b is a known backend.
func (b Backend) Valid() bool { return b == Groth16 || b == PLONK }

// Curve is the only curve mcpzero proves on. It is recorded in every file so
// that adding another curve later is a format change, not a guess.
const Curve = "bn254"

// SetupKind records who generated the keys.
type SetupKind uint8

const (
	// DevSetup: a single party generated the keys (groth16.Setup with local
	// randomness, or PLONK with test/unsafekzg). Whoever ran it knows the
	// toxic waste and can forge proofs.
	DevSetup SetupKind = 1
	// CeremonySetup: the keys came out of a multi-party ceremony (gnark
	// mpcsetup for Groth16, a ceremony SRS for PLONK); sound if one
	// contributor was honest.
	CeremonySetup SetupKind = 2
)

func (k SetupKind) String() string {
	switch k {
	case DevSetup:
		return "dev"
	case CeremonySetup:
		return "ceremony"
	}
	return fmt.Sprintf("setup(%d)", uint8(k))
}

func (k SetupKind) valid() bool { return k == DevSetup || k == CeremonySetup }

// DevSetupWarning is printed, loudly, by every tool that shows or verifies
// something made with dev keys.
const DevSetupWarning = "DEV SETUP — single-party, whoever ran it can forge proofs"

// GnarkVersion is the gnark version this build serializes keys and proofs
// with. Files written by another version are refused: gnark's binary
// formats are not promised stable across versions.
var GnarkVersion = gnark.Version.String()

// Fingerprint is a short printable identifier of a verifying key (or key
// set): the first 8 bytes of SHA-256 over its canonical encoding. It is what
// an auditor pins and compares by eye.
type Fingerprint [8]byte

// FingerprintOf hashes b.
func FingerprintOf(b []byte) Fingerprint {
	h := sha256.Sum256(b)
	var f Fingerprint
	copy(f[:], h[:8])
	return f
}

// String renders the fingerprint as four hex groups, e.g. "3f2a-91bc-0d4e-77aa".
func (f Fingerprint) String() string {
	h := hex.EncodeToString(f[:])
	return h[0:4] + "-" + h[4:8] + "-" + h[8:12] + "-" + h[12:16]
}

// ParseFingerprint reads the String form (dashes optional).
func ParseFingerprint(s string) (Fingerprint, error) {
	var f Fingerprint
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(b) != len(f) {
		return f, fmt.Errorf("bad key fingerprint %q: want 16 hex digits", s)
	}
	copy(f[:], b)
	return f, nil
}

// MarshalText makes fingerprints print as their String form in JSON.
func (f Fingerprint) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText parses the String form.
func (f *Fingerprint) UnmarshalText(b []byte) error {
	g, err := ParseFingerprint(string(b))
	if err != nil {
		return err
	}
	*f = g
	return nil
}
