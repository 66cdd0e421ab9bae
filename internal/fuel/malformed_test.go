package fuel

import (
	"context"
	_ "embed"
	"errors"
	"math/rand"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
)

//go:embed testdata/named.wasm
var namedWasm []byte

func TestMalformed(t *testing.T) {
	tests := []struct {
		name    string
		wasm    []byte
		section string
		err     error
	}{
		{"empty", nil, "header", ErrMalformed},
		{"bad magic", []byte("\x00asn\x01\x00\x00\x00"), "header", ErrMalformed},
		{"version 2", []byte("\x00asm\x02\x00\x00\x00"), "header", ErrMalformed},
		{"unknown section", []byte("\x00asm\x01\x00\x00\x00\x0e\x00"), "header", ErrMalformed},
		{"section past end", []byte("\x00asm\x01\x00\x00\x00\x01\x05\x00"), "type", ErrMalformed},
		{"size too long", []byte("\x00asm\x01\x00\x00\x00\x01\x80\x80\x80\x80\x80\x01"), "type", ErrMalformed},
		{"out of order", []byte("\x00asm\x01\x00\x00\x00\x03\x01\x00\x01\x01\x00"), "type", ErrMalformed},
		{"bodies mismatch", []byte("\x00asm\x01\x00\x00\x00\x03\x02\x01\x00\x0a\x01\x00"), "code", ErrMalformed},
		{"no final end", []byte("\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x04\x01\x02\x00\x01"), "code", ErrMalformed},
		{"else outside if", []byte("\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x05\x01\x03\x00\x05\x0b"), "code", ErrMalformed},
		{"bytes after end", []byte("\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x05\x01\x03\x00\x0b\x01"), "code", ErrMalformed},
		{"exception handling", []byte("\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x05\x01\x03\x00\x08\x00"), "code", ErrUnsupported},
		{"bad import kind", []byte("\x00asm\x01\x00\x00\x00\x02\x06\x01\x01a\x01b\x09"), "import", ErrMalformed},
		{"bad local type", []byte("\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x06\x01\x04\x01\x01\x01\x0b"), "code", ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Instrument(tc.wasm)
			var fe *FormatError
			if !errors.Is(err, tc.err) || !errors.As(err, &fe) {
				t.Fatalf("err = %v, want %v as *FormatError", err, tc.err)
			}
			if fe.Section != tc.section {
				t.Fatalf("section %q, want %q (%v)", fe.Section, tc.section, err)
			}
		})
	}
}

func TestAlreadyInstrumented(t *testing.T) {
	once, err := Instrument(programsWasm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Instrument(once); !errors.Is(err, ErrAlreadyInstrumented) {
		t.Fatalf("err = %v", err)
	}
}

func TestNotInstrumented(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	mod, err := rt.Instantiate(ctx, programsWasm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewMeter(mod); !errors.Is(err, ErrNotInstrumented) {
		t.Fatalf("err = %v", err)
	}
}

// TestTruncatedAndCorrupted: every prefix and many random corruptions of a
// real module give an error or a module, never a panic, and a truncation
// that is not a valid module gives a *FormatError.
func TestTruncatedAndCorrupted(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	for n := 0; n < len(programsWasm); n++ {
		_, err := Instrument(programsWasm[:n])
		var fe *FormatError
		if err == nil {
			// Only a cut at a section boundary is a valid module.
			if _, cerr := rt.CompileModule(ctx, programsWasm[:n]); cerr != nil {
				t.Fatalf("prefix of %d bytes: instrumented although wazero rejects it: %v", n, cerr)
			}
		} else if !errors.As(err, &fe) {
			t.Fatalf("prefix of %d bytes: err = %v, want *FormatError", n, err)
		}
	}
	rng := rand.New(rand.NewSource(1))
	for _, src := range [][]byte{programsWasm, startWasm, importsWasm, namedWasm} {
		for n := 0; n < len(src); n++ {
			_, err := Instrument(src[:n], WithCheckpoints())
			if err != nil && err.Error() == "" {
				t.Fatal("empty error message")
			}
		}
		for i := 0; i < 5000; i++ {
			b := append([]byte{}, src...)
			for k := 0; k < 1+rng.Intn(4); k++ {
				b[8+rng.Intn(len(b)-8)] = byte(rng.Intn(256))
			}
			Instrument(b) // must not panic
			Instrument(b, WithCheckpoints())
		}
	}
}

// TestCheckpointRenumbering: a module with a start function, an element
// segment, ref.func, a funcref global, exports and a name section runs the
// same, with the same fuel, with and without checkpoints, and keeps its
// function names.
func TestCheckpointRenumbering(t *testing.T) {
	for _, e := range engines {
		var fuels []int64
		for _, opts := range [][]Option{{WithInitialFuel(1000)}, {WithInitialFuel(1000), WithCheckpoints()}} {
			mod, m := instance(t, e, namedWasm, opts...)
			res, used, err := m.Call(context.Background(), mod.ExportedFunction("run"), 1000, 5)
			if err != nil || res[0] != 5*2+100+7 {
				t.Fatalf("%s: run(5) = %v, %v", e.name, res, err)
			}
			fuels = append(fuels, used)
			_, _, err = m.Call(context.Background(), mod.ExportedFunction("boom"), 1000)
			if err == nil || !strings.Contains(err.Error(), ".boom(") {
				t.Fatalf("%s: trap does not name the function: %v", e.name, err)
			}
		}
		if fuels[0] != fuels[1] {
			t.Fatalf("%s: fuel %v differs with checkpoints", e.name, fuels)
		}
	}
	var ex *ExhaustedError = &ExhaustedError{Budget: 3}
	var fe *FormatError = &FormatError{Section: "code", Offset: 9, Msg: "x", Err: ErrMalformed}
	if !strings.Contains(ex.Error(), "3") || ex.Unwrap() != nil || !strings.Contains(fe.Error(), "code section at offset 9") {
		t.Fatal(ex.Error(), fe.Error())
	}
}

func FuzzInstrument(f *testing.F) {
	f.Add(programsWasm)
	f.Add(startWasm)
	f.Add(importsWasm)
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := Instrument(b)
		if err == nil && len(out) < 8 {
			t.Fatal("short output without error")
		}
	})
}
