package trace

import (
	"context"
	"errors"
	"math/rand"
	"testing"

	"github.com/mcpzero/mcpzero/internal/wasmgen"
)

// FuzzDifferential generates a valid provable module from the fuzz input,
// runs it on the tracer (with a segment capacity also taken from the input)
// and on both wazero engines, and requires identical results, traps, memory
// and globals, and a consistent trace.
func FuzzDifferential(f *testing.F) {
	// More seeds are in testdata/fuzz/FuzzDifferential.
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if differential(t, data) == nil {
			t.Skip("more than", diffMaxSteps, "steps")
		}
	})
}

// Nested loops across calls can run long; such inputs say nothing more than
// shorter ones and would stall the fuzzer.
const diffMaxSteps = 20_000

// differential is one FuzzDifferential case; it returns the tracer's trace,
// or nil for a program that runs more than diffMaxSteps steps.
func differential(t *testing.T, data []byte) *Trace {
	t.Helper()
	bin := wasmgen.Module(data)
	args, input := wasmgen.Call(data)
	segCap := 3
	if len(data) >= 12 {
		segCap = 1 + int(data[len(data)-1])
	}
	m, err := Decode(bin)
	if err != nil {
		t.Fatalf("generated module does not decode: %v", err)
	}
	if err := CheckProvable(m); err != nil {
		t.Fatalf("generated module is not provable: %v", err)
	}
	if _, err := Run(context.Background(), m, wasmgen.Export, args, input, WithMaxSteps(diffMaxSteps), WithSegmentHandler(func(*Segment) error { return nil })); errors.Is(err, ErrStepLimit) {
		return nil
	}
	tr := agreeTolerant(t, bin, wasmgen.Export, args, input, true, WithSegmentCapacity(segCap))
	if err := tr.Verify(); err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestDifferentialBulkMemory runs the differential check on generated
// programs until their runs have executed enough memory.copy and
// memory.fill rows (in bounds, out of bounds, overlapping) and
// call_indirects with a two-byte table index, so that -short covers what
// the fuzzer explores at length.
func TestDifferentialBulkMemory(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var copies, fills, overlaps, traps, longIdx, programs int
	for i := 0; i < 3000 && (copies < 40 || fills < 20 || overlaps < 10 || traps < 5 || longIdx < 5); i++ {
		data := make([]byte, 20+rng.Intn(200))
		for j := range data {
			data[j] = byte(rng.Intn(256))
		}
		bin := wasmgen.Module(data)
		m, err := Decode(bin)
		if err != nil {
			t.Fatalf("generated module does not decode: %v", err)
		}
		bulk := false
		long := map[uint32]bool{} // pcs of call_indirects with a two-byte table index
		for pc, in := range m.Program.Code {
			bulk = bulk || in.Op == OpMemoryCopy || in.Op == OpMemoryFill
			// The generator's type indices take one byte.
			if in.Op == 0x11 && bin[in.Offset+2] == 0x80 {
				long[uint32(pc)] = true
			}
		}
		if !bulk && len(long) == 0 {
			continue
		}
		tr := differential(t, data)
		if tr == nil {
			continue
		}
		programs++
		for k := range tr.Segments {
			for _, r := range tr.Segments[k].Rows {
				switch r.Op {
				case OpMemoryCopy, OpMemoryFill:
					if r.Op == OpMemoryCopy {
						copies++
						d, s, n := uint32(r.A), uint32(r.B), uint32(r.C)
						if n > 0 && (d < s && s-d < n || s < d && d-s < n) {
							overlaps++
						}
					} else {
						fills++
					}
					if r.NextPC == HaltPC {
						traps++
					}
				case 0x11:
					if long[r.PC] {
						longIdx++
					}
				}
			}
		}
	}
	t.Logf("%d generated programs: %d memory.copy rows (%d overlapping), %d memory.fill rows, %d bulk traps, %d call_indirect rows with a two-byte table index",
		programs, copies, overlaps, fills, traps, longIdx)
	if copies < 40 || fills < 20 || overlaps < 10 || traps < 5 || longIdx < 5 {
		t.Fatal("the generator rarely reaches memory.copy/memory.fill or the long table index")
	}
}
