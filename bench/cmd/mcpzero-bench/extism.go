package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"

	"github.com/mcpzero/mcpzero/bench/harness"
)

// extismResult mirrors bench/extism's output.
type extismResult struct {
	Module     string                     `json:"module"`
	Calls      int                        `json:"calls_per_sample"`
	PerCall    map[string]harness.Summary `json:"per_call_us"`
	AllocBytes map[string]float64         `json:"alloc_bytes_per_call"`
}

// extismSection runs the separate bench/extism module (so that mcpzero never
// depends on Extism) and turns its JSON into a table.
func extismSection(ctx context.Context, o *options) (*harness.Section, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	samples, calls := 15, 200
	if o.short {
		samples, calls = 3, 20
	}
	cmd := exec.CommandContext(ctx, "go", "run", ".", "-wasm", filepath.Join(root, "bench", "programs", "tick.wasm"),
		"-samples", strconv.Itoa(samples), "-calls", strconv.Itoa(calls))
	cmd.Dir = filepath.Join(root, "bench", "extism")
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return nil, fmt.Errorf("bench/extism: %w: %s", err, ee.Stderr)
		}
		return nil, fmt.Errorf("bench/extism: %w", err)
	}
	var r extismResult
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("bench/extism output: %w", err)
	}
	s := &harness.Section{
		Name:    "extism",
		Title:   "One plugin call: mcpzero versus Extism's Go SDK (same module, " + r.Module + ")",
		Columns: []string{"how", "per call", "allocated per call", "ratio to Extism (reused instance)"},
	}
	names := make([]string, 0, len(r.PerCall))
	for n := range r.PerCall {
		names = append(names, n)
	}
	sort.Strings(names)
	ref := r.PerCall["extism (reused instance)"].Median
	for _, n := range names {
		row := map[string]any{"how": n, "per call": r.PerCall[n],
			"allocated per call": fmt.Sprintf("%.0f KB", r.AllocBytes[n]/1e3)}
		if ref > 0 {
			row["ratio to Extism (reused instance)"] = r.PerCall[n].Median / ref
		}
		s.Add(row)
	}
	s.Note("Samples of %d calls each, interleaved across the ways of calling; medians over %d samples.", r.Calls, samples)
	s.Note("mcpzero instantiates a fresh module per call (no state leaks between calls); the kernel's Execute also commits an fsynced operation record to LevelDB.")
	return s, nil
}

// repoRoot is the module root, found from this source file or the working directory.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	mod := string(out)
	for len(mod) > 0 && (mod[len(mod)-1] == '\n' || mod[len(mod)-1] == '\r') {
		mod = mod[:len(mod)-1]
	}
	if mod == "" || mod == "/dev/null" {
		_, file, _, _ := runtime.Caller(0)
		return filepath.Join(filepath.Dir(file), "..", "..", ".."), nil
	}
	return filepath.Dir(mod), nil
}
