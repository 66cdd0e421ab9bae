package security

import "errors"

// Errors of the security manager; every error it returns wraps one of
// these (errors.Is).
var (
	// ErrPermissionDenied: no grant allows the operation.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrInvalidSignature: a signature does not verify, names an unknown
	// key, or a key without the role the act requires.
	ErrInvalidSignature = errors.New("invalid signature")
	// ErrUnknownKey: no key with that ID is registered.
	ErrUnknownKey = errors.New("unknown key")
	// ErrKeyExists: a different key or role set is already registered
	// under that ID.
	ErrKeyExists = errors.New("key already registered")
	// ErrNotFound: no such grant or agreement.
	ErrNotFound = errors.New("not found")
	// ErrInvalidArgument: a malformed grant, agreement, resource or role.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrReplay: a signed statement that was already applied.
	ErrReplay = errors.New("signed statement already applied")
	// ErrAgreementRevoked, ErrAgreementWindow, ErrAgreementScope and
	// ErrQuotaExceeded are the failures of VerifyAgreement, in the order it
	// checks them (after signatures).
	ErrAgreementRevoked = errors.New("agreement revoked")
	ErrAgreementWindow  = errors.New("outside the agreement's validity window")
	ErrAgreementScope   = errors.New("resource or operation not covered by the agreement")
	ErrQuotaExceeded    = errors.New("agreement quota exceeded")
)
