package prover

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mcpzero/mcpzero/trace"
)

// ParseArgs reads comma-separated integer arguments for a function with
// the given parameter types: decimal (signed or unsigned) or 0x-hex, each
// in range for its type. An i32 is returned zero-extended (-1 becomes
// 0xFFFFFFFF), as the tracer and wazero take it.
func ParseArgs(s string, params []trace.ValType) ([]uint64, error) {
	var fields []string
	if strings.TrimSpace(s) != "" {
		fields = strings.Split(s, ",")
	}
	if len(fields) != len(params) {
		return nil, fmt.Errorf("the function takes %d argument(s) %v, got %d", len(params), params, len(fields))
	}
	out := make([]uint64, len(fields))
	for i, f := range fields {
		f = strings.TrimSpace(f)
		bits := 64
		switch params[i] {
		case trace.I32:
			bits = 32
		case trace.I64:
		default:
			return nil, fmt.Errorf("argument %d: parameter type %v is not an integer", i+1, params[i])
		}
		v, err := parseInt(f, bits)
		if err != nil {
			return nil, fmt.Errorf("argument %d (%v) %q: %v", i+1, params[i], f, err)
		}
		out[i] = v
	}
	return out, nil
}

func parseInt(f string, bits int) (uint64, error) {
	if u, err := strconv.ParseUint(f, 0, bits); err == nil {
		return u, nil
	}
	n, err := strconv.ParseInt(f, 0, bits)
	if err != nil {
		return 0, fmt.Errorf("not an integer in range for %d bits", bits)
	}
	if bits == 32 {
		return uint64(uint32(int32(n))), nil
	}
	return uint64(n), nil
}
