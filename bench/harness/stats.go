package harness

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Summary describes repeated measurements of one quantity.
type Summary struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	P99    float64 `json:"p99"`
	// Spread is (max-min)/median: how far apart the repeats were.
	Spread float64 `json:"spread"`
	Unit   string  `json:"unit"`
}

// Summarize computes the summary of samples (which it sorts).
func Summarize(samples []float64, unit string) Summary {
	if len(samples) == 0 {
		return Summary{Unit: unit}
	}
	slices.Sort(samples)
	s := Summary{
		N:      len(samples),
		Median: quantile(samples, 0.5),
		Min:    samples[0],
		Max:    samples[len(samples)-1],
		P99:    quantile(samples, 0.99),
		Unit:   unit,
	}
	if s.Median != 0 {
		s.Spread = (s.Max - s.Min) / s.Median
	}
	return s
}

// quantile interpolates linearly between the order statistics of sorted.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 1 {
		return sorted[0]
	}
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	frac := pos - float64(lo)
	return sorted[lo]*(1-frac) + sorted[hi]*frac
}

// Time runs f repeat times and summarizes the wall time of each run in
// milliseconds. The first error stops the measurement.
func Time(repeat int, f func() error) (Summary, error) {
	samples := make([]float64, 0, repeat)
	for i := 0; i < repeat; i++ {
		start := time.Now()
		if err := f(); err != nil {
			return Summary{}, err
		}
		samples = append(samples, float64(time.Since(start).Nanoseconds())/1e6)
	}
	return Summarize(samples, "ms"), nil
}

// String formats the summary as "median unit (±spread%, n=N)".
func (s Summary) String() string {
	if s.N == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%s %s (spread %.0f%%, n=%d)", num(s.Median), s.Unit, 100*s.Spread, s.N)
}

// num prints a value with three significant digits.
func num(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}
