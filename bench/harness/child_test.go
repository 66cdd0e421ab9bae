package harness

import (
	"os"
	"runtime"
	"testing"
)

// TestMain lets the test binary serve as RunChild's child: with -child-alloc
// it touches 64 MiB, reports its peak and exits.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "-child-alloc" {
		touch(64 << 20)
		if err := ReportPeak(); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var sink []byte

func touch(n int) {
	sink = make([]byte, n)
	for i := 0; i < n; i += 4096 {
		sink[i] = 1
	}
}

// TestRunChildPeakIsTheChilds: a child of a parent that has touched 768 MiB
// reports its own peak (64 MiB and the runtime), not the parent's, which
// the rusage of a vfork-style child carries.
func TestRunChildPeakIsTheChilds(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("VmHWM and the inherited ru_maxrss are Linux's")
	}
	touch(768 << 20)
	res, err := RunChild(nil, "-child-alloc")
	sink = nil
	if err != nil {
		t.Fatal(err)
	}
	if res.PeakRSS < 64<<20 || res.PeakRSS > 384<<20 {
		t.Fatalf("child peak %d MiB, want its own 64 MiB and runtime (< 384 MiB), not the parent's 768 MiB", res.PeakRSS>>20)
	}
	t.Logf("child peak %d MiB", res.PeakRSS>>20)
}
