package hostabi

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

type sliceMem []byte

func (m sliceMem) Read(off, n uint32) ([]byte, bool) {
	if uint64(off)+uint64(n) > uint64(len(m)) {
		return nil, false
	}
	return m[off : off+n], true
}

func (m sliceMem) Write(off uint32, v []byte) bool {
	if uint64(off)+uint64(len(v)) > uint64(len(m)) {
		return false
	}
	copy(m[off:], v)
	return true
}

func TestInputRead(t *testing.T) {
	tests := []struct {
		name             string
		dst, off, length uint32
		memSize          int
		wantN            uint32
		wantErr          error
		wantMem          []byte // prefix of memory after the call
	}{
		{"whole", 0, 0, 5, 8, 5, nil, []byte("hello")},
		{"clamped", 2, 3, 100, 8, 2, nil, []byte{0, 0, 'l', 'o'}},
		{"offset past end", 0, 9, 4, 8, 0, nil, []byte{0}},
		{"offset at end", 0, 5, 4, 8, 0, nil, []byte{0}},
		{"zero length at memory end", 8, 0, 0, 8, 0, nil, nil},
		{"out of bounds", 6, 0, 5, 8, 0, ErrOutOfBounds, nil},
		{"dst past memory", 9, 0, 0, 8, 0, ErrOutOfBounds, nil},
		{"wraps 32 bits", 0xFFFFFFFE, 0, 5, 8, 0, ErrOutOfBounds, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io := &IO{Input: []byte("hello")}
			mem := make(sliceMem, tt.memSize)
			n, err := io.InputRead(mem, tt.dst, tt.off, tt.length)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if n != tt.wantN {
				t.Fatalf("n = %d, want %d", n, tt.wantN)
			}
			if tt.wantMem != nil && !bytes.Equal(mem[:len(tt.wantMem)], tt.wantMem) {
				t.Fatalf("memory = %q, want prefix %q", mem, tt.wantMem)
			}
		})
	}
	if _, err := (&IO{Input: []byte("x")}).InputRead(nil, 0, 0, 1); !errors.Is(err, ErrOutOfBounds) {
		t.Fatalf("no memory: err = %v", err)
	}
}

func TestOutputWrite(t *testing.T) {
	mem := sliceMem("abcdef")
	io := &IO{MaxOutput: 5}
	if err := io.OutputWrite(mem, 1, 3); err != nil {
		t.Fatal(err)
	}
	if err := io.OutputWrite(mem, 0, 2); err != nil {
		t.Fatal(err)
	}
	if got := string(io.Output); got != "bcdab" {
		t.Fatalf("output = %q", got)
	}
	if err := io.OutputWrite(mem, 0, 1); !errors.Is(err, ErrOutputLimit) {
		t.Fatalf("over limit: err = %v", err)
	}
	if err := io.OutputWrite(mem, 4, 3); !errors.Is(err, ErrOutOfBounds) {
		t.Fatalf("out of bounds: err = %v", err)
	}
	if err := io.OutputWrite(nil, 0, 0); !errors.Is(err, ErrOutOfBounds) {
		t.Fatalf("no memory: err = %v", err)
	}
	if got := string(io.Output); got != "bcdab" {
		t.Fatalf("failed writes changed the output: %q", got)
	}
	def := &IO{}
	if err := def.OutputWrite(make(sliceMem, DefaultMaxOutput+1), 0, DefaultMaxOutput+1); !errors.Is(err, ErrOutputLimit) {
		t.Fatalf("default limit: err = %v", err)
	}
}

func TestContext(t *testing.T) {
	if IOFrom(context.Background()) != nil {
		t.Fatal("empty context carries IO")
	}
	io := &IO{Input: []byte{1}}
	if IOFrom(WithIO(context.Background(), io)) != io {
		t.Fatal("IO not carried")
	}
	defer func() {
		if r := recover(); r != ErrNoCall {
			t.Fatalf("recovered %v, want ErrNoCall", r)
		}
	}()
	mustIO(context.Background())
}
