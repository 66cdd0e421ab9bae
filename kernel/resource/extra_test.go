package resource

import (
	"errors"
	"strings"
	"testing"

	"github.com/mcpzero/mcpzero/internal/store"
)

func TestLimitErrorAndUsageErrors(t *testing.T) {
	e := &LimitError{Agent: "a", Resource: ResFuel, Limit: 5, Requested: 6}
	if !strings.Contains(e.Error(), "fuel 6 > limit 5") || !errors.Is(e, ErrLimitExceeded) {
		t.Fatal(e.Error())
	}
	st := store.OpenMemory()
	a := New(WithStore(st))
	bad := st.NewBatch()
	bad.Put(store.Key(pfxUsage, []byte("z")), []byte("{"))
	st.Write(bad)
	if err := a.UpdateUsage("z", Usage{Calls: 1}); !errors.Is(err, store.ErrCorrupted) {
		t.Fatal(err)
	}
	b := st.NewBatch()
	b.Delete(store.Key(pfxUsage, []byte("z")))
	if err := a.RecordUsage(b, "z", Usage{Calls: 1}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := a.UpdateUsage("y", Usage{Calls: 1}); err == nil {
		t.Fatal("write to a closed store")
	}
	if err := New().RecordUsage(store.OpenMemory().NewBatch(), "a", Usage{}); err == nil {
		t.Fatal("RecordUsage without a store")
	}
}
