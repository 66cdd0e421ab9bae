package main

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"

	"github.com/mcpzero/mcpzero/bench"
	"github.com/mcpzero/mcpzero/bench/harness"
	"github.com/mcpzero/mcpzero/internal/hostabi"
	"github.com/mcpzero/mcpzero/trace"
)

// tracerSection measures the tracer (recording the full trace) against
// wazero's interpreter and compiler on the same calls: each run instantiates
// the module afresh and makes one call.
func tracerSection(ctx context.Context, o *options) (*harness.Section, error) {
	s := &harness.Section{
		Name:  "tracer",
		Title: "Tracer versus wazero (same call, fresh instance per run)",
		Columns: []string{"program", "size", "steps", "tracer", "tracer steps/s",
			"wazero interpreter", "wazero compiler", "tracer / interpreter", "tracer / compiler"},
	}
	for _, p := range bench.Programs() {
		size := bench.SpeedSizes[p.Name]
		if o.short {
			size = p.Param
		}
		p = p.Sized(size)
		wasm, err := p.Wasm()
		if err != nil {
			return nil, err
		}
		mod, err := trace.Decode(wasm)
		if err != nil {
			return nil, err
		}
		var steps uint64
		tr, err := harness.Time(o.repeat, func() error {
			inst, err := trace.NewInstance(mod)
			if err != nil {
				return err
			}
			t, err := inst.Run(ctx, p.Export, p.Args(), p.Input(), trace.WithMaxSteps(1<<34))
			if err != nil {
				return err
			}
			if t.Status != trace.Returned {
				return fmt.Errorf("%s trapped: %v", p.Name, t.Trap)
			}
			steps = t.Steps
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("tracer %s: %w", p.Name, err)
		}
		interp, err := timeWazero(ctx, wazero.NewRuntimeConfigInterpreter(), wasm, p, o.repeat)
		if err != nil {
			return nil, err
		}
		comp, err := timeWazero(ctx, wazero.NewRuntimeConfigCompiler(), wasm, p, o.repeat)
		if err != nil {
			return nil, err
		}
		s.Add(map[string]any{
			"program": p.Name, "size": p.What, "steps": steps, "tracer": tr,
			"tracer steps/s":     float64(steps) / (tr.Median / 1e3),
			"wazero interpreter": interp, "wazero compiler": comp,
			"tracer / interpreter": tr.Median / interp.Median,
			"tracer / compiler":    tr.Median / comp.Median,
		})
		o.log("tracer %s: %d steps, %s", p.Name, steps, tr)
	}
	s.Note("The tracer records every row, access and I/O event (the full trace a proof needs); wazero only runs.")
	s.Note("Ratios are of medians measured side by side in this run; > 1 means the tracer is slower.")
	return s, nil
}

// timeWazero compiles once and times instantiate + one call per run.
func timeWazero(ctx context.Context, cfg wazero.RuntimeConfig, wasm []byte, p bench.Program, repeat int) (harness.Summary, error) {
	r := wazero.NewRuntimeWithConfig(ctx, cfg)
	defer r.Close(ctx)
	if _, err := hostabi.DefineIO(r.NewHostModuleBuilder(hostabi.Module)).Instantiate(ctx); err != nil {
		return harness.Summary{}, err
	}
	cm, err := r.CompileModule(ctx, wasm)
	if err != nil {
		return harness.Summary{}, err
	}
	i := 0
	return harness.Time(repeat, func() error {
		i++
		m, err := r.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName(fmt.Sprint("run", i)))
		if err != nil {
			return err
		}
		defer m.Close(ctx)
		_, err = m.ExportedFunction(p.Export).Call(hostabi.WithIO(ctx, &hostabi.IO{Input: p.Input()}), p.Args()...)
		return err
	})
}
