// Package auditlog is the pure part of the Trace Engine's operation log: the
// format of a log entry and its canonical encoding, record and tree hashes
// (RFC 6962 / 9162, computed by golang.org/x/mod/sumdb/tlog), checkpoints
// signed as notes (golang.org/x/mod/sumdb/note, ed25519), inclusion and
// consistency proofs, and the self-contained export file (.audit) with its
// offline verification.
//
// The package holds no storage: it imports neither the store nor the kernel
// nor the prover, so that the auditor's verifier (cmd/mcpzero-verify) can link
// it with a small trusted base. The store-backed log that the kernel appends
// to in the same atomic batch as each state change is package storelog.
//
// Nothing hashed or signed here carries wall-clock time: an entry is ordered
// by the kernel's logical time (its sequence number) and by its position in
// the tree, and a checkpoint is just (origin, size, root). Two kernels that
// run the same operations produce byte-identical logs and checkpoints.
//
// See docs/AUDIT.md for the formats and for what each verification proves.
package auditlog
