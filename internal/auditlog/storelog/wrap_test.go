package storelog

import (
	"errors"
	"fmt"
	"sync"
	"testing"

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
	// Staged keys never reach the database.
	n := 0
	st.Iterate(prefixStaged, func(k, v []byte) error { n++; return nil })
	if n != 0 {
		t.Fatalf("%d staged keys stored", n)
	}
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
	// A corrupted staged entry is refused and nothing is written.
	b = ws.NewBatch()
	b.Put(keyOf(prefixStaged, 0), []byte{9})
	b.Put([]byte("k2"), []byte("v"))
	if err := ws.Write(b); !errors.Is(err, auditlog.ErrMalformedEntry) {
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
