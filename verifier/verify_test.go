package verifier

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/plonk"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/test/unsafekzg"
)

// stepCircuit is a test-only "segment": it proves Out = In² + In + 1 with
// both public, so consecutive segments chain (Out of k = In of k+1). The
// package cannot import the prover (that is the point of it), so the tests
// set keys up with gnark directly.
type stepCircuit struct {
	In  frontend.Variable `gnark:",public"`
	Out frontend.Variable `gnark:",public"`
}

func (c *stepCircuit) Define(api frontend.API) error {
	api.AssertIsEqual(c.Out, api.Add(api.Mul(c.In, c.In), c.In, 1))
	return nil
}

func stepNext(x uint64) uint64 { return x*x + x + 1 }

type testKeys struct {
	cs    constraint.ConstraintSystem
	pk    any
	set   *KeySet
	proof func(in uint64) []byte
}

var (
	keysOnce sync.Map // Backend -> *testKeys
)

func setupStep(t testing.TB, b Backend, tag string) *testKeys {
	t.Helper()
	if k, ok := keysOnce.Load(fmt.Sprint(b, tag)); ok {
		return k.(*testKeys)
	}
	tk := &testKeys{}
	var vkBuf bytes.Buffer
	var err error
	switch b {
	case Groth16:
		tk.cs, err = frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &stepCircuit{})
		if err != nil {
			t.Fatal(err)
		}
		pk, v, err := groth16.Setup(tk.cs)
		if err != nil {
			t.Fatal(err)
		}
		v.WriteTo(&vkBuf)
		tk.proof = func(in uint64) []byte {
			w, _ := frontend.NewWitness(&stepCircuit{In: in, Out: stepNext(in)}, ecc.BN254.ScalarField())
			p, err := groth16.Prove(tk.cs, pk, w)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			p.WriteTo(&buf)
			return buf.Bytes()
		}
	case PLONK:
		tk.cs, err = frontend.Compile(ecc.BN254.ScalarField(), scs.NewBuilder, &stepCircuit{})
		if err != nil {
			t.Fatal(err)
		}
		srs, lag, err := unsafekzg.NewSRS(tk.cs, unsafekzg.WithToxicSeed([]byte(tag)))
		if err != nil {
			t.Fatal(err)
		}
		pk, v, err := plonk.Setup(tk.cs, srs, lag)
		if err != nil {
			t.Fatal(err)
		}
		v.WriteTo(&vkBuf)
		tk.proof = func(in uint64) []byte {
			w, _ := frontend.NewWitness(&stepCircuit{In: in, Out: stepNext(in)}, ecc.BN254.ScalarField())
			p, err := plonk.Prove(tk.cs, pk, w)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			p.WriteTo(&buf)
			return buf.Bytes()
		}
	}
	tk.set = &KeySet{GnarkVersion: GnarkVersion, Backend: b, Curve: Curve, Setup: DevSetup}
	if err := tk.set.Add(&ShapeKey{Shape: "step", Raw: vkBuf.Bytes()}); err != nil {
		t.Fatal(err)
	}
	keysOnce.Store(fmt.Sprint(b, tag), tk)
	return tk
}

// stepBundle proves n chained segments starting from start.
func stepBundle(t testing.TB, tk *testKeys, start uint64, n int) *Bundle {
	t.Helper()
	b := &Bundle{GnarkVersion: GnarkVersion, Backend: tk.set.Backend, Curve: Curve, Setup: DevSetup, KeySet: tk.set.Fingerprint()}
	b.Statement = Statement{Export: "step", Args: []uint64{start}, Status: Returned, Steps: uint64(n)}
	b.Statement.Module.SetUint64(42)
	x := start
	key := tk.set.Key("step")
	for i := 0; i < n; i++ {
		b.Segments = append(b.Segments, Segment{Shape: "step", Key: key.Fingerprint(),
			Public: fr.Vector{fr.NewElement(x), fr.NewElement(stepNext(x))}, Proof: tk.proof(x)})
		x = stepNext(x)
	}
	b.Statement.Results = []uint64{x}
	b.Statement.TraceRoot.SetUint64(x)
	return b
}

