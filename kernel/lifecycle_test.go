package kernel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero/api"

	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/plugins"
)

func mustExec(t testing.TB, k *Kernel, id AgentID, method, in string) string {
	t.Helper()
	out, err := k.Execute(ctx, id, method, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestRestartKeepsEverything closes the kernel and the store and reopens
// them: agents, state, plugins, snapshots, records and the sequence survive.
func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	k, id := counterAgent(t, st, WithCompilationCache(t.TempDir()))
	mustExec(t, k, id, "increment", "5")
	sid, err := k.Snapshot(id)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, k, id, "increment", "")
	a1, _ := k.Inspect(id)
	seq := k.Seq()
	k.Close()
	st.Close()

	st2, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	k2 := newKernel(t, st2)
	if k2.Seq() != seq {
		t.Fatalf("seq %d after restart, was %d", k2.Seq(), seq)
	}
	a2, err := k2.Inspect(id)
	if err != nil || a2.StateRoot != a1.StateRoot || a2.Executes != 2 {
		t.Fatalf("agent after restart: %+v %v", a2, err)
	}
	if got := mustExec(t, k2, id, "get", ""); got != "6" {
		t.Fatalf("count after restart %q", got)
	}
	if err := k2.Recover(id, sid); err != nil {
		t.Fatal(err)
	}
	if got := mustExec(t, k2, id, "get", ""); got != "5" {
		t.Fatalf("count after recover %q", got)
	}
	recs, err := k2.Records(id, 0)
	if err != nil || len(recs) != 8 {
		t.Fatalf("records: %d %v", len(recs), err)
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].Seq >= recs[i-1].Seq {
			t.Fatal("records not newest first")
		}
	}
}

// TestDeterminism runs the same calls on both engines, in fresh kernels, and
// compares every output, state root and the state itself.
func TestDeterminism(t *testing.T) {
	type run struct {
		outs  []string
		roots []Digest
		state map[string][]byte
	}
	do := func(e plugins.Engine) run {
		k := newKernel(t, store.OpenMemory(), WithEngine(e))
		if k.Engine() != e {
			t.Fatal("engine not selected")
		}
		for _, n := range []string{"counter", "kv", "compute"} {
			s, w := example(t, n)
			install(t, k, s, w)
		}
		id, _ := k.Spawn(Constraints{})
		for _, p := range []string{"counter", "kv", "compute"} {
			if err := k.AttachPlugin(ctx, id, p); err != nil {
				t.Fatal(err)
			}
		}
		var r run
		calls := [][2]string{{"increment", ""}, {"increment", "41"}, {"put", "a=1"}, {"put", "b=2"}, {"kv.get", "a"},
			{"reverse", "hello"}, {"kv.delete", "a"}, {"counter.get", ""}, {"reset", ""}, {"put", "c=" + strings.Repeat("x", 1000)}}
		for _, c := range calls {
			res, err := k.ExecuteDetailed(ctx, id, c[0], []byte(c[1]))
			if err != nil {
				t.Fatal(err)
			}
			r.outs = append(r.outs, string(res.Output))
			r.roots = append(r.roots, res.Record.StateRootAfter)
		}
		r.state, _ = k.State(id)
		a, _ := k.Inspect(id)
		if StateRoot(r.state) != a.StateRoot {
			t.Fatalf("incremental state root %s != full recomputation %s", a.StateRoot, StateRoot(r.state))
		}
		return r
	}
	c, i := do(plugins.EngineCompiler), do(plugins.EngineInterpreter)
	for n := range c.outs {
		if c.outs[n] != i.outs[n] || c.roots[n] != i.roots[n] {
			t.Fatalf("call %d: compiler %q %s, interpreter %q %s", n, c.outs[n], c.roots[n], i.outs[n], i.roots[n])
		}
	}
	if c.outs[4] != "1" || c.outs[5] != "olleh" || c.outs[7] != "42" {
		t.Fatalf("outputs %q", c.outs)
	}
	if StateRoot(c.state) != StateRoot(i.state) || len(c.state) != 2 {
		t.Fatalf("states differ: %d and %d keys", len(c.state), len(i.state))
	}
}

