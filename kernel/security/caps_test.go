package security

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mcpzero/mcpzero/internal/keys"
	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/plugins"
)

// TestHostCapabilities: clock_now and random_get, per capability: a plugin
// that calls one without requesting it is refused at the host call with a
// permission error; one that requests it is refused at attach until the
// agent is granted it, then receives the real time / the operation's
// random stream, and the value is recorded with the operation.
func TestHostCapabilities(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	pub, priv, _ := ed25519.GenerateKey(nil)
	wasm, err := os.ReadFile(filepath.Join("testdata", "caps.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := kernel.Open(f.st, kernel.WithTrustedKeys(plugins.KeySet{keys.ID(pub): pub}),
		kernel.WithAuthorizer(&Authorizer{M: f.m}), kernel.WithHostCapabilities(&HostCaps{M: f.m}))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	install := func(name string, capabilities ...string) {
		w := append(append([]byte(nil), wasm...), 0, byte(2+len(name)), byte(len(name)))
		w = append(w, name+"!"...)
		s, err := plugins.Sign(plugins.Manifest{Name: name, Version: "1.0.0", Methods: []string{"clock", "random"},
			Capabilities: capabilities, Limits: plugins.Limits{MemoryPages: 1}}, w, priv)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k.InstallPlugin(ctx, s, w); err != nil {
			t.Fatal(err)
		}
	}
	install("sneaky")
	install("clocky", "clock")
	install("dicey", "random")

	sneak, _ := k.Spawn(kernel.Constraints{})
	if err := k.AttachPlugin(ctx, sneak, "sneaky"); err != nil {
		t.Fatal(err)
	}
	f.grant(t, string(sneak), ResourceClock, OpUse)
	f.grant(t, string(sneak), ResourceRandom, OpUse)
	for _, method := range []string{"clock", "random"} {
		if _, err := k.Execute(ctx, sneak, method, nil); !errors.Is(err, kernel.ErrPermissionDenied) {
			t.Fatalf("%s without requesting the capability: %v", method, err)
		}
	}

	for _, tc := range []struct{ plugin, capability, method string }{
		{"clocky", "clock", "clock"}, {"dicey", "random", "random"},
	} {
		agent, _ := k.Spawn(kernel.Constraints{})
		if err := k.AttachPlugin(ctx, agent, tc.plugin); !errors.Is(err, kernel.ErrPermissionDenied) {
			t.Fatalf("%s: attach without a grant: %v", tc.plugin, err)
		}
		f.grant(t, string(agent), CapabilityResource(tc.capability), OpUse)
		if err := k.AttachPlugin(ctx, agent, tc.plugin); err != nil {
			t.Fatal(err)
		}
		var outs [][]byte
		for n := uint64(1); n <= 2; n++ {
			r, err := k.ExecuteDetailed(ctx, agent, tc.method, nil)
			if err != nil {
				t.Fatalf("%s: %v", tc.plugin, err)
			}
			rec, err := k.ExecRecord(r.Record.Seq)
			if err != nil || len(rec.Host) != 1 {
				t.Fatalf("%s: host values not recorded: %+v %v", tc.plugin, rec, err)
			}
			switch tc.method {
			case "clock":
				ns := int64(binary.LittleEndian.Uint64(r.Output))
				if d := time.Since(time.Unix(0, ns)); d < 0 || d > time.Hour {
					t.Fatalf("clock_now %v is not the real time", time.Unix(0, ns))
				}
				if rec.Host[0].Fn != plugins.FnClockNow {
					t.Fatalf("recorded %+v", rec.Host)
				}
			case "random":
				want := make([]byte, 32)
				io.ReadFull(f.m.RandomStream(string(agent), n, "random"), want)
				if !bytes.Equal(r.Output, want) || !bytes.Equal(rec.Host[0].Value, want) {
					t.Fatalf("random_get %x, recorded %x, want the operation's stream %x", r.Output, rec.Host[0].Value, want)
				}
			}
			outs = append(outs, r.Output)
		}
		if tc.method == "random" && bytes.Equal(outs[0], outs[1]) {
			t.Fatal("two operations got the same random bytes")
		}
	}
}
