package kernel

import (
	"bytes"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mcpzero/mcpzero/internal/store"
)

var errDisk = errors.New("disk on fire")

// faultyStore fails reads of keys with a given prefix, iterations over a
// given prefix, or writes, on demand.
type faultyStore struct {
	store.Store
	getPrefix  atomic.Pointer[string]
	iterPrefix atomic.Pointer[string]
	failWrite  atomic.Bool
}

func (f *faultyStore) failGet(p string)  { f.getPrefix.Store(&p) }
func (f *faultyStore) failIter(p string) { f.iterPrefix.Store(&p) }
func (f *faultyStore) heal() {
	f.getPrefix.Store(nil)
	f.iterPrefix.Store(nil)
	f.failWrite.Store(false)
}

func (f *faultyStore) Get(key []byte) ([]byte, error) {
	if p := f.getPrefix.Load(); p != nil && bytes.HasPrefix(key, []byte(*p)) {
		return nil, errDisk
	}
	return f.Store.Get(key)
}

func (f *faultyStore) Has(key []byte) (bool, error) {
	if p := f.getPrefix.Load(); p != nil && bytes.HasPrefix(key, []byte(*p)) {
		return false, errDisk
	}
	return f.Store.Has(key)
}

func (f *faultyStore) Iterate(prefix []byte, fn func(k, v []byte) error) error {
	if p := f.iterPrefix.Load(); p != nil && bytes.HasPrefix(prefix, []byte(*p)) {
		return errDisk
	}
	return f.Store.Iterate(prefix, fn)
}

func (f *faultyStore) Write(b *store.Batch) error {
	if f.failWrite.Load() {
		return errDisk
	}
	return f.Store.Write(b)
}

// TestStoreFailures checks that every operation reports a storage failure
// as an error (never a panic) and leaves the store as it was.
func TestStoreFailures(t *testing.T) {
	fs := &faultyStore{Store: store.OpenMemory()}
	k, id := counterAgent(t, fs)
	s, w := example(t, "kv")
	install(t, k, s, w)
	if err := k.AttachPlugin(ctx, id, "kv"); err != nil {
		t.Fatal(err)
	}
	mustExec(t, k, id, "increment", "")
	mustExec(t, k, id, "put", "a=1")
	sid, err := k.Snapshot(id)
	if err != nil {
		t.Fatal(err)
	}
	var victim AgentID // a fresh agent for each terminate
	type op struct {
		name string
		run  func() error
	}
	ops := []op{
		{"spawn", func() error { _, err := k.Spawn(Constraints{}); return err }},
		{"attach", func() error { return k.AttachPlugin(ctx, id, "compute") }},
		{"execute", func() error { _, err := k.Execute(ctx, id, "increment", nil); return err }},
		{"execute-get", func() error { _, err := k.Execute(ctx, id, "kv.get", []byte("a")); return err }},
		{"execute-del", func() error { _, err := k.Execute(ctx, id, "kv.delete", []byte("a")); return err }},
		{"snapshot", func() error { _, err := k.Snapshot(id); return err }},
		{"recover", func() error { return k.Recover(id, sid) }},
		{"terminate", func() error { return k.Terminate(victim) }},
		{"install", func() error {
			s, w := example(t, "compute")
			_, err := k.InstallPlugin(ctx, s, w)
			return err
		}},
		{"remove", func() error { _, err := k.RemovePlugin("counter"); return err }},
		{"list agents", func() error { _, err := k.ListAgents(); return err }},
		{"list plugins", func() error { _, err := k.ListPlugins(); return err }},
		{"records", func() error { _, err := k.Records(id, 5); return err }},
		{"snapshots", func() error { _, err := k.Snapshots(id); return err }},
		{"state", func() error { _, err := k.State(id); return err }},
		{"resolve", func() error { _, err := k.ResolvePlugin("kv@9"); return err }},
	}
	faults := []struct {
		name   string
		inject func()
	}{
		{"write", func() { fs.failWrite.Store(true) }},
		{"get agent", func() { fs.failGet("agent") }},
		{"get state", func() { fs.failGet("state") }},
		{"get plugin", func() { fs.failGet("plugin") }},
		{"get pname", func() { fs.failGet("pname") }},
		{"get wasm", func() { fs.failGet("wasm") }},
		{"get snap", func() { fs.failGet("snap") }},
		{"get asnap", func() { fs.failGet("asnap") }},
		{"get op", func() { fs.failGet("op") }},
		{"iter state", func() { fs.failIter("state") }},
		{"iter agent", func() { fs.failIter("agent") }},
		{"iter plugin", func() { fs.failIter("plugin") }},
		{"iter aop", func() { fs.failIter("aop") }},
		{"iter asnap", func() { fs.failIter("asnap") }},
	}
	failures := 0
	for _, f := range faults {
		for _, o := range ops {
			// Drop cached plugins so that reads reach the store.
			k.pluginM.Lock()
			k.plugins = map[Digest]*loadedPlugin{}
			k.pluginM.Unlock()
			if o.name == "terminate" {
				victim, _ = k.Spawn(Constraints{})
				mustExec(t, k, id, "increment", "") // state to delete
			}
			before := dump(t, fs.Store)
			f.inject()
			err := func() (err error) {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("%s under %s fault: panic %v", o.name, f.name, r)
					}
				}()
				return o.run()
			}()
			fs.heal()
			if err != nil {
				failures++
				if errors.Is(err, errDisk) {
					sameStore(t, before, dump(t, fs.Store))
				}
			}
		}
	}
	if failures < len(faults) {
		t.Fatalf("only %d failures", failures)
	}
}