func TestStateRootDefinition(t *testing.T) {
	// SHA-256("mcpzero/state/v1\0" || u32be(1) "a" u32be(2) "bc")
	want := Sum([]byte("mcpzero/state/v1\x00\x00\x00\x00\x01a\x00\x00\x00\x02bc"))
	if got := StateRoot(map[string][]byte{"a": []byte("bc")}); got != want {
		t.Fatalf("root %s, want %s", got, want)
	}
	if EmptyStateRoot != Sum([]byte(StateRootDomain)) {
		t.Fatal("empty root")
	}
	// Order-independent input, order-sensitive content.
	r1 := StateRoot(map[string][]byte{"a": []byte("1"), "b": []byte("2")})
	r2 := StateRoot(map[string][]byte{"a": []byte("2"), "b": []byte("1")})
	if r1 == r2 {
		t.Fatal("roots collide")
	}
}

func TestSnapshotRecoverTerminate(t *testing.T) {
	st := store.OpenMemory()
	k, id := counterAgent(t, st)
	s, w := example(t, "kv")
	install(t, k, s, w)
	if err := k.AttachPlugin(ctx, id, "kv@1.0.0"); err != nil {
		t.Fatal(err)
	}
	mustExec(t, k, id, "put", "x=1")
	s1, err := k.Snapshot(id)
	if err != nil {
		t.Fatal(err)
	}
	s1again, _ := k.Snapshot(id)
	if s1 != s1again {
		t.Fatal("snapshot of the same state has another id")
	}
	mustExec(t, k, id, "put", "y=2")
	mustExec(t, k, id, "increment", "")
	s2, _ := k.Snapshot(id)
	snaps, err := k.Snapshots(id)
	if err != nil || len(snaps) != 2 {
		t.Fatalf("snapshots: %v %v", snaps, err)
	}
	if err := k.Recover(id, s1); err != nil {
		t.Fatal(err)
	}
	if st, _ := k.State(id); len(st) != 1 || string(st["x"]) != "1" {
		t.Fatalf("state after recover %v", st)
	}
	if err := k.Recover(id, s2); err != nil {
		t.Fatal(err)
	}
	if got := mustExec(t, k, id, "counter.get", ""); got != "1" {
		t.Fatalf("get %q", got)
	}
	// Errors.
	other, _ := k.Spawn(Constraints{})
	if err := k.Recover(other, s1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("recover of another agent's snapshot: %v", err)
	}
	if err := k.Recover(id, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown snapshot: %v", err)
	}
	// A corrupted snapshot is detected, not restored.
	b := st.NewBatch()
	b.Put(store.Key(pfxSnap, []byte(s1)), []byte("MZSNAP1\nbroken"))
	if err := st.Write(b); err != nil {
		t.Fatal(err)
	}
	before := dump(t, st)
	if err := k.Recover(id, s1); !errors.Is(err, ErrCorrupted) {
		t.Fatalf("corrupted snapshot: %v", err)
	}
	b = st.NewBatch()
	b.Delete(store.Key(pfxSnap, []byte(s1)))
	st.Write(b)
	if err := k.Recover(id, s1); !errors.Is(err, ErrCorrupted) {
		t.Fatalf("missing snapshot content: %v", err)
	}
	_ = before
	if err := k.Terminate(id); err != nil {
		t.Fatal(err)
	}
	for name, op := range map[string]func() error{
		"execute":   func() error { _, err := k.Execute(ctx, id, "get", nil); return err },
		"attach":    func() error { return k.AttachPlugin(ctx, id, "counter") },
		"snapshot":  func() error { _, err := k.Snapshot(id); return err },
		"recover":   func() error { return k.Recover(id, s2) },
		"terminate": func() error { return k.Terminate(id) },
	} {
		if err := op(); !errors.Is(err, ErrTerminated) {
			t.Fatalf("%s after terminate: %v", name, err)
		}
	}
	if st, _ := k.State(id); len(st) != 0 {
		t.Fatal("state kept after terminate")
	}
	list, err := k.ListAgents()
	if err != nil || len(list) != 2 || list[0].ID != id || list[0].Status != StatusTerminated {
		t.Fatalf("list %+v %v", list, err)
	}
}

func TestSnapshotEncoding(t *testing.T) {
	ds := []Digest{Sum([]byte("p"))}
	entries := [][2][]byte{{[]byte("k"), []byte("v")}, {[]byte("k2"), nil}}
	c := encodeSnapshot(ds, entries)
	id := SnapshotID(Sum(c).String())
	gd, ge, err := decodeSnapshot(id, c)
	if err != nil || len(gd) != 1 || gd[0] != ds[0] || len(ge) != 2 || string(ge[1][0]) != "k2" {
		t.Fatalf("round trip: %v %v %v", gd, ge, err)
	}
	for _, bad := range [][]byte{[]byte("xx"), []byte("MZSNAP1\n"), []byte("MZSNAP1\n\x00\x00\x00\x05"), append(encodeSnapshot(nil, nil), 0, 0, 0, 9)} {
		if _, _, err := decodeSnapshot(SnapshotID(Sum(bad).String()), bad); !errors.Is(err, ErrCorrupted) {
			t.Fatalf("%q: %v", bad, err)
		}
	}
}

