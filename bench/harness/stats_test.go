package harness

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		in                    []float64
		median, min, max, p99 float64
		spread                float64
	}{
		{[]float64{5}, 5, 5, 5, 5, 0},
		{[]float64{3, 1, 2}, 2, 1, 3, 2.98, 1},
		{[]float64{4, 1, 3, 2}, 2.5, 1, 4, 3.97, 1.2},
	}
	for _, tt := range tests {
		s := Summarize(append([]float64{}, tt.in...), "ms")
		got := []float64{s.Median, s.Min, s.Max, s.P99, s.Spread}
		want := []float64{tt.median, tt.min, tt.max, tt.p99, tt.spread}
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-9 {
				t.Fatalf("Summarize(%v) = %+v, want median/min/max/p99/spread %v", tt.in, s, want)
			}
		}
		if s.N != len(tt.in) || s.Unit != "ms" {
			t.Fatalf("N/unit = %d %q", s.N, s.Unit)
		}
	}
	if s := Summarize(nil, "x"); s.N != 0 || s.String() != "n/a" {
		t.Fatalf("empty summary = %+v %q", s, s.String())
	}
	if s := Summarize([]float64{0, 0}, "x"); s.Spread != 0 {
		t.Fatalf("zero median spread = %v", s.Spread)
	}
}

func TestTime(t *testing.T) {
	n := 0
	s, err := Time(4, func() error { n++; return nil })
	if err != nil || n != 4 || s.N != 4 || s.Unit != "ms" {
		t.Fatalf("Time: %+v %v n=%d", s, err, n)
	}
	boom := errors.New("boom")
	if _, err := Time(3, func() error { return boom }); err != boom {
		t.Fatalf("error not returned: %v", err)
	}
	if !strings.Contains(s.String(), "n=4") {
		t.Fatalf("String = %q", s.String())
	}
}

func TestNum(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 123.4: "123", 12.34: "12.3", 1.234: "1.23", 0.01234: "0.0123"} {
		if got := num(v); got != want {
			t.Errorf("num(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestRSS(t *testing.T) {
	if SelfPeakRSS() <= 0 || CurrentRSS() <= 0 {
		t.Fatalf("rss: peak %d current %d", SelfPeakRSS(), CurrentRSS())
	}
}

// TestRunChild runs the test binary itself as a child that allocates memory,
// and checks its peak RSS is seen.
func TestRunChild(t *testing.T) {
	if os.Getenv("HARNESS_CHILD") == "1" {
		b := make([]byte, 64<<20)
		for i := range b {
			b[i] = 1
		}
		os.Stdout.WriteString("child done")
		os.Exit(0)
	}
	res, err := RunChild([]string{"HARNESS_CHILD=1"}, "-test.run=^TestRunChild$")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(res.Stdout), "child done") || res.PeakRSS < 64<<20 {
		t.Fatalf("child: out %q peak %d", res.Stdout, res.PeakRSS)
	}
	if _, err := RunChild(nil, "-test.run=^TestDoesNotExist$", "-test.badflag"); err == nil {
		t.Fatal("failing child reported no error")
	}
}
