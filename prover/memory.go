package prover

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/mcpzero/mcpzero/verifier"
)

// DefaultMemoryBudget is the peak memory a Prove call plans for unless
// WithMemoryBudget says otherwise: 4 GiB, the project's goal for this
// 2-core, 24 GiB machine, and what a small cloud worker or a laptop that
// also runs other things can give one proof.
const DefaultMemoryBudget uint64 = 4 << 30

// The memory model. A Groth16 proof over BN254 holds, per constraint, the
// proving key (G1/G2 points per wire, about 300 bytes), the constraint
// system, the solver's wire values and the FFT vectors of the domain (the
// next power of two above the constraint count); a setup holds the key it
// builds and its evaluation tables. Peak RSS, /usr/bin/time -v on
// `mcpzero prove` and `mcpzero setup` in their own processes
// (docs/PERFORMANCE.md, "Memory"):
//
//	prove, keys from disk   77 k constraints   190-200 MiB, with or without a limit
//	                       700 k               1.4-1.5 GiB (2.1-2.3 KB; GOGC's 2x heap growth)
//	                       700 k, GOMEMLIMIT=700MiB  0.81 GiB (1.2 KB: the working set)
//	                       2.02 M              2.25-2.53 GiB (1.2-1.3 KB; 1-2 segments, 4 GiB limit or none)
//	                       2.09 M              3.41 GiB  (43 segments of a 148,818-step run, make bench-long)
//	                       2.13 M (domain 2^22) 3.67 GiB (2 segments)
//	                       1.68 M (dense slots) 3.11 GiB under the default 4 GiB limit, 2.69 GiB
//	                                           under a 2,900 MiB one in the same time (8 segments):
//	                                           the rest is the collector's slack
//	                       3.98 M              6.3 GiB   (1.7 KB, make bench-long)
//	setup                  700 k               1.1 GiB   (1.7 KB; 1.6 GiB compile included)
//	                       2.02 M              2.7 GiB   (1.4 KB, compile included, 4 GiB limit)
//	                       2.09 M              2.92 GiB  (make bench-long)
//	                       2.13 M (domain 2^22) 3.47 GiB
//	                       1.68 M (dense slots) 3.73 GiB with the proof after it, 4 GiB limit
//	                       3.98 M              5.3 GiB   (1.4 KB, make bench-long)
//
// Left alone, the collector lets the heap reach about twice what is live,
// so small shapes show 2+ KB per constraint; what a proof cannot do
// without is about 130 MiB (the runtime, the MSM buckets, the tables)
// plus 1 KB per constraint. Prove sets the collector's soft limit to the
// budget (applyMemoryLimit), so a shape fits when its working set does,
// with headroom for the collector: 160 MiB plus 1,500 bytes per
// constraint plus 150 bytes per element of the FFT domain (the next power
// of two: a shape just past 2^21 constraints, 2.13 M, peaked at 3.67 GiB
// where one just below, 2.09 M, peaked at 3.41 GiB with a long run's
// trace in memory). The same rates bound a setup (1.4 KB per constraint
// measured without a limit on the largest shape).
const (
	memBaseBytes             = 160 << 20
	proveBytesPerConstraint  = 1500
	setupBytesPerConstraint  = 1500
	bytesPerDomainElement    = 150
	plonkMemoryFactorPercent = 300 // PLONK's keys and quotient are ~3x Groth16's per constraint (unmeasured: conservative)
)

// EstimatedProveMemory estimates the peak RSS, in bytes, of proving one
// segment of a shape with the given constraint count, keys loaded from the
// cache.
func EstimatedProveMemory(constraints int) uint64 {
	return memBaseBytes + uint64(constraints)*proveBytesPerConstraint + fftDomain(constraints)*bytesPerDomainElement
}

// fftDomain is the size of the FFT domain of a system of that many
// constraints: the next power of two.
func fftDomain(constraints int) uint64 {
	d := uint64(1)
	for d < uint64(constraints) {
		d <<= 1
	}
	return d
}

// EstimatedSetupMemory estimates the peak RSS, in bytes, of a dev setup of
// a shape with the given constraint count.
func EstimatedSetupMemory(constraints int) uint64 {
	return memBaseBytes + uint64(constraints)*setupBytesPerConstraint + fftDomain(constraints)*bytesPerDomainElement
}

