package security

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mcpzero/mcpzero/internal/keys"
	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/kernel/resource"
	"github.com/mcpzero/mcpzero/plugins"
)

// TestSandbox checks, on both engines, with the security manager's
// Authorizer and fuel metering installed, what a plugin holding only the
// deterministic "wasi" capability can reach: the clock is wazero's fake one
// (not the real time) and reads the same in every call, randomness is the
// same fixed stream in every call, no file and no socket is reachable,
// another agent's state is invisible, and memory exhaustion and runaway code
// end in typed resource errors with the agent's state unchanged.
func TestSandbox(t *testing.T) {
	ctx := context.Background()
	pub, priv, _ := ed25519.GenerateKey(nil)
	read := func(parts ...string) []byte {
		b, err := os.ReadFile(filepath.Join(parts...))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	probe := read("testdata", "sandbox.wasm")
	counter := read("..", "..", "plugins", "examples", "counter", "counter.wasm")
	faults := read("..", "..", "plugins", "testdata", "faults.wasm")
	sign := func(m plugins.Manifest, wasm []byte) *plugins.Signed {
		s, err := plugins.Sign(m, wasm, priv)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	outputs := map[string][]byte{}
	for _, engine := range []plugins.Engine{plugins.EngineCompiler, plugins.EngineInterpreter} {
		st := store.OpenMemory()
		m, err := Open(st)
		if err != nil {
			t.Fatal(err)
		}
		k, err := kernel.Open(st, kernel.WithEngine(engine), kernel.WithTrustedKeys(plugins.KeySet{keys.ID(pub): pub}),
			kernel.WithAuthorizer(&Authorizer{M: m}), kernel.WithMeter(resource.NewMeter(1<<20)))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []struct {
			s    *plugins.Signed
			wasm []byte
		}{
			{sign(plugins.Manifest{Name: "probe", Version: "1.0.0", Methods: []string{"clock", "random", "files", "socket"},
				Capabilities: []string{plugins.CapabilityWASI}, Limits: plugins.Limits{MemoryPages: 1}}, probe), probe},
			{sign(plugins.Manifest{Name: "counter", Version: "1.0.0", Methods: []string{"increment", "get"}, Limits: plugins.Limits{MemoryPages: 1}}, counter), counter},
			{sign(plugins.Manifest{Name: "faults", Version: "1.0.0", Methods: []string{"grow", "loop"}, Limits: plugins.Limits{MemoryPages: 1}}, faults), faults},
		} {
			if _, err := k.InstallPlugin(ctx, p.s, p.wasm); err != nil {
				t.Fatal(err)
			}
		}
		a, _ := k.Spawn(kernel.Constraints{MemoryPages: 4, FuelPerCall: 10_000_000})
		b, _ := k.Spawn(kernel.Constraints{MemoryPages: 4})
		for _, at := range []struct {
			id kernel.AgentID
			p  string
		}{{a, "probe"}, {a, "counter"}, {a, "faults"}, {b, "counter"}} {
			if err := k.AttachPlugin(ctx, at.id, at.p); err != nil {
				t.Fatal(err)
			}
		}
		for _, method := range []string{"clock", "random", "files", "socket"} {
			first, err := k.Execute(ctx, a, method, nil)
			if err != nil {
				t.Fatalf("%s %s: %v", engine, method, err)
			}
			second, err := k.Execute(ctx, a, method, nil)
			if err != nil || !bytes.Equal(first, second) {
				t.Fatalf("%s %s: differs between calls: %x %x %v", engine, method, first, second, err)
			}
			if prev, ok := outputs[method]; ok && !bytes.Equal(prev, first) {
				t.Fatalf("%s: %s differs between engines: %x %x", method, engine, prev, first)
			}
			outputs[method] = first
			errno := binary.LittleEndian.Uint32(first)
			switch method {
			case "clock":
				ns := int64(binary.LittleEndian.Uint64(first[4:]))
				if errno != 0 || time.Unix(0, ns).Year() != 2022 {
					t.Fatalf("clock: errno %d, time %v: want wazero's fake clock (2022)", errno, time.Unix(0, ns))
				}
			case "random":
				if errno != 0 || len(first) != 20 {
					t.Fatalf("random: errno %d, %x", errno, first)
				}
			case "files":
				if errno == 0 || binary.LittleEndian.Uint32(first[4:]) == 0 {
					t.Fatalf("files reachable: %x", first)
				}
			case "socket":
				if errno == 0 {
					t.Fatalf("socket reachable: %x", first)
				}
			}
		}
		// Another agent's state is invisible.
		for i := 0; i < 3; i++ {
			if _, err := k.Execute(ctx, a, "increment", nil); err != nil {
				t.Fatal(err)
			}
		}
		if out, err := k.Execute(ctx, b, "get", nil); err != nil || string(out) != "0" {
			t.Fatalf("agent %s sees %q (%v), want its own empty counter", b, out, err)
		}
		before, _ := k.State(a)
		for method, want := range map[string]error{"grow": plugins.ErrMemoryLimit, "loop": ErrFuelExhaustedForTest} {
			_, err := k.Execute(ctx, a, method, nil)
			if !errors.Is(err, kernel.ErrResourceExceeded) || !errors.Is(err, want) {
				t.Fatalf("%s %s: %v, want a resource error wrapping %v", engine, method, err, want)
			}
		}
		after, _ := k.State(a)
		if len(before) == 0 || fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("state changed by failed calls: %q -> %q", before, after)
		}
		k.Close()
		st.Close()
	}
}

// ErrFuelExhaustedForTest is fuel exhaustion as the kernel reports it.
var ErrFuelExhaustedForTest = resource.ErrFuelExhausted
