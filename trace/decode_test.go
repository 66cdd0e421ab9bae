package trace

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func header(sections ...[]byte) []byte {
	b := []byte("\x00asm\x01\x00\x00\x00")
	for _, s := range sections {
		b = append(b, s...)
	}
	return b
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		bin     []byte
		kind    error
		section string
		msg     string
	}{
		{"empty", nil, ErrMalformed, "header", "magic header"},
		{"bad magic", []byte("\x00asx\x01\x00\x00\x00"), ErrMalformed, "header", "magic header"},
		{"short version", []byte("\x00asm\x01"), ErrMalformed, "header", "unexpected end"},
		{"bad version", []byte("\x00asm\x02\x00\x00\x00"), ErrMalformed, "header", "version"},
		{"bad section id", header([]byte{13, 0}), ErrMalformed, "header", "section id"},
		{"section too long", header([]byte{1, 5, 0}), ErrMalformed, "type", "out of bounds"},
		{"hostile type count", header([]byte{1, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F}), ErrMalformed, "type", "length out of bounds"},
		{"leb too long", header([]byte{1, 6, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), ErrMalformed, "type", "too large"},
		{"leb too large", header([]byte{1, 5, 0x80, 0x80, 0x80, 0x80, 0x10}), ErrMalformed, "type", "too large"},
		{"out of order", header([]byte{3, 1, 0}, []byte{1, 1, 0}), ErrMalformed, "type", "unexpected section"},
		{"duplicate", header([]byte{1, 1, 0}, []byte{1, 1, 0}), ErrMalformed, "type", "unexpected section"},
		{"size mismatch", header([]byte{1, 2, 0, 0}), ErrMalformed, "type", "size mismatch"},
		{"bad functype", header([]byte{1, 4, 1, 0x61, 0, 0}), ErrMalformed, "type", "functype"},
		{"bad valtype", header([]byte{1, 4, 1, 0x60, 1, 0x01}), ErrMalformed, "type", "value type"},
		{"unknown type", header([]byte{3, 2, 1, 0}), ErrInvalid, "function", "unknown type"},
		{"functions without code", header([]byte{1, 4, 1, 0x60, 0, 0}, []byte{3, 2, 1, 0}), ErrMalformed, "function", "inconsistent"},
		{"two memories", header([]byte{5, 5, 2, 0, 1, 0, 1}), ErrInvalid, "memory", "multiple memories"},
		{"memory too big", header([]byte{5, 5, 1, 0, 0x81, 0x80, 0x04}), ErrInvalid, "memory", "at most"},
		{"memory max < min", header([]byte{5, 4, 1, 1, 2, 1}), ErrInvalid, "memory", "minimum"},
		{"limits flag", header([]byte{5, 3, 1, 7, 0}), ErrMalformed, "memory", "limits"},
		{"unknown export", header([]byte{7, 5, 1, 1, 'f', 0, 0}), ErrInvalid, "export", "unknown function"},
		{"export kind", header([]byte{7, 5, 1, 1, 'f', 9, 0}), ErrMalformed, "export", "export kind"},
		{"bad utf8", header([]byte{7, 5, 1, 1, 0xFF, 0, 0}), ErrMalformed, "export", "UTF-8"},
		{"global init", header([]byte{6, 6, 1, 0x7F, 0, 0x42, 0, 0x0B}), ErrInvalid, "global", "type mismatch"},
		{"global init op", header([]byte{6, 5, 1, 0x7F, 0, 0x6A, 0x0B}), ErrInvalid, "global", "constant expression"},
		{"global mutability", header([]byte{6, 6, 1, 0x7F, 2, 0x41, 0, 0x0B}), ErrMalformed, "global", "mutability"},
		{"data without memory", header([]byte{11, 6, 1, 0, 0x41, 0, 0x0B, 0}), ErrInvalid, "data", "unknown memory"},
		{"start unknown", header([]byte{8, 1, 3}), ErrInvalid, "start", "unknown function"},
		{"import kind", header([]byte{2, 6, 1, 1, 'a', 1, 'b', 9}), ErrMalformed, "import", "import kind"},
		{"too many locals", header([]byte{1, 4, 1, 0x60, 0, 0}, []byte{3, 2, 1, 0}, []byte{10, 10, 1, 8, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7F, 0x0B}), ErrMalformed, "code", "too many locals"},
		{"illegal opcode", header([]byte{1, 4, 1, 0x60, 0, 0}, []byte{3, 2, 1, 0}, []byte{10, 5, 1, 3, 0, 0xFF, 0x0B}), ErrMalformed, "code", "illegal opcode"},
		{"missing end", header([]byte{1, 4, 1, 0x60, 0, 0}, []byte{3, 2, 1, 0}, []byte{10, 4, 1, 2, 0, 0x01}), ErrMalformed, "code", "END opcode expected"},
		{"type mismatch", header([]byte{1, 5, 1, 0x60, 0, 1, 0x7F}, []byte{3, 2, 1, 0}, []byte{10, 5, 1, 3, 0, 0x01, 0x0B}), ErrInvalid, "code", "type mismatch"},
		{"unknown local", header([]byte{1, 4, 1, 0x60, 0, 0}, []byte{3, 2, 1, 0}, []byte{10, 7, 1, 5, 0, 0x20, 3, 0x1A, 0x0B}), ErrInvalid, "code", "unknown local"},
		{"unknown label", header([]byte{1, 4, 1, 0x60, 0, 0}, []byte{3, 2, 1, 0}, []byte{10, 6, 1, 4, 0, 0x0C, 1, 0x0B}), ErrInvalid, "code", "unknown label"},
		{"load without memory", header([]byte{1, 4, 1, 0x60, 0, 0}, []byte{3, 2, 1, 0}, []byte{10, 10, 1, 8, 0, 0x41, 0, 0x28, 2, 0, 0x1A, 0x0B}), ErrInvalid, "code", "unknown memory"},
		{"trailing bytes", header([]byte{1, 4, 1, 0x60, 0, 0}, []byte{3, 2, 1, 0}, []byte{10, 5, 1, 3, 0, 0x0B, 0x01}), ErrMalformed, "code", "trailing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.bin)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a *DecodeError", err)
			}
			if !errors.Is(err, tt.kind) || de.Section != tt.section || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v (section %q), want %v in section %q containing %q", err, de.Section, tt.kind, tt.section, tt.msg)
			}
			if !strings.Contains(err.Error(), "offset 0x") {
				t.Fatalf("message %q has no offset", err)
			}
		})
	}
}

