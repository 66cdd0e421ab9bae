// Package trace is the tracing WebAssembly interpreter: it decodes and
// validates a module, checks that it stays inside the provable subset, and
// replays a call while recording the execution trace (one row per executed
// instruction, every stack, local, global and memory access with its
// timestamp, and the I/O events) that the circuits consume. It agrees with
// wazero bit for bit on results, traps, memory and globals.
package trace