// stepBinder is the test statement binding: segments chain, start at the
// argument, end at the result, and the "root" is the final value.
func stepBinder(b *Bundle) error {
	s := &b.Statement
	if len(s.Args) != 1 || len(s.Results) != 1 || uint64(len(b.Segments)) != s.Steps {
		return fmt.Errorf("%w: shape of statement", ErrStatement)
	}
	prev := fr.NewElement(s.Args[0])
	for i, seg := range b.Segments {
		if !seg.Public[0].Equal(&prev) {
			return fmt.Errorf("%w: segment %d does not start where segment %d ended", ErrStatement, i, i-1)
		}
		prev = seg.Public[1]
	}
	if last := fr.NewElement(s.Results[0]); !prev.Equal(&last) || !prev.Equal(&s.TraceRoot) {
		return fmt.Errorf("%w: final state", ErrStatement)
	}
	return nil
}

func withStepBinder(t *testing.T) {
	old := statementBinder
	statementBinder = stepBinder
	t.Cleanup(func() { statementBinder = old })
}

func TestVerifyAndTamper(t *testing.T) {
	withStepBinder(t)
	for _, backend := range []Backend{Groth16, PLONK} {
		t.Run(backend.String(), func(t *testing.T) {
			tk := setupStep(t, backend, "a")
			other := setupStep(t, backend, "b")
			good := stepBundle(t, tk, 2, 3)

			res, err := Verify(good, tk.set)
			if err != nil {
				t.Fatalf("valid bundle rejected: %v", err)
			}
			if !res.Pinned || res.Segments != 3 || res.Setup != DevSetup || res.KeySet != tk.set.Fingerprint() {
				t.Fatalf("result %+v", res)
			}
			if !strings.Contains(strings.Join(res.Warnings, "\n"), "DEV SETUP") {
				t.Fatalf("dev setup not flagged: %v", res.Warnings)
			}

			type tamper struct {
				name   string
				mutate func(b *Bundle)
				keys   *KeySet
				opts   []Option
				want   error
				seg    int // segment index a *SegmentError must name, -1 for none
			}
			var m7 fr.Element
			m7.SetUint64(7)
			cases := []tamper{
				{"flipped proof byte", func(b *Bundle) { b.Segments[1].Proof[len(b.Segments[1].Proof)/2] ^= 0x01 }, tk.set, nil, nil, 1},
				{"changed public input", func(b *Bundle) { b.Segments[2].Public[1].SetUint64(5) }, tk.set, nil, ErrProofInvalid, 2},
				{"other key", func(b *Bundle) {}, other.set, nil, ErrKeyMismatch, 0},
				{"segment dropped", func(b *Bundle) { b.Segments = append(b.Segments[:1], b.Segments[2:]...) }, tk.set, nil, ErrStatement, -1},
				{"segments swapped", func(b *Bundle) { b.Segments[0], b.Segments[1] = b.Segments[1], b.Segments[0] }, tk.set, nil, ErrStatement, -1},
				{"result changed", func(b *Bundle) { b.Statement.Results[0]++ }, tk.set, nil, ErrStatement, -1},
				{"ceremony required", func(b *Bundle) {}, tk.set, []Option{RequireCeremony()}, ErrDevSetup, -1},
				{"other module", func(b *Bundle) {}, tk.set, []Option{WithModuleCommitment(m7)}, ErrModuleMismatch, -1},
				{"no key at all", func(b *Bundle) {}, nil, nil, ErrKeyMismatch, -1},
				{"unknown shape", func(b *Bundle) { b.Segments[0].Shape = "big" }, tk.set, nil, ErrKeyMismatch, 0},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					b := cloneBundle(t, good)
					c.mutate(b)
					_, err := Verify(b, c.keys, c.opts...)
					if err == nil {
						t.Fatal("tampered bundle verified")
					}
					if c.want != nil && !errors.Is(err, c.want) {
						t.Fatalf("got %v, want %v", err, c.want)
					}
					var se *SegmentError
					if c.seg >= 0 && (!errors.As(err, &se) || se.Index != c.seg) {
						t.Fatalf("got %v, want a SegmentError for segment %d", err, c.seg)
					}
					if strings.Contains(err.Error(), "\n") {
						t.Fatalf("error is not one line: %q", err)
					}
				})
			}

			// Embedded keys verify, but loudly unpinned.
			emb := cloneBundle(t, good)
			emb.Keys = tk.set
			res, err = Verify(emb, nil)
			if err != nil || res.Pinned || !strings.Contains(strings.Join(res.Warnings, "\n"), "NOT PINNED") {
				t.Fatalf("embedded keys: res=%+v err=%v", res, err)
			}
			// Embedded keys cannot vouch for a ceremony, whatever they
			// claim, even when the bundle names the forged set.
			forged := *tk.set
			forged.Setup = CeremonySetup
			emb.Keys = &forged
			if _, err := Verify(emb, nil); !errors.Is(err, ErrKeyMismatch) || !strings.Contains(err.Error(), "embeds key set") {
				t.Fatalf("embedded set other than the named one: got %v", err)
			}
			emb.KeySet = forged.Fingerprint()
			if _, err := Verify(emb, nil, RequireCeremony()); !errors.Is(err, ErrDevSetup) {
				t.Fatalf("ceremony claimed by embedded keys: got %v", err)
			}
			emb.KeySet = tk.set.Fingerprint()
			// A pinned key set wins over embedded (forged) keys.
			emb.Keys = other.set
			if _, err := Verify(emb, tk.set); err != nil {
				t.Fatalf("pinned keys should be used: %v", err)
			}
			if _, err := Verify(emb, nil); !errors.Is(err, ErrKeyMismatch) {
				t.Fatalf("embedded key of another setup: got %v", err)
			}
		})
	}
}

