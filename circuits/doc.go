// Package circuits holds the gnark circuits that prove WebAssembly execution:
// the segment circuit (execution table, family tables, offline memory check)
// and the helpers that turn a trace from package trace into a witness.
//
// Soundness is the product: every constraint family has negative tests that
// tamper one witness cell and require the solver to reject it.
package circuits