func TestAttachErrors(t *testing.T) {
	k := newKernel(t, store.OpenMemory())
	s, w := example(t, "counter")
	install(t, k, s, w)
	sb, wb := fixture(t, "bigmem", "bigmem", 0, "run")
	install(t, k, sb, wb)
	small, _ := k.Spawn(Constraints{MemoryPages: 2})
	if err := k.AttachPlugin(ctx, small, "bigmem"); !errors.Is(err, ErrResourceExceeded) || !strings.Contains(err.Error(), "100 pages") {
		t.Fatalf("bigmem: %v", err)
	}
	s2, w2 := example(t, "kv") // needs 3 pages
	install(t, k, s2, w2)
	if err := k.AttachPlugin(ctx, small, "kv"); !errors.Is(err, ErrResourceExceeded) {
		t.Fatalf("kv in 2 pages: %v", err)
	}
	if err := k.AttachPlugin(ctx, small, "counter"); err != nil {
		t.Fatal(err)
	}
	if err := k.AttachPlugin(ctx, small, "counter"); !errors.Is(err, ErrConflict) {
		t.Fatalf("attach twice: %v", err)
	}
	if err := k.AttachPlugin(ctx, small, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown plugin: %v", err)
	}
	if err := k.AttachPlugin(ctx, "agent-999", "counter"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown agent: %v", err)
	}
	if err := k.AttachPlugin(ctx, "bogus", "counter"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad agent id: %v", err)
	}
	if _, err := k.Spawn(Constraints{MemoryPages: MaxMemoryPages + 1}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("too many pages: %v", err)
	}
	if _, err := k.Spawn(Constraints{StateBytes: -1}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("negative: %v", err)
	}
}

