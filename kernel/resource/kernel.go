package resource

import (
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