// TestEveryByteCounts flips two bits of every byte of a real bundle with
// embedded keys (testdata/toy-embedded.proof): every flip must fail to
// decode or to verify, with an error, except in the export name, which is
// display only (docs/BUNDLE.md; --module checks it). It found a length
// prefix that made gnark's decoder allocate 128 GiB (checkEncoding), and
// flips of the named key set and of a key's constraint-system digest that
// verified (the embedded set must be the named one).
func TestEveryByteCounts(t *testing.T) {
	raw, err := os.ReadFile("testdata/toy-embedded.proof")
	if err != nil {
		t.Fatal(err)
	}
	var good Bundle
	if err := good.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(&good, nil); err != nil || good.Keys == nil {
		t.Fatalf("the golden bundle does not verify with its embedded keys: %v", err)
	}
	name := append(binary.BigEndian.AppendUint32(nil, uint32(len(good.Statement.Export))), good.Statement.Export...)
	export := bytes.Index(raw, name) + 4
	if export < 4 || bytes.Count(raw, name) != 1 {
		t.Fatal("cannot locate the export name")
	}
	accepted, rejected := 0, 0
	for i := range raw {
		for _, bit := range []byte{0x01, 0x80} {
			c := bytes.Clone(raw)
			c[i] ^= bit
			var b Bundle
			if b.UnmarshalBinary(c) != nil {
				rejected++
				continue
			}
			_, err := Verify(&b, nil)
			switch {
			case err != nil:
				rejected++
			case i >= export && i < export+len(good.Statement.Export):
				accepted++
			default:
				t.Errorf("byte %d of %d, bit %#x flipped: the bundle still verifies", i, len(raw), bit)
			}
		}
	}
	if want := 2 * len(good.Statement.Export); accepted != want {
		t.Errorf("%d flips of the export name verified, want all %d (display only)", accepted, want)
	}
	t.Logf("%d bytes, 2 bits each: %d flips rejected, %d (the export name) verify", len(raw), rejected, accepted)
}

func cloneBundle(t testing.TB, b *Bundle) *Bundle {
	t.Helper()
	raw, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var c Bundle
	if err := c.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	return &c
}

