package kernellog

import (
	"testing"

	"github.com/mcpzero/mcpzero/internal/auditlog"
	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/prover"
	"github.com/mcpzero/mcpzero/verifier"
)

// A kernel proof record takes a seq: the log entry links the bundle and
// refers to the proved execute, the cross-check agrees, and a replay
// re-links the bundle so that the operations after it keep their seq.
// (The bundle here carries the execute's statement and no real proof:
// linking checks the statement, verification is the verifier's job;
// kernel/proofs_test.go proves for real.)
func TestProofRecordLoggedAndReplayed(t *testing.T) {
	e := newEnv(t)
	s, wasm := example(t, "selftest")
	if _, err := e.k.InstallPlugin(ctx, s, wasm); err != nil {
		t.Fatal(err)
	}
	id, err := e.k.Spawn(kernel.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.k.AttachPlugin(ctx, id, "selftest"); err != nil {
		t.Fatal(err)
	}
	x, err := e.k.ExecuteDetailed(ctx, id, "check", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, m, err := prover.CommitModule(wasm)
	if err != nil {
		t.Fatal(err)
	}
	b := verifier.Bundle{GnarkVersion: verifier.GnarkVersion, Backend: verifier.Groth16, Curve: verifier.Curve, Setup: verifier.DevSetup,
		Statement: verifier.Statement{Module: m, Export: "check", Status: verifier.Returned, Steps: 25},
		Segments:  []verifier.Segment{{Shape: "s", Proof: []byte{1}}}}
	bundle, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.k.AttachProof(x.Record.Seq, bundle)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.k.Execute(ctx, id, "check", nil); err != nil { // an operation after the proof
		t.Fatal(err)
	}
	l := e.ws.Log()
	i, err := l.IndexOfSeq(res.Record.Seq)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := l.Entry(i)
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != auditlog.Kind(kernel.OpProof) || got.Proof != auditlog.SHA256(bundle) || got.Ref != x.Record.Seq ||
		got.Input != auditlog.Digest(x.Record.Input) || got.Output != auditlog.Digest(x.Record.Output) {
		t.Fatalf("proof entry %+v", got)
	}
	if err := CrossCheck(l, e.k); err != nil {
		t.Fatal(err)
	}
	rep, err := Replay(ctx, l, e.k, e.st)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Replayed != 6 || len(rep.Skipped) != 0 {
		t.Fatalf("replay %+v", rep)
	}
}