func TestCorruptedRecords(t *testing.T) {
	st := store.OpenMemory()
	k, id := counterAgent(t, st)
	put := func(k, v []byte) {
		b := st.NewBatch()
		b.Put(k, v)
		if err := st.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	d, _ := k.ResolvePlugin("counter")
	put(store.Key(pfxWasm, []byte(d.String())), []byte("other bytes"))
	k.pluginM.Lock()
	k.plugins = map[Digest]*loadedPlugin{}
	k.pluginM.Unlock()
	if _, err := k.Execute(ctx, id, "get", nil); !errors.Is(err, ErrCorrupted) {
		t.Fatalf("corrupted wasm: %v", err)
	}
	put(store.Key(pfxAgent, []byte(id)), []byte("{"))
	if _, err := k.Inspect(id); !errors.Is(err, ErrCorrupted) {
		t.Fatalf("corrupted agent: %v", err)
	}
	if _, err := k.ListAgents(); !errors.Is(err, ErrCorrupted) {
		t.Fatalf("list: %v", err)
	}
	put(store.Key(pfxPlugin, []byte("zz")), []byte("{}"))
	if _, err := k.ListPlugins(); !errors.Is(err, ErrCorrupted) {
		t.Fatalf("plugin key: %v", err)
	}
	put(store.Key(pfxPlugin, []byte(strings.Repeat("a", 64))), []byte("{"))
	if _, err := k.ListPlugins(); !errors.Is(err, ErrCorrupted) {
		t.Fatalf("plugin record: %v", err)
	}
	put(store.Key(pfxAgentSn, []byte(id), []byte("x")), []byte("{"))
	if _, err := k.Snapshots(id); !errors.Is(err, ErrCorrupted) {
		t.Fatalf("snapshot record: %v", err)
	}
	put(store.Key(pfxOp, seqBytes(3)), []byte("{"))
	if _, err := k.Records(id, 0); !errors.Is(err, ErrCorrupted) {
		t.Fatalf("op record: %v", err)
	}
}

func TestMaxOutputAndAmbiguity(t *testing.T) {
	k := newKernel(t, store.OpenMemory(), WithMaxOutput(3))
	for _, n := range []string{"counter", "compute"} {
		s, w := example(t, n)
		install(t, k, s, w)
	}
	s, w := fixture(t, "faults", "faults", 1, "ok")
	install(t, k, s, w)
	id, _ := k.Spawn(Constraints{})
	for _, p := range []string{"counter", "compute", "faults"} {
		if err := k.AttachPlugin(ctx, id, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := k.Execute(ctx, id, "reverse", []byte("abcd")); !errors.Is(err, ErrPluginFailed) || !strings.Contains(err.Error(), "output limit") {
		t.Fatalf("output limit: %v", err)
	}
	if out := mustExec(t, k, id, "reverse", "abc"); out != "cba" {
		t.Fatal(out)
	}
	// Two plugins with the same method name: counter.get and kv.get.
	s2, w2 := example(t, "kv")
	install(t, k, s2, w2)
	if err := k.AttachPlugin(ctx, id, "kv"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Execute(ctx, id, "get", nil); !errors.Is(err, ErrConflict) {
		t.Fatalf("ambiguous: %v", err)
	}
	if out := mustExec(t, k, id, "counter.get", ""); out != "0" {
		t.Fatalf("qualified: %q", out)
	}
	if _, err := k.ResolvePlugin("faults"); err != nil {
		t.Fatal(err)
	}
}

func (f *faultyStore) Last(prefix []byte) ([]byte, []byte, error) {
	if p := f.iterPrefix.Load(); p != nil && bytes.HasPrefix(prefix, []byte(*p)) {
		return nil, nil, errDisk
	}
	return f.Store.Last(prefix)
}

// TestOpenReadsSequence: Open takes the sequence from the last record, and
// refuses a store whose last record key is malformed or unreadable.
func TestOpenReadsSequence(t *testing.T) {
	fs := &faultyStore{Store: store.OpenMemory()}
	k, _ := counterAgent(t, fs)
	seq := k.Seq()
	k.Close()
	k2 := newKernel(t, fs)
	if k2.Seq() != seq || seq == 0 {
		t.Fatalf("seq %d, want %d", k2.Seq(), seq)
	}
	fs.failIter("op")
	if _, err := Open(fs); !errors.Is(err, errDisk) {
		t.Fatalf("unreadable: %v", err)
	}
	fs.heal()
	b := fs.NewBatch()
	b.Put(store.Key(pfxOp, []byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff")), []byte("{}"))
	fs.Write(b)
	if _, err := Open(fs); !errors.Is(err, ErrCorrupted) {
		t.Fatalf("malformed key: %v", err)
	}
}
