package security

import (
	"errors"
	"testing"

	"github.com/mcpzero/mcpzero/internal/store"
)

func (f *fixture) agreement(t testing.TB, mut func(*Terms)) *Agreement {
	t.Helper()
	terms := Terms{
		Consumer: f.consumer.id, Provider: f.provider.id,
		Resource: "agent:agent-2", Operations: []string{"count", "read"},
		NotBefore: 10, NotAfter: 20,
		Quotas: map[string]uint64{MetricCalls: 3, MetricFuel: 1000},
	}
	if mut != nil {
		mut(&terms)
	}
	a, err := NewAgreement(terms)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Sign(f.consumer.id, f.consumer.priv); err != nil {
		t.Fatal(err)
	}
	if err := a.Sign(f.provider.id, f.provider.priv); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAgreementLifecycle(t *testing.T) {
	f := newFixture(t)
	a := f.agreement(t, nil)
	if err := f.m.RegisterAgreement(a); err != nil {
		t.Fatal(err)
	}
	if err := f.m.RegisterAgreement(a); err != nil { // idempotent
		t.Fatal(err)
	}
	if a.ID != a.Terms.ID() || len(a.ID) != 64 {
		t.Fatalf("id %q", a.ID)
	}
	res, op := "agent:agent-2", "count"
	call := Usage{Calls: 1, Fuel: 100}
	f.now = 9
	if err := f.m.VerifyAgreement(a.ID, res, op, call); !errors.Is(err, ErrAgreementWindow) {
		t.Fatalf("before window: %v", err)
	}
	f.now = 10
	if err := f.m.VerifyAgreement(a.ID, res, op, call); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ res, op string }{{"agent:agent-3", op}, {res, "write"}} {
		if err := f.m.VerifyAgreement(a.ID, tc.res, tc.op, call); !errors.Is(err, ErrAgreementScope) {
			t.Fatalf("scope %v: %v", tc, err)
		}
	}
	// Usage is recorded in the execute's batch: not written, not counted.
	b := f.st.NewBatch()
	if err := f.m.RecordUsage(b, a.ID, res, op, Usage{Calls: 1, Fuel: 400}); err != nil {
		t.Fatal(err)
	}
	if _, _, u, _ := f.m.Agreement(a.ID); u != (Usage{}) {
		t.Fatalf("usage visible before the batch is written: %+v", u)
	}
	// A second execute in the same batch sees the pending usage.
	if err := f.m.RecordUsage(b, a.ID, res, op, Usage{Calls: 1, Fuel: 400}); err != nil {
		t.Fatal(err)
	}
	if err := f.m.RecordUsage(b, a.ID, res, op, Usage{Calls: 1, Fuel: 400}); !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("fuel 1200 > 1000 accepted: %v", err)
	}
	if err := f.st.Write(b); err != nil {
		t.Fatal(err)
	}
	_, _, u, err := f.m.Agreement(a.ID)
	if err != nil || u != (Usage{Calls: 2, Fuel: 800}) {
		t.Fatalf("usage %+v %v", u, err)
	}
	var qe *QuotaError
	if err := f.m.VerifyAgreement(a.ID, res, op, Usage{Calls: 1, Fuel: 201}); !errors.As(err, &qe) || qe.Metric != MetricFuel || qe.Used != 800 {
		t.Fatalf("fuel estimate over quota: %v", err)
	}
	if err := f.m.VerifyAgreement(a.ID, res, op, Usage{Calls: 2}); !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("calls over quota: %v", err)
	}
	if err := f.m.VerifyAgreement(a.ID, res, op, Usage{Calls: 1, Fuel: 200, StateBytes: 1 << 40}); err != nil {
		t.Fatalf("unlimited metric limited: %v", err)
	}
	f.now = 21
	if err := f.m.VerifyAgreement(a.ID, res, op, call); !errors.Is(err, ErrAgreementWindow) {
		t.Fatalf("after window: %v", err)
	}
	f.now = 15
	// Revocation: by a stranger refused, by the provider accepted.
	bad := &AgreementRevocation{ID: a.ID, Signer: f.outsider.id, Signature: signWith(f.outsider, RevocationBytes(a.ID))}
	if err := f.m.RevokeAgreement(bad); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("stranger revoked: %v", err)
	}
	rev := &AgreementRevocation{ID: a.ID, Signer: f.provider.id, Signature: signWith(f.provider, RevocationBytes(a.ID))}
	if err := f.m.RevokeAgreement(rev); err != nil {
		t.Fatal(err)
	}
	if err := f.m.VerifyAgreement(a.ID, res, op, call); !errors.Is(err, ErrAgreementRevoked) {
		t.Fatalf("revoked: %v", err)
	}
	f.reopen(t)
	if err := f.m.VerifyAgreement(a.ID, res, op, call); !errors.Is(err, ErrAgreementRevoked) {
		t.Fatalf("revocation lost on reopen: %v", err)
	}
	if list, err := f.m.Agreements(); err != nil || len(list) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	if err := f.m.VerifyAgreement("00", res, op, call); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
}

