package harness

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Report is what `make bench` writes: metadata and one table per section.
type Report struct {
	Meta     Meta       `json:"meta"`
	Sections []*Section `json:"sections"`
}

// Meta says where and how the numbers were taken.
type Meta struct {
	Date      string  `json:"date"`
	GoVersion string  `json:"go_version"`
	OS        string  `json:"os"`
	Arch      string  `json:"arch"`
	CPUs      int     `json:"cpus"`
	CPUModel  string  `json:"cpu_model,omitempty"`
	Commit    string  `json:"commit,omitempty"`
	Short     bool    `json:"short"`
	Repeat    int     `json:"repeat"`
	Seconds   float64 `json:"seconds"`
}

// NewMeta fills in the machine's description.
func NewMeta(short bool, repeat int) Meta {
	m := Meta{
		Date:      time.Now().UTC().Format(time.RFC3339),
		GoVersion: runtime.Version(),
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
		CPUs:      runtime.NumCPU(),
		Short:     short,
		Repeat:    repeat,
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// Section is one table of the report. Each row maps a column to a value:
// a Summary, a number, or a string.
type Section struct {
	Name    string           `json:"name"`
	Title   string           `json:"title"`
	Columns []string         `json:"columns"`
	Rows    []map[string]any `json:"rows"`
	Notes   []string         `json:"notes,omitempty"`
}

// Add appends a row.
func (s *Section) Add(row map[string]any) { s.Rows = append(s.Rows, row) }

// Note appends a note printed under the table.
func (s *Section) Note(format string, args ...any) {
	s.Notes = append(s.Notes, fmt.Sprintf(format, args...))
}

// Cell formats one value for the markdown table.
func Cell(v any) string {
	switch v := v.(type) {
	case nil:
		return "—"
	case Summary:
		return v.String()
	case float64:
		return num(v)
	case float32:
		return num(float64(v))
	case int:
		return fmt.Sprint(v)
	case int64:
		return fmt.Sprint(v)
	case uint64:
		return fmt.Sprint(v)
	case string:
		return v
	case map[string]any:
		// A Summary read back from latest.json (-merge keeps the other
		// sections as decoded JSON).
		if s, ok := summaryOf(v); ok {
			return s.String()
		}
		return fmt.Sprint(v)
	default:
		return fmt.Sprint(v)
	}
}

// summaryOf converts a JSON-decoded object with a Summary's fields back.
func summaryOf(m map[string]any) (Summary, bool) {
	if _, ok := m["median"].(float64); !ok {
		return Summary{}, false
	}
	if _, ok := m["unit"].(string); !ok {
		return Summary{}, false
	}
	b, err := json.Marshal(m)
	if err != nil {
		return Summary{}, false
	}
	var s Summary
	if json.Unmarshal(b, &s) != nil {
		return Summary{}, false
	}
	return s, true
}

// Markdown renders the report as markdown tables.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# mcpzero benchmark results\n\n")
	m := r.Meta
	fmt.Fprintf(&b, "%s · %s %s/%s · %d CPUs (%s) · commit %s · repeat %d%s · %.0f s\n\n",
		m.Date, m.GoVersion, m.OS, m.Arch, m.CPUs, m.CPUModel, or(m.Commit, "unknown"), m.Repeat,
		map[bool]string{true: " · SHORT (smoke) run: sizes reduced, not comparable", false: ""}[m.Short], m.Seconds)
	for _, s := range r.Sections {
		fmt.Fprintf(&b, "## %s\n\n", s.Title)
		if len(s.Rows) > 0 {
			fmt.Fprintf(&b, "| %s |\n|%s\n", strings.Join(s.Columns, " | "), strings.Repeat("---|", len(s.Columns)))
			for _, row := range s.Rows {
				cells := make([]string, len(s.Columns))
				for i, c := range s.Columns {
					cells[i] = strings.ReplaceAll(Cell(row[c]), "|", "\\|")
				}
				fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
			}
			b.WriteString("\n")
		}
		for _, n := range s.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
		if len(s.Notes) > 0 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Write stores the report as dir/latest.json and dir/latest.md.
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "latest.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "latest.md"), []byte(r.Markdown()), 0o644)
}
