package kernel

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/plugins"
)

// snapshotStore returns every key and value of st, to check that a failed
// operation left the store intact.
func dump(t *testing.T, st store.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := st.Iterate(nil, func(k, v []byte) error { out[string(k)] = string(v); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func sameStore(t *testing.T, before, after map[string]string) {
	t.Helper()
	if len(before) != len(after) {
		t.Fatalf("store changed: %d keys before, %d after", len(before), len(after))
	}
	for k, v := range before {
		if after[k] != v {
			t.Fatalf("store changed at key %q", k)
		}
	}
}

func faultsAgent(t *testing.T, st store.Store, c Constraints) (*Kernel, AgentID) {
	k := newKernel(t, st)
	s, wasm := fixture(t, "faults", "faults", 1, "trap", "loop", "grow", "oob", "bigkey", "bigvalue", "badoutput", "badget", "ok")
	install(t, k, s, wasm)
	id, err := k.Spawn(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.AttachPlugin(ctx, id, "faults"); err != nil {
		t.Fatal(err)
	}
	return k, id
}

func TestBadExecutesChangeNothing(t *testing.T) {
	tests := []struct {
		method string
		want   []error
		text   string
	}{
		{"trap", []error{ErrPluginFailed}, "unreachable"},
		{"loop", []error{ErrPluginFailed, ErrResourceExceeded}, "deadline"},
		{"grow", []error{ErrPluginFailed, ErrResourceExceeded}, "memory"},
		{"oob", []error{ErrPluginFailed}, "out of bounds"},
		{"bigkey", []error{ErrPluginFailed, plugins.ErrHostArgs}, "key of 300 bytes"},
		{"bigvalue", []error{ErrPluginFailed, ErrResourceExceeded}, "limit 1000"},
		{"badoutput", []error{ErrPluginFailed}, "out of bounds"},
		{"badget", []error{ErrPluginFailed}, "out of bounds"},
		{"missing", []error{ErrNotFound}, "no plugin attached"},
		{"other.trap", []error{ErrNotFound}, "no plugin attached"},
	}
	st := store.OpenMemory()
	k, id := faultsAgent(t, st, Constraints{MemoryPages: 4, StateBytes: 1000, Deadline: 200 * time.Millisecond})
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			before := dump(t, st)
			_, err := k.Execute(ctx, id, tt.method, []byte("in"))
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Fatalf("err = %v, want errors.Is %v", err, w)
				}
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.text)
			}
			if errors.Is(err, ErrPluginFailed) {
				var pe *PluginError
				if !errors.As(err, &pe) || pe.Plugin != "faults@0.1.0" || pe.Method != tt.method || pe.Agent != id {
					t.Fatalf("PluginError = %+v", pe)
				}
			}
			sameStore(t, before, dump(t, st))
		})
	}
	out, err := k.ExecuteDetailed(ctx, id, "ok", nil)
	if err != nil || string(out.Output) != "dirty" || len(out.Log) != 1 || out.Log[0] != "dirty" {
		t.Fatalf("ok after failures: %+v %v", out, err)
	}
}

func TestExecuteCanceled(t *testing.T) {
	k, id := faultsAgent(t, store.OpenMemory(), Constraints{})
	c, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err := k.Execute(c, id, "loop", nil)
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrResourceExceeded) {
		t.Fatalf("err = %v", err)
	}
	c2, cancel2 := context.WithCancel(ctx)
	go func() { time.Sleep(30 * time.Millisecond); cancel2() }()
	if _, err := k.Execute(c2, id, "loop", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: err = %v", err)
	}
}

