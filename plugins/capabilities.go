package plugins

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/mcpzero/mcpzero/internal/hostabi"
)

// Capability-gated host functions of module "mcpzero" (docs/ABI.md). Each
// is allowed only when the Authorizer grants it (Env.Check), and its value
// is recorded with the operation so that a replay reproduces it.
const (
	// FnClockNow: () -> i64, the real time in nanoseconds since the Unix
	// epoch (capability "clock").
	FnClockNow = "clock_now"
	// FnRandomGet: (dst i32, len i32) -> (), fills [dst, dst+len) with the
	// call's deterministic random stream (capability "random").
	FnRandomGet = "random_get"
	// MaxRandomLen bounds one random_get.
	MaxRandomLen = 1 << 16
)

// CapabilityEnv is implemented by an Env that provides the capability
// functions; without it they trap with ErrNoEnv.
type CapabilityEnv interface {
	ClockNow() (int64, error)
	RandomBytes(n uint32) ([]byte, error)
}

func capEnv(ctx context.Context, fn string) CapabilityEnv {
	c, ok := env(ctx, fn).(CapabilityEnv)
	if !ok {
		panic(fmt.Errorf("%w: %s", ErrNoEnv, fn))
	}
	return c
}

// defineCapabilities adds clock_now and random_get to the host module.
func defineCapabilities(b wazero.HostModuleBuilder) {
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
			v, err := capEnv(ctx, FnClockNow).ClockNow()
			must(err)
			stack[0] = uint64(v)
		}), nil, []api.ValueType{api.ValueTypeI64}).
		WithName(FnClockNow).Export(FnClockNow)
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
			dst, n := uint32(stack[0]), uint32(stack[1])
			if n > MaxRandomLen {
				panic(fmt.Errorf("%w: random_get of %d bytes > %d", ErrHostArgs, n, MaxRandomLen))
			}
			bytes, err := capEnv(ctx, FnRandomGet).RandomBytes(n)
			must(err)
			if !m.Memory().Write(dst, bytes) {
				panic(fmt.Errorf("%w: random_get writes [%d, %d)", hostabi.ErrOutOfBounds, dst, uint64(dst)+uint64(n)))
			}
		}), []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, nil).
		WithParameterNames("dst", "len").WithName(FnRandomGet).Export(FnRandomGet)
}
