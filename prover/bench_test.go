package prover

import (
	"context"
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"

	"github.com/mcpzero/mcpzero/bench"
	"github.com/mcpzero/mcpzero/trace"
	"github.com/mcpzero/mcpzero/verifier"
)

type plainSystem struct {
	cs  constraint.ConstraintSystem
	k   *Keys
	wit func() frontend.Circuit
}

var plainCache sync.Map // "backend/n" -> *plainSystem

// plainOfSize compiles and sets up (once per process) a plain circuit
// with n constraints for backend.
func plainOfSize(tb testing.TB, b verifier.Backend, n int) *plainSystem {
	key := fmt.Sprint(b, "/", n)
	if p, ok := plainCache.Load(key); ok {
		return p.(*plainSystem)
	}
	cs, err := Compile(b, &bench.PlainCircuit{N: n})
	if err != nil {
		tb.Fatal(err)
	}
	ks, err := OpenKeyStore(testKeysDir)
	if err != nil {
		tb.Fatal(err)
	}
	k, _, err := ks.LoadOrSetup(context.Background(), fmt.Sprintf("plain-%d", n), b, cs)
	if err != nil {
		tb.Fatal(err)
	}
	p := &plainSystem{cs: cs, k: k, wit: func() frontend.Circuit { return bench.PlainAssignment(n) }}
	plainCache.Store(key, p)
	return p
}

func (p *plainSystem) prove(tb testing.TB) time.Duration {
	w, err := frontend.NewWitness(p.wit(), ecc.BN254.ScalarField())
	if err != nil {
		tb.Fatal(err)
	}
	t0 := time.Now()
	if _, err := p.k.ProveWitness(context.Background(), p.cs, w); err != nil {
		tb.Fatal(err)
	}
	return time.Since(t0)
}

// BenchmarkProve proves each benchmark program (bench.Programs, plus the
// sum loop of testdata at about 1,000 steps) with warm keys and, side by
// side in the same run, a plain gnark circuit with the same number of
// constraints per segment. Reported per op (one whole run, end to end from
// module bytes): steps/s (proving only), constraints/step, plain_ratio (our
// prove time / plain prove time for the same constraint count),
// verify_ms/segment, bundle bytes, peak RSS. Programs the circuits cannot
// prove yet are skipped with the reason.
//
//	go test -run '^$' -bench Prove -benchtime 3x ./prover/
func BenchmarkProve(b *testing.B) {
	ks, err := OpenKeyStore(testKeysDir)
	if err != nil {
		b.Fatal(err)
	}
	loop, err := os.ReadFile("testdata/loop.wasm")
	if err != nil {
		b.Fatal(err)
	}
	benchProgram(b, ks, "sum1000", loop, "sum", Input{Args: []uint64{90}})
	for _, p := range bench.Programs() {
		wasm, err := p.Wasm()
		if err != nil {
			b.Fatal(err)
		}
		benchProgram(b, ks, p.Name, wasm, p.Export, Input{Args: p.Args(), Bytes: p.Input()})
	}
}

func benchProgram(b *testing.B, ks *KeyStore, name string, wasm []byte, export string, in Input) {
	b.Run(name, func(b *testing.B) {
		// Warm-up: compile and set up keys outside the timer.
		res, err := Prove(context.Background(), wasm, export, in, WithKeyStore(ks))
		if err != nil {
			b.Skipf("%s: %v", name, err)
		}
		var prove, plain, verify time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			res, err = Prove(context.Background(), wasm, export, in, WithKeyStore(ks))
			if err != nil {
				b.Fatal(err)
			}
			prove += res.Stats.ProveTime
			b.StopTimer()
			t0 := time.Now()
			if _, err := verifier.Verify(res.Bundle, res.Bundle.Keys); err != nil {
				b.Fatal(err)
			}
			verify += time.Since(t0)
			// The baseline: one plain proof per segment, each with its
			// segment shape's constraint count.
			per := res.Stats.Constraints / res.Stats.Segments
			ps := plainOfSize(b, verifier.Groth16, per)
			for s := 0; s < res.Stats.Segments; s++ {
				plain += ps.prove(b)
			}
			b.StartTimer()
		}
		st := res.Stats
		n := float64(b.N)
		b.ReportMetric(float64(st.Steps), "steps")
		b.ReportMetric(float64(st.Segments), "segments")
		b.ReportMetric(st.ConstraintsPerStep, "constraints/step")
		b.ReportMetric(float64(st.Steps)*n/prove.Seconds(), "steps/s")
		b.ReportMetric(prove.Seconds()/plain.Seconds(), "plain_ratio")
		b.ReportMetric(verify.Seconds()*1000/n/float64(st.Segments), "verify_ms/segment")
		b.ReportMetric(float64(st.BundleBytes), "bundle_bytes")
		b.ReportMetric(float64(peakRSS())/(1<<20), "peak_rss_MiB")
	})
}

