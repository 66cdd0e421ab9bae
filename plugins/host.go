package plugins

import (
	"context"
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/mcpzero/mcpzero/internal/hostabi"
)

// Limits of the state host functions (docs/ABI.md).
const (
	MaxKeyLen   = 256
	MaxValueLen = 1 << 20
	MaxLogLine  = 4096
)

var (
	// ErrNoEnv: a kernel-only host function was called outside the kernel
	// (for example by `mcpzero run`).
	ErrNoEnv = errors.New("kernel host function unavailable outside an agent")
	// ErrHostArgs: a host call's arguments break an ABI limit.
	ErrHostArgs = errors.New("host call argument out of range")
)

func env(ctx context.Context, fn string) Env {
	e, _ := ctx.Value(envKey{}).(Env)
	if e == nil {
		panic(fmt.Errorf("%w: %s", ErrNoEnv, fn))
	}
	if err := e.Check(fn); err != nil {
		panic(err)
	}
	return e
}

func read(m api.Module, fn string, ptr, n uint32) []byte {
	b, ok := m.Memory().Read(ptr, n)
	if !ok {
		panic(fmt.Errorf("%w: %s reads [%d, %d)", hostabi.ErrOutOfBounds, fn, ptr, uint64(ptr)+uint64(n)))
	}
	return b
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func key(m api.Module, fn string, ptr, n uint32) []byte {
	if n > MaxKeyLen {
		panic(fmt.Errorf("%w: %s: key of %d bytes > %d", ErrHostArgs, fn, n, MaxKeyLen))
	}
	return read(m, fn, ptr, n)
}

// defineKernel adds log and state_* to the host module builder.
func defineKernel(b wazero.HostModuleBuilder) {
	i32 := api.ValueTypeI32
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
			e := env(ctx, hostabi.FnLog)
			n := uint32(stack[1])
			line := read(m, hostabi.FnLog, uint32(stack[0]), n)
			if n > MaxLogLine {
				line = line[:MaxLogLine]
			}
			must(e.Log(append([]byte(nil), line...)))
		}), []api.ValueType{i32, i32}, nil).
		WithParameterNames("src", "len").WithName(hostabi.FnLog).Export(hostabi.FnLog)
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
			e := env(ctx, hostabi.FnStateGet)
			k := key(m, hostabi.FnStateGet, uint32(stack[0]), uint32(stack[1]))
			dst, capacity := uint32(stack[2]), uint32(stack[3])
			v, ok, err := e.StateGet(k)
			must(err)
			if !ok {
				stack[0] = uint64(0xFFFFFFFF) // -1 as i32
				return
			}
			n := uint32(len(v))
			if capacity < n {
				n = capacity
			}
			if !m.Memory().Write(dst, v[:n]) {
				panic(fmt.Errorf("%w: state_get writes [%d, %d)", hostabi.ErrOutOfBounds, dst, uint64(dst)+uint64(n)))
			}
			stack[0] = uint64(uint32(len(v)))
		}), []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}).
		WithParameterNames("key", "key_len", "dst", "cap").WithName(hostabi.FnStateGet).Export(hostabi.FnStateGet)
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
			e := env(ctx, hostabi.FnStateSet)
			k := key(m, hostabi.FnStateSet, uint32(stack[0]), uint32(stack[1]))
			vn := uint32(stack[3])
			if vn > MaxValueLen {
				panic(fmt.Errorf("%w: state_set: value of %d bytes > %d", ErrHostArgs, vn, MaxValueLen))
			}
			v := read(m, hostabi.FnStateSet, uint32(stack[2]), vn)
			// The memory slice is only valid during this call: copy both.
			must(e.StateSet(append([]byte(nil), k...), append([]byte(nil), v...)))
		}), []api.ValueType{i32, i32, i32, i32}, nil).
		WithParameterNames("key", "key_len", "val", "val_len").WithName(hostabi.FnStateSet).Export(hostabi.FnStateSet)
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
			e := env(ctx, hostabi.FnStateDelete)
			k := key(m, hostabi.FnStateDelete, uint32(stack[0]), uint32(stack[1]))
			must(e.StateDelete(append([]byte(nil), k...)))
		}), []api.ValueType{i32, i32}, nil).
		WithParameterNames("key", "key_len").WithName(hostabi.FnStateDelete).Export(hostabi.FnStateDelete)
}
