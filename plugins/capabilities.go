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

// defineCapabilities adds clock_now, random_get and http_get to the host
// module.
func defineCapabilities(b wazero.HostModuleBuilder) {
	defineHTTP(b)
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

// FnHTTPGet: (url i32, url_len i32, dst i32, cap i32) -> i32, an HTTP GET
// of the URL (capability "http"; the destination host must be granted):
// copies min(len(body), cap) bytes of the body to dst and returns the
// body's length for a 2xx status, -status for another status, -1 when the
// request failed. Bodies are cut at MaxHTTPBody.
const (
	FnHTTPGet   = "http_get"
	MaxHTTPBody = 1 << 20
	MaxURLLen   = 2048
)

// HTTPEnv is implemented by an Env that provides http_get; without it the
// function traps with ErrNoEnv. A refused destination is an error (the call
// traps with it); a failed request is status 0.
type HTTPEnv interface {
	HTTPGet(ctx context.Context, url string) (status int, body []byte, err error)
}

func defineHTTP(b wazero.HostModuleBuilder) {
	i32 := api.ValueTypeI32
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
			e, ok := env(ctx, FnHTTPGet).(HTTPEnv)
			if !ok {
				panic(fmt.Errorf("%w: %s", ErrNoEnv, FnHTTPGet))
			}
			n := uint32(stack[1])
			if n > MaxURLLen {
				panic(fmt.Errorf("%w: http_get: URL of %d bytes > %d", ErrHostArgs, n, MaxURLLen))
			}
			url := string(read(m, FnHTTPGet, uint32(stack[0]), n))
			dst, capacity := uint32(stack[2]), uint32(stack[3])
			status, body, err := e.HTTPGet(ctx, url)
			must(err)
			switch {
			case status == 0:
				stack[0] = uint64(uint32(0xFFFFFFFF))
				return
			case status < 200 || status > 299:
				stack[0] = uint64(uint32(-int32(status)))
				return
			}
			w := body
			if uint32(len(w)) > capacity {
				w = w[:capacity]
			}
			if !m.Memory().Write(dst, w) {
				panic(fmt.Errorf("%w: http_get writes [%d, %d)", hostabi.ErrOutOfBounds, dst, uint64(dst)+uint64(len(w))))
			}
			stack[0] = uint64(uint32(len(body)))
		}), []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}).
		WithParameterNames("url", "url_len", "dst", "cap").WithName(FnHTTPGet).Export(FnHTTPGet)
}
