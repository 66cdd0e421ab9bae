// Package verifycli holds the `verify` and `inspect` subcommands shared by
// the operator's CLI (mcpzero) and the auditor's standalone binary
// (mcpzero-verify), so both print the same statement in the same words.
// Like package verifier it never imports the kernel, the prover, the
// store or the tracer.
package verifycli
