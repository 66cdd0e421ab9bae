package security

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mcpzero/mcpzero/internal/store"
)

func TestAgreementWildcardAndStateQuota(t *testing.T) {
	f := newFixture(t)
	a := f.agreement(t, func(tm *Terms) {
		tm.Resource = "agent:*"
		tm.Operations = []string{OpAll}
		tm.Quotas = map[string]uint64{MetricStateBytes: 10}
	})
	if err := f.m.RegisterAgreement(a); err != nil {
		t.Fatal(err)
	}
	f.now = 10
	if err := f.m.VerifyAgreement(a.ID, "agent:any", "whatever", Usage{StateBytes: 10}); err != nil {
		t.Fatal(err)
	}
	var qe *QuotaError
	if err := f.m.VerifyAgreement(a.ID, "agent:any", "x", Usage{StateBytes: 11}); !errors.As(err, &qe) || qe.Metric != MetricStateBytes || !strings.Contains(err.Error(), "state_bytes") {
		t.Fatalf("state quota: %v", err)
	}
	if err := f.m.VerifyAgreement(a.ID, "plugin:x", "x", Usage{}); !errors.Is(err, ErrAgreementScope) {
		t.Fatalf("scope: %v", err)
	}
}

func TestCorruptedRecords(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  []byte
	}{
		{"key", store.Key(pfxKey, []byte("x"))},
		{"grant", store.Key(pfxGrant, []byte("a"), []byte("cap:clock"))},
	} {
		st := store.OpenMemory()
		b := st.NewBatch()
		b.Put(tc.key, []byte("{not json"))
		st.Write(b)
		if _, err := Open(st); !errors.Is(err, store.ErrCorrupted) {
			t.Errorf("%s: %v", tc.name, err)
		}
		st.Close()
	}
	f := newFixture(t)
	b := f.st.NewBatch()
	b.Put(store.Key(pfxAgr, []byte("bad")), []byte("{"))
	b.Put(store.Key(pfxAgrRev, []byte("bad2")), []byte("{"))
	b.Put(store.Key(pfxAgr, []byte("bad2")), mustJSON(&Agreement{ID: "bad2"}))
	b.Put(store.Key(pfxAgrUsage, []byte("bad3")), []byte("{"))
	b.Put(store.Key(pfxAgr, []byte("bad3")), mustJSON(&Agreement{ID: "bad3"}))
	f.st.Write(b)
	for _, id := range []string{"bad", "bad2", "bad3"} {
		if _, _, _, err := f.m.Agreement(id); !errors.Is(err, store.ErrCorrupted) {
			t.Errorf("%s: %v", id, err)
		}
	}
	if _, err := f.m.Agreements(); !errors.Is(err, store.ErrCorrupted) {
		t.Errorf("list: %v", err)
	}
}

func TestHostCapsClock(t *testing.T) {
	f := newFixture(t)
	fixed := time.Unix(1700000000, 5)
	if got := (&HostCaps{M: f.m, Clock: func() time.Time { return fixed }}).Now(); got != fixed.UnixNano() {
		t.Fatal(got)
	}
	if d := time.Since(time.Unix(0, (&HostCaps{M: f.m}).Now())); d < 0 || d > time.Minute {
		t.Fatal(d)
	}
	if short("abc") != "abc" {
		t.Fatal("short")
	}
}
