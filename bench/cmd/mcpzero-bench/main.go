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
	"flag"
	"fmt"
	"os"
	"os/exec"
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
	log      func(format string, args ...any)
}

// section is one part of the report.
type section struct {
	name string
	run  func(ctx context.Context, o *options) (*harness.Section, error)
}

var sections = []section{
	{"tracer", tracerSection},
	{"prover", proverSection},
	{"plain", plainSection},
	{"kernel", kernelSection},
	{"fuel", fuelSection},
	{"audit", auditSection},
	{"extism", extismSection},
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-child" {
		if err := runChild(os.Args[2:]); err != nil {
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
	flag.StringVar(&only, "sections", "", "comma-separated sections to run (default: all)")
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
		if len(o.sections) > 0 && !o.sections[s.name] {
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
	if err := r.Write(o.out); err != nil {
		return err
	}
	o.log("wrote %s/latest.json and %s/latest.md in %.0f s", o.out, o.out, r.Meta.Seconds)
	return nil
}
