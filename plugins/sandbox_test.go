package plugins

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/api"
)

var ctx = context.Background()

func load(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func engines(t *testing.T, fn func(t *testing.T, sb *Sandbox)) {
	for _, e := range []Engine{EngineCompiler, EngineInterpreter} {
		t.Run(string(e), func(t *testing.T) {
			sb, err := NewSandbox(WithEngine(e), WithCacheDir(t.TempDir()))
			if err != nil {
				t.Fatal(err)
			}
			defer sb.Close(ctx)
			if sb.Engine() != e {
				t.Fatal("engine")
			}
			fn(t, sb)
		})
	}
}

func TestInvoke(t *testing.T) {
	engines(t, func(t *testing.T, sb *Sandbox) {
		m, err := sb.Compile(ctx, load(t, "examples/compute/compute.wasm"), 4)
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := sb.Compile(ctx, load(t, "examples/compute/compute.wasm"), 4); again != m {
			t.Fatal("compiled module not cached")
		}
		res, err := m.Invoke(ctx, "add", []uint64{uint64(uint32(0xFFFFFFFF)), 2}, &Call{})
		if err != nil || res[0] != 1 {
			t.Fatalf("add: %v %v", res, err)
		}
		params, results, ok := m.FunctionType("fib")
		if !ok || params[0] != api.ValueTypeI64 || results[0] != api.ValueTypeI64 {
			t.Fatal("fib type")
		}
		if _, _, ok := m.FunctionType("nope"); ok {
			t.Fatal("nope has a type")
		}
		c := &Call{}
		c.IO.Input = []byte("abc")
		if err := m.Run(ctx, "reverse", c); err != nil || string(c.IO.Output) != "cba" {
			t.Fatalf("reverse: %q %v", c.IO.Output, err)
		}
		if _, err := m.Invoke(ctx, "add", []uint64{1}, &Call{}); !errors.Is(err, ErrHostArgs) {
			t.Fatal(err)
		}
		if err := m.Run(ctx, "nope", &Call{}); !errors.Is(err, ErrMissingExport) {
			t.Fatal(err)
		}
		if err := m.CheckMethods([]string{"reverse"}); err != nil {
			t.Fatal(err)
		}
		if err := m.CheckMethods([]string{"add"}); !errors.Is(err, ErrMissingExport) {
			t.Fatal(err)
		}
		if m.UsesWASI() || len(m.Imports()) != 2 || m.MinMemoryPages() != 2 {
			t.Fatalf("imports %v pages %d", m.Imports(), m.MinMemoryPages())
		}
	})
}

func TestFaults(t *testing.T) {
	engines(t, func(t *testing.T, sb *Sandbox) {
		m, err := sb.Compile(ctx, load(t, "testdata/faults.wasm"), 3)
		if err != nil {
			t.Fatal(err)
		}
		for method, want := range map[string]error{
			"trap":      ErrNoEnv, // no kernel env: state_set traps
			"loop":      ErrDeadline,
			"grow":      ErrMemoryLimit,
			"badoutput": ErrTrap,
		} {
			start := time.Now()
			err := m.Run(ctx, method, &Call{Deadline: 100 * time.Millisecond})
			if !errors.Is(err, want) {
				t.Errorf("%s: %v, want %v", method, err, want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("%s: multi-line error %q", method, err)
			}
			if method == "loop" {
				t.Logf("loop stopped after %s", time.Since(start))
			}
		}
		c, cancel := context.WithCancel(ctx)
		cancel()
		if err := m.Run(c, "loop", &Call{}); !errors.Is(err, context.Canceled) {
			t.Errorf("canceled: %v", err)
		}
		if _, err := sb.Compile(ctx, load(t, "testdata/bigmem.wasm"), 3); !errors.Is(err, ErrMemoryLimit) {
			t.Errorf("bigmem: %v", err)
		}
		if _, err := sb.Compile(ctx, load(t, "testdata/badimport.wasm"), 3); !errors.Is(err, ErrInvalidModule) {
			t.Errorf("badimport: %v", err)
		}
		if _, err := sb.Compile(ctx, []byte("nope"), 3); !errors.Is(err, ErrInvalidModule) {
			t.Errorf("garbage: %v", err)
		}
	})
}

type refuseMeter struct{}

func (refuseMeter) Instrument([]byte) ([]byte, error) { return nil, errors.New("no") }
func (refuseMeter) Begin(api.Module, uint64) error    { return nil }
func (refuseMeter) Used(api.Module) (uint64, error)   { return 0, nil }

func TestSandboxOptions(t *testing.T) {
	if _, err := ParseEngine("jit"); err == nil {
		t.Fatal("jit accepted")
	}
	if e, _ := ParseEngine(""); e != EngineCompiler {
		t.Fatal("default engine")
	}
	if _, err := NewSandbox(WithCacheDir("/dev/null/x")); err == nil {
		t.Fatal("bad cache dir")
	}
	sb, _ := NewSandbox(WithMeter(refuseMeter{}))
	defer sb.Close(ctx)
	if _, err := sb.Compile(ctx, load(t, "examples/compute/compute.wasm"), 0); !errors.Is(err, ErrInvalidModule) {
		t.Fatal(err)
	}
}
