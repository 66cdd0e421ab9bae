package trace

// Defaults of the tracer's limits (docs/TRACE.md, "Limits").
const (
	DefaultSegmentCapacity = 1 << 16
	DefaultMaxSteps        = 1_000_000_000
	// DefaultMaxCallDepth matches wazero's interpreter (2,000 frames,
	// counting the entry function).
	DefaultMaxCallDepth  = 2000
	DefaultMaxStackSlots = 1 << 20
	DefaultMaxMemory     = 4096 // pages of 64 KiB: 256 MiB
	DefaultMaxOutput     = 1 << 20
	// DefaultMaxSegmentAccesses bounds the memory accesses one segment
	// records (24 bytes each: 768 MiB). Only a bulk-memory instruction
	// records more than a few per step: one memory.copy of n bytes records
	// 2n, and without a bound a single one could exhaust the machine.
	DefaultMaxSegmentAccesses = 1 << 25
)

// ctxCheckInterval is how many steps run between checks of the context.
const ctxCheckInterval = 1 << 16

// Option configures Run.
type Option func(*config)

type config struct {
	segCap    int
	maxSteps  uint64
	maxDepth  int
	maxSlots  int
	maxPages  uint32
	maxOutput int
	maxAcc    int
	handler   func(*Segment) error
}

func defaultConfig() config {
	return config{
		segCap:    DefaultSegmentCapacity,
		maxSteps:  DefaultMaxSteps,
		maxDepth:  DefaultMaxCallDepth,
		maxSlots:  DefaultMaxStackSlots,
		maxPages:  DefaultMaxMemory,
		maxOutput: DefaultMaxOutput,
		maxAcc:    DefaultMaxSegmentAccesses,
	}
}

// WithSegmentCapacity sets the maximum number of steps per segment (n >= 1).
func WithSegmentCapacity(n int) Option {
	return func(c *config) {
		if n >= 1 {
			c.segCap = n
		}
	}
}

// WithMaxSteps makes Run fail with ErrStepLimit once a run exceeds n steps.
func WithMaxSteps(n uint64) Option { return func(c *config) { c.maxSteps = n } }

// WithMaxCallDepth sets the call depth (entry function = 1) beyond which a
// call traps with TrapStackOverflow.
func WithMaxCallDepth(n int) Option { return func(c *config) { c.maxDepth = n } }

// WithMaxStackSlots bounds the value stack and the locals area (each, in
// 64-bit slots); exceeding it traps with TrapStackOverflow.
func WithMaxStackSlots(n int) Option { return func(c *config) { c.maxSlots = n } }

// WithMaxMemoryPages bounds linear memory, like wazero's
// WithMemoryLimitPages: memory.grow beyond it returns -1, and a module whose
// minimum exceeds it fails with ErrMemoryLimit.
func WithMaxMemoryPages(n uint32) Option { return func(c *config) { c.maxPages = n } }

// WithMaxOutput bounds the bytes output_write may produce (trap beyond).
func WithMaxOutput(n int) Option { return func(c *config) { c.maxOutput = n } }

// WithMaxSegmentAccesses bounds the accesses a memory.copy or memory.fill
// lets one segment record (1 <= n <= 2^31; rows index accesses with 32
// bits): one that would pass it starts a segment of its own, and one that
// passes it alone fails the run with ErrAccessLimit before it moves any
// byte. Other instructions record a few accesses per row, bounded by the
// segment capacity.
func WithMaxSegmentAccesses(n int) Option {
	return func(c *config) {
		if n >= 1 {
			c.maxAcc = min(n, 1<<31)
		}
	}
}

// WithSegmentHandler streams segments: h is called with each completed
// segment, in order, and the trace keeps none of them (Trace.Segments is
// empty). The segment's slices are reused after h returns: copy what you
// keep. An error from h stops the run and is returned by Run.
func WithSegmentHandler(h func(*Segment) error) Option {
	return func(c *config) { c.handler = h }
}
