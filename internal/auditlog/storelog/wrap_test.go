package storelog

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/mcpzero/mcpzero/internal/auditlog"
	"github.com/mcpzero/mcpzero/internal/store"
)

// Components committing concurrently through the wrapped store each get
// their entries appended exactly once, in write order, with the log valid.
func TestWrapConcurrentWriters(t *testing.T) {
	st := store.OpenMemory()
	defer st.Close()
	s, v := testKey(t, 1)
	ws := Wrap(st, New(st, WithSigner(s)))
	const writers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				b := ws.NewBatch()
				b.Put(fmt.Appendf(nil, "w%d/%d", w, i), []byte("x"))
				e := op(uint64(w*each + i + 1))
				if err := Stage(b, e); err != nil {
					errs <- err
					return
				}
				if i%5 == 0 { // some operations stage two entries
					e.Kind = auditlog.KindAgreementUse
					if err := Stage(b, e); err != nil {
						errs <- err
						return
					}
				}
				if err := ws.Write(b); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rep, err := ws.Log().Check(v)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(writers*each + writers*each/5); rep.Size != want {
		t.Fatalf("size %d, want %d", rep.Size, want)
	}
	// Only the log's and the operations' keys are stored.
	n := 0
	st.Iterate(nil, func(k, v []byte) error {
		if !bytes.HasPrefix(k, prefix) && !bytes.HasPrefix(k, []byte("w")) {
			t.Errorf("unexpected key %q", k)
		}
		n++
		return nil
	})
}

func TestWrapDroppedAndPlainBatches(t *testing.T) {
	st := store.OpenMemory()
	defer st.Close()
	s, v := testKey(t, 1)
	ws := Wrap(st, New(st, WithSigner(s)))
	// A batch that stages and is dropped: nothing happens.
	b := ws.NewBatch()
	if err := Stage(b, op(1)); err != nil {
		t.Fatal(err)
	}
	// A batch with no staged entries is written as is.
	plain := ws.NewBatch()
	plain.Put([]byte("k"), []byte("v"))
	if err := ws.Write(plain); err != nil {
		t.Fatal(err)
	}
	if n, _ := ws.Log().Size(); n != 0 {
		t.Fatalf("size %d", n)
	}
	if err := Stage(ws.NewBatch(), auditlog.Entry{Kind: "BAD"}); !errors.Is(err, auditlog.ErrMalformedEntry) {
		t.Fatal(err)
	}
	// A read-only log refuses staged entries, and nothing is written.
	ro0 := Wrap(st, New(st))
	b = ro0.NewBatch()
	Stage(b, op(1))
	b.Put([]byte("k2"), []byte("v"))
	if err := ro0.Write(b); !errors.Is(err, ErrReadOnly) {
		t.Fatal(err)
	}
	if ok, _ := st.Has([]byte("k2")); ok {
		t.Fatal("batch written despite the error")
	}
	// A read-only log refuses staged entries.
	ro := Wrap(st, New(st))
	b = ro.NewBatch()
	Stage(b, op(1))
	if err := ro.Write(b); !errors.Is(err, ErrReadOnly) {
		t.Fatal(err)
	}
	if _, err := ws.Log().Check(v); err != nil {
		t.Fatal(err)
	}
}

// Entries staged in batches that are never written are forgotten once the
// batches are garbage.
func TestStagedBatchesAreForgotten(t *testing.T) {
	before := stagedBatches()
	for i := 0; i < 100; i++ {
		b := &store.Batch{}
		if err := Stage(b, op(uint64(i+1))); err != nil {
			t.Fatal(err)
		}
	}
	if stagedBatches() < before+1 {
		t.Fatal("nothing staged")
	}
	for i := 0; i < 50 && stagedBatches() > before; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := stagedBatches(); n > before {
		t.Fatalf("%d dropped batches still hold staged entries", n-before)
	}
}
