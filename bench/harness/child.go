package harness

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// ChildResult is the outcome of a measurement run in a child process.
type ChildResult struct {
	Stdout   []byte
	PeakRSS  int64 // bytes: the child's own peak (ReportPeak), else its rusage (see RunChild)
	ExitCode int
}

// peakFileEnv names the file a child writes its own peak resident memory
// to (ReportPeak).
const peakFileEnv = "MCPZERO_BENCH_PEAK_FILE"

// RunChild runs the current executable with args and returns its output and
// peak resident memory. Peak memory is a per-process high-water mark, so a
// measurement that needs its own peak must run in a process of its own.
//
// The peak is the one the child reports with ReportPeak (its VmHWM). The
// child's rusage is no substitute: Go starts children with a vfork-style
// clone that shares the parent's address space until exec, and Linux
// carries that address space's high-water mark into the child's
// ru_maxrss, so a child of a 3.5 GiB parent "peaks" at 3.5 GiB however
// little it uses (TestRunChildPeakIsTheChilds). Without a report, the
// rusage figure stands, an upper bound.
func RunChild(env []string, args ...string) (ChildResult, error) {
	self, err := os.Executable()
	if err != nil {
		return ChildResult{}, err
	}
	peakFile, err := os.CreateTemp("", "mcpzero-bench-peak-*")
	if err != nil {
		return ChildResult{}, err
	}
	peakFile.Close()
	defer os.Remove(peakFile.Name())
	cmd := exec.Command(self, args...)
	cmd.Env = append(append(os.Environ(), env...), peakFileEnv+"="+peakFile.Name())
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	runErr := cmd.Run()
	res := ChildResult{Stdout: out.Bytes()}
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			res.PeakRSS = ru.Maxrss * 1024 // Linux reports KiB
		}
	}
	if b, err := os.ReadFile(peakFile.Name()); err == nil {
		if v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && v > 0 {
			res.PeakRSS = v
		}
	}
	if runErr != nil {
		return res, fmt.Errorf("harness: child %v: %w: %s", args, runErr, bytes.TrimSpace(errb.Bytes()))
	}
	return res, nil
}

// ReportPeak writes this process's peak resident memory (SelfPeakRSS) for
// the parent's RunChild; a child calls it when its measurement is done. It
// does nothing in a process RunChild did not start.
func ReportPeak() error {
	name := os.Getenv(peakFileEnv)
	if name == "" {
		return nil
	}
	return os.WriteFile(name, []byte(strconv.FormatInt(SelfPeakRSS(), 10)), 0o600)
}

// SelfPeakRSS is the peak resident memory of this process so far, in bytes:
// VmHWM from /proc/self/status, which starts afresh at exec, else rusage's
// ru_maxrss (which may include the parent's peak, see RunChild).
func SelfPeakRSS() int64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" && f[2] == "kB" {
				if v, err := strconv.ParseInt(f[1], 10, 64); err == nil {
					return v * 1024
				}
			}
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024
}

// CurrentRSS is the resident memory of this process now, in bytes, read from
// /proc/self/statm (0 where that is unavailable).
func CurrentRSS() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, resident int64
	if _, err := fmt.Sscan(string(b), &size, &resident); err != nil {
		return 0
	}
	return resident * int64(os.Getpagesize())
}
