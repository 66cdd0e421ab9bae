package harness

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// ChildResult is the outcome of a measurement run in a child process.
type ChildResult struct {
	Stdout   []byte
	PeakRSS  int64 // bytes, from the child's rusage (ru_maxrss)
	ExitCode int
}

// RunChild runs the current executable with args and returns its output and
// peak resident memory. Peak memory is a per-process high-water mark, so a
// measurement that needs its own peak must run in a process of its own.
func RunChild(env []string, args ...string) (ChildResult, error) {
	self, err := os.Executable()
	if err != nil {
		return ChildResult{}, err
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), env...)
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
	if runErr != nil {
		return res, fmt.Errorf("harness: child %v: %w: %s", args, runErr, bytes.TrimSpace(errb.Bytes()))
	}
	return res, nil
}

// SelfPeakRSS is the peak resident memory of this process so far, in bytes.
func SelfPeakRSS() int64 {
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
