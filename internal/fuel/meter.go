package fuel

import (
	"context"

	"github.com/tetratelabs/wazero/api"
)

// Meter reads and writes the fuel counter of one instantiated module.
type Meter struct {
	g       api.MutableGlobal
	reserve api.MutableGlobal // nil without checkpoints
}

// NewMeter returns the meter of an instantiated, instrumented module.
func NewMeter(mod api.Module) (*Meter, error) {
	g, ok := mod.ExportedGlobal(ExportName).(api.MutableGlobal)
	if !ok || g.Type() != api.ValueTypeI64 {
		return nil, ErrNotInstrumented
	}
	m := &Meter{g: g}
	if r, ok := mod.ExportedGlobal(ReserveExportName).(api.MutableGlobal); ok && r.Type() == api.ValueTypeI64 {
		m.reserve = r
	}
	return m, nil
}

// Set sets the fuel left. Negative values are stored as 0.
func (m *Meter) Set(n int64) {
	if n < 0 {
		n = 0
	}
	if m.reserve == nil {
		m.g.Set(uint64(n))
		return
	}
	c := min(n, CheckpointInterval)
	m.g.Set(uint64(c))
	m.reserve.Set(uint64(n - c))
}

// Remaining is the fuel left; negative once a call ran out.
func (m *Meter) Remaining() int64 {
	left := int64(m.g.Get())
	if m.reserve != nil {
		left += int64(m.reserve.Get())
	}
	return left
}

// Exhausted reports whether the last call ran out of fuel.
func (m *Meter) Exhausted() bool { return m.Remaining() < 0 }

// Call calls fn with the given budget and returns its results and the fuel
// it used. A call stopped by its budget returns an *ExhaustedError (errors.Is
// ErrExhausted) and used == budget; any other trap is returned as wazero
// reported it, with the fuel used up to the start of the segment that
// trapped.
func (m *Meter) Call(ctx context.Context, fn api.Function, budget int64, params ...uint64) (results []uint64, used int64, err error) {
	if budget < 0 {
		return nil, 0, ErrNegativeBudget
	}
	m.Set(budget)
	results, err = fn.Call(ctx, params...)
	left := m.Remaining()
	if left < 0 {
		return nil, budget, &ExhaustedError{Budget: budget, Trap: err}
	}
	return results, budget - left, err
}
