package trace

import (
	"errors"
	"fmt"
	"strings"
)

// TrapKind is why a run trapped. A trap is an outcome of the program, not an
// error of the caller: Run reports it in Trace.Status/Trace.Trap.
type TrapKind uint8

const (
	TrapNone TrapKind = iota
	TrapUnreachable
	TrapIntegerDivideByZero
	TrapIntegerOverflow
	TrapOutOfBoundsMemory
	TrapInvalidTableAccess // call_indirect index out of the table, or a null element
	TrapIndirectCallTypeMismatch
	TrapStackOverflow // call depth or value-stack limit exceeded
	TrapOutputLimit   // output_write past the output limit
)

// String returns wazero's message for the same trap, so that the two can be
// compared textually.
func (k TrapKind) String() string {
	switch k {
	case TrapNone:
		return "none"
	case TrapUnreachable:
		return "unreachable"
	case TrapIntegerDivideByZero:
		return "integer divide by zero"
	case TrapIntegerOverflow:
		return "integer overflow"
	case TrapOutOfBoundsMemory:
		return "out of bounds memory access"
	case TrapInvalidTableAccess:
		return "invalid table access"
	case TrapIndirectCallTypeMismatch:
		return "indirect call type mismatch"
	case TrapStackOverflow:
		return "stack overflow"
	case TrapOutputLimit:
		return "output limit exceeded"
	}
	return fmt.Sprintf("trap(%d)", uint8(k))
}

// TrapError is a trap as an error, for callers that want one (Trace.Err).
type TrapError struct {
	Kind TrapKind
	PC   uint32
	Func uint32
}

func (e *TrapError) Error() string {
	return fmt.Sprintf("wasm trap: %s (func %d, pc %d)", e.Kind, e.Func, e.PC)
}

// Is makes errors.Is(err, &TrapError{Kind: k}) match on the kind alone.
func (e *TrapError) Is(target error) bool {
	t, ok := target.(*TrapError)
	return ok && t.Kind == e.Kind
}

// Sentinel errors; every error returned by this package wraps one of them.
var (
	// ErrMalformed: the binary does not decode (DecodeError).
	ErrMalformed = errors.New("malformed module")
	// ErrInvalid: the module decodes but fails validation (DecodeError).
	ErrInvalid = errors.New("invalid module")
	// ErrUnprovable: the module or call uses something outside the
	// provable subset (ProvabilityError).
	ErrUnprovable = errors.New("not provable")
	// ErrExport: no such exported function.
	ErrExport = errors.New("no such export")
	// ErrArgs: arguments do not match the export's parameters.
	ErrArgs = errors.New("bad arguments")
	// ErrInstantiate: a data or element segment does not fit (wazero fails
	// instantiation the same way).
	ErrInstantiate = errors.New("instantiation failed")
	// ErrLimit: a resource limit of the tracer was exceeded (LimitError).
	ErrLimit = errors.New("tracer limit exceeded")
	// Specific limits, each wrapped in a LimitError.
	ErrStepLimit   = fmt.Errorf("%w: step count", ErrLimit)
	ErrMemoryLimit = fmt.Errorf("%w: memory pages", ErrLimit)
	ErrAccessLimit = fmt.Errorf("%w: memory accesses in one segment", ErrLimit)
)

// DecodeError is a malformed or invalid module, located by section and byte
// offset in the binary.
type DecodeError struct {
	Kind    error  // ErrMalformed or ErrInvalid
	Section string // "header", "type", "import", "function", "code", ...
	Offset  int    // byte offset in the binary
	Func    int    // function index for code errors, else -1
	Msg     string
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v: %s section at offset %#x", e.Kind, e.Section, e.Offset)
	if e.Func >= 0 {
		fmt.Fprintf(&b, " (func %d)", e.Func)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

func (e *DecodeError) Unwrap() error { return e.Kind }

// Violation is one reason a module is not provable.
type Violation struct {
	Func   int    // function index, -1 for module-level violations
	Name   string // function name when known
	Offset int    // byte offset in the binary
	What   string // e.g. "f32.add (floating point)", "import env.foo"
}

func (v Violation) String() string {
	if v.Func < 0 {
		return fmt.Sprintf("offset %#x: %s", v.Offset, v.What)
	}
	name := ""
	if v.Name != "" {
		name = " " + v.Name
	}
	return fmt.Sprintf("func %d%s, offset %#x: %s", v.Func, name, v.Offset, v.What)
}

// ProvabilityError lists every violation of the provable subset.
type ProvabilityError struct {
	Violations []Violation
}

func (e *ProvabilityError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v: %d violation(s)", ErrUnprovable, len(e.Violations))
	for i, v := range e.Violations {
		if i == 10 {
			fmt.Fprintf(&b, "; ... %d more", len(e.Violations)-10)
			break
		}
		b.WriteString("; ")
		b.WriteString(v.String())
	}
	return b.String()
}

func (e *ProvabilityError) Unwrap() error { return ErrUnprovable }

// LimitError is a tracer resource limit that was exceeded.
type LimitError struct {
	Limit error  // ErrStepLimit, ErrMemoryLimit or ErrAccessLimit
	Max   uint64 // the configured maximum
	Got   uint64 // the value that exceeded it
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%v: %d > max %d", e.Limit, e.Got, e.Max)
}

func (e *LimitError) Unwrap() error { return e.Limit }
