package harness

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportWrite(t *testing.T) {
	r := &Report{Meta: NewMeta(true, 3)}
	s := &Section{Name: "demo", Title: "Demo", Columns: []string{"program", "time", "steps", "ratio"}}
	s.Add(map[string]any{"program": "a|b", "time": Summarize([]float64{1, 2, 3}, "ms"), "steps": uint64(42), "ratio": 1.5})
	s.Add(map[string]any{"program": "c"})
	s.Note("measured %d times", 3)
	r.Sections = append(r.Sections, s)
	dir := t.TempDir()
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "latest.md"))
	for _, want := range []string{"## Demo", "| program | time | steps | ratio |", "a\\|b", "2.00 ms (spread 100%, n=3)", "| 42 |", "1.50", "—", "- measured 3 times", "SHORT"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	var back Report
	js, _ := os.ReadFile(filepath.Join(dir, "latest.json"))
	if err := json.Unmarshal(js, &back); err != nil || len(back.Sections) != 1 || back.Meta.Repeat != 3 {
		t.Fatalf("json round trip: %v %+v", err, back)
	}
	// A report read back (as -merge does) renders its summaries as the
	// original did, not as Go maps.
	if err := back.Write(dir); err != nil {
		t.Fatal(err)
	}
	md2, _ := os.ReadFile(filepath.Join(dir, "latest.md"))
	if !strings.Contains(string(md2), "2.00 ms (spread 100%, n=3)") || strings.Contains(string(md2), "map[") {
		t.Errorf("markdown of a report read back from JSON:\n%s", md2)
	}
	if got := Cell(map[string]any{"median": 1.0}); !strings.HasPrefix(got, "map[") {
		t.Errorf("an object without a unit is not a summary: %q", got)
	}
	if r.Meta.CPUs <= 0 || r.Meta.GoVersion == "" {
		t.Fatalf("meta = %+v", r.Meta)
	}
	for v, want := range map[any]string{nil: "—", float32(2): "2.00", 7: "7", int64(8): "8", "s": "s", true: "true"} {
		if got := Cell(v); got != want {
			t.Errorf("Cell(%v) = %q, want %q", v, got, want)
		}
	}
}
