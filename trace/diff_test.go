package trace

import (
	"fmt"
	"os"
	"testing"
)

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAgreeExamples(t *testing.T) {
	tests := []struct {
		file, export string
		args         []uint64
		input        []byte
	}{
		{"fib.wasm", "fib", []uint64{0}, nil},
		{"fib.wasm", "fib", []uint64{1}, nil},
		{"fib.wasm", "fib", []uint64{15}, nil},
		{"loop.wasm", "loop", []uint64{0}, nil},
		{"loop.wasm", "loop", []uint64{1000}, nil},
		{"sort.wasm", "sort", []uint64{0}, nil},
		{"sort.wasm", "sort", []uint64{300}, nil},
		{"sort.wasm", "sort", []uint64{70000}, nil}, // beyond memory: trap
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.export, func(t *testing.T) {
			agree(t, mustRead(t, tt.file), tt.export, tt.args, tt.input)
		})
	}
}

func u32(x int32) uint64 { return uint64(uint32(x)) }

func i64(x int64) uint64 { return uint64(x) }

// TestAgreeTestdata runs every export of the test modules on the tracer and
// both wazero engines, with small segments so that boundaries fall
// everywhere, and checks each trace's internal consistency.
func TestAgreeTestdata(t *testing.T) {
	type call struct {
		export string
		args   []uint64
		input  []byte
	}
	long := make([]byte, 3000)
	for i := range long {
		long[i] = byte(i * 7)
	}
	tests := map[string][]call{
		"io.wasm": {
			{"reverse", nil, []byte("hello, world")},
			{"reverse", nil, nil},
			{"reverse", nil, long},
			{"past_end", nil, []byte("abc")},
			{"read_oob", nil, []byte("0123456789abcdef")},
			{"read_oob", nil, []byte("0")}, // fits: only one byte is copied
			{"write_oob", nil, nil},
			{"write_too_much", nil, nil},
		},
		"traps.wasm": {
			{"unreachable", nil, nil},
			{"div_s", []uint64{7, 0}, nil},
			{"div_s", []uint64{u32(-1 << 31), u32(-1)}, nil},
			{"div_s", []uint64{u32(-7), 2}, nil},
			{"div_u", []uint64{7, 0}, nil},
			{"div_u", []uint64{u32(-7), 2}, nil},
			{"rem_s", []uint64{u32(-1 << 31), u32(-1)}, nil},
			{"rem_s", []uint64{u32(-7), 2}, nil},
			{"rem_s", []uint64{7, 0}, nil},
			{"rem_u", []uint64{7, 0}, nil},
			{"rem_u", []uint64{u32(-7), 3}, nil},
			{"div_s64", []uint64{i64(-1 << 63), i64(-1)}, nil},
			{"div_s64", []uint64{9, 0}, nil},
			{"div_s64", []uint64{i64(-9), 2}, nil},
			{"div_u64", []uint64{9, 0}, nil},
			{"div_u64", []uint64{i64(-9), 2}, nil},
			{"rem_s64", []uint64{i64(-1 << 63), i64(-1)}, nil},
			{"rem_s64", []uint64{i64(-9), 2}, nil},
			{"rem_s64", []uint64{9, 0}, nil},
			{"rem_u64", []uint64{9, 0}, nil},
			{"rem_u64", []uint64{i64(-9), 4}, nil},
			{"load", []uint64{65528}, nil},
			{"load", []uint64{65529}, nil},
			{"load", []uint64{u32(-1)}, nil},
			{"load64", []uint64{65528}, nil},
			{"load64", []uint64{65529}, nil},
			{"store", []uint64{65533, 0xABCD}, nil},
			{"store", []uint64{65534, 0xABCD}, nil},
			{"store64", []uint64{1023, 0x0102030405060708}, nil}, // crosses a chunk
			{"store64", []uint64{65529, 1}, nil},
			{"call0", []uint64{0}, nil},
			{"call0", []uint64{1}, nil},
			{"call0", []uint64{2}, nil}, // type mismatch
			{"call0", []uint64{3}, nil}, // null element
			{"call0", []uint64{4}, nil}, // out of the table
			{"call0", []uint64{u32(-1)}, nil},
			{"call1", []uint64{2, 21}, nil},
			{"call1", []uint64{0, 21}, nil},
			{"forever", []uint64{0}, nil},
			{"depth", []uint64{1000}, nil},
			{"grow", []uint64{0}, nil},
			{"grow", []uint64{1}, nil},
			{"grow", []uint64{2}, nil},
			{"grow", []uint64{3}, nil},
			{"grow", []uint64{u32(-1)}, nil},
			{"grow_then_store", []uint64{77}, nil},
			{"size", nil, nil},
		},
		"control.wasm": {
			{"switch", []uint64{0}, nil}, {"switch", []uint64{1}, nil}, {"switch", []uint64{2}, nil},
			{"switch", []uint64{3}, nil}, {"switch", []uint64{4}, nil}, {"switch", []uint64{u32(-1)}, nil},
			{"multi", []uint64{u32(-3)}, nil},
			{"nested", []uint64{1}, nil}, {"nested", []uint64{400}, nil}, {"nested", []uint64{2000}, nil},
			{"globals", []uint64{3}, nil},
			{"ops32", []uint64{0x80000001, 3}, nil}, {"ops32", []uint64{0, 0}, nil}, {"ops32", []uint64{u32(-1), 31}, nil},
			{"ops64", []uint64{0x8000000000000001, 65}, nil}, {"ops64", []uint64{0, 0}, nil}, {"ops64", []uint64{i64(-1), 63}, nil},
			{"loads", []uint64{16}, nil}, {"loads", []uint64{20}, nil}, {"loads", []uint64{65534}, nil},
			{"stores", []uint64{100, 0x8877665544332211}, nil}, {"stores", []uint64{65530, 1}, nil},
			{"noargs", nil, nil},
		},
	}
	for file, calls := range tests {
		bin := mustRead(t, file)
		for _, c := range calls {
			t.Run(fmt.Sprintf("%s/%s%v", file, c.export, c.args), func(t *testing.T) {
				for _, segCap := range []int{1, 7, DefaultSegmentCapacity} {
					tr := agree(t, bin, c.export, c.args, c.input, WithSegmentCapacity(segCap))
					if err := tr.Verify(); err != nil {
						t.Fatalf("segment capacity %d: %v", segCap, err)
					}
				}
			})
		}
	}
}

