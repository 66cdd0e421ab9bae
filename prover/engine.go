package prover

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"

	"github.com/mcpzero/mcpzero/verifier"
)

// job is one segment to prove: the blank circuit of its shape (to compile)
// and its assignment (the witness). The engine knows nothing else about
// the circuits, which keeps it testable with toy circuits.
type job struct {
	shape  string
	blank  func() frontend.Circuit
	assign func() (frontend.Circuit, error)
}

// compiled is one compiled shape, cached for the life of the process:
// compiling a segment circuit takes seconds, and the kernel proves many
// runs with the same shapes.
type compiled struct {
	cs     constraint.ConstraintSystem
	digest [32]byte
}

var (
	compiledMu    sync.Mutex
	compiledCache = map[string]*compiled{}
)

// compileShape returns the compiled shape from the process cache, the
// key store's on-disk cache (ks may be nil), or the compiler.
func compileShape(b verifier.Backend, shape string, blank func() frontend.Circuit, ks *KeyStore) (*compiled, error) {
	key := b.String() + "/" + shape
	compiledMu.Lock()
	c := compiledCache[key]
	compiledMu.Unlock()
	if c != nil {
		return c, nil
	}
	if c, ok := ks.loadCS(b, shape); ok {
		compiledMu.Lock()
		compiledCache[key] = c
		compiledMu.Unlock()
		return c, nil
	}
	cs, err := Compile(b, blank())
	if err != nil {
		return nil, fmt.Errorf("prover: compiling shape %s: %w", shape, err)
	}
	d, err := CSDigest(b, cs)
	if err != nil {
		return nil, err
	}
	c = &compiled{cs: cs, digest: d}
	ks.storeCS(b, shape, cs)
	compiledMu.Lock()
	compiledCache[key] = c
	compiledMu.Unlock()
	return c, nil
}

// Stats measures one Prove call.
type Stats struct {
	Steps              uint64
	Segments           int
	Shapes             []string // distinct shapes used, in first-use order
	Constraints        int      // summed over segments (each pays its shape's size)
	ConstraintsPerStep float64
	KeysCreated        bool // a dev setup ran during this call
	TraceTime          time.Duration
	CompileTime        time.Duration
	SetupTime          time.Duration // loading or creating keys
	ProveTime          time.Duration
	Total              time.Duration
	BundleBytes        int
}

// StepsPerSecond is steps / ProveTime (proving only, warm keys).
func (s *Stats) StepsPerSecond() float64 {
	if s.ProveTime <= 0 {
		return 0
	}
	return float64(s.Steps) / s.ProveTime.Seconds()
}

// keyStore returns the configured key store, opening it once.
func (cfg *config) keyStore() (*KeyStore, error) {
	if cfg.keys == nil {
		ks, err := OpenKeyStore(cfg.keysDir)
		if err != nil {
			return nil, err
		}
		cfg.keys = ks
	}
	return cfg.keys, nil
}

// keyedJob is a job with its compiled shape and keys.
type keyedJob struct {
	job
	c *compiled
	k *Keys
}

