package storelog

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/mcpzero/mcpzero/internal/auditlog"
	"github.com/mcpzero/mcpzero/internal/store"
)

func testKey(t testing.TB, seed byte) (note.Signer, note.Verifier) {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
	pub := priv.Public().(ed25519.PublicKey)
	s, err := auditlog.NewSigner(auditlog.Origin(pub), priv)
	if err != nil {
		t.Fatal(err)
	}
	vk, err := auditlog.VerifierKey(auditlog.Origin(pub), pub)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auditlog.ParseVerifierKey([]byte(vk))
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func op(seq uint64) auditlog.Entry {
	return auditlog.Entry{
		Seq: seq, Kind: auditlog.KindExecute, Agent: "agent-1", Method: "run",
		Plugin:      auditlog.SHA256([]byte("wasm")),
		Input:       auditlog.SHA256(fmt.Appendf(nil, "in %d", seq)),
		Output:      auditlog.SHA256(fmt.Appendf(nil, "out %d", seq)),
		StateBefore: auditlog.SHA256(fmt.Appendf(nil, "state %d", seq-1)),
		StateAfter:  auditlog.SHA256(fmt.Appendf(nil, "state %d", seq)),
		Fuel:        seq * 10,
	}
}

// newLog returns a log in a memory store with n entries, each appended and
// written in its own batch, as the kernel does.
func newLog(t testing.TB, n int) (*store.LevelDB, *Log, note.Verifier) {
	t.Helper()
	st := store.OpenMemory()
	t.Cleanup(func() { st.Close() })
	s, v := testKey(t, 1)
	l := New(st, WithSigner(s))
	for i := 1; i <= n; i++ {
		b := st.NewBatch()
		b.Put([]byte("state"), fmt.Appendf(nil, "%d", i)) // the operation's own change
		e, err := l.Append(b, op(uint64(i)))
		if err != nil {
			t.Fatal(err)
		}
		if e.Index != uint64(i-1) {
			t.Fatalf("index %d, want %d", e.Index, i-1)
		}
		if err := st.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	return st, l, v
}

func TestAppendProveVerify(t *testing.T) {
	_, l, v := newLog(t, 23)
	if n, err := l.Size(); err != nil || n != 23 {
		t.Fatalf("size %d %v", n, err)
	}
	if _, err := l.Check(v); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int64{1, 2, 7, 16, 23} {
		msg, err := l.Checkpoint(n)
		if err != nil {
			t.Fatal(err)
		}
		c, err := auditlog.OpenCheckpoint(msg, v)
		if err != nil || c.Size != n {
			t.Fatalf("checkpoint %d: %v %v", n, c, err)
		}
		for i := int64(0); i < n; i++ {
			e, data, err := l.Entry(i)
			if err != nil || e.Seq != uint64(i+1) {
				t.Fatalf("entry %d: %v %v", i, e, err)
			}
			p, err := l.InclusionProof(i, n)
			if err != nil {
				t.Fatal(err)
			}
			if err := auditlog.VerifyInclusion(c, i, data, p); err != nil {
				t.Fatalf("inclusion %d in %d: %v", i, n, err)
			}
		}
		for _, m := range []int64{n, 23} {
			newer, _ := l.Checkpoint(m)
			cn, _ := auditlog.OpenCheckpoint(newer, v)
			p, err := l.ConsistencyProof(n, m)
			if err != nil {
				t.Fatal(err)
			}
			if err := auditlog.VerifyConsistency(c, cn, p); err != nil {
				t.Fatalf("consistency %d→%d: %v", n, m, err)
			}
		}
	}
	latest, _ := l.Latest()
	last, _ := l.Checkpoint(23)
	if !bytes.Equal(latest, last) {
		t.Fatal("latest")
	}
	if i, err := l.IndexOfSeq(5); err != nil || i != 4 {
		t.Fatalf("IndexOfSeq = %d %v", i, err)
	}
	for _, err := range []error{
		func() error { _, err := l.IndexOfSeq(99); return err }(),
		func() error { _, _, err := l.Entry(23); return err }(),
		func() error { _, err := l.Checkpoint(0); return err }(),
		func() error { _, err := l.Checkpoint(24); return err }(),
		func() error { _, err := l.InclusionProof(3, 24); return err }(),
		func() error { _, err := l.ConsistencyProof(5, 24); return err }(),
		func() error { _, err := l.ConsistencyProof(6, 5); return err }(),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	}
}

// The log commits with the operation's batch or not at all.
func TestAppendIsPartOfTheBatch(t *testing.T) {
	st, l, v := newLog(t, 3)
	b := st.NewBatch()
	if _, err := l.Append(b, op(4)); err != nil {
		t.Fatal(err)
	}
	// Not written: the store does not see the entry or its checkpoint.
	if n, _ := l.Size(); n != 3 {
		t.Fatalf("size %d before the batch is written", n)
	}
	if _, err := l.Checkpoint(4); !errors.Is(err, ErrNotFound) {
		t.Fatal("checkpoint visible before write")
	}
	if _, err := l.Check(v); err != nil {
		t.Fatal(err)
	}
	// Dropping the batch (the operation failed) leaves a valid log that
	// the next operation extends at the same index.
	b = st.NewBatch()
	e, err := l.Append(b, op(5))
	if err != nil || e.Index != 3 {
		t.Fatalf("%v %v", e, err)
	}
	// A second append in the same batch sees the first.
	e, err = l.Append(b, op(6))
	if err != nil || e.Index != 4 {
		t.Fatalf("%v %v", e, err)
	}
	// A security change shares the logical time of the last operation;
	// the seq index keeps naming the operation.
	sec := auditlog.Entry{Seq: 6, Kind: auditlog.KindGrant, Agent: "agent-1", Method: "fs.read"}
	if e, err := l.Append(b, sec); err != nil || e.Index != 5 {
		t.Fatalf("%v %v", e, err)
	}
	if err := st.Write(b); err != nil {
		t.Fatal(err)
	}
	rep, err := l.Check(v)
	if err != nil || rep.Size != 6 || rep.Checkpoints != 6 {
		t.Fatalf("%+v %v", rep, err)
	}
	// AppendAll signs once for several entries.
	b = st.NewBatch()
	es, err := l.AppendAll(b, op(7), op(8), op(9))
	if err != nil || len(es) != 3 || es[2].Index != 8 {
		t.Fatalf("%v %v", es, err)
	}
	st.Write(b)
	rep, err = l.Check(v)
	if err != nil || rep.Size != 9 || rep.Checkpoints != 7 {
		t.Fatalf("%+v %v", rep, err)
	}
	if i, err := l.IndexOfSeq(6); err != nil || i != 4 {
		t.Fatalf("IndexOfSeq(6) = %d %v", i, err)
		t.Fatalf("%+v %v", rep, err)
	}
	// On-demand checkpoint: same bytes as the one stored at the append.
	b = st.NewBatch()
	msg, err := l.SignCheckpoint(b)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := l.Checkpoint(9)
	if !bytes.Equal(msg, stored) {
		t.Fatal("on-demand checkpoint differs from the stored one")
	}
}

func TestReadOnlyAndBadEntries(t *testing.T) {
	st, l, _ := newLog(t, 2)
	ro := New(st)
	if _, err := ro.Append(st.NewBatch(), op(9)); !errors.Is(err, ErrReadOnly) {
		t.Fatal(err)
	}
	if _, err := ro.SignCheckpoint(st.NewBatch()); !errors.Is(err, ErrReadOnly) {
		t.Fatal(err)
	}
	if ro.Origin() != "" || l.Origin() == "" {
		t.Fatal("origin")
	}
	bad := op(10)
	bad.Kind = "Bad Kind"
	if _, err := l.Append(st.NewBatch(), bad); !errors.Is(err, auditlog.ErrMalformedEntry) {
		t.Fatalf("bad entry: %v", err)
	}
	// An empty log checks and has no checkpoint.
	empty := store.OpenMemory()
	defer empty.Close()
	_, v := testKey(t, 1)
	if rep, err := New(empty).Check(v); err != nil || rep.Size != 0 {
		t.Fatalf("%+v %v", rep, err)
	}
	if _, err := New(empty).Latest(); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
}

func TestExport(t *testing.T) {
	st, l, v := newLog(t, 6)
	bundle := []byte("the proof bundle file")
	pe := op(7)
	pe.Kind, pe.Proof, pe.Ref = auditlog.KindProofStored, auditlog.SHA256(bundle), 6
	b := st.NewBatch()
	if _, err := l.Append(b, pe); err != nil {
		t.Fatal(err)
	}
	st.Write(b)
	source := func(d auditlog.Digest) ([]byte, error) {
		if d == auditlog.SHA256(bundle) {
			return bundle, nil
		}
		return nil, errors.New("no such bundle")
	}
	for i := int64(0); i < 7; i++ {
		x, err := l.Export(i, 0, source)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := x.Marshal()
		y, err := auditlog.ParseExport(raw)
		if err != nil {
			t.Fatal(err)
		}
		got, err := auditlog.VerifyExport(y, v)
		if err != nil {
			t.Fatalf("export %d: %v", i, err)
		}
		if got.BundleChecked != (i == 6) || got.Checkpoint.Size != 7 {
			t.Fatalf("%d: %+v", i, got)
		}
	}
	// Against an older checkpoint.
	x, err := l.Export(2, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := auditlog.VerifyExport(x, v); err != nil || got.Checkpoint.Size != 4 {
		t.Fatal(err)
	}
	if _, err := l.Export(6, 0, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no bundle source: %v", err)
	}
	if _, err := l.Export(6, 0, func(auditlog.Digest) ([]byte, error) { return []byte("other"), nil }); !errors.Is(err, ErrTampered) {
		t.Fatalf("wrong bundle: %v", err)
	}
	if _, err := l.Export(6, 0, func(auditlog.Digest) ([]byte, error) { return nil, errors.New("gone") }); err == nil {
		t.Fatal("missing bundle")
	}
	if _, err := l.Export(9, 0, nil); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if _, err := l.Export(1, 99, nil); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
}

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// Tampering with any stored part of the log is detected by Check, with a
// message naming what failed.
func TestTamperDetected(t *testing.T) {
	const n = 9
	tests := []struct {
		name   string
		tamper func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch)
		want   string
	}{
		{"entry byte", func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch) {
			_, data, _ := l.Entry(4)
			data[len(data)-20] ^= 1
			b.Put(keyOf(prefixEntry, 4), data)
		}, "entry 4 does not match its stored leaf hash"},
		{"entry undecodable", func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch) {
			b.Put(keyOf(prefixEntry, 4), []byte{1, 2, 3})
		}, "entry 4: auditlog: malformed entry"},
		{"entry dropped", func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch) {
			b.Delete(keyOf(prefixEntry, 3))
		}, "entry 3 is missing"},
		{"last entry dropped", func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch) {
			b.Delete(keyOf(prefixEntry, n-1))
		}, "the log has size 9 but only 8 entries"},
		{"tail dropped and size rewritten", func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch) {
			b.Delete(keyOf(prefixEntry, n-1))
			b.Put(keySize, u64(n-1))
		}, "entry 8 is stored beyond|stored hash"},
		{"tail dropped cleanly", func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch) {
			// Entry and its hashes removed, size rewritten: the
			// signed checkpoint of size 9 still testifies.
			b.Delete(keyOf(prefixEntry, n-1))
			b.Put(keySize, u64(n-1))
			for i := tlog.StoredHashCount(n - 1); i < tlog.StoredHashCount(n); i++ {
				b.Delete(keyOf(prefixHash, uint64(i)))
			}
		}, "checkpoint of size 9 was signed but the log holds 8 entries"},
		{"entries swapped", func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch) {
			_, d2, _ := l.Entry(2)
			_, d5, _ := l.Entry(5)
			b.Put(keyOf(prefixEntry, 2), d5)
			b.Put(keyOf(prefixEntry, 5), d2)
		}, "entry stored at 2 declares index 5"},
		{"entries swapped and renumbered", func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch) {
			e2, _, _ := l.Entry(2)
			e5, _, _ := l.Entry(5)
			e2.Index, e5.Index = 5, 2
			d2, _ := e2.Encode()
			d5, _ := e5.Encode()
			b.Put(keyOf(prefixEntry, 2), d5)
			b.Put(keyOf(prefixEntry, 5), d2)
		}, "entry 2 does not match its stored leaf hash"},
		{"tree hash", func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch) {
			b.Put(keyOf(prefixHash, 7), make([]byte, 32))
		}, "stored hash 7"},
		{"tree hash dropped", func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch) {
			b.Delete(keyOf(prefixHash, 3))
		}, "stored hash 3 is missing"},
		{"checkpoint text", func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch) {
			msg, _ := l.Checkpoint(5)
			b.Put(keyOf(prefixCP, 5), bytes.Replace(msg, []byte("\n5\n"), []byte("\n6\n"), 1))
		}, "checkpoint of size 5: auditlog: checkpoint signature does not verify: invalid signature"},
		{"checkpoint moved", func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch) {
			msg, _ := l.Checkpoint(5)
			b.Put(keyOf(prefixCP, 6), msg)
		}, "checkpoint stored as size 6 says size 5"},
		{"checkpoint by another key", func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch) {
			s2, _ := testKey(t, 2)
			other := New(st, WithSigner(s2))
			ob := st.NewBatch()
			msg, _ := other.SignCheckpoint(ob)
			b.Put(keyOf(prefixCP, n), msg)
		}, "not signed by the given key"},
		{"latest checkpoint dropped", func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch) {
			b.Delete(keyOf(prefixCP, n))
		}, "no signed checkpoint covers"},
		{"entry and tree rewritten", func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch) {
			// The attacker changes entry 4 and recomputes every
			// stored hash: only the signatures stand in the way.
			var tr auditlog.MemTree
			for i := int64(0); i < n; i++ {
				e, data, _ := l.Entry(i)
				if i == 4 {
					e.Output = auditlog.SHA256([]byte("forged"))
					data, _ = e.Encode()
					b.Put(keyOf(prefixEntry, 4), data)
				}
				tr.Append(data)
			}
			for i, h := range tr.StoredHashes() {
				b.Put(keyOf(prefixHash, uint64(i)), h[:])
			}
		}, "signed checkpoint of size 5 has root"},
		{"seq index", func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch) {
			b.Put(keyOf(prefixSeq, 3), u64(7))
		}, "the seq index maps seq 3 to entry 7, but its first entry is 2"},
		{"seq index dropped", func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch) {
			b.Delete(keyOf(prefixSeq, 3))
		}, "the seq index has 8 records for 9 distinct seqs"},
		{"seq index invented", func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch) {
			b.Put(keyOf(prefixSeq, 99), u64(1))
		}, "names seq 99, which no entry has"},
		{"bundle planted", func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch) {
			d := auditlog.SHA256([]byte("x"))
			b.Put(append(append([]byte{}, prefixBundle...), d[:]...), []byte("x"))
		}, "is linked by no entry"},
		{"bundle changed", func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch) {
			d := auditlog.SHA256([]byte("x"))
			b.Put(append(append([]byte{}, prefixBundle...), d[:]...), []byte("y"))
		}, "does not hash to its digest"},
		{"size record", func(t *testing.T, st *store.LevelDB, l *Log, b *store.Batch) {
			b.Put(keySize, []byte{1})
		}, "log size record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, l, v := newLog(t, n)
			b := st.NewBatch()
			tt.tamper(t, st, l, b)
			if err := st.Write(b); err != nil {
				t.Fatal(err)
			}
			_, err := l.Check(v)
			if !errors.Is(err, ErrTampered) {
				t.Fatalf("err = %v, want ErrTampered", err)
			}
			ok := false
			for _, w := range strings.Split(tt.want, "|") {
				ok = ok || strings.Contains(err.Error(), w)
			}
			if !ok {
				t.Fatalf("err = %v\nwant it to name %q", err, tt.want)
			}
		})
	}
}

