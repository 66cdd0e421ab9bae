// Package wasmgen generates random WebAssembly modules inside the tracer's
// provable subset from arbitrary bytes, for differential and end-to-end
// fuzzing: trace's tests compare the tracer with wazero on them, circuits'
// tests prove their runs segment by segment.
//
// Module is a pure function of its input: the same bytes always give the
// same module, so fuzz corpora stay meaningful across packages. Every
// generated module is valid and terminates: each expression is built for
// the type it must leave, loops count down counters their bodies cannot
// touch, and functions call only lower-numbered functions (no recursion).
// Programs use i32/i64 arithmetic, comparisons and conversions, locals and
// globals, loads and stores, memory.size/grow, memory.copy/fill, block,
// loop, if, br, br_if, br_table, select, direct calls, call_indirect
// (sometimes out of the table or of the wrong type, sometimes with the
// table index written as a two-byte LEB) and the mcpzero host I/O imports.
// Some runs trap (unreachable, division, out-of-bounds memory or table).
//
// The package imports nothing from the project (only its tests import
// trace), so that trace's own tests can use it.
package wasmgen
