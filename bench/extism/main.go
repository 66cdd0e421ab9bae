// Command extism measures one plugin call through mcpzero (the plugin
// sandbox alone, and the kernel's Execute with persistence) and through
// Extism's Go SDK, on the same module, side by side in one process. It is a
// module of its own so that mcpzero never depends on Extism; mcpzero-bench
// runs it and merges its JSON into the report.
//
// The module is bench/programs/tick.wasm: a method of type () -> () with no
// imports, so that the very same bytes run under both. (A module using the
// mcpzero I/O ABI cannot: Extism's host functions see only Extism's own
// memory, not the plugin's, so the ABI cannot be given to Extism faithfully.)
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	extism "github.com/extism/go-sdk"

	"github.com/mcpzero/mcpzero/bench/harness"
	"github.com/mcpzero/mcpzero/plugins"
)

// Result is what the command prints, one Summary per way of calling.
type Result struct {
	Module     string                     `json:"module"`
	Calls      int                        `json:"calls_per_sample"`
	PerCall    map[string]harness.Summary `json:"per_call_us"`
	AllocBytes map[string]float64         `json:"alloc_bytes_per_call"`
}

func main() {
	wasmPath := flag.String("wasm", "bench/programs/tick.wasm", "module to call (export run)")
	samples := flag.Int("samples", 15, "samples (the median is reported)")
	calls := flag.Int("calls", 200, "calls per sample")
	flag.Parse()
	res, err := run(*wasmPath, *samples, *calls)
	if err != nil {
		fmt.Fprintln(os.Stderr, "extism bench:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(res)
}

// caller makes one call with input and returns the output.
type caller func(ctx context.Context, input []byte) ([]byte, error)

func run(wasmPath string, samples, calls int) (*Result, error) {
	ctx := context.Background()
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		return nil, err
	}
	var input []byte
	callers := map[string]caller{}

	sb, err := plugins.NewSandbox(plugins.WithEngine(plugins.EngineCompiler))
	if err != nil {
		return nil, err
	}
	defer sb.Close(ctx)
	mod, err := sb.Compile(ctx, wasm, 16)
	if err != nil {
		return nil, err
	}
	callers["mcpzero sandbox (fresh instance per call)"] = func(ctx context.Context, in []byte) ([]byte, error) {
		c := &plugins.Call{}
		c.IO.Input = in
		if err := mod.Run(ctx, "run", c); err != nil {
			return nil, err
		}
		return c.IO.Output, nil
	}

	kexec, closeKernel, err := kernelCaller(ctx, wasm)
	if err != nil {
		return nil, err
	}
	defer closeKernel()
	callers["mcpzero kernel Execute (fsynced record)"] = kexec

	compiled, err := extism.NewCompiledPlugin(ctx, extism.Manifest{Wasm: []extism.Wasm{extism.WasmData{Data: wasm}}},
		extism.PluginConfig{EnableWasi: false}, nil)
	if err != nil {
		return nil, fmt.Errorf("extism compile: %w", err)
	}
	defer compiled.Close(ctx)
	reused, err := compiled.Instance(ctx, extism.PluginInstanceConfig{})
	if err != nil {
		return nil, fmt.Errorf("extism instance: %w", err)
	}
	defer reused.Close(ctx)
	callers["extism (reused instance)"] = func(ctx context.Context, in []byte) ([]byte, error) {
		return extismCall(ctx, reused, in)
	}
	callers["extism (fresh instance per call)"] = func(ctx context.Context, in []byte) ([]byte, error) {
		p, err := compiled.Instance(ctx, extism.PluginInstanceConfig{})
		if err != nil {
			return nil, err
		}
		defer p.Close(ctx)
		return extismCall(ctx, p, in)
	}

	// Every caller must give the same output before anything is timed.
	var want []byte
	for name, c := range callers {
		out, err := c(ctx, input)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if want == nil {
			want = out
		} else if string(out) != string(want) {
			return nil, fmt.Errorf("%s: output %q differs from %q", name, out, want)
		}
	}

	res := &Result{Module: filepath.Base(wasmPath), Calls: calls,
		PerCall: map[string]harness.Summary{}, AllocBytes: map[string]float64{}}
	// Interleave the callers sample by sample so that noise hits all alike.
	perCall := map[string][]float64{}
	allocs := map[string]uint64{}
	for s := 0; s < samples; s++ {
		for name, c := range callers {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			for i := 0; i < calls; i++ {
				if _, err := c(ctx, input); err != nil {
					return nil, fmt.Errorf("%s: %w", name, err)
				}
			}
			perCall[name] = append(perCall[name], float64(time.Since(start).Nanoseconds())/1e3/float64(calls))
			runtime.ReadMemStats(&after)
			allocs[name] += after.TotalAlloc - before.TotalAlloc
		}
	}
	for name, v := range perCall {
		res.PerCall[name] = harness.Summarize(v, "µs")
		res.AllocBytes[name] = float64(allocs[name]) / float64(samples*calls)
	}
	return res, nil
}

func extismCall(ctx context.Context, p *extism.Plugin, in []byte) ([]byte, error) {
	_, out, err := p.CallWithContext(ctx, "run", in)
	return out, err
}
