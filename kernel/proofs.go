package kernel

import (
	"context"
	"errors"
	"fmt"

	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/prover"
	"github.com/mcpzero/mcpzero/trace"
	"github.com/mcpzero/mcpzero/verifier"
)

// OpProof is the kind of the record that stores a proof bundle of a logged
// execute and links it (OpRecord.ProofLink, OpRecord.Proves).
const OpProof OpKind = "proof"

// pfxProof keeps proof bundles: proof/<bundle SHA-256 hex> -> bundle file.
var pfxProof = []byte("proof")

var (
	// ErrNotProvable: the execute used something the proof system cannot
	// prove (kernel-only host functions such as state_get, instructions
	// outside the provable subset, a run that fits no circuit shape). It
	// wraps the cause (a *trace.ProvabilityError, prover.ErrNoShape). It is
	// the tracer's trace.ErrUnprovable.
	ErrNotProvable = trace.ErrUnprovable
	// ErrReplayMismatch: the deterministic replay of a logged execute did
	// not reproduce what the kernel recorded (also matches
	// prover.ErrReplayMismatch).
	ErrReplayMismatch = errors.New("replay does not reproduce the recorded execute")
)

// ProofResult is what GenerateProof made: the committed proof record, the
// bundle file and the prover's measurements.
type ProofResult struct {
	Record OpRecord     `json:"record"`
	Digest Digest       `json:"digest"` // SHA-256 of Bundle: the proof's id
	Bundle []byte       `json:"-"`
	Stats  prover.Stats `json:"stats"`
}

// GenerateProof proves the logged execute with sequence number seq: it
// replays the call with the prover on the plugin's stored wasm and the
// recorded params, requires the replay to end exactly in the recorded output
// (ErrReplayMismatch otherwise, before anything is proven), and commits, as
// an operation of its own (OpProof, through the commit hooks), the bundle
// under its SHA-256 and a record linking it to seq.
//
// Only executes of the provable ABI can be proven: the statement's input is
// the params and its output the method's output. An execute whose plugin
// imports a kernel-only function (state_*, log) or a capability function is
// refused with ErrNotProvable naming the import: its result depends on
// state the statement does not cover. opts configure the prover (keys
// directory, backend, progress); the expected outcome is always the
// kernel's record.
func (k *Kernel) GenerateProof(ctx context.Context, seq uint64, opts ...prover.Option) (*ProofResult, error) {
	rec, x, mod, err := k.provable(seq)
	if err != nil {
		return nil, err
	}
	opts = append(append([]prover.Option(nil), opts...), prover.WithExpectedOutcome(prover.Outcome{
		Status: verifier.Returned, Output: x.Output}))
	res, err := prover.ProveModule(ctx, mod, rec.Method, prover.Input{Bytes: x.Params}, opts...)
	switch {
	case errors.Is(err, prover.ErrReplayMismatch):
		return nil, fmt.Errorf("%w: execute %d (%s): %w", ErrReplayMismatch, seq, rec.Method, err)
	case errors.Is(err, prover.ErrNoShape):
		return nil, fmt.Errorf("%w: execute %d (%s): %w", ErrNotProvable, seq, rec.Method, err)
	case err != nil:
		return nil, fmt.Errorf("kernel: prove execute %d (%s): %w", seq, rec.Method, err)
	}
	bundle, err := res.Bundle.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("kernel: encode the proof of execute %d: %w", seq, err)
	}
	out, err := k.linkProof(rec, x, bundle, res.Bundle)
	if err != nil {
		return nil, err
	}
	out.Stats = res.Stats
	return out, nil
}

// AttachProof stores an existing proof bundle of the execute seq and links
// it, as GenerateProof does, after checking that the bundle's statement is
// that execute: the plugin's module commitment, the method, the recorded
// params as input, a normal return with the recorded output. It does not
// verify the zero-knowledge proofs (VerifyProof with a pinned key set
// does); it is how a replay of the log re-links the bundles it finds.
func (k *Kernel) AttachProof(seq uint64, bundle []byte) (*ProofResult, error) {
	rec, x, _, err := k.provable(seq)
	if err != nil {
		return nil, err
	}
	var b verifier.Bundle
	if err := b.UnmarshalBinary(bundle); err != nil {
		return nil, fmt.Errorf("%w: proof bundle: %w", ErrInvalidArgument, err)
	}
	return k.linkProof(rec, x, bundle, &b)
}

