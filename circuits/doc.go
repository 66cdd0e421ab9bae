// Package circuits holds the gnark segment circuit that proves WebAssembly
// execution and the code that turns a trace of package trace into its
// witnesses.
//
// Table encodes a decoded module (program table with the circuit's
// pseudo-instructions, functions, globals, memory image, funcref table) and
// gives its commitment; Shapes lists the capacity classes; a ModuleTable
// cuts a run into segments of a shape, gives the statement and the claims
// (package claim), and Shape.Assign builds one segment's witness. The
// circuit itself is an execution table of uniform rows (one per executed
// instruction or pseudo-instruction) and a bitwise table (one row per
// and/or/xor/popcnt, its operands in nibbles) whose program lookup, power
// and nibble tables, bus between the two tables and offline memory check
// share one log-derivative argument over one std/multicommit challenge. Linear memory, the program, the functions
// and the funcref table are Poseidon2 Merkle trees (memtree.go) of which a
// segment opens only the blocks it uses, so no module size enters a shape.
// docs/CIRCUITS.md is the reference.
//
// Soundness is the product: every constraint family has negative tests that
// tamper one witness cell and require the solver to reject it.
package circuits
