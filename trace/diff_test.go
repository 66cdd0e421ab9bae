package trace

import (
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