// BenchmarkVerify verifies one real single-segment bundle (add.wasm).
func BenchmarkVerify(b *testing.B) {
	ks, err := OpenKeyStore(testKeysDir)
	if err != nil {
		b.Fatal(err)
	}
	wasm, err := os.ReadFile("testdata/add.wasm")
	if err != nil {
		b.Fatal(err)
	}
	res, err := Prove(context.Background(), wasm, "add", Input{Args: []uint64{27, 3}}, WithKeyStore(ks))
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := res.Bundle.MarshalBinary()
	keys := res.Bundle.Keys
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Decode included: what an auditor's verify costs, minus file I/O.
		var bd verifier.Bundle
		if err := bd.UnmarshalBinary(raw); err != nil {
			b.Fatal(err)
		}
		if _, err := verifier.Verify(&bd, keys); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlain proves the plain baseline alone at a few sizes, to place
// the machine on the throughput scale of the design brief (constraints/s).
func BenchmarkPlain(b *testing.B) {
	for _, n := range []int{1 << 12, 1 << 15} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ps := plainOfSize(b, verifier.Groth16, n)
			var d time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				d += ps.prove(b)
			}
			b.ReportMetric(float64(ps.cs.GetNbConstraints())*float64(b.N)/d.Seconds(), "constraints/s")
		})
	}
}

func peakRSS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss * 1024 // kilobytes on Linux
}

// BenchmarkSegmentVsPlain alternates, proof by proof, one real segment of
// the sum loop (~1,000 steps) with one plain-circuit proof of the same
// constraint count, so that a noisy shared machine slows both alike. It
// reports the ratio of the summed times and the constraints per second of
// each.
//
//	go test -run '^$' -bench SegmentVsPlain -benchtime 2x ./prover/
func BenchmarkSegmentVsPlain(b *testing.B) {
	ks, err := OpenKeyStore(testKeysDir)
	if err != nil {
		b.Fatal(err)
	}
	wasm, err := os.ReadFile("testdata/loop.wasm")
	if err != nil {
		b.Fatal(err)
	}
	mod, err := trace.Decode(wasm)
	if err != nil {
		b.Fatal(err)
	}
	cfg := defaults()
	cfg.keys = ks
	_, _, jobs, err := planRun(context.Background(), &cfg, mod, "sum", Input{Args: []uint64{90}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	c, err := compileShape(cfg.backend, jobs[0].shape, jobs[0].blank, ks)
	if err != nil {
		b.Fatal(err)
	}
	k, _, err := ks.LoadOrSetup(context.Background(), jobs[0].shape, cfg.backend, c.cs)
	if err != nil {
		b.Fatal(err)
	}
	n := c.cs.GetNbConstraints()
	plain := plainOfSize(b, cfg.backend, n)
	var ours, base time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, j := range jobs {
			a, err := j.assign()
			if err != nil {
				b.Fatal(err)
			}
			w, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			if _, err := k.ProveWitness(context.Background(), c.cs, w); err != nil {
				b.Fatal(err)
			}
			ours += time.Since(t0)
			base += plain.prove(b)
		}
	}
	proofs := float64(b.N * len(jobs))
	b.ReportMetric(ours.Seconds()/base.Seconds(), "plain_ratio")
	b.ReportMetric(float64(n)*proofs/ours.Seconds(), "constraints/s")
	b.ReportMetric(float64(plain.cs.GetNbConstraints())*proofs/base.Seconds(), "plain_constraints/s")
	b.ReportMetric(float64(n), "constraints/segment")
}
