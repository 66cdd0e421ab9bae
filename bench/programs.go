package bench

import (
	"embed"
	"fmt"
)

//go:embed programs/*.wasm
var programFS embed.FS

// Program is one benchmark program: a module, the export to call, and the
// size parameter used for a run.
type Program struct {
	Name   string // file name without extension
	Export string
	// Args are the integer arguments of the export, if it takes any.
	Args []uint64
	// Input is the call's input bytes (host I/O ABI), if any.
	Input []byte
	// Describes what the size parameter means, for the tables.
	Size string
}

// Wasm returns the program's committed module bytes.
func (p Program) Wasm() ([]byte, error) {
	b, err := programFS.ReadFile("programs/" + p.Name + ".wasm")
	if err != nil {
		return nil, fmt.Errorf("bench: program %s: %w", p.Name, err)
	}
	return b, nil
}

// sha256Input is a deterministic input of n bytes for the hash program.
func sha256Input(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// Programs is the fixed benchmark set. Sizes are chosen so that each run is
// a few thousand to a few hundred thousand steps; Scaled changes them.
func Programs() []Program {
	return []Program{
		{Name: "loop", Export: "run", Args: []uint64{2000}, Size: "n=2000 xorshift rounds"},
		{Name: "sort", Export: "run", Args: []uint64{100}, Size: "insertion sort of n=100 words"},
		{Name: "recursion", Export: "run", Args: []uint64{15}, Size: "naive fib(15)"},
		{Name: "sha256", Export: "run", Input: sha256Input(256), Size: "SHA-256 of 256 bytes"},
		{Name: "base64", Export: "run", Input: sha256Input(1024), Size: "base64 of 1024 bytes"},
	}
}
