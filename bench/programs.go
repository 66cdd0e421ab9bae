package bench

import (
	"embed"
	"fmt"
)

//go:embed programs/*.wasm
var programFS embed.FS

// Program is one benchmark program: a module, the export to call, and its
// size parameter. A program takes either one integer argument (Param) or
// Param input bytes through the host I/O ABI.
type Program struct {
	Name   string // file name without extension
	Export string
	Param  int
	// Bytes says the program reads Param input bytes; otherwise Param is its
	// integer argument.
	Bytes bool
	// What describes the program at its size, for the tables.
	What string
}

// Args are the integer arguments of the call.
func (p Program) Args() []uint64 {
	if p.Bytes {
		return nil
	}
	return []uint64{uint64(p.Param)}
}

// Input is the call's input bytes (a fixed pseudo-random stream).
func (p Program) Input() []byte {
	if !p.Bytes {
		return nil
	}
	return sha256Input(p.Param)
}

// Sized returns the program with another size parameter.
func (p Program) Sized(param int) Program {
	p.Param = param
	p.What = describe(p.Name, param)
	return p
}

func describe(name string, n int) string {
	switch name {
	case "loop":
		return fmt.Sprintf("%d xorshift rounds", n)
	case "sort":
		return fmt.Sprintf("insertion sort of %d words", n)
	case "recursion":
		return fmt.Sprintf("naive fib(%d)", n)
	case "sha256":
		return fmt.Sprintf("SHA-256 of %d bytes", n)
	case "base64":
		return fmt.Sprintf("base64 of %d bytes", n)
	}
	return fmt.Sprintf("%s(%d)", name, n)
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

// Programs is the fixed benchmark set at its proving sizes: about 700 to
// 1,400 steps each, except SHA-256 whose one compression is about 10,000, so
// that the whole set proves within the 30 minutes `make bench` may take on 2
// cores at today's cost per step.
func Programs() []Program {
	return []Program{
		Program{Name: "loop", Export: "run"}.Sized(20),
		Program{Name: "sort", Export: "run"}.Sized(10),
		Program{Name: "recursion", Export: "run"}.Sized(8),
		Program{Name: "sha256", Export: "run", Bytes: true}.Sized(32),
		Program{Name: "base64", Export: "run", Bytes: true}.Sized(24),
	}
}

// SpeedSizes are the sizes used to measure interpreters (millions of steps).
var SpeedSizes = map[string]int{
	"loop":      200000,
	"sort":      1500,
	"recursion": 25,
	"sha256":    64 << 10,
	"base64":    256 << 10,
}