// shapeMemory is the estimated peak of proving with a shape: the larger of
// its setup (when it has no keys; the setup's memory is freed before
// proving starts) and its proofs (segments are proven one at a time, so
// their number does not matter).
func shapeMemory(b verifier.Backend, constraints int, needsSetup bool) uint64 {
	m := EstimatedProveMemory(constraints)
	if needsSetup {
		m = max(m, EstimatedSetupMemory(constraints))
	}
	if b == verifier.PLONK {
		m = m / 100 * plonkMemoryFactorPercent
	}
	return m
}

// ErrMemoryBudget: the run fits circuit shapes, but proving with any of
// them is estimated to need more memory than the budget allows. Nothing
// was proven. The error is a *MemoryBudgetError.
var ErrMemoryBudget = errors.New("no circuit shape fits the memory budget")

// ShapeMemory is one shape's estimated peak memory.
type ShapeMemory struct {
	Shape       string
	Constraints int
	Setup       bool   // the estimate includes a dev setup (no cached keys)
	Bytes       uint64 // estimated peak RSS
}

// MemoryBudgetError lists the shapes the run fits and what each would
// need. It matches ErrMemoryBudget with errors.Is.
type MemoryBudgetError struct {
	Budget uint64
	Shapes []ShapeMemory // shapes the run fits, smallest need first
}

func (e *MemoryBudgetError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v: budget %s;", ErrMemoryBudget, FormatBytes(e.Budget))
	for i, s := range e.Shapes {
		if i > 0 {
			b.WriteString(",")
		}
		what := "proving"
		if s.Setup {
			what = "setup and proving"
		}
		fmt.Fprintf(&b, " shape %s (%d constraints) needs about %s for %s", s.Shape, s.Constraints, FormatBytes(s.Bytes), what)
	}
	b.WriteString("; raise the budget (--max-memory) or prove a shorter run")
	return b.String()
}

func (e *MemoryBudgetError) Is(target error) bool { return target == ErrMemoryBudget }

// FormatBytes prints n in binary units (1.5 GiB).
func FormatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatUint(n, 10) + " B"
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// ErrBadSize: a memory size that ParseBytes cannot read.
var ErrBadSize = errors.New("bad memory size")

// ParseBytes reads a memory size: a number of bytes, optionally with a
// unit (K, M, G, T with or without "iB"/"B", binary multiples: 4G = 4GiB =
// 4·2³⁰), e.g. "4GiB", "512MiB", "0" (unlimited).
func ParseBytes(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	u := strings.ToUpper(t)
	mult := uint64(1)
	for _, suf := range []struct {
		s string
		m uint64
	}{{"TIB", 1 << 40}, {"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10},
		{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10},
		{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(u, suf.s) {
			u, mult = strings.TrimSpace(strings.TrimSuffix(u, suf.s)), suf.m
			break
		}
	}
	v, err := strconv.ParseFloat(u, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) || v*float64(mult) >= math.MaxUint64/2 {
		return 0, fmt.Errorf("%w: %q (want e.g. 4GiB, 512MiB or 0 for unlimited)", ErrBadSize, s)
	}
	return uint64(v * float64(mult)), nil
}

// releaseMemory returns freed heap to the operating system: a setup leaves
// gigabytes of garbage behind (its evaluation tables and the serialized
// key) that would otherwise stay in RSS while the segments are proven.
func releaseMemory() {
	runtime.GC()
	debug.FreeOSMemory()
}

// The Go collector lets the heap grow to twice its live size before it
// collects (GOGC=100): with a 1.2 GB proving key live, garbage from one
// segment's proof would push RSS gigabytes past the model. While a Prove
// call with a budget runs, a soft memory limit at the budget makes the
// collector work harder instead. A limit the process set itself is kept
// when it is lower; the previous limit comes back when the last such call
// ends.
var (
	limitMu    sync.Mutex
	limitUsers int
	limitPrev  int64
)

func applyMemoryLimit(budget uint64) (restore func()) {
	if budget == 0 || budget > math.MaxInt64 {
		return func() {}
	}
	limitMu.Lock()
	defer limitMu.Unlock()
	cur := debug.SetMemoryLimit(-1)
	if limitUsers == 0 {
		limitPrev = cur
	}
	limitUsers++
	if int64(budget) < cur {
		debug.SetMemoryLimit(int64(budget))
	}
	return func() {
		limitMu.Lock()
		defer limitMu.Unlock()
		limitUsers--
		if limitUsers == 0 {
			debug.SetMemoryLimit(limitPrev)
		}
	}
}
