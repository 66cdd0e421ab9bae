// Package verifier checks proof bundles offline: every segment proof, the
// chaining of segment claims and the trace root, against a pinned verifying
// key. It must never import package kernel, package prover or the store, so
// that an auditor's binary stays small and trusts nothing but the bundle and
// the key.
package verifier
