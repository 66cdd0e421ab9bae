package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mcpzero/mcpzero/trace"
)

func init() {
	register(
		&cli.Command{
			Name:      "check",
			Usage:     "check that a WebAssembly module is inside the provable subset",
			ArgsUsage: "FILE.wasm [--func NAME]",
			Description: "Decodes and validates the module and lists every instruction, import or type outside the\n" +
				"provable subset with its function and byte offset. With --func, only the code a call of that\n" +
				"export can reach must be provable. Exits non-zero when the module (or call) is not provable.",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "func", Usage: "check only what a call of export `NAME` can reach"},
				traceJSONFlag,
			},
			Action: checkCmd,
		},
		&cli.Command{
			Name:      "trace",
			Usage:     "replay a call on the tracing interpreter and summarise its execution trace",
			ArgsUsage: "FILE.wasm --func NAME [--args 27,3] [--input FILE] [--rows 20]",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "func", Usage: "exported function `NAME` to call"},
				&cli.StringFlag{Name: "args", Usage: "comma-separated integer arguments (decimal or 0x hex; negative allowed)"},
				&cli.StringFlag{Name: "input", Usage: "input bytes from `FILE` (- for stdin)"},
				&cli.StringFlag{Name: "input-hex", Usage: "input bytes in hex"},
				&cli.IntFlag{Name: "rows", Usage: "also print the first `N` rows of the trace"},
				&cli.IntFlag{Name: "segment-capacity", Value: trace.DefaultSegmentCapacity, Usage: "steps per segment"},
				&cli.Uint64Flag{Name: "max-steps", Value: trace.DefaultMaxSteps, Usage: "fail beyond this many steps"},
				&cli.UintFlag{Name: "max-memory-pages", Value: trace.DefaultMaxMemory, Usage: "linear memory limit in 64 KiB pages"},
				traceJSONFlag,
			},
			Action: traceCmd,
		},
	)
}

// traceJSONFlag repeats the global --json on the command, so that it may
// also follow the file name (`mcpzero trace f.wasm --func run --json`).
var traceJSONFlag = &cli.BoolFlag{Name: "json", Usage: "print machine-readable JSON"}

type checkReport struct {
	File       string            `json:"file"`
	Func       string            `json:"func,omitempty"`
	Provable   bool              `json:"provable"`
	Functions  int               `json:"functions"`
	Exports    []exportReport    `json:"exports"`
	Violations []trace.Violation `json:"violations"`
}

type exportReport struct {
	Name     string `json:"name"`
	Func     uint32 `json:"func"`
	Provable bool   `json:"provable"`
}

func decodeFile(path string) (*trace.Module, error) {
	bin, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	mod, err := trace.Decode(bin)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return mod, nil
}

func checkCmd(c *cli.Context) error {
	pos, err := exactArgs(c, "FILE.wasm")
	if err != nil {
		return err
	}
	mod, err := decodeFile(pos[0])
	if err != nil {
		return err
	}
	rep := checkReport{File: pos[0], Func: c.String("func"), Functions: len(mod.Funcs), Violations: []trace.Violation{}}
	for _, e := range mod.Exports {
		if e.Kind == trace.ExternFunc {
			rep.Exports = append(rep.Exports, exportReport{Name: e.Name, Func: e.Index, Provable: trace.CheckCallProvable(mod, e.Name) == nil})
		}
	}
	if rep.Func != "" {
		err = trace.CheckCallProvable(mod, rep.Func)
	} else {
		err = trace.CheckProvable(mod)
	}
	var pe *trace.ProvabilityError
	switch {
	case err == nil:
		rep.Provable = true
	case errors.As(err, &pe):
		rep.Violations = pe.Violations
	default:
		return err
	}
	if err := emit(c, rep, func(w io.Writer) error {
		what := "module"
		if rep.Func != "" {
			what = "call of " + rep.Func
		}
		if rep.Provable {
			fmt.Fprintf(w, "%s: %s is provable (%d functions)\n", rep.File, what, rep.Functions)
		} else {
			fmt.Fprintf(w, "%s: %s is NOT provable: %d violation(s)\n", rep.File, what, len(rep.Violations))
			for _, v := range rep.Violations {
				fmt.Fprintf(w, "  %s\n", v)
			}
		}
		for _, e := range rep.Exports {
			mark := "provable"
			if !e.Provable {
				mark = "not provable"
			}
			fmt.Fprintf(w, "  export %-20s func %-4d %s\n", e.Name, e.Func, mark)
		}
		return nil
	}); err != nil {
		return err
	}
	if !rep.Provable {
		return fmt.Errorf("check: %w: %d violation(s)", trace.ErrUnprovable, len(rep.Violations))
	}
	return nil
}

