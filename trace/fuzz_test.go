package trace

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"
)

// FuzzDifferential generates a valid provable module from the fuzz input,
// runs it on the tracer (with a segment capacity also taken from the input)
// and on both wazero engines, and requires identical results, traps, memory
// and globals, and a consistent trace.
func FuzzDifferential(f *testing.F) {
	// More seeds are in testdata/fuzz/FuzzDifferential.
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		bin := genModule(data)
		args := []uint64{0, 0}
		segCap := 3
		input := data
		if len(input) > 50 {
			input = input[len(input)-50:]
		}
		if len(data) >= 12 {
			args[0] = uint64(binary.LittleEndian.Uint32(data[len(data)-12:]))
			args[1] = binary.LittleEndian.Uint64(data[len(data)-8:])
			segCap = 1 + int(data[len(data)-1])
		}
		m, err := Decode(bin)
		if err != nil {
			t.Fatalf("generated module does not decode: %v", err)
		}
		if err := CheckProvable(m); err != nil {
			t.Fatalf("generated module is not provable: %v", err)
		}
		// Nested loops across calls can run long; such inputs say nothing
		// more than shorter ones and would stall the fuzzer.
		const maxSteps = 20_000
		if _, err := Run(context.Background(), m, "run", args, input, WithMaxSteps(maxSteps), WithSegmentHandler(func(*Segment) error { return nil })); errors.Is(err, ErrStepLimit) {
			t.Skip("more than", maxSteps, "steps")
		}
		tr := agreeTolerant(t, bin, "run", args, input, true, WithSegmentCapacity(segCap))
		if err := tr.Verify(); err != nil {
			t.Fatal(err)
		}
	})
}
