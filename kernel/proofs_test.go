package kernel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/consensys/gnark/logger"

	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/prover"
	"github.com/mcpzero/mcpzero/trace"
	"github.com/mcpzero/mcpzero/verifier"
)

// testKeysDir is the prover's key cache for every proving test of the
// package, so each circuit shape is set up at most once per `go test` run
// and never in the user's cache. MCPZERO_TEST_KEYS_DIR keeps keys across
// runs while developing.
var testKeysDir string

func TestMain(m *testing.M) {
	logger.Disable()
	if d := os.Getenv("MCPZERO_TEST_KEYS_DIR"); d != "" {
		testKeysDir = d
		os.Exit(m.Run())
	}
	d, err := os.MkdirTemp("", "mcpzero-kernel-keys-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	testKeysDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

// provableAgent returns a kernel on st with plugin name (an example)
// attached to a new agent.
func provableAgent(t *testing.T, st store.Store, name string, opts ...Option) (*Kernel, AgentID) {
	t.Helper()
	k := newKernel(t, st, opts...)
	s, wasm := example(t, name)
	install(t, k, s, wasm)
	id, err := k.Spawn(Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.AttachPlugin(ctx, id, name); err != nil {
		t.Fatal(err)
	}
	return k, id
}

func execDetailed(t *testing.T, k *Kernel, id AgentID, method string, params []byte) *ExecResult {
	t.Helper()
	r, err := k.ExecuteDetailed(ctx, id, method, params)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// pinnedKeys returns the key set of the shapes a proof used, read from the
// test key cache (what an auditor pins).
func pinnedKeys(t *testing.T, shapes []string) *verifier.KeySet {
	t.Helper()
	_, ks, err := prover.SetupShapes(ctx, prover.SetupRequest{Backend: verifier.Groth16, KeysDir: testKeysDir, Shapes: shapes, ShowOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// TestGenerateProof proves a real execute (the selftest plugin fits the
// smallest circuit shape), then checks what was stored and linked, that it
// verifies against the pinned keys, that a flipped byte does not, and that
// everything survives a reopen of the store.
func TestGenerateProof(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var hooked []OpRecord
	hook := CommitHookFunc(func(b *store.Batch, rec *OpRecord) error {
		hooked = append(hooked, *rec)
		return nil
	})
	k, id := provableAgent(t, st, "selftest", WithCommitHook(hook))
	x := execDetailed(t, k, id, "check", nil)

	res, err := k.GenerateProof(ctx, x.Record.Seq, prover.WithKeysDir(testKeysDir))
	if err != nil {
		t.Fatal(err)
	}
	want := OpRecord{Seq: x.Record.Seq + 1, Kind: OpProof, Agent: id, Plugin: x.Record.Plugin, Method: "check",
		Input: x.Record.Input, Output: x.Record.Output, ProofLink: Sum(res.Bundle).String(), Proves: x.Record.Seq}
	if res.Record != want || res.Digest != Sum(res.Bundle) {
		t.Fatalf("proof record %+v, digest %s\nwant %+v", res.Record, res.Digest, want)
	}
	if last := hooked[len(hooked)-1]; last != want {
		t.Fatalf("the commit hooks saw %+v, want the proof record", last)
	}
	t.Logf("proved %d steps in %d segments of %v: %v total, keys %v, prove %v", res.Stats.Steps, res.Stats.Segments,
		res.Stats.Shapes, res.Stats.Total, res.Stats.SetupTime, res.Stats.ProveTime)
	if res.Stats.Steps == 0 || res.Stats.Segments == 0 {
		t.Fatalf("stats %+v", res.Stats)
	}
	keys := pinnedKeys(t, res.Stats.Shapes)
	v, err := VerifyProof(res.Bundle, keys)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Pinned || v.Statement.Export != "check" || len(v.Statement.Input) != 0 || v.Statement.Status != verifier.Returned {
		t.Fatalf("verified statement %+v (pinned %v)", v.Statement, v.Pinned)
	}
	// A flipped byte in a proof, or a changed step count, is refused.
	for name, tamper := range map[string]func(b *verifier.Bundle){
		"proof byte": func(b *verifier.Bundle) { b.Segments[0].Proof[len(b.Segments[0].Proof)/2] ^= 1 },
		"steps":      func(b *verifier.Bundle) { b.Statement.Steps++ },
	} {
		var b verifier.Bundle
		if err := b.UnmarshalBinary(res.Bundle); err != nil {
			t.Fatal(err)
		}
		tamper(&b)
		bad, err := b.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyProof(bad, keys); err == nil {
			t.Fatalf("a bundle with another %s verified", name)
		}
	}
	if _, err := VerifyProof([]byte("junk"), keys); err == nil {
		t.Fatal("junk verified")
	}

	// An existing bundle can be attached again (as a replay does), but only
	// to the execute it proves.
	again, err := k.AttachProof(x.Record.Seq, res.Bundle)
	if err != nil || again.Digest != res.Digest || again.Record.Seq != want.Seq+1 {
		t.Fatalf("attach: %+v, %v", again, err)
	}
	other := execDetailed(t, k, id, "check", nil) // same method and params: the bundle proves it too
	if _, err := k.AttachProof(other.Record.Seq, res.Bundle); err != nil {
		t.Fatalf("attach to an identical execute: %v", err)
	}
	if _, err := k.AttachProof(other.Record.Seq, []byte("junk")); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("junk attached: %v", err)
	}
	proofs, err := k.Proofs(id)
	if err != nil || len(proofs) != 3 || proofs[2] != want {
		t.Fatalf("Proofs: %+v, %v", proofs, err)
	}

	// A closed kernel links nothing.
	k.Close()
	if _, err := k.AttachProof(x.Record.Seq, res.Bundle); !errors.Is(err, ErrClosed) {
		t.Fatalf("attach on a closed kernel: %v", err)
	}
	// Reopen: the bundle and its link are still there.
	st.Close()
	st, err = store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	k = newKernel(t, st)
	got, err := k.Proof(res.Digest)
	if err != nil || !bytes.Equal(got, res.Bundle) {
		t.Fatalf("Proof after reopen: %d bytes, %v", len(got), err)
	}
	r, err := k.Record(want.Seq)
	if err != nil || *r != want {
		t.Fatalf("record after reopen: %+v, %v", r, err)
	}
	if _, err := k.Proof(Sum([]byte("absent"))); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent proof: %v", err)
	}
	b := st.NewBatch()
	b.Put(store.Key(pfxProof, []byte(res.Digest.String())), []byte("other"))
	if err := st.Write(b); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Proof(res.Digest); !errors.Is(err, ErrCorrupted) {
		t.Fatalf("corrupted proof: %v", err)
	}
}

// TestGenerateProofRefusals: what cannot or must not be proven is refused
// with a typed error before any proving.
func TestGenerateProofRefusals(t *testing.T) {
	st := store.OpenMemory()
	k, id := counterAgent(t, st)
	inc := execDetailed(t, k, id, "increment", []byte("41"))

	// The counter reads and writes state: refused, naming the import.
	_, err := k.GenerateProof(ctx, inc.Record.Seq, prover.WithKeysDir(t.TempDir()))
	var pe *trace.ProvabilityError
	if !errors.Is(err, ErrNotProvable) || !errors.As(err, &pe) || !strings.Contains(err.Error(), "state_get") {
		t.Fatalf("state-using execute: %v", err)
	}
	if _, err := k.AttachProof(inc.Record.Seq, []byte("x")); !errors.Is(err, ErrNotProvable) {
		t.Fatalf("attach to a state-using execute: %v", err)
	}
	// Not an execute, no such operation.
	if _, err := k.GenerateProof(ctx, 1); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "install") {
		t.Fatalf("proof of an install: %v", err)
	}
	if _, err := k.GenerateProof(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("proof of nothing: %v", err)
	}

	s, wasm := example(t, "selftest")
	install(t, k, s, wasm)
	if err := k.AttachPlugin(ctx, id, "selftest"); err != nil {
		t.Fatal(err)
	}
	check := execDetailed(t, k, id, "check", nil)
	seq := check.Record.Seq
	put := func(key []byte, v any) {
		b := st.NewBatch()
		b.Put(key, mustJSON(v))
		if err := st.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	xr, err := k.ExecRecord(seq)
	if err != nil {
		t.Fatal(err)
	}
	// The stored output changed alone: it no longer matches the record.
	tampered := *xr
	tampered.Output = []byte("forged")
	put(store.Key(pfxExec, seqBytes(seq)), &tampered)
	if _, err := k.GenerateProof(ctx, seq); !errors.Is(err, ErrCorrupted) {
		t.Fatalf("tampered exec record: %v", err)
	}
	// Output and record changed together: the replay catches it, before
	// any key is made.
	rec := check.Record
	rec.Output = Sum(tampered.Output)
	put(store.Key(pfxOp, seqBytes(seq)), &rec)
	keysDir := t.TempDir()
	_, err = k.GenerateProof(ctx, seq, prover.WithKeysDir(keysDir))
	if !errors.Is(err, ErrReplayMismatch) || !errors.Is(err, prover.ErrReplayMismatch) {
		t.Fatalf("replay mismatch: %v", err)
	}
	if ents, _ := os.ReadDir(keysDir); len(ents) != 0 {
		t.Fatalf("keys were made for a mismatching replay: %d files", len(ents))
	}
	// A state read planted in a provable execute's record is refused too.
	tampered = *xr
	tampered.Reads = []StateRead{{Key: []byte("count"), Present: false}}
	put(store.Key(pfxExec, seqBytes(seq)), &tampered)
	put(store.Key(pfxOp, seqBytes(seq)), &check.Record)
	if _, err := k.GenerateProof(ctx, seq); !errors.Is(err, ErrNotProvable) {
		t.Fatalf("planted state read: %v", err)
	}
	put(store.Key(pfxExec, seqBytes(seq)), xr)

	// A cancelled proving is an error, not a proof.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := k.GenerateProof(cancelled, seq, prover.WithKeysDir(keysDir)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}

	// A provable plugin whose run fits no circuit shape (input larger than
	// the largest shape's) is not provable either.
	hs, hwasm := example(t, "hash")
	install(t, k, hs, hwasm)
	if err := k.AttachPlugin(ctx, id, "hash"); err != nil {
		t.Fatal(err)
	}
	big := execDetailed(t, k, id, "hash", bytes.Repeat([]byte("x"), 5000))
	if _, err := k.GenerateProof(ctx, big.Record.Seq, prover.WithKeysDir(keysDir)); !errors.Is(err, ErrNotProvable) || !errors.Is(err, prover.ErrNoShape) {
		t.Fatalf("too large for every shape: %v", err)
	}

	// Corrupted wasm is reported as such.
	b := st.NewBatch()
	b.Put(store.Key(pfxWasm, []byte(check.Record.Plugin.String())), []byte("other"))
	if err := st.Write(b); err != nil {
		t.Fatal(err)
	}
	if _, err := k.GenerateProof(ctx, seq); !errors.Is(err, ErrCorrupted) {
		t.Fatalf("corrupted wasm: %v", err)
	}
	if _, err := k.linkProof(&check.Record, xr, []byte("b"), &verifier.Bundle{}); !errors.Is(err, ErrCorrupted) {
		t.Fatalf("link with corrupted wasm: %v", err)
	}
	b = st.NewBatch()
	b.Put(store.Key(pfxWasm, []byte(check.Record.Plugin.String())), wasm)
	if err := st.Write(b); err != nil {
		t.Fatal(err)
	}

	// AttachProof refuses a bundle of another statement.
	other := verifier.Bundle{Statement: verifier.Statement{Export: "check", Input: []byte("x")}}
	if _, err := k.linkProof(&check.Record, xr, []byte("b"), &other); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bundle of another module: %v", err)
	}
	_, commitment, err := prover.CommitModule(wasm)
	if err != nil {
		t.Fatal(err)
	}
	for name, st := range map[string]verifier.Statement{
		"method": {Module: commitment, Export: "other", Status: verifier.Returned},
		"args":   {Module: commitment, Export: "check", Args: []uint64{1}, Status: verifier.Returned},
		"trap":   {Module: commitment, Export: "check", Status: verifier.Trapped},
		"input":  {Module: commitment, Export: "check", Input: []byte("x"), Status: verifier.Returned},
		"output": {Module: commitment, Export: "check", Output: []byte("x"), Status: verifier.Returned},
	} {
		b := verifier.Bundle{Statement: st}
		if _, err := k.linkProof(&check.Record, xr, []byte("b"), &b); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("bundle with another %s: %v", name, err)
		}
	}
	if _, err := json.Marshal(ProofResult{}); err != nil {
		t.Fatal(err)
	}
}

// TestGenerateProofHash proves an execute with input and output bytes (the
// hash plugin): the bundle's statement is the execute's params and output.
// It needs the 1024-row shape, whose dev setup takes minutes.
func TestGenerateProofHash(t *testing.T) {
	if testing.Short() {
		t.Skip("the dev setup of the 1024-row shape takes minutes")
	}
	k, id := provableAgent(t, store.OpenMemory(), "hash")
	x := execDetailed(t, k, id, "hash", []byte("hello world"))
	if string(x.Output) != "a0bef6a72a387cdb" {
		t.Fatalf("hash output %q", x.Output)
	}
	res, err := k.GenerateProof(ctx, x.Record.Seq, prover.WithKeysDir(testKeysDir))
	if err != nil {
		t.Fatal(err)
	}
	v, err := VerifyProof(res.Bundle, pinnedKeys(t, res.Stats.Shapes))
	if err != nil {
		t.Fatal(err)
	}
	if string(v.Statement.Input) != "hello world" || string(v.Statement.Output) != "a0bef6a72a387cdb" {
		t.Fatalf("statement input %q output %q", v.Statement.Input, v.Statement.Output)
	}
}
