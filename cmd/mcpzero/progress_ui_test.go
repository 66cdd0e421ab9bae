package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/mcpzero/mcpzero/prover"
)

// TestProgressUIPlainLines: off a terminal, the progress shows one line per
// phase change plus a heartbeat every 30 s, and nothing for quick jobs.
func TestProgressUIPlainLines(t *testing.T) {
	var buf bytes.Buffer
	ui := newProgressUI(&buf)
	at := func(phase prover.Phase, seg int, elapsed, eta time.Duration) {
		ui.update(prover.Progress{Phase: phase, Shape: "seg-x", Segment: seg, Segments: 2, Elapsed: elapsed, ETA: eta})
	}
	at(prover.PhaseTrace, 0, 100*time.Millisecond, time.Second) // quick so far: nothing
	at(prover.PhaseSetup, 0, 3*time.Second, time.Minute)        // a line
	at(prover.PhaseSetup, 0, 10*time.Second, time.Minute)       // same phase, too soon: nothing
	at(prover.PhaseSetup, 0, 33*time.Second, time.Minute)       // heartbeat
	at(prover.PhaseProve, 1, 34*time.Second, time.Minute)       // phase change
	at(prover.PhaseProve, 2, 35*time.Second, time.Minute)       // next segment
	at(prover.PhaseDone, 0, 36*time.Second, 0)                  // done: nothing
	ui.close()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{"setup [seg-x]", "setup [seg-x]", "prove 1/2 [seg-x]", "prove 2/2 [seg-x]"}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d = %q, want it to name %q", i, lines[i], w)
		}
	}
	if !strings.Contains(lines[1], "elapsed 33s") {
		t.Errorf("heartbeat line %q lacks its elapsed time", lines[1])
	}
}