// Every single-byte change of every stored entry is detected.
func TestEveryEntryByteFlipDetected(t *testing.T) {
	st, l, v := newLog(t, 5)
	for i := int64(0); i < 5; i++ {
		_, orig, _ := l.Entry(i)
		for j := range orig {
			data := append([]byte{}, orig...)
			data[j] ^= 0x80
			b := st.NewBatch()
			b.Put(keyOf(prefixEntry, uint64(i)), data)
			st.Write(b)
			if _, err := l.Check(v); !errors.Is(err, ErrTampered) {
				t.Fatalf("entry %d byte %d: %v", i, j, err)
			}
		}
		b := st.NewBatch()
		b.Put(keyOf(prefixEntry, uint64(i)), orig)
		st.Write(b)
	}
	if _, err := l.Check(v); err != nil {
		t.Fatal(err)
	}
}

// An operator who holds the key can rebuild a consistent, re-signed log
// after rewriting history. Check alone cannot see that; an auditor who kept
// an earlier checkpoint can, because no consistency proof exists.
func TestForkAfterPublishedCheckpoint(t *testing.T) {
	_, honest, v := newLog(t, 8)
	published, _ := honest.Checkpoint(6)
	old, err := auditlog.OpenCheckpoint(published, v)
	if err != nil {
		t.Fatal(err)
	}

	st2 := store.OpenMemory()
	defer st2.Close()
	s, _ := testKey(t, 1)
	forked := New(st2, WithSigner(s))
	for i := uint64(1); i <= 10; i++ {
		e := op(i)
		if i == 4 {
			e.Output = auditlog.SHA256([]byte("history rewritten"))
		}
		b := st2.NewBatch()
		if _, err := forked.Append(b, e); err != nil {
			t.Fatal(err)
		}
		st2.Write(b)
	}
	if _, err := forked.Check(v); err != nil {
		t.Fatalf("the forked log is internally consistent, Check should pass: %v", err)
	}
	latest, _ := forked.Latest()
	cur, _ := auditlog.OpenCheckpoint(latest, v)
	p, err := forked.ConsistencyProof(6, 10)
	if err != nil {
		t.Fatal(err)
	}
	err = auditlog.VerifyConsistency(old, cur, p)
	if !errors.Is(err, auditlog.ErrConsistency) || !strings.Contains(err.Error(), "forked") {
		t.Fatalf("fork not detected: %v", err)
	}
}

