package hostabi

import (
	"context"
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Version is the host ABI version documented in docs/ABI.md.
const Version = 1

// Module is the name plugins import host functions from.
const Module = "mcpzero"

// Names of the host functions.
const (
	// Provable: supported by the tracer and the circuits.
	FnInputSize   = "input_size"
	FnInputRead   = "input_read"
	FnOutputWrite = "output_write"
	// Kernel-only: need the agent's state or the operation log.
	FnLog         = "log"
	FnStateGet    = "state_get"
	FnStateSet    = "state_set"
	FnStateDelete = "state_delete"
)

// ProvableFunctions lists the imports a provable module may use.
var ProvableFunctions = []string{FnInputSize, FnInputRead, FnOutputWrite}

// DefaultMaxOutput bounds a call's output when IO.MaxOutput is zero.
const DefaultMaxOutput = 1 << 20

var (
	// ErrOutOfBounds is the trap of a host call whose memory range is outside
	// linear memory, the same trap a load or store raises.
	ErrOutOfBounds = errors.New("out of bounds memory access")
	// ErrOutputLimit is the trap of an output_write past the output limit.
	ErrOutputLimit = errors.New("output limit exceeded")
	// ErrNoCall is raised when a host function runs outside a call that
	// carries an IO (a programming error of the embedder, never of a plugin).
	ErrNoCall = errors.New("hostabi: no call I/O in context")
)

// Memory is the view of linear memory the I/O functions need. wazero's
// api.Memory satisfies it, and so does the tracer's memory.
type Memory interface {
	Read(offset, byteCount uint32) ([]byte, bool)
	Write(offset uint32, v []byte) bool
}

// IO is one call's input and output.
type IO struct {
	Input     []byte
	Output    []byte
	MaxOutput int // 0 means DefaultMaxOutput
}

// InputSize implements input_size.
func (io *IO) InputSize() uint32 { return uint32(len(io.Input)) }

// InputReadCount is the number of bytes input_read(_, offset, length)
// copies: min(length, size-offset), or 0 when offset >= size.
func (io *IO) InputReadCount(offset, length uint32) uint32 {
	size := uint32(len(io.Input))
	if offset >= size {
		return 0
	}
	if n := size - offset; length > n {
		return n
	}
	return length
}

// InputRead implements input_read: it copies InputReadCount(offset, length)
// bytes of input to memory at dst and returns that count.
func (io *IO) InputRead(mem Memory, dst, offset, length uint32) (uint32, error) {
	n := io.InputReadCount(offset, length)
	var src []byte
	if n > 0 {
		src = io.Input[offset : offset+n]
	}
	if uint64(dst)+uint64(n) > 1<<32 {
		return 0, fmt.Errorf("%w: input_read to [%d, %d)", ErrOutOfBounds, dst, uint64(dst)+uint64(n))
	}
	if mem == nil || !mem.Write(dst, src) {
		return 0, fmt.Errorf("%w: input_read to [%d, %d)", ErrOutOfBounds, dst, uint64(dst)+uint64(n))
	}
	return n, nil
}

// OutputWrite implements output_write: it appends length bytes from memory
// at src to the output.
func (io *IO) OutputWrite(mem Memory, src, length uint32) error {
	var b []byte
	ok := false
	if mem != nil {
		b, ok = mem.Read(src, length)
	}
	if !ok {
		return fmt.Errorf("%w: output_write from [%d, %d)", ErrOutOfBounds, src, uint64(src)+uint64(length))
	}
	max := io.MaxOutput
	if max == 0 {
		max = DefaultMaxOutput
	}
	if len(io.Output)+len(b) > max {
		return fmt.Errorf("%w: %d bytes > %d", ErrOutputLimit, len(io.Output)+len(b), max)
	}
	io.Output = append(io.Output, b...)
	return nil
}

type ioKey struct{}

// WithIO returns a context carrying the call's IO for the host functions.
func WithIO(ctx context.Context, io *IO) context.Context {
	return context.WithValue(ctx, ioKey{}, io)
}

// IOFrom returns the IO carried by ctx, or nil.
func IOFrom(ctx context.Context) *IO {
	io, _ := ctx.Value(ioKey{}).(*IO)
	return io
}

func mustIO(ctx context.Context) *IO {
	io := IOFrom(ctx)
	if io == nil {
		panic(ErrNoCall)
	}
	return io
}

var i32 = api.ValueTypeI32

// DefineIO adds the provable I/O functions to a host module builder for
// Module. The call's IO is taken from the context passed to the call
// (WithIO). A failing host call panics with a wrapped ErrOutOfBounds or
// ErrOutputLimit, which wazero turns into an error of the call that
// errors.Is recognises.
func DefineIO(b wazero.HostModuleBuilder) wazero.HostModuleBuilder {
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
			stack[0] = uint64(mustIO(ctx).InputSize())
		}), nil, []api.ValueType{i32}).
		WithName(FnInputSize).Export(FnInputSize)
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
			n, err := mustIO(ctx).InputRead(m.Memory(), uint32(stack[0]), uint32(stack[1]), uint32(stack[2]))
			if err != nil {
				panic(err)
			}
			stack[0] = uint64(n)
		}), []api.ValueType{i32, i32, i32}, []api.ValueType{i32}).
		WithParameterNames("dst", "offset", "len").
		WithName(FnInputRead).Export(FnInputRead)
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
			if err := mustIO(ctx).OutputWrite(m.Memory(), uint32(stack[0]), uint32(stack[1])); err != nil {
				panic(err)
			}
		}), []api.ValueType{i32, i32}, nil).
		WithParameterNames("src", "len").
		WithName(FnOutputWrite).Export(FnOutputWrite)
	return b
}