// provable loads the execute seq and its plugin and checks that the call
// can be proven.
func (k *Kernel) provable(seq uint64) (*OpRecord, *ExecRecord, *trace.Module, error) {
	rec, err := k.Record(seq)
	if err != nil {
		return nil, nil, nil, err
	}
	if rec.Kind != OpExecute {
		return nil, nil, nil, fmt.Errorf("%w: operation %d is a %s, not an execute", ErrInvalidArgument, seq, rec.Kind)
	}
	x, err := k.ExecRecord(seq)
	if err != nil {
		return nil, nil, nil, err
	}
	// The replay reads the ExecRecord; the audit log and the proof record
	// carry the OpRecord's digests. They must agree.
	if Sum(x.Params) != rec.Input || Sum(x.Output) != rec.Output {
		return nil, nil, nil, fmt.Errorf("%w: the stored params or output of execute %d do not hash to its record's digests", ErrCorrupted, seq)
	}
	wasm, err := k.Wasm(rec.Plugin)
	if err != nil {
		return nil, nil, nil, err
	}
	mod, err := trace.Decode(wasm)
	if err != nil {
		// The kernel ran it, so the tracer's decoder refuses something
		// (a feature it does not support): not provable.
		return nil, nil, nil, fmt.Errorf("%w: execute %d: plugin %s: %w", ErrNotProvable, seq, rec.Plugin, err)
	}
	if err := trace.CheckCallProvable(mod, rec.Method); err != nil {
		// err wraps ErrNotProvable and names every violation.
		return nil, nil, nil, fmt.Errorf("kernel: execute %d (%s): %w", seq, rec.Method, err)
	}
	// A provable module imports only input_size, input_read and
	// output_write, so these are empty; checked anyway, because a proof of
	// an execute that read state would prove a different statement.
	if len(x.Reads) > 0 || len(x.Host) > 0 {
		return nil, nil, nil, fmt.Errorf("%w: execute %d (%s) read agent state or host values, which a proof does not cover", ErrNotProvable, seq, rec.Method)
	}
	return rec, x, mod, nil
}

// linkProof checks that b proves execute rec and commits the bundle and
// its proof record in one batch.
func (k *Kernel) linkProof(rec *OpRecord, x *ExecRecord, bundle []byte, b *verifier.Bundle) (*ProofResult, error) {
	wasm, err := k.Wasm(rec.Plugin)
	if err != nil {
		return nil, err
	}
	_, commitment, err := prover.CommitModule(wasm)
	if err != nil {
		return nil, fmt.Errorf("%w: execute %d: plugin %s: %w", ErrNotProvable, rec.Seq, rec.Plugin, err)
	}
	s := &b.Statement
	switch {
	case !s.Module.Equal(&commitment):
		return nil, fmt.Errorf("%w: the bundle proves module %s, not plugin %s of execute %d", ErrInvalidArgument, verifier.HexFE(&s.Module), rec.Plugin, rec.Seq)
	case s.Export != rec.Method || len(s.Args) != 0:
		return nil, fmt.Errorf("%w: the bundle proves %s(%v), not method %s of execute %d", ErrInvalidArgument, s.Export, s.Args, rec.Method, rec.Seq)
	case s.Status != verifier.Returned || len(s.Results) != 0:
		return nil, fmt.Errorf("%w: the bundle proves a run that did not return normally, execute %d did", ErrInvalidArgument, rec.Seq)
	case Sum(s.Input) != rec.Input || Sum(s.Output) != rec.Output:
		return nil, fmt.Errorf("%w: the bundle's input or output is not execute %d's", ErrInvalidArgument, rec.Seq)
	}
	d := Sum(bundle)
	p := &OpRecord{Kind: OpProof, Agent: rec.Agent, Plugin: rec.Plugin, Method: rec.Method,
		Input: rec.Input, Output: rec.Output, ProofLink: d.String(), Proves: rec.Seq}
	batch := k.st.NewBatch()
	batch.Put(store.Key(pfxProof, []byte(d.String())), bundle)
	if err := k.commit(batch, p, nil); err != nil {
		return nil, err
	}
	return &ProofResult{Record: *p, Digest: d, Bundle: bundle}, nil
}

// Proof returns the stored proof bundle with the given digest (a proof
// record's ProofLink).
func (k *Kernel) Proof(d Digest) ([]byte, error) {
	b, err := k.st.Get(store.Key(pfxProof, []byte(d.String())))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: proof %s", ErrNotFound, d)
	}
	if err == nil && Sum(b) != d {
		return nil, fmt.Errorf("%w: proof %s does not hash to its key", ErrCorrupted, d)
	}
	return b, err
}

// Proofs lists the proof records of an agent's executes, newest first.
func (k *Kernel) Proofs(id AgentID) ([]OpRecord, error) {
	recs, err := k.Records(id, 0)
	if err != nil {
		return nil, err
	}
	var out []OpRecord
	for _, r := range recs {
		if r.Kind == OpProof {
			out = append(out, r)
		}
	}
	return out, nil
}

// VerifyProof verifies a proof bundle file against a pinned verifying-key
// set. It is verifier.Verify and needs nothing from the kernel: an auditor
// verifies the same bytes with mcpzero-verify.
func VerifyProof(bundle []byte, keys *verifier.KeySet, opts ...verifier.Option) (*verifier.Result, error) {
	var b verifier.Bundle
	if err := b.UnmarshalBinary(bundle); err != nil {
		return nil, err
	}
	return verifier.Verify(&b, keys, opts...)
}
