package security

import (
	"fmt"
	"testing"
)

// BenchmarkCheckPermission: one check among 1,000 grants (hit, wildcard
// hit and denial).
func BenchmarkCheckPermission(b *testing.B) {
	f := newFixture(b)
	for i := 0; i < 1000; i++ {
		f.grant(b, fmt.Sprintf("agent-%d", i%50), fmt.Sprintf("agent:agent-%d", i), OpRead)
	}
	f.grant(b, "agent-7", "plugin:*", OpAttach)
	for _, c := range []struct{ name, agent, res, op string }{
		{"hit", "agent-7", "agent:agent-57", OpRead},
		{"wildcard", "agent-7", "plugin:counter", OpAttach},
		{"denied", "agent-7", ResourceClock, OpRead},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				f.m.CheckPermission(c.agent, c.res, c.op)
			}
		})
	}
}

// BenchmarkVerifyAgreement: the full check of a registered agreement
// (signatures cached after the first call, usage read from the store).
func BenchmarkVerifyAgreement(b *testing.B) {
	f := newFixture(b)
	a := f.agreement(b, nil)
	if err := f.m.RegisterAgreement(a); err != nil {
		b.Fatal(err)
	}
	f.now = 15
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := f.m.VerifyAgreement(a.ID, "agent:agent-2", "count", Usage{Calls: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordUsage: the commit-time half of an agreement check, as the
// kernel's commit hook runs it for every execute that names an agreement:
// the same checks with the actual usage (calls, fuel, state bytes), then the
// new usage staged in the execute's batch (not written here).
func BenchmarkRecordUsage(b *testing.B) {
	f := newFixture(b)
	a := f.agreement(b, func(t *Terms) {
		t.Quotas = map[string]uint64{MetricCalls: 1 << 40, MetricFuel: 1 << 40, MetricStateBytes: 1 << 40}
	})
	if err := f.m.RegisterAgreement(a); err != nil {
		b.Fatal(err)
	}
	f.now = 15
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		batch := f.st.NewBatch()
		if err := f.m.RecordUsage(batch, a.ID, "agent:agent-2", "count", Usage{Calls: 1, Fuel: 1234, StateBytes: 13}); err != nil {
			b.Fatal(err)
		}
	}
}
