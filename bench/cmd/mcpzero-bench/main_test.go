package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpzero/mcpzero/bench/harness"
)

// TestMain lets the test binary serve as the child process of the
// measurements (harness.RunChild re-executes the running binary).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "-child" {
		if err := runChild(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := harness.ReportPeak(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestSmoke runs every section of `make bench` at smoke sizes and checks
// that the report holds a full table for each, with sane numbers. It is the
// -short run of the suite that `make test` includes.
func TestSmoke(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the extism section needs the go command")
	}
	out := t.TempDir()
	// Every section, the opt-in long run included (at smoke size).
	all := map[string]bool{}
	for _, s := range sections {
		all[s.name] = true
	}
	o := &options{out: out, short: true, repeat: 2, sections: all,
		log: func(format string, args ...any) { t.Logf(format, args...) }}
	if err := run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join(out, "latest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r harness.Report
	if err := json.Unmarshal(js, &r); err != nil {
		t.Fatal(err)
	}
	got := map[string]*harness.Section{}
	for _, s := range r.Sections {
		got[s.Name] = s
	}
	for _, want := range sections {
		s := got[want.name]
		if s == nil || len(s.Rows) == 0 {
			t.Errorf("section %s missing or empty", want.name)
			continue
		}
		for _, row := range s.Rows {
			for _, c := range s.Columns {
				if _, ok := row[c]; !ok && !optionalColumn(want.name, c) {
					t.Errorf("section %s: row %v lacks column %q", want.name, row, c)
				}
			}
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, "latest.md"))
	if !strings.Contains(string(md), "SHORT") {
		t.Error("smoke report not marked as short")
	}
}

func optionalColumn(section, column string) bool {
	return section == "kernel" && column == "target"
}
