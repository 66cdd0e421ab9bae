package resource

import (
	"context"
	"fmt"
	"sync"

	"github.com/mcpzero/mcpzero/internal/fuel"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// ErrFuelExhausted is the error of a call stopped by its fuel limit (the
// same value as fuel.ErrExhausted).
var ErrFuelExhausted = fuel.ErrExhausted

// Meter meters plugin calls with internal/fuel. It implements the plugin
// sandbox's Meter interface: Instrument before compiling, Begin before a
// call, Used after it.
type Meter struct {
	startFuel int64

	mu      sync.Mutex
	budgets map[api.Module]uint64
}

// NewMeter returns a meter. startFuel is the budget of what runs at
// instantiation (a start function, a Go module's _initialize), before Begin
// sets the call's budget.
func NewMeter(startFuel uint64) *Meter {
	if startFuel > 1<<62 {
		startFuel = 1 << 62
	}
	return &Meter{startFuel: int64(startFuel), budgets: map[api.Module]uint64{}}
}

// Instrument adds fuel metering to a module, with checkpoints: the module
// imports fuel.CheckpointModule, which DefineHost provides.
func (m *Meter) Instrument(wasm []byte) ([]byte, error) {
	return fuel.Instrument(wasm, fuel.WithInitialFuel(m.startFuel), fuel.WithCheckpoints())
}

// DefineHost instantiates the checkpoint host module in rt; call it once per
// runtime before instantiating instrumented modules. The checkpoints let Go
// preempt long calls on the compiler engine, so a runaway plugin does not
// stall the garbage collector and the other agents.
func (m *Meter) DefineHost(ctx context.Context, rt wazero.Runtime) error {
	return fuel.DefineCheckpoint(ctx, rt)
}

// Begin gives an instance its budget.
func (m *Meter) Begin(mod api.Module, limit uint64) error {
	fm, err := fuel.NewMeter(mod)
	if err != nil {
		return err
	}
	if limit > 1<<62 {
		limit = 1 << 62
	}
	fm.Set(int64(limit))
	m.mu.Lock()
	m.budgets[mod] = limit
	m.mu.Unlock()
	return nil
}

// Used returns the fuel the call used. When the call ran out, it returns
// the whole budget and an error wrapping ErrFuelExhausted.
func (m *Meter) Used(mod api.Module) (uint64, error) {
	m.mu.Lock()
	budget, ok := m.budgets[mod]
	delete(m.budgets, mod)
	m.mu.Unlock()
	if !ok {
		return 0, fmt.Errorf("resource: Used without Begin")
	}
	fm, err := fuel.NewMeter(mod)
	if err != nil {
		return 0, err
	}
	left := fm.Remaining()
	if left < 0 {
		return budget, &fuel.ExhaustedError{Budget: int64(budget)}
	}
	return budget - uint64(left), nil
}
