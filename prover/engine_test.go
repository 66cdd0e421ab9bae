package prover

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/consensys/gnark/frontend"

	"github.com/mcpzero/mcpzero/circuits/claim"
	"github.com/mcpzero/mcpzero/verifier"
)

// toySegment is a test-only stand-in for a segment circuit with the real
// public-input layout of claim.Claim (Module, Before, After, Steps). It
// proves nothing about WebAssembly: it binds a private X to the public
// inputs, which is enough to test the engine, the bundle and the verifier
// end to end with the real statement binding.
type toySegment struct {
	Module, Before, After, Steps frontend.Variable `gnark:",public"`
	X                            frontend.Variable
}

func (c *toySegment) Define(api frontend.API) error {
	sum := api.Add(c.Module, c.Before, c.After, c.Steps)
	api.AssertIsEqual(api.Mul(c.X, 2), api.Add(sum, sum))
	return nil
}

// toyRun builds a statement and the jobs of nseg chained toy segments.
func toyRun(nseg int) (verifier.Statement, []job) {
	s := verifier.Statement{Function: 1, Export: "run", Args: []uint64{27, 3}, Status: verifier.Returned,
		Results: []uint64{30}, Steps: uint64(5 * nseg)}
	s.Module.SetUint64(99)
	cs := s.ClaimStatement()
	claims := make([]claim.Claim, nseg)
	prev := cs.Initial()
	for i := range claims {
		after := claim.Hash(claim.U64(claim.TagState), claim.U64(uint64(i)))
		if i == nseg-1 {
			after = cs.Final()
		}
		claims[i] = claim.Claim{Module: s.Module, Before: prev, After: after, Steps: 5}
		prev = after
	}
	s.TraceRoot, _ = claim.MerkleRoot(claims)
	var jobs []job
	for _, c := range claims {
		c := c
		jobs = append(jobs, job{
			shape: "toy",
			blank: func() frontend.Circuit { return &toySegment{} },
			assign: func() (frontend.Circuit, error) {
				v := c.Values()
				var x = v[0]
				x.Add(&x, &v[1]).Add(&x, &v[2]).Add(&x, &v[3])
				return &toySegment{Module: v[0], Before: v[1], After: v[2], Steps: v[3], X: x}, nil
			},
		})
	}
	return s, jobs
}

func runToy(t *testing.T, ctx context.Context, nseg int, opts ...Option) (*verifier.Bundle, *Stats, []Progress, error) {
	t.Helper()
	cfg := defaults()
	cfg.keysDir = testKeysDir
	var mu sync.Mutex
	var reports []Progress
	cfg.progress = func(p Progress) { mu.Lock(); reports = append(reports, p); mu.Unlock() }
	for _, o := range opts {
		o(&cfg)
	}
	stmt, jobs := toyRun(nseg)
	b := &verifier.Bundle{Statement: stmt}
	st := &Stats{Steps: stmt.Steps}
	tr := newTracker(cfg.progress)
	_, err := proveJobs(ctx, &cfg, tr, jobs, b, st)
	if err == nil {
		tr.complete()
	} else {
		tr.close()
	}
	return b, st, reports, err
}

func TestEngineProvesAndVerifies(t *testing.T) {
	for _, backend := range []verifier.Backend{verifier.Groth16, verifier.PLONK} {
		t.Run(backend.String(), func(t *testing.T) {
			b, st, reports, err := runToy(t, context.Background(), 3, WithBackend(backend))
			if err != nil {
				t.Fatal(err)
			}
			if st.Segments != 3 || len(b.Segments) != 3 || st.Constraints == 0 || len(st.Shapes) != 1 {
				t.Fatalf("stats %+v", st)
			}
			res, err := verifier.Verify(b, b.Keys)
			if err != nil {
				t.Fatalf("bundle does not verify: %v", err)
			}
			if res.Setup != verifier.DevSetup || b.Setup != verifier.DevSetup {
				t.Fatal("dev keys not labelled dev")
			}
			// Progress: phases in order, fraction never decreasing, ends done at 1.
			last := -1.0
			seen := map[Phase]bool{}
			for _, p := range reports {
				if p.Fraction < last-1e-9 {
					t.Fatalf("fraction went back: %v after %v", p.Fraction, last)
				}
				last = p.Fraction
				seen[p.Phase] = true
				if p.Phase == PhaseProve && (p.Segment < 1 || p.Segment > 3 || p.Segments != 3) {
					t.Fatalf("bad segment counter %+v", p)
				}
			}
			end := reports[len(reports)-1]
			if end.Phase != PhaseDone || end.Fraction != 1 || !seen[PhaseProve] || !seen[PhaseCompile] {
				t.Fatalf("progress phases %v, last %+v", seen, end)
			}
			// Tampering is caught by the verifier with the segment named.
			raw, _ := b.MarshalBinary()
			var c verifier.Bundle
			c.UnmarshalBinary(raw)
			c.Segments[2].Proof[10] ^= 0x80
			_, err = verifier.Verify(&c, b.Keys)
			var se *verifier.SegmentError
			if !errors.As(err, &se) || se.Index != 2 {
				t.Fatalf("flipped byte in segment 2: got %v", err)
			}
		})
	}
}

func TestEngineOptions(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, _, err := runToy(t, ctx, 2); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: got %v", err)
	}
	empty := t.TempDir()
	if _, _, _, err := runToy(t, context.Background(), 1, WithKeysDir(empty), WithoutSetup()); !errors.Is(err, ErrNoKeys) {
		t.Fatalf("WithoutSetup on an empty cache: got %v", err)
	}
	if _, _, _, err := runToy(t, context.Background(), 1, RequireCeremony()); !errors.Is(err, verifier.ErrDevSetup) {
		t.Fatalf("RequireCeremony with dev keys: got %v", err)
	}
	b, _, _, err := runToy(t, context.Background(), 1, WithEmbeddedKeys(false))
	if err != nil || b.Keys != nil {
		t.Fatalf("WithEmbeddedKeys(false): keys=%v err=%v", b.Keys, err)
	}
}