// TestDecodeHostile: every prefix and many single-byte corruptions of the
// test modules decode or fail with a *DecodeError, never a panic.
func TestDecodeHostile(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.wasm")
	if len(files) == 0 {
		t.Fatal("no test modules")
	}
	for _, f := range files {
		bin, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		check := func(b []byte) {
			_, err := Decode(b)
			var de *DecodeError
			if err != nil && !errors.As(err, &de) {
				t.Fatalf("%s: %v is not a *DecodeError", f, err)
			}
			if de != nil && strings.Contains(de.Msg, "internal error") {
				t.Fatalf("%s: decoder panicked: %v", f, err)
			}
		}
		for n := 0; n < len(bin); n++ {
			check(bin[:n])
		}
		mut := make([]byte, len(bin))
		for i := 8; i < len(bin); i++ {
			for _, x := range []byte{0x00, 0xFF, 0x80, bin[i] ^ 0x01} {
				copy(mut, bin)
				mut[i] = x
				check(mut)
			}
		}
	}
}

// FuzzDecode: arbitrary bytes never panic the decoder.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"fib.wasm", "io.wasm", "control.wasm"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || strings.Contains(de.Msg, "internal error") {
				t.Fatalf("%v", err)
			}
			return
		}
		_ = CheckProvable(m)
	})
}