func TestInstallRefusals(t *testing.T) {
	st := store.OpenMemory()
	k := newKernel(t, st)
	s, wasm := example(t, "counter")
	tampered := append(bytes.Clone(wasm), 0)
	_, otherPriv, _ := newKeyPair()
	wrong, err := plugins.Sign(s.Manifest, wasm, otherPriv)
	if err != nil {
		t.Fatal(err)
	}
	forged := *s
	sig := *s.Signature
	sig.Sig = bytes.Clone(sig.Sig)
	sig.Sig[0] ^= 1
	forged.Signature = &sig
	unsigned := &plugins.Signed{Manifest: s.Manifest}
	garbage := []byte("\x00asm\x01\x00\x00\x00garbage")
	sGarbage, _ := plugins.Sign(plugins.Manifest{Name: "garbage", Version: "1", Methods: []string{"run"}}, garbage, testPriv)
	sMissing, _ := plugins.Sign(plugins.Manifest{Name: "counter", Version: "2", Methods: []string{"increment", "nope"}}, wasm, testPriv)
	sNotMethod, _ := fixture(t, "faults", "faults", 1, "notmethod")
	_, fwasm := fixture(t, "faults", "faults", 1, "ok")
	badImp, bwasm := fixture(t, "badimport", "badimport", 0, "run")
	badManifest, _ := plugins.Sign(plugins.Manifest{Name: "Bad Name", Version: "1", Methods: []string{"run"}}, wasm, testPriv)
	badManifest2 := *s
	badManifest2.Manifest.Name = "Bad Name"
	tests := []struct {
		name string
		s    *plugins.Signed
		wasm []byte
		want []error
		text string
	}{
		{"tampered", s, tampered, []error{ErrInvalidSignature, plugins.ErrTampered}, "counter@1.0.0"},
		{"wrong key", wrong, wasm, []error{ErrInvalidSignature, plugins.ErrUntrustedKey}, "not trusted"},
		{"forged", &forged, wasm, []error{ErrInvalidSignature, plugins.ErrBadSignature}, "does not verify"},
		{"unsigned", unsigned, wasm, []error{ErrInvalidSignature, plugins.ErrUnsigned}, "unsigned"},
		{"malformed wasm", sGarbage, garbage, []error{ErrInvalidPlugin, plugins.ErrInvalidModule}, "garbage@1"},
		{"missing export", sMissing, wasm, []error{ErrInvalidPlugin, plugins.ErrMissingExport}, `"nope"`},
		{"not a method", sNotMethod, fwasm, []error{ErrInvalidPlugin, plugins.ErrMissingExport}, "notmethod"},
		{"bad import", badImp, bwasm, []error{ErrInvalidPlugin, plugins.ErrInvalidModule}, "env.now"},
		{"bad manifest", &badManifest2, wasm, []error{ErrInvalidPlugin, plugins.ErrInvalidManifest}, "name"},
	}
	if badManifest != nil {
		t.Fatal("Sign accepted an invalid name")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := dump(t, st)
			_, err := k.InstallPlugin(ctx, tt.s, tt.wasm)
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Fatalf("err = %v, want errors.Is %v", err, w)
				}
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.text)
			}
			sameStore(t, before, dump(t, st))
		})
	}
	// No verifier at all.
	k2 := newKernel(t, store.OpenMemory(), WithVerifier(nil))
	if _, err := k2.InstallPlugin(ctx, s, wasm); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("nil verifier: %v", err)
	}
	// A verifier with a plain error is wrapped.
	k3 := newKernel(t, store.OpenMemory(), WithVerifier(verifierFunc(func(*plugins.Signed, []byte) error { return errors.New("revoked") })))
	if _, err := k3.InstallPlugin(ctx, s, wasm); !errors.Is(err, ErrInvalidSignature) || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("custom verifier: %v", err)
	}
}

type verifierFunc func(*plugins.Signed, []byte) error

func (f verifierFunc) VerifyPlugin(s *plugins.Signed, w []byte) error { return f(s, w) }

func TestInsecureSkipVerify(t *testing.T) {
	k := newKernel(t, store.OpenMemory(), WithInsecureSkipVerify())
	s, wasm := example(t, "counter")
	m := s.Manifest
	m.WasmSHA256 = ""
	p, err := k.InstallPlugin(ctx, &plugins.Signed{Manifest: m}, wasm)
	if err != nil || !p.Unsigned || p.KeyID != "" {
		t.Fatalf("unsigned install: %+v %v", p, err)
	}
	// A digest that does not match is still refused.
	s2, w2 := example(t, "kv")
	if _, err := k.InstallPlugin(ctx, s2, append(w2, 1)); !errors.Is(err, plugins.ErrTampered) {
		t.Fatalf("tampered: %v", err)
	}
	bad := s2.Manifest
	bad.Methods = nil
	if _, err := k.InstallPlugin(ctx, &plugins.Signed{Manifest: bad}, w2); !errors.Is(err, ErrInvalidPlugin) {
		t.Fatalf("invalid manifest: %v", err)
	}
	// A properly signed plugin is recorded as signed.
	k2 := newKernel(t, store.OpenMemory(), WithInsecureSkipVerify())
	p2, err := k2.InstallPlugin(ctx, s2, w2)
	if err != nil || p2.Unsigned || p2.KeyID == "" {
		t.Fatalf("signed install under insecure: %+v %v", p2, err)
	}
}
