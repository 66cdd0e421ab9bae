package security

import (
	"context"
	"fmt"
	"strings"

	"github.com/mcpzero/mcpzero/internal/hostabi"
	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/plugins"
)

// OpUse is the operation a manifest capability needs on cap:<capability>.
const OpUse = "use"

// CapabilityResource is the resource a manifest capability needs a grant
// on: cap:<capability>.
func CapabilityResource(capability string) string { return KindCap + ":" + capability }

// Authorizer is the kernel.Authorizer of the security manager. At attach
// time every capability the plugin's manifest requests, except the
// deterministic "wasi", needs a grant of "use" on cap:<capability> to the
// agent; a host call of a capability function needs the same grant (and the
// manifest's request); the kernel ABI's log and state functions act on the
// agent's own state and are always allowed. With RequirePluginGrants,
// attaching and executing a plugin also need grants of "attach" and
// "execute" on plugin:<name>.
type Authorizer struct {
	M                   *Manager
	RequirePluginGrants bool
	// HostCapabilities maps a host function name to the capability it
	// needs (nil: DefaultHostCapabilities).
	HostCapabilities map[string]string

	roots rootCache // files.go
}

var _ kernel.Authorizer = (*Authorizer)(nil)

func denied(err error) error { return fmt.Errorf("%w: %w", kernel.ErrPermissionDenied, err) }

// AuthorizeAttach implements kernel.Authorizer.
func (a *Authorizer) AuthorizeAttach(req *kernel.AttachRequest) error {
	m := req.Manifest
	agent := string(req.Agent)
	if a.RequirePluginGrants {
		if err := a.M.CheckPermission(agent, KindPlugin+":"+m.Name, OpAttach); err != nil {
			return denied(err)
		}
	}
	wasi := false
	for _, c := range m.Capabilities {
		if c == plugins.CapabilityWASI {
			wasi = true // deterministic: fake clock, seeded randomness, no files
			continue
		}
		if err := a.M.CheckPermission(agent, CapabilityResource(c), OpUse); err != nil {
			return denied(fmt.Errorf("plugin %s requests capability %q: %w", m.ID(), c, err))
		}
	}
	for _, imp := range req.Imports {
		if !wasi && strings.HasPrefix(imp, plugins.WASIModule+".") {
			return denied(fmt.Errorf("plugin %s imports %s without the %q capability", m.ID(), imp, plugins.CapabilityWASI))
		}
	}
	return nil
}

// AuthorizeExecute implements kernel.Authorizer.
func (a *Authorizer) AuthorizeExecute(agent kernel.AgentID, m *plugins.Manifest, method string) error {
	if !a.RequirePluginGrants {
		return nil
	}
	if err := a.M.CheckPermission(string(agent), KindPlugin+":"+m.Name, OpExecute); err != nil {
		return denied(err)
	}
	return nil
}

// AuthorizeHostCall implements kernel.Authorizer.
func (a *Authorizer) AuthorizeHostCall(agent kernel.AgentID, m *plugins.Manifest, fn string) error {
	switch fn {
	case hostabi.FnLog, hostabi.FnStateGet, hostabi.FnStateSet, hostabi.FnStateDelete:
		return nil
	}
	caps := a.HostCapabilities
	if caps == nil {
		caps = DefaultHostCapabilities
	}
	c, ok := caps[fn]
	if !ok {
		return denied(fmt.Errorf("plugin %s may not call %s: no capability provides it", m.ID(), fn))
	}
	requested := false
	for _, mc := range m.Capabilities {
		requested = requested || mc == c
	}
	if !requested {
		return denied(fmt.Errorf("plugin %s calls %s without requesting capability %q", m.ID(), fn, c))
	}
	if err := a.M.CheckPermission(string(agent), CapabilityResource(c), OpUse); err != nil {
		return denied(err)
	}
	return nil
}

// PublisherKeys returns the registered keys with the publisher role, the
// keys whose plugin signatures the kernel should trust.
func (m *Manager) PublisherKeys() plugins.KeySet {
	return plugins.KeySet(m.KeysWithRole(RolePublisher))
}

// CommitHook returns the kernel commit hook that checks and charges the
// agreement an execute names (kernel.WithAgreement) in the execute's own
// batch: resource agent:<agent>, operation the method, usage one call, its
// fuel and the state bytes it wrote (OpRecord.StateWritten), at the
// execute's sequence number. Any failed check (a QuotaError when the usage
// would pass a quota) aborts the execute with nothing written.
func (m *Manager) CommitHook() kernel.CommitHook {
	return kernel.CommitHookFunc(func(b *store.Batch, rec *kernel.OpRecord) error {
		if rec.Kind != kernel.OpExecute || rec.Agreement == "" {
			return nil
		}
		err := m.RecordUsageAt(b, rec.Agreement, KindAgent+":"+string(rec.Agent), rec.Method,
			Usage{Calls: 1, Fuel: rec.FuelUsed, StateBytes: rec.StateWritten}, rec.Seq)
		if err != nil {
			return fmt.Errorf("%w: %w", kernel.ErrPermissionDenied, err)
		}
		return nil
	})
}

// Admission wraps the kernel's admission control (next may be nil): an
// execute that names an agreement (kernel.WithAgreement) is refused before
// it runs unless VerifyAgreement allows one more call of its method on
// agent:<agent> now. The fuel and the final usage are checked again, with
// the actual values, by CommitHook.
func (m *Manager) Admission(next kernel.Admission) kernel.Admission {
	return agreementAdmission{m: m, next: next}
}

type agreementAdmission struct {
	m    *Manager
	next kernel.Admission
}

func (a agreementAdmission) Admit(ctx context.Context, agent kernel.AgentID, method string, c kernel.Constraints) (func(uint64, error), error) {
	if id := kernel.AgreementFrom(ctx); id != "" {
		if err := a.m.VerifyAgreement(id, KindAgent+":"+string(agent), method, Usage{Calls: 1}); err != nil {
			return nil, denied(err)
		}
	}
	if a.next == nil {
		return func(uint64, error) {}, nil
	}
	return a.next.Admit(ctx, agent, method, c)
}
