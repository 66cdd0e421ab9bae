package kernel

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/plugins"
)

// TestAdmissionRefusals: an Admission's refusal keeps its kind: a
// permission refusal stays ErrPermissionDenied (and is not reported as a
// resource limit), any other refusal is ErrResourceExceeded; either way the
// cause is kept, the plugin does not run and nothing is committed.
func TestAdmissionRefusals(t *testing.T) {
	errQuota := errors.New("agent over its hourly quota")
	cases := []struct {
		name      string
		err       error
		want      error
		wantNotIs error
	}{
		{"pool full", errQuota, ErrResourceExceeded, ErrPermissionDenied},
		{"agreement forbids", fmt.Errorf("%w: agreement agr-9 does not cover increment", ErrPermissionDenied), ErrPermissionDenied, ErrResourceExceeded},
		{"already a resource error", fmt.Errorf("%w: %w", ErrResourceExceeded, errQuota), ErrResourceExceeded, ErrPermissionDenied},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			adm := &admissionFunc{err: c.err}
			k, id := counterAgent(t, store.OpenMemory(), WithAdmission(adm))
			seq := k.Seq()
			_, err := k.Execute(ctx, id, "increment", nil)
			if !errors.Is(err, c.want) || errors.Is(err, c.wantNotIs) || !errors.Is(err, c.err) {
				t.Fatalf("err %v, want %v (not %v) wrapping %v", err, c.want, c.wantNotIs, c.err)
			}
			if errors.Is(err, ErrPluginFailed) || adm.admits != 1 || adm.releases != 0 {
				t.Fatalf("admits %d, releases %d, err %v: the plugin must not run", adm.admits, adm.releases, err)
			}
			if info, err := k.Inspect(id); err != nil || info.Executes != 0 || k.Seq() != seq {
				t.Fatalf("refused execute committed: %+v, seq %d -> %d, %v", info, seq, k.Seq(), err)
			}
		})
	}
}

// admissionFunc is an Admission that refuses with err (when set).
type admissionFunc struct {
	err      error
	admits   int
	releases int
}

func (a *admissionFunc) Admit(_ context.Context, _ AgentID, _ string, _ Constraints) (func(uint64, error), error) {
	a.admits++
	if a.err != nil {
		return nil, a.err
	}
	return func(uint64, error) { a.releases++ }, nil
}

// TestProofStoreFaults: GenerateProof and Proofs report a store that fails
// or holds a damaged execute record as an error of that kind.
func TestProofStoreFaults(t *testing.T) {
	fs := &faultyStore{Store: store.OpenMemory()}
	k := newKernel(t, fs)
	s, wasm := example(t, "selftest")
	install(t, k, s, wasm)
	id, err := k.Spawn(Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.AttachPlugin(ctx, id, "selftest"); err != nil {
		t.Fatal(err)
	}
	seq := execDetailed(t, k, id, "check", nil).Record.Seq

	fs.failGet(string(store.Key(pfxExec, nil)))
	if _, err := k.GenerateProof(ctx, seq); !errors.Is(err, errDisk) {
		t.Fatalf("unreadable exec record: %v", err)
	}
	if _, err := k.AttachProof(seq, []byte("bundle")); !errors.Is(err, errDisk) {
		t.Fatalf("attach, unreadable exec record: %v", err)
	}
	fs.heal()
	b := fs.NewBatch()
	b.Delete(store.Key(pfxExec, seqBytes(seq)))
	if err := fs.Write(b); err != nil {
		t.Fatal(err)
	}
	if _, err := k.GenerateProof(ctx, seq); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), fmt.Sprintf("execute %d", seq)) {
		t.Fatalf("missing exec record: %v", err)
	}
	b = fs.NewBatch()
	b.Put(store.Key(pfxExec, seqBytes(seq)), []byte("{"))
	if err := fs.Write(b); err != nil {
		t.Fatal(err)
	}
	if _, err := k.AttachProof(seq, []byte("bundle")); !errors.Is(err, ErrCorrupted) {
		t.Fatalf("damaged exec record: %v", err)
	}

	fs.failIter(string(store.Key(pfxAgentOp, nil)))
	if _, err := k.Proofs(id); !errors.Is(err, errDisk) {
		t.Fatalf("proofs over a failing store: %v", err)
	}
	fs.heal()
	if ps, err := k.Proofs(id); err != nil || len(ps) != 0 {
		t.Fatalf("proofs %v %v, want none", ps, err)
	}
}

// TestProofUndecodableModule: an execute of a plugin wazero runs but the
// tracer cannot decode (testdata/twotables.wat has two tables) is refused as not
// provable, naming the plugin, and nothing is committed.
func TestProofUndecodableModule(t *testing.T) {
	wasm := readFile(t, filepath.Join("testdata", "twotables.wasm"))
	s, err := plugins.Sign(plugins.Manifest{Name: "twotables", Version: "0.1.0", Methods: []string{"ok"},
		Limits: plugins.Limits{MemoryPages: 1}}, wasm, testPriv)
	if err != nil {
		t.Fatal(err)
	}
	k := newKernel(t, store.OpenMemory())
	p := install(t, k, s, wasm)
	id, err := k.Spawn(Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.AttachPlugin(ctx, id, "twotables"); err != nil {
		t.Fatal(err)
	}
	r := execDetailed(t, k, id, "ok", nil)
	if string(r.Output) != "ok" {
		t.Fatalf("output %q, want ok", r.Output)
	}
	seq := k.Seq()
	_, err = k.GenerateProof(ctx, r.Record.Seq)
	if !errors.Is(err, ErrNotProvable) || !strings.Contains(err.Error(), p.Digest.String()) || !strings.Contains(err.Error(), "multiple tables") {
		t.Fatalf("undecodable module: %v", err)
	}
	if _, err := k.AttachProof(r.Record.Seq, []byte("bundle")); !errors.Is(err, ErrNotProvable) {
		t.Fatalf("attach to an undecodable module: %v", err)
	}
	if k.Seq() != seq {
		t.Fatalf("refused proof committed: seq %d -> %d", seq, k.Seq())
	}
}

// TestStateWritten: an execute's record says how many state bytes it wrote
// (len(key)+len(value) per key set; "count" and 8 bytes is 13), a read-only
// or deleting execute wrote none.
func TestStateWritten(t *testing.T) {
	k, id := counterAgent(t, store.OpenMemory())
	for _, c := range []struct {
		method string
		want   uint64
	}{{"increment", 13}, {"increment", 13}, {"get", 0}, {"reset", 0}} {
		r, err := k.ExecuteDetailed(ctx, id, c.method, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Record.StateWritten != c.want {
			t.Fatalf("%s: state written %d, want %d", c.method, r.Record.StateWritten, c.want)
		}
	}
}