// TestAgreementCheckOrder: when several checks fail, the first in the
// documented order is reported.
func TestAgreementCheckOrder(t *testing.T) {
	f := newFixture(t)
	a := f.agreement(t, nil)
	if err := f.m.RegisterAgreement(a); err != nil {
		t.Fatal(err)
	}
	f.now = 50 // outside the window
	// Scope and quota also fail; the window is reported first.
	if err := f.m.VerifyAgreement(a.ID, "agent:x", "write", Usage{Calls: 99}); !errors.Is(err, ErrAgreementWindow) {
		t.Fatalf("%v", err)
	}
	f.m.RevokeAgreement(&AgreementRevocation{ID: a.ID, Signer: f.op.id, Signature: signWith(f.op, RevocationBytes(a.ID))})
	if err := f.m.VerifyAgreement(a.ID, "agent:x", "write", Usage{Calls: 99}); !errors.Is(err, ErrAgreementRevoked) {
		t.Fatalf("%v", err)
	}
	// Removing the provider's key makes the signature check fail first.
	if err := f.m.RemoveKey(f.provider.id); err != nil {
		t.Fatal(err)
	}
	if err := f.m.VerifyAgreement(a.ID, "agent:x", "write", Usage{Calls: 99}); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("%v", err)
	}
}

func TestAgreementRegistrationRefused(t *testing.T) {
	f := newFixture(t)
	unsigned, _ := NewAgreement(Terms{Consumer: f.consumer.id, Provider: f.provider.id, Resource: "agent:a", Operations: []string{"x"}, NotAfter: 5})
	oneSig, _ := NewAgreement(unsigned.Terms)
	oneSig.Sign(f.consumer.id, f.consumer.priv)
	tampered := f.agreement(t, nil)
	tampered.Terms.Quotas[MetricCalls] = 1 << 60
	forged := f.agreement(t, nil)
	forged.ID = forged.Terms.ID()
	forged.ProviderSignature = forged.ConsumerSignature
	notParty, _ := NewAgreement(Terms{Consumer: f.consumer.id, Provider: f.outsider.id, Resource: "agent:a", Operations: []string{"x"}, NotAfter: 5})
	notParty.Sign(f.consumer.id, f.consumer.priv)
	notParty.Sign(f.outsider.id, f.outsider.priv)
	for name, a := range map[string]*Agreement{
		"unsigned": unsigned, "one signature": oneSig, "tampered terms": tampered,
		"forged provider signature": forged, "provider without party role": notParty,
	} {
		if err := f.m.RegisterAgreement(a); !errors.Is(err, ErrInvalidSignature) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	for name, terms := range map[string]Terms{
		"empty window": {Consumer: "a", Provider: "b", Resource: "agent:a", Operations: []string{"x"}, NotBefore: 5, NotAfter: 4},
		"no ops":       {Consumer: "a", Provider: "b", Resource: "agent:a", NotAfter: 4},
		"bad metric":   {Consumer: "a", Provider: "b", Resource: "agent:a", Operations: []string{"x"}, Quotas: map[string]uint64{"bytes": 1}},
		"bad resource": {Consumer: "a", Provider: "b", Resource: "a", Operations: []string{"x"}},
		"no parties":   {Resource: "agent:a", Operations: []string{"x"}},
	} {
		if _, err := NewAgreement(terms); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if err := unsigned.Sign(f.outsider.id, f.outsider.priv); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("sign by a stranger: %v", err)
	}
}

func TestUsageAdd(t *testing.T) {
	u := Usage{Calls: ^uint64(0), Fuel: 1}.Add(Usage{Calls: 5, Fuel: 2})
	if u.Calls != ^uint64(0) || u.Fuel != 3 {
		t.Fatalf("%+v", u)
	}
}

func signWith(p party, msg []byte) []byte {
	return ed25519Sign(p, msg)
}

var _ = store.Key
