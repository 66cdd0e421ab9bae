package prover

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/mcpzero/mcpzero/trace"
	"github.com/mcpzero/mcpzero/verifier"
)

func TestParseArgs(t *testing.T) {
	i32, i64 := trace.I32, trace.I64
	cases := []struct {
		in     string
		params []trace.ValType
		want   []uint64
		err    string
	}{
		{"27,3", []trace.ValType{i32, i32}, []uint64{27, 3}, ""},
		{" -1 , 0x10 ", []trace.ValType{i32, i64}, []uint64{0xFFFFFFFF, 16}, ""},
		{"-1", []trace.ValType{i64}, []uint64{^uint64(0)}, ""},
		{"4294967295", []trace.ValType{i32}, []uint64{0xFFFFFFFF}, ""},
		{"", nil, []uint64{}, ""},
		{"4294967296", []trace.ValType{i32}, nil, "argument 1 (i32)"},
		{"-2147483649", []trace.ValType{i32}, nil, "argument 1"},
		{"1,2", []trace.ValType{i32}, nil, "takes 1 argument"},
		{"x", []trace.ValType{i64}, nil, "not an integer"},
		{"1", []trace.ValType{trace.F32}, nil, "not an integer"},
	}
	for _, c := range cases {
		got, err := ParseArgs(c.in, c.params)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseArgs(%q): err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ParseArgs(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestMatchOutcome(t *testing.T) {
	s := verifier.Statement{Status: verifier.Returned, Results: []uint64{30}, Output: []byte("x")}
	if err := matchOutcome(&s, &Outcome{Status: verifier.Returned, Results: []uint64{30}, Output: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	for _, o := range []Outcome{
		{Status: verifier.Returned, Results: []uint64{31}, Output: []byte("x")},
		{Status: verifier.Returned, Results: []uint64{30}},
		{Status: verifier.Trapped, Trap: 1},
	} {
		if err := matchOutcome(&s, &o); !errors.Is(err, ErrReplayMismatch) {
			t.Errorf("outcome %+v: got %v", o, err)
		}
	}
}

// Unprovable modules fail before any proving, with the provability
// check's message, and never touch the key cache.
func TestUnprovableFailsFirst(t *testing.T) {
	wasm, err := os.ReadFile("testdata/float.wasm")
	if err != nil {
		t.Fatal(err)
	}
	keys := t.TempDir()
	_, err = ProveCall(context.Background(), wasm, "half", "3", nil, WithKeysDir(keys))
	var pe *trace.ProvabilityError
	if !errors.As(err, &pe) || !errors.Is(err, trace.ErrUnprovable) || !strings.Contains(err.Error(), "f32") {
		t.Fatalf("got %v, want a *trace.ProvabilityError naming f32", err)
	}
	if ents, _ := os.ReadDir(keys); len(ents) != 0 {
		t.Fatalf("key cache touched: %v", ents)
	}
	if _, err := ProveCall(context.Background(), []byte("not wasm"), "f", "", nil); !errors.Is(err, trace.ErrMalformed) {
		t.Fatalf("malformed module: got %v", err)
	}
	add, _ := os.ReadFile("testdata/add.wasm")
	if _, err := ProveCall(context.Background(), add, "nope", "", nil); !errors.Is(err, trace.ErrExport) {
		t.Fatalf("missing export: got %v", err)
	}
	if _, err := ProveCall(context.Background(), add, "add", "1", nil); err == nil || !strings.Contains(err.Error(), "takes 2") {
		t.Fatalf("wrong arity: got %v", err)
	}
}
