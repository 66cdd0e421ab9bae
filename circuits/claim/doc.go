// Package claim is the public face of a segment proof: the run-level
// Statement, the per-segment Claim (the circuit's public inputs), the
// Poseidon2 digests both are built from, the Merkle tree over segment claims
// (the trace root) and CheckStatement, the pure check that a list of claims
// proves a statement.
//
// It is a leaf package: it imports gnark-crypto and gnark's witness package
// only, so that the offline verifier can link it without the circuits, the
// tracer or the prover. Every digest here is Poseidon2 over BN254 (width 2,
// 6 full and 50 partial rounds, gnark-crypto's default) so that the circuits
// recompute exactly the same values in-circuit.
package claim
