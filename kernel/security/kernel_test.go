package security

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/mcpzero/mcpzero/internal/hostabi"
	"github.com/mcpzero/mcpzero/internal/keys"
	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/plugins"
)

// TestKernelCapabilityGrants: for each capability, a plugin requesting it
// is refused at attach time with a permission error until the agent is
// granted it, and attaches and runs once it is; a revocation refuses the
// next attach again.
func TestKernelCapabilityGrants(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	pub, priv, _ := ed25519.GenerateKey(nil)
	wasm, err := os.ReadFile(filepath.Join("..", "..", "plugins", "testdata", "faults.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	auth := &Authorizer{M: f.m}
	k, err := kernel.Open(f.st, kernel.WithTrustedKeys(plugins.KeySet{keys.ID(pub): pub}), kernel.WithAuthorizer(auth))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	for _, capability := range []string{"clock", "random", "net", "fs"} {
		t.Run(capability, func(t *testing.T) {
			// A custom section makes each plugin's wasm (and digest) distinct.
			wasm := append(append([]byte(nil), wasm...), 0, byte(2+len(capability)), byte(len(capability)))
			wasm = append(wasm, capability+"!"...)
			s, err := plugins.Sign(plugins.Manifest{Name: "uses-" + capability, Version: "1.0.0", Methods: []string{"ok"},
				Capabilities: []string{capability}, Limits: plugins.Limits{MemoryPages: 1}}, wasm, priv)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := k.InstallPlugin(ctx, s, wasm); err != nil {
				t.Fatal(err)
			}
			agent, err := k.Spawn(kernel.Constraints{})
			if err != nil {
				t.Fatal(err)
			}
			err = k.AttachPlugin(ctx, agent, "uses-"+capability)
			if !errors.Is(err, kernel.ErrPermissionDenied) || !errors.Is(err, ErrPermissionDenied) {
				t.Fatalf("attach without a grant: %v", err)
			}
			f.grant(t, string(agent), CapabilityResource(capability), OpUse)
			if err := k.AttachPlugin(ctx, agent, "uses-"+capability); err != nil {
				t.Fatalf("attach with the grant: %v", err)
			}
			if _, err := k.Execute(ctx, agent, "ok", nil); err != nil {
				t.Fatalf("execute: %v", err)
			}
			// Another agent is not covered by the first one's grant.
			other, _ := k.Spawn(kernel.Constraints{})
			if err := k.AttachPlugin(ctx, other, "uses-"+capability); !errors.Is(err, kernel.ErrPermissionDenied) {
				t.Fatalf("other agent: %v", err)
			}
		})
	}
}

func TestKernelPluginGrants(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	pub, priv, _ := ed25519.GenerateKey(nil)
	wasm, _ := os.ReadFile(filepath.Join("..", "..", "plugins", "testdata", "faults.wasm"))
	k, err := kernel.Open(f.st, kernel.WithTrustedKeys(plugins.KeySet{keys.ID(pub): pub}),
		kernel.WithAuthorizer(&Authorizer{M: f.m, RequirePluginGrants: true}))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	s, _ := plugins.Sign(plugins.Manifest{Name: "faults", Version: "1.0.0", Methods: []string{"ok"}, Limits: plugins.Limits{MemoryPages: 1}}, wasm, priv)
	if _, err := k.InstallPlugin(ctx, s, wasm); err != nil {
		t.Fatal(err)
	}
	agent, _ := k.Spawn(kernel.Constraints{})
	if err := k.AttachPlugin(ctx, agent, "faults"); !errors.Is(err, kernel.ErrPermissionDenied) {
		t.Fatalf("attach: %v", err)
	}
	f.grant(t, string(agent), "plugin:faults", OpAttach)
	if err := k.AttachPlugin(ctx, agent, "faults"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Execute(ctx, agent, "ok", nil); !errors.Is(err, kernel.ErrPermissionDenied) {
		t.Fatalf("execute without grant: %v", err)
	}
	f.grant(t, string(agent), "plugin:*", OpExecute)
	if _, err := k.Execute(ctx, agent, "ok", nil); err != nil {
		t.Fatal(err)
	}
}

func TestAuthorizeHostCall(t *testing.T) {
	f := newFixture(t)
	a := &Authorizer{M: f.m, HostCapabilities: map[string]string{"clock_now": "clock", "random_get": "random"}}
	clock := &plugins.Manifest{Name: "c", Version: "1.0.0", Capabilities: []string{"clock"}}
	none := &plugins.Manifest{Name: "n", Version: "1.0.0"}
	for _, fn := range []string{hostabi.FnLog, hostabi.FnStateGet, hostabi.FnStateSet, hostabi.FnStateDelete} {
		if err := a.AuthorizeHostCall("agent-1", none, fn); err != nil {
			t.Fatalf("%s: %v", fn, err)
		}
	}
	if err := a.AuthorizeHostCall("agent-1", clock, "clock_now"); !errors.Is(err, kernel.ErrPermissionDenied) {
		t.Fatalf("no grant: %v", err)
	}
	f.grant(t, "agent-1", ResourceClock, OpUse)
	if err := a.AuthorizeHostCall("agent-1", clock, "clock_now"); err != nil {
		t.Fatalf("granted: %v", err)
	}
	if err := a.AuthorizeHostCall("agent-1", none, "clock_now"); !errors.Is(err, kernel.ErrPermissionDenied) {
		t.Fatalf("not requested by the manifest: %v", err)
	}
	if err := a.AuthorizeHostCall("agent-1", clock, "random_get"); !errors.Is(err, kernel.ErrPermissionDenied) {
		t.Fatalf("random without grant: %v", err)
	}
	if err := a.AuthorizeHostCall("agent-1", clock, "open_socket"); !errors.Is(err, kernel.ErrPermissionDenied) {
		t.Fatalf("unknown function: %v", err)
	}
	if ks := f.m.PublisherKeys(); len(ks) != 1 || ks[f.outsider.id] == nil {
		t.Fatalf("publisher keys: %v", ks)
	}
}

// TestKernelAgreement: an execute naming an agreement is charged in its own
// batch, and fails cleanly (state and usage unchanged, nothing committed)
// when the agreement's quota, window, scope or revocation forbids it.
func TestKernelAgreement(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	pub, priv, _ := ed25519.GenerateKey(nil)
	wasm, err := os.ReadFile(filepath.Join("..", "..", "plugins", "examples", "counter", "counter.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	var k *kernel.Kernel
	f.m.clock = func() uint64 { return k.Seq() }
	k, err = kernel.Open(f.st, kernel.WithTrustedKeys(plugins.KeySet{keys.ID(pub): pub}),
		kernel.WithAuthorizer(&Authorizer{M: f.m}), kernel.WithCommitHook(f.m.CommitHook()))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	s, _ := plugins.Sign(plugins.Manifest{Name: "counter", Version: "1.0.0", Methods: []string{"increment", "get", "reset"}, Limits: plugins.Limits{MemoryPages: 1}}, wasm, priv)
	if _, err := k.InstallPlugin(ctx, s, wasm); err != nil {
		t.Fatal(err)
	}
	agent, _ := k.Spawn(kernel.Constraints{})
	if err := k.AttachPlugin(ctx, agent, "counter"); err != nil {
		t.Fatal(err)
	}
	a := f.agreement(t, func(tm *Terms) {
		tm.Resource = "agent:" + string(agent)
		tm.Operations = []string{"increment"}
		tm.NotBefore, tm.NotAfter = 0, 100
		tm.Quotas = map[string]uint64{MetricCalls: 2}
	})
	if err := f.m.RegisterAgreement(a); err != nil {
		t.Fatal(err)
	}
	withA := kernel.WithAgreement(ctx, a.ID)
	for i := 0; i < 2; i++ {
		r, err := k.ExecuteDetailed(withA, agent, "increment", nil)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if r.Record.Agreement != a.ID {
			t.Fatalf("record does not name the agreement: %+v", r.Record)
		}
	}
	state := func() string { st, _ := k.State(agent); return fmt.Sprint(st) }
	before, seq := state(), k.Seq()
	for name, tc := range map[string]struct {
		ctx    context.Context
		method string
		want   error
	}{
		"quota":   {withA, "increment", ErrQuotaExceeded},
		"scope":   {withA, "reset", ErrAgreementScope},
		"unknown": {kernel.WithAgreement(ctx, "00ff"), "increment", ErrNotFound},
	} {
		_, err := k.Execute(tc.ctx, agent, tc.method, nil)
		if !errors.Is(err, tc.want) || !errors.Is(err, kernel.ErrPermissionDenied) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.want)
		}
	}
	if state() != before || k.Seq() != seq {
		t.Fatal("a refused execute changed the state or committed an operation")
	}
	if _, _, u, _ := f.m.Agreement(a.ID); u.Calls != 2 {
		t.Fatalf("usage %+v", u)
	}
	// Without an agreement the execute is not charged to one.
	if _, err := k.Execute(ctx, agent, "increment", nil); err != nil {
		t.Fatal(err)
	}
}

// TestKernelAgreementAdmission: with the admission pre-check, an execute
// the agreement does not allow is refused before the plugin runs (a method
// that would trap is not even started).
func TestKernelAgreementAdmission(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	pub, priv, _ := ed25519.GenerateKey(nil)
	wasm, _ := os.ReadFile(filepath.Join("..", "..", "plugins", "testdata", "faults.wasm"))
	k, err := kernel.Open(f.st, kernel.WithTrustedKeys(plugins.KeySet{keys.ID(pub): pub}),
		kernel.WithAdmission(f.m.Admission(nil)), kernel.WithCommitHook(f.m.CommitHook()))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	s, _ := plugins.Sign(plugins.Manifest{Name: "faults", Version: "1.0.0", Methods: []string{"ok", "trap"}, Limits: plugins.Limits{MemoryPages: 1}}, wasm, priv)
	if _, err := k.InstallPlugin(ctx, s, wasm); err != nil {
		t.Fatal(err)
	}
	agent, _ := k.Spawn(kernel.Constraints{})
	if err := k.AttachPlugin(ctx, agent, "faults"); err != nil {
		t.Fatal(err)
	}
	a := f.agreement(t, func(tm *Terms) {
		tm.Resource, tm.Operations, tm.NotBefore, tm.NotAfter = "agent:"+string(agent), []string{"ok"}, 0, 100
		tm.Quotas = map[string]uint64{MetricCalls: 1}
	})
	if err := f.m.RegisterAgreement(a); err != nil {
		t.Fatal(err)
	}
	withA := kernel.WithAgreement(ctx, a.ID)
	var pe *kernel.PluginError
	if _, err := k.Execute(withA, agent, "trap", nil); !errors.Is(err, ErrAgreementScope) || errors.As(err, &pe) {
		t.Fatalf("trap under an agreement that does not cover it: %v (want refused before running)", err)
	}
	if _, err := k.Execute(withA, agent, "ok", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Execute(withA, agent, "ok", nil); !errors.Is(err, ErrQuotaExceeded) || !errors.Is(err, kernel.ErrPermissionDenied) || errors.As(err, &pe) {
		t.Fatalf("over quota: %v", err)
	}
	if _, err := k.Execute(ctx, agent, "ok", nil); err != nil {
		t.Fatalf("without an agreement: %v", err)
	}
}

// TestKernelAgreementStateBytes: the state_bytes quota charges the bytes
// each execute writes (OpRecord.StateWritten), in the execute's batch; an
// execute whose writes would pass the quota is refused with a QuotaError and
// leaves state, sequence and usage unchanged, while one that writes nothing
// still runs.
func TestKernelAgreementStateBytes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	pub, priv, _ := ed25519.GenerateKey(nil)
	wasm, err := os.ReadFile(filepath.Join("..", "..", "plugins", "examples", "counter", "counter.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	var k *kernel.Kernel
	f.m.clock = func() uint64 { return k.Seq() }
	k, err = kernel.Open(f.st, kernel.WithTrustedKeys(plugins.KeySet{keys.ID(pub): pub}),
		kernel.WithAuthorizer(&Authorizer{M: f.m}), kernel.WithCommitHook(f.m.CommitHook()))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	s, _ := plugins.Sign(plugins.Manifest{Name: "counter", Version: "1.0.0", Methods: []string{"increment", "get", "reset"}, Limits: plugins.Limits{MemoryPages: 1}}, wasm, priv)
	if _, err := k.InstallPlugin(ctx, s, wasm); err != nil {
		t.Fatal(err)
	}
	agent, _ := k.Spawn(kernel.Constraints{})
	if err := k.AttachPlugin(ctx, agent, "counter"); err != nil {
		t.Fatal(err)
	}
	a := f.agreement(t, func(tm *Terms) {
		tm.Resource = "agent:" + string(agent)
		tm.Operations = []string{"increment", "get"}
		tm.NotBefore, tm.NotAfter = 0, 100
		tm.Quotas = map[string]uint64{MetricStateBytes: 30} // two increments of 13 bytes ("count" + 8)
	})
	if err := f.m.RegisterAgreement(a); err != nil {
		t.Fatal(err)
	}
	withA := kernel.WithAgreement(ctx, a.ID)
	for i := 0; i < 2; i++ {
		if _, err := k.Execute(withA, agent, "increment", nil); err != nil {
			t.Fatalf("increment %d: %v", i, err)
		}
	}
	if _, _, u, _ := f.m.Agreement(a.ID); u.Calls != 2 || u.StateBytes != 26 {
		t.Fatalf("usage %+v, want 2 calls and 26 state bytes", u)
	}
	state := func() string { st, _ := k.State(agent); return fmt.Sprint(st) }
	before, seq := state(), k.Seq()
	_, err = k.Execute(withA, agent, "increment", nil)
	var qe *QuotaError
	if !errors.Is(err, ErrQuotaExceeded) || !errors.Is(err, kernel.ErrPermissionDenied) || !errors.As(err, &qe) ||
		qe.Metric != MetricStateBytes || qe.Used != 26 || qe.Estimate != 13 || qe.Quota != 30 {
		t.Fatalf("third increment: %v (%+v)", err, qe)
	}
	if state() != before || k.Seq() != seq {
		t.Fatal("the refused execute changed the state or committed an operation")
	}
	if _, _, u, _ := f.m.Agreement(a.ID); u.Calls != 2 || u.StateBytes != 26 {
		t.Fatalf("refused execute charged: %+v", u)
	}
	// Reading writes nothing, so it is still within the quota.
	if out, err := k.Execute(withA, agent, "get", nil); err != nil || string(out) != "2" {
		t.Fatalf("get: %q %v", out, err)
	}
	// VerifyAgreement refuses an estimate that would pass the quota.
	if err := f.m.VerifyAgreement(a.ID, "agent:"+string(agent), "increment", Usage{StateBytes: 5}); !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("estimate over the quota: %v", err)
	}
	if err := f.m.VerifyAgreement(a.ID, "agent:"+string(agent), "increment", Usage{StateBytes: 4}); err != nil {
		t.Fatalf("estimate within the quota: %v", err)
	}
}