func TestBundleRoundTrip(t *testing.T) {
	tk := setupStep(t, Groth16, "a")
	b := stepBundle(t, tk, 5, 2)
	b.Statement.Input = []byte("input")
	b.Statement.Output = []byte("output")
	b.Keys = tk.set
	raw1, _ := b.MarshalBinary()
	c := cloneBundle(t, b)
	raw2, _ := c.MarshalBinary()
	if !bytes.Equal(raw1, raw2) {
		t.Fatal("bundle encoding not stable under a round trip")
	}
	if c.Statement.Export != "step" || string(c.Statement.Output) != "output" || c.Keys.Fingerprint() != tk.set.Fingerprint() {
		t.Fatalf("decoded %+v", c.Statement)
	}

	// Every truncation is an encoding error, never a panic.
	for n := 0; n < len(raw1); n += 1 + n/16 {
		var d Bundle
		if err := d.UnmarshalBinary(raw1[:n]); !errors.Is(err, ErrEncoding) {
			t.Fatalf("truncated at %d: got %v", n, err)
		}
	}
	var d Bundle
	if err := d.UnmarshalBinary(append(append([]byte(nil), raw1...), 0)); !errors.Is(err, ErrEncoding) {
		t.Fatalf("trailing byte: got %v", err)
	}
	// Another gnark version is refused by name.
	bad := bytes.Replace(raw1, []byte(GnarkVersion), []byte(strings.Repeat("9", len(GnarkVersion))), 1)
	if err := d.UnmarshalBinary(bad); !errors.Is(err, ErrVersion) || !strings.Contains(err.Error(), "gnark") {
		t.Fatalf("gnark version: got %v", err)
	}
	bad = append([]byte(nil), raw1...)
	bad[len(bundleMagic)+1]++ // format version
	if err := d.UnmarshalBinary(bad); !errors.Is(err, ErrVersion) {
		t.Fatalf("format version: got %v", err)
	}
	// Every earlier version is refused, version 3 (whose circuits admitted
	// fractional cells) included.
	for v := 1; v < BundleFormatVersion; v++ {
		bad = append([]byte(nil), raw1...)
		binary.BigEndian.PutUint16(bad[len(bundleMagic):], uint16(v))
		if err := d.UnmarshalBinary(bad); !errors.Is(err, ErrVersion) || !strings.Contains(err.Error(), "prove the run again") {
			t.Fatalf("format version %d: got %v", v, err)
		}
	}
	// A non-canonical field element (the modulus itself) is refused.
	mod := fr.Modulus().FillBytes(make([]byte, 32))
	off := bytes.Index(raw1, func() []byte { e := b.Statement.Module.Bytes(); return e[:] }())
	bad = append([]byte(nil), raw1...)
	copy(bad[off:], mod)
	if err := d.UnmarshalBinary(bad); !errors.Is(err, ErrEncoding) {
		t.Fatalf("non-canonical element: got %v", err)
	}
}

func TestKeySetEncoding(t *testing.T) {
	tk := setupStep(t, PLONK, "a")
	raw, _ := tk.set.MarshalBinary()
	var s KeySet
	if err := s.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	if s.Fingerprint() != tk.set.Fingerprint() {
		t.Fatal("fingerprint changed under a round trip")
	}
	for n := 0; n < len(raw); n += 1 + n/8 {
		if err := s.UnmarshalBinary(raw[:n]); err == nil {
			t.Fatalf("truncated key set at %d accepted", n)
		}
	}
	fp := tk.set.Fingerprint()
	g, err := ParseFingerprint(fp.String())
	if err != nil || g != fp || len(fp.String()) != 19 {
		t.Fatalf("fingerprint %q round trip: %v", fp, err)
	}
	if _, err := ParseFingerprint("xyz"); err == nil {
		t.Fatal("bad fingerprint parsed")
	}
	// Setup kind is part of the fingerprint.
	c := *tk.set
	c.Setup = CeremonySetup
	if c.Fingerprint() == fp {
		t.Fatal("setup kind not covered by the fingerprint")
	}
}
