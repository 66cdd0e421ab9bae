package claim

import (
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// Status is how a run ended.
type Status uint8

const (
	// StatusReturned: the function returned normally.
	StatusReturned Status = 1
	// StatusTrapped: the run stopped on a trap of kind Statement.Trap.
	StatusTrapped Status = 2
)

func (s Status) String() string {
	switch s {
	case StatusReturned:
		return "returned"
	case StatusTrapped:
		return "trapped"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// TrapKind says why a run trapped. The numbering is part of the statement
// (it is hashed into the final state): never renumber.
type TrapKind uint32

const (
	TrapNone                TrapKind = 0
	TrapUnreachable         TrapKind = 1 // `unreachable` executed
	TrapIntegerDivideByZero TrapKind = 2 // div/rem with a zero divisor
	TrapIntegerOverflow     TrapKind = 3 // signed div of MIN by -1
	TrapOutOfBounds         TrapKind = 4 // load, store or host I/O outside memory
	TrapInvalidTableAccess  TrapKind = 5 // call_indirect index outside the table or null
	TrapIndirectCallType    TrapKind = 6 // call_indirect type mismatch
	TrapStackOverflow       TrapKind = 7 // call depth or value-stack limit exceeded
	TrapOutputLimit         TrapKind = 8 // output_write past the output limit
)

// The numbering above equals trace.TrapKind's, so that the tracer's kind
// converts by value.

var trapNames = map[TrapKind]string{
	TrapNone:                "none",
	TrapUnreachable:         "unreachable",
	TrapIntegerDivideByZero: "integer divide by zero",
	TrapIntegerOverflow:     "integer overflow",
	TrapOutOfBounds:         "out of bounds memory access",
	TrapInvalidTableAccess:  "invalid table access",
	TrapIndirectCallType:    "indirect call type mismatch",
	TrapStackOverflow:       "stack overflow",
	TrapOutputLimit:         "output limit exceeded",
}

func (k TrapKind) String() string {
	if s, ok := trapNames[k]; ok {
		return s
	}
	return fmt.Sprintf("trap(%d)", uint32(k))
}

// Statement is what a proof bundle asserts (design brief, section 1):
// executing the module committed to by Module, function Function, on the
// arguments and input bytes digested by Input, ends with Status (and Trap)
// and the results and output bytes digested by Output, after exactly Steps
// steps; TraceRoot is the Merkle root over the segment claims.
type Statement struct {
	Module    fr.Element // circuits.Commit(module): code, data, globals, memory limits
	Function  uint32     // index of the called function in the module's function space
	Input     fr.Element // InputDigest(args, input)
	Output    fr.Element // OutputDigest(results, output)
	Status    Status
	Trap      TrapKind // TrapNone unless Status == StatusTrapped
	Steps     uint64   // executed WebAssembly instructions (host calls count one)
	TraceRoot fr.Element
}

// InitialState is the boundary-state digest every run starts from: it names
// the module, the function and the input, and nothing else. The circuit of
// a first segment proves that its machine state is the module's canonical
// initial state for these (entry pc of the function, arguments in its first
// locals, data segments in memory, initial globals, input bytes).
func InitialState(module fr.Element, function uint32, input fr.Element) fr.Element {
	return Hash(U64(TagInit), module, U64(uint64(function)), input)
}

// FinalState is the boundary-state digest of a halted run: the circuit of a
// last segment proves that the machine halted with this status, trap kind
// and output digest. No segment can start from it.
func FinalState(status Status, trap TrapKind, output fr.Element) fr.Element {
	return Hash(U64(TagFinal), U64(uint64(status)), U64(uint64(trap)), output)
}

// Initial is InitialState of the statement.
func (s *Statement) Initial() fr.Element { return InitialState(s.Module, s.Function, s.Input) }

// Final is FinalState of the statement.
func (s *Statement) Final() fr.Element { return FinalState(s.Status, s.Trap, s.Output) }
