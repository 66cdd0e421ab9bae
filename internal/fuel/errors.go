package fuel

import (
	"errors"
	"fmt"
)

var (
	// ErrMalformed is wrapped by every *FormatError.
	ErrMalformed = errors.New("fuel: malformed wasm")
	// ErrUnsupported is returned for valid WebAssembly the instrumenter does
	// not meter (for example exception handling): such a module is refused
	// rather than run unmetered.
	ErrUnsupported = errors.New("fuel: unsupported wasm feature")
	// ErrAlreadyInstrumented is returned when the module already exports
	// ExportName.
	ErrAlreadyInstrumented = errors.New("fuel: module already exports " + ExportName)
	// ErrNotInstrumented is returned by NewMeter for a module without the
	// fuel global.
	ErrNotInstrumented = errors.New("fuel: module is not instrumented (no exported " + ExportName + " global)")
	// ErrExhausted is wrapped by *ExhaustedError.
	ErrExhausted = errors.New("fuel exhausted")
	// ErrNegativeBudget is returned when a budget below zero is requested.
	ErrNegativeBudget = errors.New("fuel: budget must not be negative")
)

// FormatError reports malformed or unsupported input at a byte offset of
// the module.
type FormatError struct {
	Section string // "header", "import", "code", ...
	Offset  int    // byte offset in the module
	Msg     string
	Err     error // ErrMalformed or ErrUnsupported
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%v: %s section at offset %d: %s", e.Err, e.Section, e.Offset, e.Msg)
}

func (e *FormatError) Unwrap() error { return e.Err }

// ExhaustedError is the error of a call stopped by its fuel limit.
type ExhaustedError struct {
	Budget int64 // the fuel the call was given
	Trap   error // the trap wazero reported
}

func (e *ExhaustedError) Error() string {
	return fmt.Sprintf("fuel exhausted: the call used its whole budget of %d", e.Budget)
}

// Is makes errors.Is(err, ErrExhausted) true.
func (e *ExhaustedError) Is(target error) bool { return target == ErrExhausted }

func (e *ExhaustedError) Unwrap() error { return e.Trap }
