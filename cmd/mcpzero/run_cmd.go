package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/tetratelabs/wazero/api"
	"github.com/urfave/cli/v2"

	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/kernel/resource"
	"github.com/mcpzero/mcpzero/plugins"
)

func init() {
	cmd := &cli.Command{
		Name:      "run",
		Usage:     "call an integer export of a module without kernel state and print its results",
		ArgsUsage: "FILE.wasm",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "func", Aliases: []string{"f"}, Usage: "exported function to call (required)"},
			&cli.StringFlag{Name: "args", Aliases: []string{"a"}, Usage: "comma-separated integer arguments, e.g. 27,3"},
			&cli.StringFlag{Name: "input", Usage: "input bytes for input_read (text)"},
			&cli.UintFlag{Name: "memory-pages", Value: 256, Usage: "memory limit in 64 KiB pages"},
			&cli.DurationFlag{Name: "deadline", Value: kernel.DefaultConstraints.Deadline, Usage: "wall-clock limit"},
			&cli.Uint64Flag{Name: "fuel", Usage: "fuel limit: the call stops deterministically after N instructions (docs/SECURITY.md); 0: not metered"},
			kernelEngineFlag,
		},
		Action: runModule,
	}
	acceptGlobalFlags(cmd)
	register(cmd)
}

// parseIntArgs converts decimal (or 0x hex) integers to wazero's uint64
// encoding for the parameter types.
func parseIntArgs(s string, types []api.ValueType) ([]uint64, error) {
	var parts []string
	if strings.TrimSpace(s) != "" {
		parts = strings.Split(s, ",")
	}
	if len(parts) != len(types) {
		return nil, fmt.Errorf("the function takes %d arguments, --args gives %d", len(types), len(parts))
	}
	out := make([]uint64, len(types))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		switch types[i] {
		case api.ValueTypeI32:
			v, err := strconv.ParseInt(p, 0, 64)
			if err != nil || v < math.MinInt32 || v > math.MaxUint32 {
				return nil, fmt.Errorf("argument %d: %q is not an i32", i+1, p)
			}
			out[i] = uint64(uint32(v))
		case api.ValueTypeI64:
			v, err := strconv.ParseInt(p, 0, 64)
			if err != nil {
				u, uerr := strconv.ParseUint(p, 0, 64)
				if uerr != nil {
					return nil, fmt.Errorf("argument %d: %q is not an i64", i+1, p)
				}
				v = int64(u)
			}
			out[i] = uint64(v)
		default:
			return nil, fmt.Errorf("argument %d has type %s; run takes i32 and i64 only", i+1, api.ValueTypeName(types[i]))
		}
	}
	return out, nil
}

func formatResults(res []uint64, types []api.ValueType) []string {
	out := make([]string, len(res))
	for i, r := range res {
		switch types[i] {
		case api.ValueTypeI32:
			out[i] = strconv.FormatInt(int64(int32(uint32(r))), 10)
		case api.ValueTypeI64:
			out[i] = strconv.FormatInt(int64(r), 10)
		case api.ValueTypeF32:
			out[i] = strconv.FormatFloat(float64(math.Float32frombits(uint32(r))), 'g', -1, 32)
		case api.ValueTypeF64:
			out[i] = strconv.FormatFloat(math.Float64frombits(r), 'g', -1, 64)
		default:
			out[i] = fmt.Sprintf("0x%x", r)
		}
	}
	return out
}

type runOut struct {
	Func    string   `json:"func"`
	Engine  string   `json:"engine"`
	Results []string `json:"results"`
	Output  string   `json:"output,omitempty"`
	// FuelUsed is set with --fuel.
	FuelUsed *uint64 `json:"fuel_used,omitempty"`
}

func runModule(c *cli.Context) error {
	path, err := pluginOneArg(c, "FILE.wasm")
	if err != nil {
		return err
	}
	if c.String("func") == "" {
		return fmt.Errorf("run: --func NAME is required")
	}
	engine, err := plugins.ParseEngine(c.String("engine"))
	if err != nil {
		return err
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	ctx := context.Background()
	sbOpts := []plugins.SandboxOption{plugins.WithEngine(engine)}
	if c.Uint64("fuel") > 0 { // security_cmds.go: the allocator's meter
		sbOpts = append(sbOpts, plugins.WithMeter(resource.NewMeter(c.Uint64("fuel"))))
	}
	sb, err := plugins.NewSandbox(sbOpts...)
	if err != nil {
		return err
	}
	defer sb.Close(ctx)
	mod, err := sb.Compile(ctx, wasm, uint32(c.Uint("memory-pages")))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fn := c.String("func")
	params, results, ok := mod.FunctionType(fn)
	if !ok {
		return fmt.Errorf("%s: %w: no exported function %q", path, plugins.ErrMissingExport, fn)
	}
	args, err := parseIntArgs(c.String("args"), params)
	if err != nil {
		return fmt.Errorf("%s: %s", fn, err)
	}
	call := &plugins.Call{Deadline: c.Duration("deadline"), Fuel: c.Uint64("fuel")}
	call.IO.Input = []byte(c.String("input"))
	res, err := mod.Invoke(ctx, fn, args, call)
	if err != nil {
		if errors.Is(err, plugins.ErrTrap) {
			return fmt.Errorf("%s: %w", fn, err)
		}
		return err
	}
	out := runOut{Func: fn, Engine: string(engine), Results: formatResults(res, results), Output: string(call.IO.Output)}
	if c.Uint64("fuel") > 0 {
		out.FuelUsed = &call.FuelUsed
	}
	return emit(c, out, func(w io.Writer) error {
		if len(out.Results) > 0 {
			fmt.Fprintln(w, strings.Join(out.Results, " "))
		}
		if out.Output != "" {
			fmt.Fprintf(w, "output: %s\n", out.Output)
		}
		if out.FuelUsed != nil {
			fmt.Fprintf(w, "fuel used: %d\n", *out.FuelUsed)
		}
		return nil
	})
}
