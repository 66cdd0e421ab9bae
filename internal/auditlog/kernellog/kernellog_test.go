package kernellog

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/mcpzero/mcpzero/internal/auditlog"
	"github.com/mcpzero/mcpzero/internal/auditlog/storelog"
	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/kernel/security"
	"github.com/mcpzero/mcpzero/plugins"
)

var ctx = context.Background()

type env struct {
	st  *store.LevelDB
	ws  *storelog.Store
	k   *kernel.Kernel
	v   note.Verifier
	dir string
}

// newEnv opens a kernel whose operations are logged, as the CLI does.
func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	signer, vkey, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ReadVerifierKey(filepath.Join(dir, PublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if vkey == "" || v.Name() != signer.Name() {
		t.Fatalf("verifier key %q", vkey)
	}
	st := store.OpenMemory()
	t.Cleanup(func() { st.Close() })
	ws := storelog.Wrap(st, storelog.New(st, storelog.WithSigner(signer)))
	k, err := kernel.Open(ws, kernel.WithInsecureSkipVerify(), kernel.WithCommitHook(Hook()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return &env{st: st, ws: ws, k: k, v: v, dir: dir}
}

func example(t *testing.T, name string) (*plugins.Signed, []byte) { return exampleB(t, name) }

func exampleB(t testing.TB, name string) (*plugins.Signed, []byte) {
	t.Helper()
	d := filepath.Join("..", "..", "..", "plugins", "examples", name)
	wasm, err := os.ReadFile(filepath.Join(d, name+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	mb, err := os.ReadFile(filepath.Join(d, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := plugins.ParseManifest(mb)
	if err != nil {
		t.Fatal(err)
	}
	return &plugins.Signed{Manifest: *m}, wasm
}

// run performs a session of every kind of kernel operation.
func (e *env) run(t *testing.T) kernel.AgentID {
	t.Helper()
	s, wasm := example(t, "counter")
	if _, err := e.k.InstallPlugin(ctx, s, wasm); err != nil {
		t.Fatal(err)
	}
	id, err := e.k.Spawn(kernel.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.k.AttachPlugin(ctx, id, "counter"))
	for i := 0; i < 3; i++ {
		_, err := e.k.Execute(ctx, id, "increment", nil)
		must(err)
	}
	sid, err := e.k.Snapshot(id)
	must(err)
	_, err = e.k.Execute(ctx, id, "increment", nil)
	must(err)
	must(e.k.Recover(id, sid))
	_, err = e.k.Execute(ctx, id, "get", nil)
	must(err)
	id2, err := e.k.Spawn(kernel.Constraints{})
	must(err)
	must(e.k.Terminate(id2))
	return id
}

func TestEveryOperationIsLogged(t *testing.T) {
	e := newEnv(t)
	e.run(t)
	l := e.ws.Log()
	rep, err := l.Check(e.v)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(rep.Size) != e.k.Seq() {
		t.Fatalf("log has %d entries, kernel made %d operations", rep.Size, e.k.Seq())
	}
	// Each entry is the kernel's own record of the operation.
	for i := int64(0); i < rep.Size; i++ {
		ent, _, err := l.Entry(i)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := e.k.Record(uint64(i + 1))
		if err != nil {
			t.Fatal(err)
		}
		want := FromOp(rec)
		want.Index = uint64(i)
		if *ent != want {
			t.Fatalf("entry %d = %+v\nrecord gives %+v", i, ent, want)
		}
	}
	kinds := ""
	for i := int64(0); i < rep.Size; i++ {
		ent, _, _ := l.Entry(i)
		kinds += string(ent.Kind) + " "
	}
	if want := "install spawn attach execute execute execute snapshot execute recover execute spawn terminate "; kinds != want {
		t.Fatalf("kinds = %q", kinds)
	}
	// An export of an execute verifies offline with kernel.pub alone.
	x, err := l.Export(4, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := x.Marshal()
	pub, _ := os.ReadFile(filepath.Join(e.dir, PublicKeyFile))
	v, err := auditlog.ParseVerifierKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	y, _ := auditlog.ParseExport(raw)
	got, err := auditlog.VerifyExport(y, v)
	if err != nil || got.Entry.Kind != auditlog.KindExecute || got.Entry.Fuel != x2fuel(t, e, 5) {
		t.Fatalf("%+v %v", got, err)
	}
	// A failed operation logs nothing.
	if _, err := e.k.Execute(ctx, "agent-999", "get", nil); err == nil {
		t.Fatal("execute on a missing agent")
	}
	if n, _ := l.Size(); n != rep.Size {
		t.Fatalf("failed operation changed the log: %d → %d", rep.Size, n)
	}
}

func x2fuel(t *testing.T, e *env, seq uint64) uint64 {
	r, err := e.k.Record(seq)
	if err != nil {
		t.Fatal(err)
	}
	return r.FuelUsed
}

func TestKeyIsStable(t *testing.T) {
	dir := t.TempDir()
	s1, v1, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	s2, v2, err := LoadOrCreateKey(dir)
	if err != nil || s1.Name() != s2.Name() || v1 != v2 {
		t.Fatalf("second load: %v %q %q", err, v1, v2)
	}
	if _, err := ReadVerifierKey(filepath.Join(dir, "missing.pub")); err == nil {
		t.Fatal("missing key file")
	}
	os.WriteFile(filepath.Join(dir, "bad.pub"), []byte("nonsense"), 0o644)
	if _, err := ReadVerifierKey(filepath.Join(dir, "bad.pub")); !errors.Is(err, auditlog.ErrBadKey) {
		t.Fatal(err)
	}
	// kernel.pub that is not the key's: refused, naming both.
	os.WriteFile(filepath.Join(dir, PublicKeyFile), []byte("other+00000000+AAAA\n"), 0o644)
	if _, _, err := LoadOrCreateKey(dir); !errors.Is(err, auditlog.ErrBadKey) || !strings.Contains(err.Error(), "is not the verifier key") {
		t.Fatalf("mismatched kernel.pub: %v", err)
	}
	os.WriteFile(filepath.Join(dir, PublicKeyFile), []byte(v1+"\n"), 0o644)
	os.Chmod(filepath.Join(dir, PrivateKeyFile), 0o644)
	if _, _, err := LoadOrCreateKey(dir); err == nil {
		t.Fatal("world-readable kernel key accepted")
	}
}

func TestSecurityChangesAreLogged(t *testing.T) {
	e := newEnv(t)
	m, err := security.Open(e.ws, security.WithClock(e.k.Seq), security.WithCommitHook(SecurityHook()))
	if err != nil {
		t.Fatal(err)
	}
	_ = m
	l := e.ws.Log()
	n, _ := l.Size()
	if n != 1 {
		t.Fatalf("log size %d after opening the security manager, want 1 (seed)", n)
	}
	ent, _, _ := l.Entry(0)
	if ent.Kind != "seed" || ent.Detail != "" {
		t.Fatalf("%+v", ent)
	}
	g, err := FromChange(&security.Change{Kind: security.ChangeGrant, Time: 7, Agent: "agent-3", Resource: "fs.read", Ops: []string{"read", "list"}, Signer: "abcd"})
	if err != nil || g.Kind != auditlog.KindGrant || g.Seq != 7 || g.Method != "fs.read" || g.Detail != "ops=read,list signer=abcd" || g.Input.IsZero() {
		t.Fatalf("%+v %v", g, err)
	}
	r, _ := FromChange(&security.Change{Kind: security.ChangeRevoke, Roles: []security.Role{"operator"}, Key: "k1"})
	if r.Kind != auditlog.KindRevoke || r.Detail != "key=k1 roles=operator" {
		t.Fatalf("%+v", r)
	}
	// Agreement usage staged in an execute's batch.
	b := e.ws.NewBatch()
	if err := StageAgreementUse(b, &kernel.OpRecord{Seq: 9, Agent: "agent-2"}, "agr-1", "net.http", "get", 77); err != nil {
		t.Fatal(err)
	}
	if err := e.ws.Write(b); err != nil {
		t.Fatal(err)
	}
	u, _, _ := l.Entry(1)
	if u.Kind != auditlog.KindAgreementUse || u.Ref != 9 || !strings.Contains(u.Detail, "agreement=agr-1") {
		t.Fatalf("%+v", u)
	}
	if _, err := l.Check(e.v); err != nil {
		t.Fatal(err)
	}
}

func TestFromOpProofLink(t *testing.T) {
	d := auditlog.SHA256([]byte("bundle"))
	e := FromOp(&kernel.OpRecord{Kind: kernel.OpExecute, ProofLink: d.String(), Snapshot: "s1"})
	if e.Proof != d || e.Detail != "snapshot=s1" {
		t.Fatalf("%+v", e)
	}
	e = FromOp(&kernel.OpRecord{Kind: kernel.OpExecute, ProofLink: "proofs/x"})
	if !e.Proof.IsZero() || e.Detail != "proof_link=proofs/x" {
		t.Fatalf("%+v", e)
	}
}

func TestReplay(t *testing.T) {
	e := newEnv(t)
	e.run(t)
	rep, err := Replay(ctx, e.ws.Log(), e.k, e.st)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Replayed != 12 || rep.Entries != 12 {
		t.Fatalf("%+v", rep)
	}
}

// An operator who changes the stored params of execute 5 (so that they no
// longer match the logged input digest) is caught at entry 4 (seq 5).
func TestReplayFindsFirstDivergence(t *testing.T) {
	e := newEnv(t)
	e.run(t)
	x, err := e.k.ExecRecord(5)
	if err != nil {
		t.Fatal(err)
	}
	key := store.Key([]byte("exec"), seqBytes(5))
	raw, err := e.st.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	_ = x
	forged := strings.Replace(string(raw), `"params":null`, `"params":"AQID"`, 1)
	if forged == string(raw) {
		forged = strings.Replace(string(raw), `"params":""`, `"params":"AQID"`, 1)
	}
	if forged == string(raw) {
		t.Fatalf("cannot find params in %s", raw)
	}
	b := e.st.NewBatch()
	b.Put(key, []byte(forged))
	e.st.Write(b)
	_, err = Replay(ctx, e.ws.Log(), e.k, e.st)
	var d *auditlog.DivergenceError
	// The counter traps on params it does not expect: the replayed
	// execute fails where the logged one succeeded.
	if !errors.As(err, &d) || d.Index != 4 || d.Field != "result" {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "first diverging entry is 4 (seq 5, execute): result") {
		t.Fatal(err)
	}
}

func TestReplayCannotReplayWithoutWasm(t *testing.T) {
	e := newEnv(t)
	e.run(t)
	ent, _, _ := e.ws.Log().Entry(0)
	b := e.st.NewBatch()
	b.Delete(store.Key([]byte("wasm"), []byte(ent.Plugin.String())))
	e.st.Write(b)
	if _, err := Replay(ctx, e.ws.Log(), e.k, e.st); !errors.Is(err, ErrCannotReplay) {
		t.Fatalf("err = %v", err)
	}
}

func seqBytes(seq uint64) []byte {
	return []byte{byte(seq >> 56), byte(seq >> 48), byte(seq >> 40), byte(seq >> 32), byte(seq >> 24), byte(seq >> 16), byte(seq >> 8), byte(seq)}
}

// A recorded state root the kernel did not compute (the entry rewritten in
// the store) is the first divergence replay reports.
func TestReplayFindsRewrittenStateRoot(t *testing.T) {
	e := newEnv(t)
	e.run(t)
	key := append(store.Key([]byte("audit"), []byte("e"), nil), seqBytes(6)...)
	raw, err := e.st.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	ent, err := auditlog.DecodeEntry(raw)
	if err != nil {
		t.Fatal(err)
	}
	ent.StateAfter[0] ^= 1
	forged, _ := ent.Encode()
	b := e.st.NewBatch()
	b.Put(key, forged)
	e.st.Write(b)
	_, err = Replay(ctx, e.ws.Log(), e.k, e.st)
	var d *auditlog.DivergenceError
	if !errors.As(err, &d) || d.Index != 6 || d.Field != "state_after" {
		t.Fatalf("err = %v", err)
	}
	// And the log check names the same entry.
	if _, err := e.ws.Log().Check(e.v); err == nil || !strings.Contains(err.Error(), "entry 6") {
		t.Fatalf("check: %v", err)
	}
}

func TestCompareNamesTheField(t *testing.T) {
	base := auditlog.Entry{Index: 3, Seq: 4, Kind: auditlog.KindExecute, Agent: "agent-2", Plugin: auditlog.SHA256([]byte("p")), Method: "m", Detail: "d"}
	for field, change := range map[string]func(*auditlog.Entry){
		"seq":    func(e *auditlog.Entry) { e.Seq++ },
		"kind":   func(e *auditlog.Entry) { e.Kind = auditlog.KindSpawn },
		"agent":  func(e *auditlog.Entry) { e.Agent = "agent-9" },
		"plugin": func(e *auditlog.Entry) { e.Plugin[0] ^= 1 },
		"method": func(e *auditlog.Entry) { e.Method = "n" },
		"detail": func(e *auditlog.Entry) { e.Detail = "x" },
		"output": func(e *auditlog.Entry) { e.Output[0] ^= 1 },
	} {
		got := base
		change(&got)
		err := compare(&base, got)
		var d *auditlog.DivergenceError
		if !errors.As(err, &d) || d.Field != field || d.Index != 3 {
			t.Errorf("%s: %v", field, err)
		}
	}
	if err := compare(&base, base); err != nil {
		t.Fatal(err)
	}
	if v, ok := detailValue("a=1 snapshot=xyz", "snapshot"); !ok || v != "xyz" {
		t.Fatal(v)
	}
	if _, ok := detailValue("a=1", "snapshot"); ok {
		t.Fatal("found")
	}
}

// A removed plugin keeps its wasm but not its manifest: its install cannot
// be replayed, which is reported as such, not as a divergence.
func TestReplayWithoutManifest(t *testing.T) {
	e := newEnv(t)
	e.run(t)
	ent, _, _ := e.ws.Log().Entry(0)
	b := e.st.NewBatch()
	b.Delete(store.Key([]byte("plugin"), []byte(ent.Plugin.String())))
	e.st.Write(b)
	_, err := Replay(ctx, e.ws.Log(), e.k, e.st)
	var d *auditlog.DivergenceError
	if !errors.Is(err, ErrCannotReplay) || errors.As(err, &d) {
		t.Fatalf("err = %v", err)
	}
}

func TestCrossCheck(t *testing.T) {
	e := newEnv(t)
	e.run(t)
	if err := CrossCheck(e.ws.Log(), e.k); err != nil {
		t.Fatal(err)
	}
	// The kernel's record of operation 5 edited after the fact.
	key := store.Key([]byte("op"), seqBytes(5))
	raw, _ := e.st.Get(key)
	forged := strings.Replace(string(raw), `"method":"increment"`, `"method":"reset"`, 1)
	if forged == string(raw) {
		t.Fatalf("no method in %s", raw)
	}
	b := e.st.NewBatch()
	b.Put(key, []byte(forged))
	e.st.Write(b)
	if err := CrossCheck(e.ws.Log(), e.k); !errors.Is(err, storelog.ErrTampered) || !strings.Contains(err.Error(), "not the kernel's record of operation 5") {
		t.Fatalf("err = %v", err)
	}
	b = e.st.NewBatch()
	b.Put(key, raw)
	b.Delete(append(store.Key([]byte("audit"), []byte("seq"), nil), seqBytes(7)...))
	e.st.Write(b)
	if err := CrossCheck(e.ws.Log(), e.k); !errors.Is(err, storelog.ErrTampered) || !strings.Contains(err.Error(), "operation 7 (snapshot) has no log entry") {
		t.Fatalf("err = %v", err)
	}
}

// An execute charged to an agreement logs the execute and, right after it in
// the same batch, the agreement's usage; the seq index names the execute.
func TestAgreementUseLoggedWithExecute(t *testing.T) {
	e := newEnv(t)
	id := e.run(t)
	if _, err := e.k.Execute(kernel.WithAgreement(ctx, "agr-7"), id, "increment", nil); err != nil {
		t.Fatal(err)
	}
	seq := e.k.Seq()
	l := e.ws.Log()
	i, err := l.IndexOfSeq(seq)
	if err != nil {
		t.Fatal(err)
	}
	op, _, err := l.Entry(i)
	if err != nil || op.Kind != auditlog.Kind(kernel.OpExecute) || op.Seq != seq {
		t.Fatalf("entry %d = %+v, %v; want the execute of seq %d", i, op, err, seq)
	}
	use, _, err := l.Entry(i + 1)
	if err != nil {
		t.Fatal(err)
	}
	if use.Kind != auditlog.KindAgreementUse || use.Ref != seq || use.Agent != string(id) ||
		use.Method != "agent:"+string(id) || use.Fuel != op.Fuel ||
		!strings.Contains(use.Detail, "agreement=agr-7") || !strings.Contains(use.Detail, "op=increment") {
		t.Fatalf("usage entry %+v", use)
	}
	if _, err := l.Check(e.v); err != nil {
		t.Fatal(err)
	}
	if err := CrossCheck(l, e.k); err != nil {
		t.Fatal(err)
	}
	rep, err := Replay(ctx, l, e.k, e.st)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Skipped[string(auditlog.KindAgreementUse)] != 1 {
		t.Fatalf("replay skipped %v, want the one agreement_use entry", rep.Skipped)
	}
	// An execute without an agreement adds exactly one entry.
	n, _ := l.Size()
	if _, err := e.k.Execute(ctx, id, "get", nil); err != nil {
		t.Fatal(err)
	}
	if m, _ := l.Size(); m != n+1 {
		t.Fatalf("log grew by %d for a plain execute", m-n)
	}
}