// proveJobs compiles the shapes of jobs, loads or sets up their keys and
// proves every job in order, filling the segments of b. The statement of
// b is set by the caller.
func proveJobs(ctx context.Context, cfg *config, tr *tracker, jobs []job, b *verifier.Bundle, st *Stats) (*verifier.KeySet, error) {
	if len(jobs) == 0 {
		return nil, errors.New("prover: nothing to prove")
	}
	ks, err := cfg.keyStore()
	if err != nil {
		return nil, err
	}
	// Compile each distinct shape and fetch its keys, before proving
	// anything, so that missing keys fail fast.
	byShape := map[string]*keyedJob{}
	kjobs := make([]keyedJob, len(jobs))
	t0 := time.Now()
	for i, j := range jobs {
		kjobs[i].job = j
		if kj := byShape[j.shape]; kj != nil {
			kjobs[i].c = kj.c
			continue
		}
		tr.begin(PhaseCompile, j.shape, 0, len(jobs), 0)
		c, err := compileShape(cfg.backend, j.shape, j.blank, ks)
		if err != nil {
			return nil, err
		}
		ks.recordShape(cfg.backend, j.shape, c)
		kjobs[i].c = c
		byShape[j.shape] = &kjobs[i]
		st.Shapes = append(st.Shapes, j.shape)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	st.CompileTime = time.Since(t0)

	// Weigh the work for the ETA: setups of shapes without keys, then
	// every segment's proof.
	nc := func(kj *keyedJob) int { return kj.c.cs.GetNbConstraints() }
	for i := range kjobs {
		st.Constraints += nc(&kjobs[i])
		tr.addWork(float64(nc(&kjobs[i])) * proveSecondsPerConstraint(cfg.backend))
	}
	t0 = time.Now()
	if cfg.memoryBudget != 0 {
		keep := map[[32]byte]bool{}
		for _, kj := range byShape {
			keep[kj.c.digest] = true
		}
		if ks.keepOnly(keep) > 0 {
			releaseMemory()
		}
	}
	for _, shape := range st.Shapes {
		kj := byShape[shape]
		k, err := ks.load(shape, cfg.backend, kj.c.digest)
		if errors.Is(err, ErrNoKeys) && !cfg.noSetup {
			est := float64(nc(kj)) * setupSecondsPerConstraint(cfg.backend)
			tr.addWork(est)
			tr.begin(PhaseSetup, shape, 0, len(jobs), est)
			var created bool
			k, created, err = ks.LoadOrSetup(ctx, shape, cfg.backend, kj.c.cs)
			tr.end(false)
			st.KeysCreated = st.KeysCreated || created
		}
		if err != nil {
			return nil, fmt.Errorf("prover: keys of shape %s (%s): %w", shape, cfg.backend, err)
		}
		if cfg.requireCeremony && k.Setup != verifier.CeremonySetup {
			return nil, fmt.Errorf("prover: shape %s: %w: its keys come from a single-party dev setup", shape, verifier.ErrDevSetup)
		}
		kj.k = k
	}
	st.SetupTime = time.Since(t0)
	for i := range kjobs {
		kjobs[i].k = byShape[kjobs[i].shape].k
	}

	// One key set for the bundle: the keys of the shapes it uses. They
	// must all come from the same kind of setup.
	set := &verifier.KeySet{GnarkVersion: verifier.GnarkVersion, Backend: cfg.backend, Curve: verifier.Curve}
	for _, shape := range st.Shapes {
		k := byShape[shape].k
		if set.Setup == 0 {
			set.Setup = k.Setup
		} else if set.Setup != k.Setup {
			set.Setup = verifier.DevSetup // a mix is only as good as its weakest key
		}
		if err := set.Add(k.VK); err != nil {
			return nil, err
		}
	}
	b.GnarkVersion, b.Backend, b.Curve = verifier.GnarkVersion, cfg.backend, verifier.Curve
	b.Setup, b.KeySet = set.Setup, set.Fingerprint()
	if cfg.embedKeys {
		b.Keys = set
	}

	t0 = time.Now()
	for i := range kjobs {
		kj := &kjobs[i]
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		est := float64(nc(kj)) * proveSecondsPerConstraint(cfg.backend)
		tr.begin(PhaseProve, kj.shape, i+1, len(kjobs), est)
		assignment, err := kj.assign()
		if err != nil {
			return nil, fmt.Errorf("prover: segment %d: building the witness: %w", i, err)
		}
		full, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
		if err != nil {
			return nil, fmt.Errorf("prover: segment %d: %w", i, err)
		}
		pub, err := full.Public()
		if err != nil {
			return nil, err
		}
		proof, err := kj.k.ProveWitness(ctx, kj.c.cs, full)
		if err != nil {
			return nil, fmt.Errorf("prover: segment %d: %w", i, err)
		}
		tr.end(true)
		b.Segments = append(b.Segments, verifier.Segment{
			Shape: kj.shape, Key: kj.k.VK.Fingerprint(),
			Public: append(fr.Vector(nil), pub.Vector().(fr.Vector)...), Proof: proof,
		})
	}
	st.ProveTime = time.Since(t0)
	st.Segments = len(kjobs)
	return set, nil
}
