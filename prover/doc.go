// Package prover turns a WebAssembly run into a proof bundle: it replays the
// call with the tracer, splits the trace into segments, sets up or loads the
// keys for each circuit shape (cached on disk, keyed by a digest of the
// constraint system) and proves every segment with gnark.
//
// Go services embed it as a library; the mcpzero CLI is a thin layer over it.
package prover