// traceReport is what `mcpzero trace` prints.
type traceReport struct {
	File     string        `json:"file"`
	Func     string        `json:"func"`
	Args     []string      `json:"args"`
	Status   string        `json:"status"`
	Trap     string        `json:"trap,omitempty"`
	Results  []string      `json:"results"`
	Output   string        `json:"output_hex"`
	Steps    uint64        `json:"steps"`
	Summary  trace.Summary `json:"summary"`
	Capacity int           `json:"segment_capacity"`
	Rows     []rowReport   `json:"rows,omitempty"`
}

type rowReport struct {
	Step     uint64 `json:"step"`
	PC       uint32 `json:"pc"`
	Func     uint32 `json:"func"`
	Offset   uint32 `json:"offset"`
	Op       string `json:"op"`
	Imm      uint64 `json:"imm"`
	SP       uint32 `json:"sp"`
	SPAfter  uint32 `json:"sp_after"`
	A        uint64 `json:"a"`
	B        uint64 `json:"b"`
	C        uint64 `json:"c"`
	R        uint64 `json:"r"`
	Accesses int    `json:"accesses"`
}

func traceCmd(c *cli.Context) error {
	pos, err := exactArgs(c, "FILE.wasm")
	if err != nil {
		return err
	}
	name := c.String("func")
	if name == "" {
		return fmt.Errorf("trace: --func NAME is required")
	}
	mod, err := decodeFile(pos[0])
	if err != nil {
		return err
	}
	f, ok := mod.ExportedFunc(name)
	if !ok {
		return fmt.Errorf("trace: %w: %q", trace.ErrExport, name)
	}
	ft := mod.FuncType(f)
	args, err := traceArgs(c.String("args"), ft.Params)
	if err != nil {
		return fmt.Errorf("trace: %s: %w", name, err)
	}
	input, err := traceInput(c)
	if err != nil {
		return err
	}
	capacity := c.Int("segment-capacity")
	tr, err := trace.Run(c.Context, mod, name, args, input,
		trace.WithSegmentCapacity(capacity),
		trace.WithMaxSteps(c.Uint64("max-steps")),
		trace.WithMaxMemoryPages(uint32(c.Uint("max-memory-pages"))))
	if err != nil {
		return fmt.Errorf("trace: %w", err)
	}
	rep := traceReport{File: pos[0], Func: name, Status: tr.Status.String(), Steps: tr.Steps,
		Summary: tr.Summarize(), Capacity: capacity, Output: hex.EncodeToString(tr.Output),
		Args: formatTraceValues(tr.Args, ft.Params), Results: formatTraceValues(tr.Results, ft.Results)}
	if tr.Status == trace.Trapped {
		rep.Trap = tr.Trap.String()
	}
	if n := c.Int("rows"); n > 0 {
		for k := range tr.Segments {
			seg := &tr.Segments[k]
			for i := range seg.Rows {
				if len(rep.Rows) == n {
					break
				}
				r := &seg.Rows[i]
				in := &tr.Program.Code[r.PC]
				rep.Rows = append(rep.Rows, rowReport{Step: seg.FirstStep + uint64(i), PC: r.PC, Func: in.Func, Offset: in.Offset,
					Op: r.Op.String(), Imm: r.Imm, SP: r.SP, SPAfter: r.SPAfter, A: r.A, B: r.B, C: r.C, R: r.R, Accesses: int(r.NAcc)})
			}
		}
	}
	return emit(c, rep, func(w io.Writer) error {
		fmt.Fprintf(w, "%s %s(%s)\n", rep.File, rep.Func, strings.Join(rep.Args, ", "))
		if tr.Status == trace.Trapped {
			fmt.Fprintf(w, "trapped: %s (pc %d)\n", rep.Trap, tr.TrapPC)
		} else {
			fmt.Fprintf(w, "returned: [%s]\n", strings.Join(rep.Results, ", "))
		}
		if len(tr.Output) > 0 {
			fmt.Fprintf(w, "output: %d bytes: %q\n", len(tr.Output), clip(tr.Output, 200))
		}
		s := rep.Summary
		fmt.Fprintf(w, "steps: %d  accesses: %d  segments: %d (capacity %d)  max depth: %d  max stack: %d  I/O events: %d\n",
			s.Steps, s.Accesses, s.Segments, capacity, s.MaxDepth, s.MaxStackTop, s.IOEvents)
		fmt.Fprintln(w, "steps by instruction family:")
		for fam := trace.Family(0); fam < trace.NumFamilies; fam++ {
			if n := s.Families[fam.String()]; n > 0 {
				fmt.Fprintf(w, "  %-10s %12d  %5.1f%%\n", fam, n, 100*float64(n)/float64(max(s.Steps, 1)))
			}
		}
		fmt.Fprintln(w, "hottest functions:")
		for i, h := range s.HotFuncs {
			if i == 5 {
				break
			}
			fmt.Fprintf(w, "  func %-4d %-20s %12d steps\n", h.Func, h.Name, h.Steps)
		}
		if len(rep.Rows) > 0 {
			fmt.Fprintf(w, "%8s %6s %5s %6s %-16s %10s %5s %5s %20s %20s %20s %4s\n", "step", "pc", "func", "offset", "op", "imm", "sp", "sp'", "a", "b", "result", "acc")
			for _, r := range rep.Rows {
				fmt.Fprintf(w, "%8d %6d %5d %#6x %-16s %10d %5d %5d %20d %20d %20d %4d\n", r.Step, r.PC, r.Func, r.Offset, r.Op, r.Imm, r.SP, r.SPAfter, r.A, r.B, r.R, r.Accesses)
			}
		}
		return nil
	})
}