func TestCheckpointsOnDemand(t *testing.T) {
	st := store.OpenMemory()
	defer st.Close()
	s, v := testKey(t, 1)
	l := New(st, WithSigner(s), WithCheckpointsOnDemand())
	for i := uint64(1); i <= 6; i++ {
		b := st.NewBatch()
		if _, err := l.Append(b, op(i)); err != nil {
			t.Fatal(err)
		}
		st.Write(b)
	}
	rep, err := l.Check(v)
	if err != nil || rep.Checkpoints != 0 || rep.Unsigned != 6 {
		t.Fatalf("%+v %v", rep, err)
	}
	// Asked for, a checkpoint of any size is signed, and equals what the
	// per-batch policy would have stored.
	_, every, _ := newLog(t, 6)
	for n := int64(1); n <= 6; n++ {
		got, err := l.Checkpoint(n)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := every.Checkpoint(n)
		if !bytes.Equal(got, want) {
			t.Fatalf("size %d: on-demand checkpoint differs:\n%s\n%s", n, got, want)
		}
	}
	x, err := l.Export(2, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auditlog.VerifyExport(x, v); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Checkpoint(7); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if _, err := New(st).Checkpoint(3); !errors.Is(err, ErrNotFound) {
		t.Fatal("read-only log signed")
	}
	// Storing one on demand covers the log again.
	b := st.NewBatch()
	if _, err := l.SignCheckpoint(b); err != nil {
		t.Fatal(err)
	}
	st.Write(b)
	if rep, err := l.Check(v); err != nil || rep.Unsigned != 0 || rep.Signed != 6 {
		t.Fatalf("%+v %v", rep, err)
	}
}
