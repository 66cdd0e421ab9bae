package prover

import (
	"time"

	"github.com/mcpzero/mcpzero/verifier"
)

// Phase names what the prover is doing, for progress reports.
type Phase string

const (
	PhaseTrace   Phase = "trace"   // replaying the call with the tracer
	PhaseCompile Phase = "compile" // compiling circuit shapes
	PhaseKeys    Phase = "keys"    // loading cached keys
	PhaseSetup   Phase = "setup"   // dev setup of a shape without cached keys
	PhaseProve   Phase = "prove"   // proving segments
	PhaseDone    Phase = "done"
)

// Progress is one progress report. Reports come from the proving goroutine
// and from a ticker (about 4 per second), in order.
type Progress struct {
	Phase    Phase
	Shape    string // shape being compiled, set up or proven
	Segment  int    // 1-based segment being proven (PhaseProve)
	Segments int    // number of segments
	// Fraction of the whole job done, 0..1, weighted by estimated time
	// (setup ~160 µs/constraint, proving ~14 µs/constraint for Groth16,
	// refined with the measured speed once a segment is proven).
	Fraction float64
	Elapsed  time.Duration
	ETA      time.Duration // estimated time left; 0 when unknown or done
}

// Option configures Prove.
type Option func(*config)

type config struct {
	backend         verifier.Backend
	keys            *KeyStore
	keysDir         string
	progress        func(Progress)
	noSetup         bool
	requireCeremony bool
	embedKeys       bool
	expect          *Outcome
	segmentCap      int
	maxSteps        uint64
	memoryBudget    uint64
}

func defaults() config {
	return config{backend: verifier.Groth16, embedKeys: true, memoryBudget: DefaultMemoryBudget}
}

// WithBackend picks the proof system (Groth16 by default, or PLONK).
func WithBackend(b verifier.Backend) Option { return func(c *config) { c.backend = b } }

// WithKeyStore uses an open key cache (share one across calls).
func WithKeyStore(ks *KeyStore) Option { return func(c *config) { c.keys = ks } }

// WithKeysDir uses the key cache in dir (default DefaultKeysDir()).
func WithKeysDir(dir string) Option { return func(c *config) { c.keysDir = dir } }

// WithProgress reports progress to f. f must return quickly.
func WithProgress(f func(Progress)) Option { return func(c *config) { c.progress = f } }

// WithoutSetup fails with ErrNoKeys instead of running a dev setup when a
// shape has no cached keys (services that must not stall for a setup).
func WithoutSetup() Option { return func(c *config) { c.noSetup = true } }

// RequireCeremony refuses to prove with keys from a single-party dev setup.
func RequireCeremony() Option { return func(c *config) { c.requireCeremony = true } }

// WithEmbeddedKeys says whether the bundle embeds the verifying keys it
// used (default true; verifiers that rely on them say the key is not
// pinned).
func WithEmbeddedKeys(embed bool) Option { return func(c *config) { c.embedKeys = embed } }

// WithExpectedOutcome makes Prove fail with ErrReplayMismatch, before any
// proving, unless the replay ends exactly in o. The kernel uses it to prove
// a logged execution: the replay must reproduce what wazero returned.
func WithExpectedOutcome(o Outcome) Option { return func(c *config) { c.expect = &o } }

// WithMaxSteps bounds the replay (default: the tracer's limit).
func WithMaxSteps(n uint64) Option { return func(c *config) { c.maxSteps = n } }

// WithMemoryBudget bounds the estimated peak memory of proving, in bytes
// (default DefaultMemoryBudget, 4 GiB; 0 means unlimited). Shapes whose
// estimated proving peak (and setup peak, when their keys are missing)
// exceeds it are never chosen; when the run fits only such shapes, Prove
// fails with a *MemoryBudgetError (ErrMemoryBudget) before any proving.
// While proving, the Go collector's soft memory limit is set to the budget
// (unless the process set a lower one).
func WithMemoryBudget(bytes uint64) Option { return func(c *config) { c.memoryBudget = bytes } }

// Outcome is how a run ended, as the kernel recorded it.
type Outcome struct {
	Status  verifier.Status
	Trap    uint32 // claim.TrapKind when trapped
	Results []uint64
	Output  []byte
}