func clip(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// traceArgs parses --args for the parameter types (i32, i64).
func traceArgs(s string, types []trace.ValType) ([]uint64, error) {
	var parts []string
	if strings.TrimSpace(s) != "" {
		parts = strings.Split(s, ",")
	}
	if len(parts) != len(types) {
		return nil, fmt.Errorf("%w: the function takes %d argument(s) %v, --args gives %d", trace.ErrArgs, len(types), types, len(parts))
	}
	out := make([]uint64, len(types))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		v, err := strconv.ParseInt(p, 0, 64)
		if err != nil {
			u, uerr := strconv.ParseUint(p, 0, 64)
			if uerr != nil {
				return nil, fmt.Errorf("%w: argument %d: %q is not an integer", trace.ErrArgs, i+1, p)
			}
			v = int64(u)
		}
		switch types[i] {
		case trace.I32:
			if v < math.MinInt32 || v > math.MaxUint32 {
				return nil, fmt.Errorf("%w: argument %d: %q is not an i32", trace.ErrArgs, i+1, p)
			}
			out[i] = uint64(uint32(v))
		case trace.I64:
			out[i] = uint64(v)
		default:
			return nil, fmt.Errorf("%w: argument %d has type %v (not provable)", trace.ErrArgs, i+1, types[i])
		}
	}
	return out, nil
}

func formatTraceValues(vs []uint64, types []trace.ValType) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		if i < len(types) && types[i] == trace.I32 {
			out[i] = strconv.FormatInt(int64(int32(uint32(v))), 10)
		} else {
			out[i] = strconv.FormatInt(int64(v), 10)
		}
	}
	return out
}

func traceInput(c *cli.Context) ([]byte, error) {
	switch {
	case c.String("input") == "-":
		return io.ReadAll(os.Stdin)
	case c.String("input") != "":
		return os.ReadFile(c.String("input"))
	case c.String("input-hex") != "":
		b, err := hex.DecodeString(c.String("input-hex"))
		if err != nil {
			return nil, fmt.Errorf("trace: --input-hex: %w", err)
		}
		return b, nil
	}
	return nil, nil
}
