// Package verifier checks proof bundles offline: every segment proof, the
// chaining of segment claims into the statement and the trace root, against
// a pinned verifying-key set. It must never import package kernel, package
// prover, the store or the tracer, so that an auditor's binary stays small
// and trusts nothing but the bundle and the key (TestNoForbiddenImports).
//
//	keys, err := verifier.ReadKeySetFile("keys.vks") // pinned by the auditor
//	b, err := verifier.ReadBundleFile("run.proof")
//	res, err := verifier.Verify(b, keys)             // errors wrap ErrProofInvalid, ErrStatement, ...
//	fmt.Println(res.Statement.Results, res.Setup, res.KeySet, res.Warnings)
//
// It also defines the bundle and key-set formats (docs/BUNDLE.md).
package verifier
