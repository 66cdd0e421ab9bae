package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"
	"slices"
	"testing"

	"github.com/mcpzero/mcpzero/internal/hostabi"
	"github.com/tetratelabs/wazero"
)

// runOnWazero calls export on a fresh instance with the host I/O ABI.
func runOnWazero(t *testing.T, cfg wazero.RuntimeConfig, wasm []byte, export string, input []byte, args ...uint64) ([]uint64, []byte) {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, cfg)
	defer r.Close(ctx)
	if _, err := hostabi.DefineIO(r.NewHostModuleBuilder(hostabi.Module)).Instantiate(ctx); err != nil {
		t.Fatal(err)
	}
	m, err := r.Instantiate(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	io := &hostabi.IO{Input: input}
	res, err := m.ExportedFunction(export).Call(hostabi.WithIO(ctx, io), args...)
	if err != nil {
		t.Fatal(err)
	}
	return res, io.Output
}

func TestSHA256ProgramMatchesCryptoSHA256(t *testing.T) {
	wasm, err := Program{Name: "sha256"}.Wasm()
	if err != nil {
		t.Fatal(err)
	}
	// Lengths around the padding boundaries (55/56/64) and a multi-page input.
	for _, n := range []int{0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 1000, 70000} {
		in := sha256Input(n)
		want := sha256.Sum256(in)
		for name, cfg := range map[string]wazero.RuntimeConfig{
			"interpreter": wazero.NewRuntimeConfigInterpreter(),
			"compiler":    wazero.NewRuntimeConfigCompiler(),
		} {
			_, out := runOnWazero(t, cfg, wasm, "run", in)
			if !bytes.Equal(out, want[:]) {
				t.Fatalf("%s, %d bytes: got %x, want %x", name, n, out, want)
			}
		}
	}
}

func TestBase64ProgramMatchesEncodingBase64(t *testing.T) {
	wasm, err := Program{Name: "base64"}.Wasm()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 2, 3, 4, 5, 6, 100, 70000} {
		in := sha256Input(n)
		want := base64.StdEncoding.EncodeToString(in)
		_, out := runOnWazero(t, wazero.NewRuntimeConfigInterpreter(), wasm, "run", in)
		if string(out) != want {
			t.Fatalf("%d bytes: got %q, want %q", n, out, want)
		}
	}
}

// Reference results computed in Go, so that a wrong program cannot pass.
func refLoop(n uint32) uint64 {
	x, acc := uint64(0x9E3779B97F4A7C15), uint64(0)
	for ; n != 0; n-- {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		acc += x * uint64(n)
	}
	return acc ^ x
}

func refSort(n uint32) uint32 {
	a := make([]uint32, n)
	seed := uint32(12345)
	for i := range a {
		seed = seed*1103515245 + 12345
		a[i] = seed >> 8
	}
	slices.Sort(a)
	var sum uint32
	for i := 1; i < len(a); i++ {
		sum = sum*31 + a[i]
	}
	return sum
}

func refFib(n uint32) uint32 {
	if n < 2 {
		return n
	}
	return refFib(n-1) + refFib(n-2)
}

func TestIntegerProgramsMatchGo(t *testing.T) {
	cfg := wazero.NewRuntimeConfigCompiler()
	for _, tt := range []struct {
		name string
		arg  uint32
		want uint64
		mask uint64
	}{
		{"loop", 0, refLoop(0), ^uint64(0)},
		{"loop", 2000, refLoop(2000), ^uint64(0)},
		{"sort", 1, uint64(refSort(1)), 0xFFFFFFFF},
		{"sort", 100, uint64(refSort(100)), 0xFFFFFFFF},
		{"sort", 2000, uint64(refSort(2000)), 0xFFFFFFFF},
		{"sort", 17000, uint64(refSort(17000)), 0xFFFFFFFF}, // 68 KB: grows memory
		{"recursion", 15, uint64(refFib(15)), 0xFFFFFFFF},
	} {
		wasm, err := Program{Name: tt.name}.Wasm()
		if err != nil {
			t.Fatal(err)
		}
		res, _ := runOnWazero(t, cfg, wasm, "run", nil, uint64(tt.arg))
		if got := res[0] & tt.mask; got != tt.want {
			t.Errorf("%s(%d) = %d, want %d", tt.name, tt.arg, got, tt.want)
		}
	}
}

func TestProgramsLoad(t *testing.T) {
	for _, p := range Programs() {
		if _, err := p.Wasm(); err != nil {
			t.Error(err)
		}
	}
	p := Program{Name: "sha256", Bytes: true}.Sized(5)
	if len(p.Input()) != 5 || p.Args() != nil || p.What != "SHA-256 of 5 bytes" {
		t.Fatalf("bytes program: %+v", p)
	}
	q := Program{Name: "loop"}.Sized(7)
	if len(q.Args()) != 1 || q.Args()[0] != 7 || q.Input() != nil || q.What != "7 xorshift rounds" {
		t.Fatalf("integer program: %+v", q)
	}
	for name := range SpeedSizes {
		if describe(name, 1) == name+"(1)" {
			t.Errorf("no description for %s", name)
		}
	}
	if describe("x", 2) != "x(2)" {
		t.Error("fallback description")
	}
	if _, err := (Program{Name: "missing"}).Wasm(); err == nil {
		t.Error("missing program loaded")
	}
}

func TestPlainCircuit(t *testing.T) {
	good := PlainAssignment(10)
	if err := test.IsSolved(&PlainCircuit{N: 10}, good, ecc.BN254.ScalarField()); err != nil {
		t.Fatal(err)
	}
	bad := PlainAssignment(10)
	bad.Y = 4
	if err := test.IsSolved(&PlainCircuit{N: 10}, bad, ecc.BN254.ScalarField()); err == nil {
		t.Fatal("a wrong result was accepted")
	}
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &PlainCircuit{N: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if n := cs.GetNbConstraints(); n < 1000 || n > 1002 {
		t.Fatalf("%d constraints for N=1000", n)
	}
}
