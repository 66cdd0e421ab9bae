package resource

import (
	"context"
	"errors"

	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/kernel"
)

// CommitHook returns the kernel commit hook that records each execute's
// usage (one call and its fuel) in the execute's own batch, so that usage
// counts exactly the committed calls, across restarts. The allocator needs
// WithStore on the kernel's store.
func (a *Allocator) CommitHook() kernel.CommitHook {
	return kernel.CommitHookFunc(func(b *store.Batch, rec *kernel.OpRecord) error {
		if rec.Kind != kernel.OpExecute {
			return nil
		}
		return a.RecordUsage(b, string(rec.Agent), Usage{Calls: 1, Fuel: rec.FuelUsed, StateBytes: -1})
	})
}

// Admission returns the kernel's admission control (kernel.WithAdmission):
// each execute allocates the agent's limits from its constraints, takes one
// of its concurrent-call slots (refused at once when all are busy) and a
// worker of the kernel-wide pool (waited for until the context ends). When
// the call failed, its fuel and the failure are added to the agent's usage
// (committed calls are counted by CommitHook).
func (a *Allocator) Admission() kernel.Admission { return admission{a} }

type admission struct{ a *Allocator }

func (ad admission) Admit(ctx context.Context, agent kernel.AgentID, _ string, c kernel.Constraints) (func(uint64, error), error) {
	id := string(agent)
	limits := Limits{FuelPerCall: c.FuelPerCall, MemoryPages: c.MemoryPages, StateBytes: c.StateBytes, Deadline: c.Deadline}
	if old, err := ad.a.Limits(id); err == nil {
		limits.MaxConcurrent = old.MaxConcurrent
	}
	if err := ad.a.Allocate(id, limits); err != nil {
		return nil, err
	}
	lease, err := ad.a.Acquire(ctx, id)
	if err != nil {
		return nil, err
	}
	return func(fuelUsed uint64, err error) {
		lease.Done()
		if err == nil || ad.a.st == nil {
			return
		}
		u := Usage{Failed: 1, Fuel: fuelUsed, StateBytes: -1}
		if errors.Is(err, ErrFuelExhausted) {
			u.Exhausted = 1
		}
		ad.a.UpdateUsage(id, u) // best effort: the call has failed anyway
	}, nil
}
