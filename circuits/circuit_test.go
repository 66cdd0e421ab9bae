package circuits

import (
	"context"
	"os"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/test"

	"github.com/mcpzero/mcpzero/circuits/claim"
	"github.com/mcpzero/mcpzero/trace"
)

var tiny = Shape{Rows: 64, Prog: 256, Funcs: 8, Stack: 16, Locals: 32, Globals: 2, Depth: 12, Mem: 80, In: 40, Out: 40, Table: 4}

func loadModule(t testing.TB, name string) *trace.Module {
	t.Helper()
	bin, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := trace.Decode(bin)
	if err != nil {
		t.Fatal(err)
	}
	return mod
}

func run(t testing.TB, mod *trace.Module, export string, args []uint64, segCap int) *trace.Trace {
	t.Helper()
	return runInput(t, mod, export, args, nil, segCap)
}

func runInput(t testing.TB, mod *trace.Module, export string, args []uint64, input []byte, segCap int) *trace.Trace {
	t.Helper()
	tr, err := trace.Run(context.Background(), mod, export, args, input, trace.WithSegmentCapacity(segCap))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestSegmentsSolve(t *testing.T) {
	mod := loadModule(t, "core.wasm")
	tab, err := Table(mod)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		export string
		args   []uint64
		segCap int
	}{
		{"sum", []uint64{5}, 64},
		{"sum", []uint64{9}, 20},
		{"mix", []uint64{3, 1<<63 + 12345}, 64},
		{"mix", []uint64{^uint64(0) - 9, 77}, 40},
		{"trap", []uint64{1}, 64},
		{"trap", []uint64{7}, 64},
		{"fib", []uint64{6}, 64},
		{"calls", []uint64{100}, 64},
		{"loads", []uint64{0x8877665544332211}, 64},
		{"loads", []uint64{^uint64(0) - 0x1234}, 64},
		{"oob", []uint64{6}, 64},
		{"oobstore", []uint64{65529}, 64},
		{"oobstore", []uint64{0xFFFFFFFF}, 64},
		{"grow", []uint64{3}, 64},
		{"run", nil, 64},
		{"bits", []uint64{0xF123456789ABCDEF, 3}, 64},
		{"bits", []uint64{12345, 0}, 64},
		{"switch", []uint64{0}, 64},
		{"switch", []uint64{1}, 64},
		{"switch", []uint64{2}, 64},
		{"switch", []uint64{77}, 64},
		{"ext", []uint64{0x8000_0080_8080_0080}, 64},
		{"ext", []uint64{0x7fff_7f7f_7f7f_7f7f}, 64},
		{"counts", []uint64{0x0000_1234_5678_9A00}, 64},
		{"counts", []uint64{1 << 63}, 64},
		{"shrs", []uint64{0x8000_0000_8000_1234, 7}, 64},
		{"shrs", []uint64{0x7000_0000_7000_1234, 100}, 64},
		{"divs", []uint64{0xFFFF_FFFF_FFFF_FF85, 5}, 64},
		{"divs", []uint64{1234567, 0xFFFF_FFFF_FFFF_FFFD}, 64},
		{"divs", []uint64{1234567, 0}, 64},
		{"divs", []uint64{1 << 63, ^uint64(0)}, 64},
		{"indirect", []uint64{1}, 64},
		{"indirect", []uint64{2}, 64},
	}
	memMod := loadModule(t, "mem.wasm")
	memTab, err := Table(memMod)
	if err != nil {
		t.Fatal(err)
	}
	ioMod := loadModule(t, "io.wasm")
	ioTab, err := Table(ioMod)
	if err != nil {
		t.Fatal(err)
	}
	indMod := loadModule(t, "indirect.wasm")
	indTab, err := Table(indMod)
	if err != nil {
		t.Fatal(err)
	}
	extMod := loadModule(t, "ext.wasm")
	extTab, err := Table(extMod)
	if err != nil {
		t.Fatal(err)
	}
	bitsMod := loadModule(t, "bits.wasm")
	bitsTab, err := Table(bitsMod)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		mod, tab := mod, tab
		var input []byte
		switch tc.export {
		case "loads", "oob", "oobstore", "grow":
			mod, tab = memMod, memTab
		case "run":
			mod, tab = ioMod, ioTab
			input = []byte("hello, circuits")
		case "bits":
			mod, tab = bitsMod, bitsTab
		case "indirect":
			mod, tab = indMod, indTab
		case "switch", "ext", "counts", "shrs", "divs":
			mod, tab = extMod, extTab
		}
		tr := runInput(t, mod, tc.export, tc.args, input, tc.segCap)
		if tc.export == "run" && string(tr.Output) != "ifmmp-!djsdvjut" {
			t.Fatalf("io program wrote %q", tr.Output)
		}
		stmt, claims, err := tab.Statement(tiny, tr)
		if err != nil {
			t.Fatalf("%s%v: %v", tc.export, tc.args, err)
		}
		if err := claim.CheckStatement(stmt, claims); err != nil {
			t.Fatalf("%s%v: %v", tc.export, tc.args, err)
		}
		for k := range claims {
			w, cl, err := tiny.Assign(tab, tr, k)
			if err != nil {
				t.Fatalf("%s%v segment %d: %v", tc.export, tc.args, k, err)
			}
			if cl != claims[k] {
				t.Fatalf("claim mismatch")
			}
			if err := test.IsSolved(tiny.NewCircuit(), w, ecc.BN254.ScalarField()); err != nil {
				t.Fatalf("%s%v segment %d of %d: %v", tc.export, tc.args, k, len(claims), err)
			}
		}
		t.Logf("%s%v: %d steps, %d segments, status %v", tc.export, tc.args, tr.Steps, len(claims), tr.Status)
	}
}