// TestWazeroCompilerDivergence pins programs on which wazero v1.12.0's
// compiler leaves memory different from its interpreter (a store is not
// performed): found by FuzzDifferential, minimised by hand. The tracer must
// agree with the interpreter; the compiler's difference is logged, so that a
// wazero upgrade that fixes it shows up here.
func TestWazeroCompilerDivergence(t *testing.T) {
	for _, c := range []struct {
		file string
		args []uint64
	}{
		{"divergence/compiler-grow.wasm", []uint64{3929185848, 3472768573344589241}},
		{"divergence/compiler-store.wasm", []uint64{0, 0}},
	} {
		bin := mustRead(t, c.file)
		m, err := Decode(bin)
		if err != nil {
			t.Fatal(err)
		}
		ours, _, err := runTracer(m, "run", c.args, nil, WithMaxMemoryPages(64))
		if err != nil {
			t.Fatal(err)
		}
		interp, err := runWazero(t, engines[0], bin, "run", c.args, nil, 64, exportedGlobals(m))
		if err != nil {
			t.Fatal(err)
		}
		if d := diffOutcome(ours, interp); d != "" {
			t.Fatalf("%s: tracer vs interpreter: %s", c.file, d)
		}
		comp, err := runWazero(t, engines[1], bin, "run", c.args, nil, 64, exportedGlobals(m))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: tracer/interpreter memory[0:3] = %x, compiler %x (differs: %v)", c.file, ours.memory[:3], comp.memory[:3], diffOutcome(ours, comp) != "")
	}
}