func TestPluginsInstallListRemove(t *testing.T) {
	k := newKernel(t, store.OpenMemory())
	s, w := example(t, "counter")
	p1 := install(t, k, s, w)
	if p2 := install(t, k, s, w); p2.InstallSeq != p1.InstallSeq {
		t.Fatal("reinstall was not idempotent")
	}
	// A second version of the same name.
	m := s.Manifest
	m.Version = "2.0.0"
	w2 := append(bytes.Clone(w), 0, 0) // a custom section-free tail is malformed: build another module instead
	_ = w2
	s2, err := plugins.Sign(m, readFile(t, "../plugins/examples/compute/compute.wasm"), testPriv)
	if err != nil {
		t.Fatal(err)
	}
	s2.Manifest.Methods = []string{"reverse"}
	s2, _ = plugins.Sign(s2.Manifest, readFile(t, "../plugins/examples/compute/compute.wasm"), testPriv)
	install(t, k, s2, readFile(t, "../plugins/examples/compute/compute.wasm"))
	list, err := k.ListPlugins()
	if err != nil || len(list) != 2 {
		t.Fatalf("list %v %v", list, err)
	}
	for ref, want := range map[string]error{
		"counter":               nil, // the latest install of the name
		"counter@1.0.0":         nil,
		"counter@2.0.0":         nil,
		"counter@3":             ErrNotFound,
		p1.Digest.String():      nil,
		p1.Digest.String()[:10]: nil,
		strings.Repeat("0", 64): ErrNotFound,
		"unknown":               ErrNotFound,
	} {
		if _, err := k.ResolvePlugin(ref); !errors.Is(err, want) {
			t.Fatalf("resolve %q: %v, want %v", ref, err, want)
		}
	}
	d, _ := k.ResolvePlugin("counter@1.0.0")
	if d != p1.Digest {
		t.Fatal("resolved the wrong version")
	}
	id, _ := k.Spawn(Constraints{})
	if err := k.AttachPlugin(ctx, id, "counter@1.0.0"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.RemovePlugin("counter@1.0.0"); !errors.Is(err, ErrConflict) {
		t.Fatalf("remove attached: %v", err)
	}
	if err := k.Terminate(id); err != nil {
		t.Fatal(err)
	}
	if !k.sb.Cached(p1.Digest.String()) {
		t.Fatal("attached plugin not compiled")
	}
	if _, err := k.RemovePlugin("counter@1.0.0"); err != nil {
		t.Fatal(err)
	}
	if k.sb.Cached(p1.Digest.String()) {
		t.Fatal("removed plugin still compiled")
	}
	if _, err := k.RemovePlugin("counter@1.0.0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("remove twice: %v", err)
	}
	// The wasm stays for replay.
	if b, err := k.Wasm(p1.Digest); err != nil || !bytes.Equal(b, w) {
		t.Fatalf("wasm after remove: %v", err)
	}
	if _, err := k.Wasm(Sum([]byte("nothing"))); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
}

// TestRecords checks that every operation leaves exactly one record, with
// replay data for executes.
func TestRecords(t *testing.T) {
	k, id := counterAgent(t, store.OpenMemory())
	res, err := k.ExecuteDetailed(ctx, id, "increment", []byte("3"))
	if err != nil {
		t.Fatal(err)
	}
	r := res.Record
	if r.Kind != OpExecute || r.Input != Sum([]byte("3")) || r.Output != Sum([]byte("3")) || r.StateRootBefore != EmptyStateRoot {
		t.Fatalf("record %+v", r)
	}
	got, err := k.Record(r.Seq)
	if err != nil || *got != r {
		t.Fatalf("stored record %+v %v", got, err)
	}
	ex, err := k.ExecRecord(r.Seq)
	if err != nil || string(ex.Params) != "3" || len(ex.Reads) != 1 || string(ex.Reads[0].Key) != "count" || ex.Reads[0].Present || string(ex.Output) != "3" {
		t.Fatalf("exec record %+v %v", ex, err)
	}
	if _, err := k.Record(9999); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if _, err := k.ExecRecord(1); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	recs, _ := k.Records(id, 2)
	if len(recs) != 2 || recs[0].Kind != OpExecute || recs[1].Kind != OpAttach {
		t.Fatalf("recent records %+v", recs)
	}
	b, _ := json.Marshal(r)
	var back OpRecord
	if err := json.Unmarshal(b, &back); err != nil || back != r {
		t.Fatalf("JSON round trip: %v", err)
	}
	if _, err := ParseDigest("zz"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal(err)
	}
	var d Digest
	if err := d.UnmarshalText([]byte("12")); err == nil {
		t.Fatal("short digest accepted")
	}
}

type hookRecorder struct {
	mu   sync.Mutex
	seen []OpRecord
	fail OpKind
}

func (h *hookRecorder) BeforeCommit(b *store.Batch, rec *OpRecord) error {
	if rec.Kind == h.fail {
		return errors.New("audit log unavailable")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if v, found, present := b.Pending(store.Key(pfxOp, seqBytes(rec.Seq))); !found || !present || len(v) == 0 {
		return errors.New("record not in batch")
	}
	h.seen = append(h.seen, *rec)
	b.Put([]byte("audit/"+fmt.Sprint(rec.Seq)), []byte(rec.Kind))
	return nil
}

func TestCommitHooks(t *testing.T) {
	st := store.OpenMemory()
	h := &hookRecorder{fail: OpSnapshot}
	var calls int
	k, id := counterAgent(t, st, WithCommitHook(h), WithCommitHook(CommitHookFunc(func(*store.Batch, *OpRecord) error { calls++; return nil })))
	mustExec(t, k, id, "increment", "")
	if len(h.seen) != 4 || calls != 4 {
		t.Fatalf("hook saw %d ops, func hook %d", len(h.seen), calls)
	}
	for i, r := range h.seen {
		if r.Seq != uint64(i+1) {
			t.Fatalf("hook order: %+v", h.seen)
		}
		if v, err := st.Get([]byte(fmt.Sprint("audit/", r.Seq))); err != nil || string(v) != string(r.Kind) {
			t.Fatalf("hook write not committed: %v", err)
		}
	}
	before := dump(t, st)
	seq := k.Seq()
	if _, err := k.Snapshot(id); err == nil || !strings.Contains(err.Error(), "audit log unavailable") {
		t.Fatalf("aborting hook: %v", err)
	}
	sameStore(t, before, dump(t, st))
	if k.Seq() != seq {
		t.Fatal("aborted operation used a sequence number")
	}
	mustExec(t, k, id, "increment", "")
	if k.Seq() != seq+1 {
		t.Fatal("sequence has a gap")
	}
}

// denyAll refuses everything, to check that each decision point consults it.
type denyAll struct{ attach, execute, host bool }

func (d denyAll) AuthorizeAttach(r *AttachRequest) error {
	if d.attach {
		return errors.New("no attach")
	}
	return nil
}
func (d denyAll) AuthorizeExecute(AgentID, *plugins.Manifest, string) error {
	if d.execute {
		return fmt.Errorf("%w: quota used up", ErrResourceExceeded)
	}
	return nil
}
func (d denyAll) AuthorizeHostCall(AgentID, *plugins.Manifest, string) error {
	if d.host {
		return errors.New("no host calls")
	}
	return nil
}

func TestAuthorizer(t *testing.T) {
	for _, tt := range []struct {
		name string
		a    denyAll
		want error
	}{
		{"attach", denyAll{attach: true}, ErrPermissionDenied},
		{"execute", denyAll{execute: true}, ErrResourceExceeded},
		{"host", denyAll{host: true}, ErrPermissionDenied},
	} {
		t.Run(tt.name, func(t *testing.T) {
			k := newKernel(t, store.OpenMemory(), WithAuthorizer(tt.a))
			s, w := example(t, "counter")
			install(t, k, s, w)
			id, _ := k.Spawn(Constraints{})
			err := k.AttachPlugin(ctx, id, "counter")
			if err == nil {
				_, err = k.Execute(ctx, id, "increment", nil)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	// The default authorizer.
	var d DefaultAuthorizer
	m := &plugins.Manifest{Name: "p", Version: "1"}
	if err := d.AuthorizeHostCall("agent-1", m, "http_get"); !errors.Is(err, ErrPermissionDenied) {
		t.Fatal(err)
	}
	m.Capabilities = []string{"network"}
	if err := d.AuthorizeAttach(&AttachRequest{Manifest: m}); !errors.Is(err, ErrPermissionDenied) {
		t.Fatal(err)
	}
	m.Capabilities = nil
	if err := d.AuthorizeAttach(&AttachRequest{Manifest: m, Imports: []string{"wasi_snapshot_preview1.fd_write"}}); !errors.Is(err, ErrPermissionDenied) {
		t.Fatal(err)
	}
	m.Capabilities = []string{plugins.CapabilityWASI}
	if err := d.AuthorizeAttach(&AttachRequest{Manifest: m, Imports: []string{"wasi_snapshot_preview1.fd_write"}}); err != nil {
		t.Fatal(err)
	}
}

// fakeMeter stands in for the fuel instrumentation: it checks that the kernel
// calls it at the right places.
type fakeMeter struct {
	instrumented int
	budget       uint64
}

func (f *fakeMeter) Instrument(w []byte) ([]byte, error) {
	f.instrumented++
	if bytes.Contains(w, []byte("refuse-me")) {
		return nil, errors.New("cannot instrument")
	}
	return w, nil
}
func (f *fakeMeter) Begin(_ api.Module, limit uint64) error { f.budget = limit; return nil }
func (f *fakeMeter) Used(api.Module) (uint64, error)        { return 1234, nil }

func TestMeterHook(t *testing.T) {
	m := &fakeMeter{}
	k := newKernel(t, store.OpenMemory(), WithMeter(m))
	s, w := example(t, "counter")
	install(t, k, s, w)
	id, _ := k.Spawn(Constraints{FuelPerCall: 777})
	if err := k.AttachPlugin(ctx, id, "counter"); err != nil {
		t.Fatal(err)
	}
	res, err := k.ExecuteDetailed(ctx, id, "increment", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Record.FuelUsed != 1234 || m.budget != 777 || m.instrumented == 0 {
		t.Fatalf("fuel %d, budget %d, instrumented %d", res.Record.FuelUsed, m.budget, m.instrumented)
	}
}

func TestConcurrentAgents(t *testing.T) {
	k, first := counterAgent(t, store.OpenMemory())
	ids := []AgentID{first}
	for i := 0; i < 3; i++ {
		id, _ := k.Spawn(Constraints{})
		if err := k.AttachPlugin(ctx, id, "counter"); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	var wg sync.WaitGroup
	for _, id := range ids {
		for g := 0; g < 2; g++ { // two goroutines per agent: serialized per agent
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 25; i++ {
					if _, err := k.Execute(ctx, id, "increment", nil); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	for _, id := range ids {
		if got := mustExec(t, k, id, "get", ""); got != "50" {
			t.Fatalf("%s: count %s, want 50 (lost update)", id, got)
		}
	}
	if k.Seq() != uint64(2+2*4+4*51-1+1) {
		t.Logf("seq %d", k.Seq())
	}
}

func TestClosedKernel(t *testing.T) {
	k, id := counterAgent(t, store.OpenMemory())
	k.Close()
	if _, err := k.Spawn(Constraints{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("spawn after close: %v", err)
	}
	if _, err := k.Snapshot(id); !errors.Is(err, ErrClosed) {
		t.Fatalf("snapshot after close: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	st := store.OpenMemory()
	st.Close()
	if _, err := Open(st); err == nil {
		t.Fatal("open on a closed store")
	}
	if _, err := Open(store.OpenMemory(), WithCompilationCache("/dev/null/x")); err == nil {
		t.Fatal("bad cache dir accepted")
	}
}

// TestStateCache checks that the state root is the same whether the sorted
// state comes from the cache, from a cache that keeps evicting, or from the
// store, across executes, recover and several agents.
func TestStateCache(t *testing.T) {
	var roots [][]Digest
	for _, limit := range []int64{0, 40, DefaultStateCacheBytes} {
		k := newKernel(t, store.OpenMemory(), WithStateCacheBytes(limit))
		s, w := example(t, "kv")
		install(t, k, s, w)
		var ids []AgentID
		for i := 0; i < 3; i++ {
			id, _ := k.Spawn(Constraints{})
			if err := k.AttachPlugin(ctx, id, "kv"); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		var got []Digest
		for i := 0; i < 12; i++ {
			id := ids[i%3]
			r, err := k.ExecuteDetailed(ctx, id, "put", []byte(fmt.Sprintf("k%d=%s", i%5, strings.Repeat("v", i))))
			if err != nil {
				t.Fatal(err)
			}
			if i == 6 {
				sid, _ := k.Snapshot(id)
				mustExec(t, k, id, "delete", "k1")
				if err := k.Recover(id, sid); err != nil {
					t.Fatal(err)
				}
			}
			state, _ := k.State(id)
			if StateRoot(state) != r.Record.StateRootAfter && i != 6 {
				t.Fatalf("limit %d, call %d: root %s, full recomputation %s", limit, i, r.Record.StateRootAfter, StateRoot(state))
			}
			got = append(got, r.Record.StateRootAfter)
		}
		roots = append(roots, got)
	}
	for i := range roots[0] {
		if roots[0][i] != roots[1][i] || roots[0][i] != roots[2][i] {
			t.Fatalf("call %d: roots differ with the cache size", i)
		}
	}
}

// TestDeterminismAcrossRestarts runs the same operations on two data
// directories, one without and one with restarts (new kernel, new store
// handle, new compilation cache) in between, on alternating engines: every
// output, every record and the final state are identical.
func TestDeterminismAcrossRestarts(t *testing.T) {
	calls := [][2]string{{"increment", ""}, {"kv.put", "a=1"}, {"increment", "9"}, {"kv.put", "b=2"}, {"kv.delete", "a"}, {"counter.get", ""}}
	setup := func(k *Kernel) AgentID {
		for _, n := range []string{"counter", "kv"} {
			s, w := example(t, n)
			install(t, k, s, w)
		}
		id, _ := k.Spawn(Constraints{})
		for _, p := range []string{"counter", "kv"} {
			if err := k.AttachPlugin(ctx, id, p); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	run := func(restart bool) ([]string, []OpRecord) {
		dir := t.TempDir()
		st, err := store.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		k := newKernel(t, st)
		id := setup(k)
		var outs []string
		for i, c := range calls {
			if restart {
				k.Close()
				st.Close()
				if st, err = store.Open(dir); err != nil {
					t.Fatal(err)
				}
				e := plugins.EngineCompiler
				if i%2 == 1 {
					e = plugins.EngineInterpreter
				}
				k = newKernel(t, st, WithEngine(e), WithCompilationCache(t.TempDir()))
			}
			outs = append(outs, mustExec(t, k, id, c[0], c[1]))
		}
		recs, err := k.Records(id, 0)
		if err != nil {
			t.Fatal(err)
		}
		k.Close()
		st.Close()
		return outs, recs
	}
	o1, r1 := run(false)
	o2, r2 := run(true)
	if strings.Join(o1, ",") != strings.Join(o2, ",") || len(r1) != len(r2) {
		t.Fatalf("outputs %q vs %q", o1, o2)
	}
	for i := range r1 {
		if r1[i] != r2[i] {
			t.Fatalf("record %d differs:\n%+v\n%+v", i, r1[i], r2[i])
		}
	}
}
