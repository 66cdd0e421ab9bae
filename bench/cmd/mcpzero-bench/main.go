// Command mcpzero-bench is `make bench`: it measures the tracer, the prover,
// the kernel, fuel metering and the audit log against their limits and peers,
// side by side in one run, and writes bench/results/latest.{json,md}.
//
// Every timing is a median over -repeat runs, reported with its spread.
// Measurements that report peak memory run in a child process of their own
// (this binary, re-executed with -child).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mcpzero/mcpzero/bench/harness"
)

type options struct {
	out      string
	short    bool
	repeat   int
	sections map[string]bool
	keysDir  string
	merge    bool
	log      func(format string, args ...any)
}

// section is one part of the report.
type section struct {
	name string
	run  func(ctx context.Context, o *options) (*harness.Section, error)
	// optIn sections run only when -sections names them (make bench-long):
	// they do not fit make bench's 30-minute budget.
	optIn bool
}

var sections = []section{
	{name: "tracer", run: tracerSection},
	{name: "prover", run: proverSection},
	{name: "plain", run: plainSection},
	{name: "plonk", run: plonkSection},
	{name: "kernel", run: kernelSection},
	{name: "fuel", run: fuelSection},
	{name: "audit", run: auditSection},
	{name: "extism", run: extismSection},
	{name: "long", run: longSection, optIn: true},
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-child" {
		if err := runChild(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "mcpzero-bench child:", err)
			os.Exit(1)
		}
		if err := harness.ReportPeak(); err != nil {
			fmt.Fprintln(os.Stderr, "mcpzero-bench child:", err)
			os.Exit(1)
		}
		return
	}
	o := &options{}
	var only string
	flag.StringVar(&o.out, "out", "bench/results", "directory for latest.json and latest.md")
	flag.BoolVar(&o.short, "short", false, "smoke run: tiny sizes, 2 repeats (numbers not comparable)")
	flag.IntVar(&o.repeat, "repeat", 5, "repeats per timing (the median is reported)")
	flag.StringVar(&only, "sections", "", "comma-separated sections to run (default: all but the opt-in long run)")
	flag.BoolVar(&o.merge, "merge", false, "replace only the sections run in the existing report (latest.json) instead of writing a new one")
	flag.StringVar(&o.keysDir, "keys-dir", "", "proving-key cache (default: a fresh temporary directory, so setup is measured)")
	flag.Parse()
	if o.short {
		o.repeat = 2
	}
	o.sections = map[string]bool{}
	for _, s := range strings.Split(only, ",") {
		if s != "" {
			o.sections[s] = true
		}
	}
	o.log = func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "mcpzero-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o *options) error {
	start := time.Now()
	if o.keysDir == "" {
		d, err := os.MkdirTemp("", "mcpzero-bench-keys-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		o.keysDir = d
	}
	r := &harness.Report{Meta: harness.NewMeta(o.short, o.repeat)}
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		r.Meta.Commit = strings.TrimSpace(string(out))
	}
	for _, s := range sections {
		if len(o.sections) > 0 && !o.sections[s.name] || len(o.sections) == 0 && s.optIn {
			continue
		}
		o.log("section %s", s.name)
		sec, err := s.run(ctx, o)
		if err != nil {
			return fmt.Errorf("section %s: %w", s.name, err)
		}
		r.Sections = append(r.Sections, sec)
	}
	r.Meta.Seconds = time.Since(start).Seconds()
	if o.merge {
		merged, err := mergeInto(o.out, r)
		if err != nil {
			return err
		}
		r = merged
	}
	if err := r.Write(o.out); err != nil {
		return err
	}
	o.log("wrote %s/latest.json and %s/latest.md in %.0f s", o.out, o.out, r.Meta.Seconds)
	return nil
}

// mergeInto puts the sections of r into the report already in dir,
// replacing those of the same name, and notes when and where they ran.
func mergeInto(dir string, r *harness.Report) (*harness.Report, error) {
	js, err := os.ReadFile(filepath.Join(dir, "latest.json"))
	if err != nil {
		return nil, fmt.Errorf("-merge: %w", err)
	}
	var old harness.Report
	if err := json.Unmarshal(js, &old); err != nil {
		return nil, fmt.Errorf("-merge: %s: %w", dir, err)
	}
	for _, sec := range r.Sections {
		sec.Note("This section comes from a later run (%s, commit %s, %.0f s) merged into this report.", r.Meta.Date, r.Meta.Commit, r.Meta.Seconds)
		replaced := false
		for i, o := range old.Sections {
			if o.Name == sec.Name {
				old.Sections[i], replaced = sec, true
			}
		}
		if !replaced {
			old.Sections = append(old.Sections, sec)
		}
	}
	return &old, nil
}
