package prover

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/mcpzero/mcpzero/circuits/claim"
	"github.com/mcpzero/mcpzero/verifier"
)

// Real runs, real circuits. The smallest shape is set up once per test run
// in testKeysDir (TestMain); every test here proves with it.

var sharedKeys *KeyStore

func keyStore(t *testing.T) *KeyStore {
	t.Helper()
	if sharedKeys == nil {
		ks, err := OpenKeyStore(testKeysDir)
		if err != nil {
			t.Fatal(err)
		}
		sharedKeys = ks
	}
	return sharedKeys
}

func proveFile(t *testing.T, file, export, args string, opts ...Option) *Result {
	t.Helper()
	wasm, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ProveCall(context.Background(), wasm, export, args, nil, append([]Option{WithKeyStore(keyStore(t))}, opts...)...)
	if err != nil {
		t.Fatalf("prove %s %s(%s): %v", file, export, args, err)
	}
	return res
}

// TestProveAndVerify is the real prove-and-verify of `make test`: a
// returned run, proven, verified against the key set the prover used
// (pinned), its module checked, and every kind of tampering rejected.
func TestProveAndVerify(t *testing.T) {
	res := proveFile(t, "add.wasm", "add", "27,3")
	b := res.Bundle
	s := b.Statement
	if s.Status != verifier.Returned || len(s.Results) != 1 || s.Results[0] != 30 || s.Steps == 0 {
		t.Fatalf("statement %+v", s)
	}
	if res.Stats.Segments != 1 || res.Stats.Constraints == 0 {
		t.Fatalf("stats %+v", res.Stats)
	}
	pinned := b.Keys
	raw, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	decode := func() *verifier.Bundle {
		var c verifier.Bundle
		if err := c.UnmarshalBinary(raw); err != nil {
			t.Fatal(err)
		}
		return &c
	}
	wasm, _ := os.ReadFile("testdata/add.wasm")
	_, commitment, err := CommitModule(wasm)
	if err != nil {
		t.Fatal(err)
	}
	vr, err := verifier.Verify(decode(), pinned, verifier.WithModuleCommitment(commitment))
	if err != nil {
		t.Fatalf("honest bundle rejected: %v", err)
	}
	if vr.Setup != verifier.DevSetup || vr.Segments != 1 {
		t.Fatalf("verify result %+v", vr)
	}

	loop, _ := os.ReadFile("testdata/loop.wasm")
	_, otherModule, err := CommitModule(loop)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		mutate func(b *verifier.Bundle)
		opts   []verifier.Option
		want   error
	}{
		{"flipped proof byte", func(b *verifier.Bundle) { b.Segments[0].Proof[40] ^= 1 }, nil, nil},
		{"changed public input (claim steps)", func(b *verifier.Bundle) { b.Segments[0].Public[3].SetUint64(5) }, nil, verifier.ErrProofInvalid},
		{"changed result", func(b *verifier.Bundle) { b.Statement.Results[0] = 31 }, nil, verifier.ErrStatement},
		{"changed argument", func(b *verifier.Bundle) { b.Statement.Args[1] = 4 }, nil, verifier.ErrStatement},
		{"claimed trap", func(b *verifier.Bundle) {
			b.Statement.Status, b.Statement.Trap, b.Statement.Results = verifier.Trapped, uint32(claim.TrapUnreachable), nil
		}, nil, verifier.ErrStatement},
		{"other module", func(b *verifier.Bundle) {}, []verifier.Option{verifier.WithModuleCommitment(otherModule)}, verifier.ErrModuleMismatch},
		{"dev keys refused", func(b *verifier.Bundle) {}, []verifier.Option{verifier.RequireCeremony()}, verifier.ErrDevSetup},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := decode()
			c.mutate(tb)
			_, err := verifier.Verify(tb, pinned, c.opts...)
			if err == nil {
				t.Fatal("tampered bundle verified")
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

// A trap is proven as a trap: status and kind in the statement.
func TestProveTrap(t *testing.T) {
	if testing.Short() {
		t.Skip("one more proof; the returned case runs in -short")
	}
	res := proveFile(t, "trap.wasm", "boom", "41")
	s := res.Bundle.Statement
	if s.Status != verifier.Trapped || s.Trap != uint32(claim.TrapUnreachable) || len(s.Results) != 0 {
		t.Fatalf("statement %+v", s)
	}
	if _, err := verifier.Verify(res.Bundle, res.Bundle.Keys); err != nil {
		t.Fatal(err)
	}
	// Claiming it returned must fail.
	b := *res.Bundle
	b.Statement.Status, b.Statement.Trap = verifier.Returned, 0
	if _, err := verifier.Verify(&b, res.Bundle.Keys); !errors.Is(err, verifier.ErrStatement) {
		t.Fatalf("trap claimed as return: got %v", err)
	}
}

// A run longer than one segment is split, chained and verified; dropping or
// reordering segments fails; the expected-outcome check works.
func TestProveSegments(t *testing.T) {
	if testing.Short() {
		t.Skip("several proofs")
	}
	var phases []Phase
	res := proveFile(t, "loop.wasm", "sum", "10", WithProgress(func(p Progress) { phases = append(phases, p.Phase) }),
		WithExpectedOutcome(Outcome{Status: verifier.Returned, Results: []uint64{55}}))
	b := res.Bundle
	if len(b.Segments) < 2 || b.Statement.Results[0] != 55 {
		t.Fatalf("want a multi-segment run with result 55, got %d segments, %+v", len(b.Segments), b.Statement)
	}
	if _, err := verifier.Verify(b, b.Keys); err != nil {
		t.Fatal(err)
	}
	c := *b
	c.Segments = append([]verifier.Segment(nil), b.Segments[1:]...)
	if _, err := verifier.Verify(&c, b.Keys); !errors.Is(err, verifier.ErrStatement) {
		t.Fatalf("dropped segment: got %v", err)
	}
	if !strings.Contains(string(phases[len(phases)-1]), "done") {
		t.Fatalf("progress did not finish: %v", phases)
	}
	wasm, _ := os.ReadFile("testdata/loop.wasm")
	_, err := ProveCall(context.Background(), wasm, "sum", "10", nil, WithKeyStore(keyStore(t)),
		WithExpectedOutcome(Outcome{Status: verifier.Returned, Results: []uint64{56}}))
	if !errors.Is(err, ErrReplayMismatch) {
		t.Fatalf("expected outcome mismatch: got %v", err)
	}
}

// PLONK end to end on a real run (universal SRS from unsafekzg: dev setup).
func TestProvePLONK(t *testing.T) {
	if testing.Short() {
		t.Skip("PLONK setup and proof of a real shape")
	}
	res := proveFile(t, "add.wasm", "add", "27,3", WithBackend(verifier.PLONK))
	b := res.Bundle
	if b.Backend != verifier.PLONK || b.Statement.Results[0] != 30 {
		t.Fatalf("bundle %v %+v", b.Backend, b.Statement)
	}
	if _, err := verifier.Verify(b, b.Keys); err != nil {
		t.Fatal(err)
	}
	b.Segments[0].Proof[100] ^= 1
	if _, err := verifier.Verify(b, b.Keys); err == nil {
		t.Fatal("flipped PLONK proof byte verified")
	}
}
