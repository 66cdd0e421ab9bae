package plugins

import (
	"errors"
	"testing"

	"github.com/mcpzero/mcpzero/internal/hostabi"
)

// mapEnv is an Env on a map that records the host calls it allowed.
type mapEnv struct {
	state map[string][]byte
	logs  []string
	calls []string
	deny  string
}

var errDenied = errors.New("denied")

func (e *mapEnv) Check(fn string) error {
	if fn == e.deny {
		return errDenied
	}
	e.calls = append(e.calls, fn)
	return nil
}
func (e *mapEnv) Log(b []byte) error { e.logs = append(e.logs, string(b)); return nil }
func (e *mapEnv) StateGet(k []byte) ([]byte, bool, error) {
	v, ok := e.state[string(k)]
	return v, ok, nil
}
func (e *mapEnv) StateSet(k, v []byte) error { e.state[string(k)] = v; return nil }
func (e *mapEnv) StateDelete(k []byte) error { delete(e.state, string(k)); return nil }

func TestKernelHostFunctions(t *testing.T) {
	engines(t, func(t *testing.T, sb *Sandbox) {
		counter, err := sb.Compile(ctx, load(t, "examples/counter/counter.wasm"), 2)
		if err != nil {
			t.Fatal(err)
		}
		env := &mapEnv{state: map[string][]byte{}}
		for i, want := range []string{"1", "6"} {
			c := &Call{Env: env}
			if i == 1 {
				c.IO.Input = []byte("5")
			}
			if err := counter.Run(ctx, "increment", c); err != nil || string(c.IO.Output) != want {
				t.Fatalf("increment: %q %v", c.IO.Output, err)
			}
		}
		if len(env.logs) != 2 || env.calls[0] != hostabi.FnStateGet {
			t.Fatalf("logs %v calls %v", env.logs, env.calls)
		}
		c := &Call{Env: env}
		if err := counter.Run(ctx, "reset", c); err != nil || len(env.state) != 0 {
			t.Fatalf("reset: %v %v", env.state, err)
		}
		env.deny = hostabi.FnStateGet
		if err := counter.Run(ctx, "get", &Call{Env: env}); !errors.Is(err, errDenied) || !errors.Is(err, ErrTrap) {
			t.Fatalf("denied host call: %v", err)
		}

		faults, err := sb.Compile(ctx, load(t, "testdata/faults.wasm"), 2)
		if err != nil {
			t.Fatal(err)
		}
		for method, want := range map[string]error{
			"oob":    hostabi.ErrOutOfBounds,
			"bigkey": ErrHostArgs,
			"badget": hostabi.ErrOutOfBounds,
		} {
			if err := faults.Run(ctx, method, &Call{Env: &mapEnv{state: map[string][]byte{}}}); !errors.Is(err, want) {
				t.Errorf("%s: %v, want %v", method, err, want)
			}
		}
		long := &mapEnv{state: map[string][]byte{}}
		if err := faults.Run(ctx, "ok", &Call{Env: long}); err != nil || long.logs[0] != "dirty" {
			t.Fatalf("ok: %v %v", long.logs, err)
		}
	})
}
