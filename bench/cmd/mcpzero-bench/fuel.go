package main

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"

	"github.com/mcpzero/mcpzero/bench"
	"github.com/mcpzero/mcpzero/bench/harness"
	"github.com/mcpzero/mcpzero/internal/fuel"
	"github.com/mcpzero/mcpzero/internal/hostabi"
)

// fuelSection measures the cost of deterministic fuel metering: the same
// call on the plain and on the instrumented module, on both engines, timed
// alternately in one run.
func fuelSection(ctx context.Context, o *options) (*harness.Section, error) {
	s := &harness.Section{
		Name:    "fuel",
		Title:   "Fuel metering overhead (instrumented versus plain, same call)",
		Columns: []string{"program", "size", "engine", "fuel used", "plain", "instrumented", "overhead"},
	}
	engines := []struct {
		name string
		cfg  func() wazero.RuntimeConfig
	}{
		{"compiler", wazero.NewRuntimeConfigCompiler},
		{"interpreter", wazero.NewRuntimeConfigInterpreter},
	}
	for _, p := range bench.Programs() {
		size := bench.SpeedSizes[p.Name] / 4
		if o.short {
			size = p.Param
		}
		p = p.Sized(max(size, 1))
		wasm, err := p.Wasm()
		if err != nil {
			return nil, err
		}
		inst, err := fuel.Instrument(wasm)
		if err != nil {
			return nil, fmt.Errorf("instrument %s: %w", p.Name, err)
		}
		for _, e := range engines {
			plain, err := newCallSite(ctx, e.cfg(), wasm, p)
			if err != nil {
				return nil, err
			}
			metered, err := newCallSite(ctx, e.cfg(), inst, p)
			if err != nil {
				plain.close()
				return nil, err
			}
			var used int64
			var tp, ti []float64
			for i := 0; i < o.repeat*2+1; i++ { // alternate, so that noise hits both alike
				a, err := harness.Time(1, func() error { _, err := plain.call(ctx, false); return err })
				if err != nil {
					return nil, err
				}
				b, err := harness.Time(1, func() error { u, err := metered.call(ctx, true); used = u; return err })
				if err != nil {
					return nil, err
				}
				tp, ti = append(tp, a.Median), append(ti, b.Median)
			}
			plain.close()
			metered.close()
			sp, si := harness.Summarize(tp, "ms"), harness.Summarize(ti, "ms")
			s.Add(map[string]any{"program": p.Name, "size": p.What, "engine": e.name, "fuel used": used,
				"plain": sp, "instrumented": si, "overhead": fmt.Sprintf("%+.1f%%", 100*(si.Median/sp.Median-1))})
			o.log("fuel %s on %s: %+.1f%%", p.Name, e.name, 100*(si.Median/sp.Median-1))
		}
	}
	s.Note("Each run instantiates the module afresh and makes one call; fuel used is the executed instruction count (docs/SECURITY.md).")
	s.Note("Targets: under 10%% overhead on the compiler engine.")
	return s, nil
}

// callSite is a compiled module in its own runtime, ready to be called.
type callSite struct {
	r   wazero.Runtime
	cm  wazero.CompiledModule
	p   bench.Program
	seq int
}

func newCallSite(ctx context.Context, cfg wazero.RuntimeConfig, wasm []byte, p bench.Program) (*callSite, error) {
	r := wazero.NewRuntimeWithConfig(ctx, cfg)
	if _, err := hostabi.DefineIO(r.NewHostModuleBuilder(hostabi.Module)).Instantiate(ctx); err != nil {
		r.Close(ctx)
		return nil, err
	}
	cm, err := r.CompileModule(ctx, wasm)
	if err != nil {
		r.Close(ctx)
		return nil, err
	}
	return &callSite{r: r, cm: cm, p: p}, nil
}

func (c *callSite) close() { c.r.Close(context.Background()) }

// call instantiates and calls once; with metered, through a fuel.Meter with
// an unlimited budget, returning the fuel used.
func (c *callSite) call(ctx context.Context, metered bool) (int64, error) {
	c.seq++
	m, err := c.r.InstantiateModule(ctx, c.cm, wazero.NewModuleConfig().WithName(fmt.Sprint("m", c.seq)))
	if err != nil {
		return 0, err
	}
	defer m.Close(ctx)
	ctx = hostabi.WithIO(ctx, &hostabi.IO{Input: c.p.Input()})
	fn := m.ExportedFunction(c.p.Export)
	if !metered {
		_, err := fn.Call(ctx, c.p.Args()...)
		return 0, err
	}
	meter, err := fuel.NewMeter(m)
	if err != nil {
		return 0, err
	}
	_, used, err := meter.Call(ctx, fn, 1<<62, c.p.Args()...)
	return used, err
}
