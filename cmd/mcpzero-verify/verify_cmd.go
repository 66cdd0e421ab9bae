package main

import "github.com/mcpzero/mcpzero/verifier/verifycli"

// The auditor's binary links only package verifier: it cannot decode
// WebAssembly, so `--module` points to `mcpzero verify --module` instead.
func init() {
	register(verifycli.VerifyCommand(verifycli.Config{}), verifycli.InspectCommand())
}
