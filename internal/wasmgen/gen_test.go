package wasmgen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/rand"
	"testing"

	"github.com/mcpzero/mcpzero/trace"
)

// TestModuleStable pins the generated modules: fuzz corpora (trace's
// FuzzDifferential, circuits' FuzzCircuits) name programs by the bytes that
// generate them, so a change to the generator silently changes what every
// stored seed tests. Change the digest only on purpose, and say so.
func TestModuleStable(t *testing.T) {
	h := sha256.New()
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 500; i++ {
		data := make([]byte, rng.Intn(300))
		rng.Read(data)
		bin := Module(data)
		if !bytes.Equal(bin, Module(data)) {
			t.Fatalf("Module(%x) is not deterministic", data)
		}
		h.Write(bin)
	}
	if got, want := hex.EncodeToString(h.Sum(nil)), "11485547908d9762c4cadd148495d32edc87f961421a82dbb0739e050f390aa2"; got != want {
		t.Fatalf("the generated modules changed: digest %s, want %s", got, want)
	}
}

// TestModuleShape checks the parts of the binary the callers rely on: the
// header, that every input gives a module (empty and short ones
// included), and the export and import names.
func TestModuleShape(t *testing.T) {
	for _, data := range [][]byte{nil, {0}, {0xFF}, bytes.Repeat([]byte{0xA5}, 1000)} {
		bin := Module(data)
		if !bytes.HasPrefix(bin, []byte{0, 'a', 's', 'm', 1, 0, 0, 0}) {
			t.Fatalf("Module(%x) has no wasm header", data)
		}
		for _, name := range []string{Export, "memory", "g0", "g1", "input_size", "input_read", "output_write", "mcpzero"} {
			if !bytes.Contains(bin, []byte(name)) {
				t.Fatalf("Module(%x) does not name %q", data, name)
			}
		}
	}
}

func TestCall(t *testing.T) {
	data := make([]byte, 60)
	for i := range data {
		data[i] = byte(i)
	}
	args, input := Call(data)
	if !bytes.Equal(input, data[10:]) {
		t.Fatalf("input %x, want the last 50 bytes", input)
	}
	if args[0] != 0x33323130 || args[1] != 0x3b3a393837363534 {
		t.Fatalf("args %#x, want the u32 and u64 ending the data", args)
	}
	args, input = Call(data[:11])
	if args[0] != 0 || args[1] != 0 || !bytes.Equal(input, data[:11]) {
		t.Fatalf("short data: args %#x input %x", args, input)
	}
}

// TestModuleProvable: generated modules decode and lie inside the
// tracer's provable subset (trace's tests import this package, not the
// other way round, so this test may use trace).
// With SingleResult, Export returns one value.
func TestModuleProvable(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for i := 0; i < 300; i++ {
		data := make([]byte, rng.Intn(300))
		rng.Read(data)
		for _, single := range []bool{false, true} {
			var opts []Option
			if single {
				opts = append(opts, SingleResult())
			}
			m, err := trace.Decode(Module(data, opts...))
			if err != nil {
				t.Fatalf("Module(%x) does not decode: %v", data, err)
			}
			if err := trace.CheckProvable(m); err != nil {
				t.Fatalf("Module(%x) is not provable: %v", data, err)
			}
			f, ok := m.ExportedFunc(Export)
			if !ok {
				t.Fatalf("Module(%x) does not export %q", data, Export)
			}
			want := 2
			if single {
				want = 1
			}
			if got := len(m.FuncType(f).Results); got != want {
				t.Fatalf("Module(%x), single result %v: %s returns %d values", data, single, Export, got)
			}
		}
	}
}
