package kernel

import (
	"fmt"
	"slices"

	"github.com/mcpzero/mcpzero/internal/hostabi"
	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/plugins"
)

// Option configures Open.
type Option func(*config)

type config struct {
	engine       plugins.Engine
	cacheDir     string
	verifier     plugins.Verifier
	insecure     bool
	authorizer   Authorizer
	meter        plugins.Meter
	hooks        []CommitHook
	trusted      plugins.KeySet
	verifierSet  bool
	maxOutputLen int
	// stateCacheBytes bounds the in-memory copy of agents' sorted state.
	stateCacheBytes int64
	caps            HostCapabilities // capabilities.go
	admission       Admission        // admission.go
}

// WithStateCacheBytes bounds the memory that keeps recently used agents'
// state in key order for state-root computation (default 64 MiB; 0 turns
// the cache off and every writing execute scans the agent's state).
func WithStateCacheBytes(n int64) Option { return func(c *config) { c.stateCacheBytes = n } }

// WithEngine selects wazero's engine (default: compiler).
func WithEngine(e plugins.Engine) Option { return func(c *config) { c.engine = e } }

// WithCompilationCache keeps compiled plugins in dir across restarts.
func WithCompilationCache(dir string) Option { return func(c *config) { c.cacheDir = dir } }

// WithTrustedKeys trusts plugin signatures made by these keys (the default
// Verifier).
func WithTrustedKeys(ks plugins.KeySet) Option {
	return func(c *config) {
		for id, k := range ks {
			c.trusted[id] = k
		}
	}
}

// WithVerifier replaces the signature check of InstallPlugin (the security
// manager's key registry plugs in here).
func WithVerifier(v plugins.Verifier) Option {
	return func(c *config) { c.verifier, c.verifierSet = v, true }
}

// WithInsecureSkipVerify installs plugins without checking their signature.
// Their wasm must still match the manifest's digest when it names one. Only
// for development; the CLI prints a warning.
func WithInsecureSkipVerify() Option { return func(c *config) { c.insecure = true } }

// WithAuthorizer replaces DefaultAuthorizer.
func WithAuthorizer(a Authorizer) Option { return func(c *config) { c.authorizer = a } }

// WithMeter installs fuel metering: it instruments each module before it is
// compiled and reads the fuel each call used (recorded in OpRecord.FuelUsed).
func WithMeter(m plugins.Meter) Option { return func(c *config) { c.meter = m } }

// WithCommitHook adds a hook called, in the order added, before every
// state-changing operation's batch is written.
func WithCommitHook(h CommitHook) Option { return func(c *config) { c.hooks = append(c.hooks, h) } }

// WithMaxOutput bounds a call's output in bytes (default 1 MiB).
func WithMaxOutput(n int) Option { return func(c *config) { c.maxOutputLen = n } }

// CommitHook sees every state-changing operation just before it is written:
// b holds the operation's whole state change and its record (already put
// under its key); the hook may add writes of its own to b. An error aborts
// the operation and nothing is written. Hooks run one at a time, in sequence
// order.
type CommitHook interface {
	BeforeCommit(b *store.Batch, rec *OpRecord) error
}

// CommitHookFunc adapts a function to CommitHook.
type CommitHookFunc func(b *store.Batch, rec *OpRecord) error

// BeforeCommit calls f.
func (f CommitHookFunc) BeforeCommit(b *store.Batch, rec *OpRecord) error { return f(b, rec) }

// AttachRequest is what an Authorizer sees when a plugin is attached.
type AttachRequest struct {
	Agent       AgentID
	Constraints Constraints
	Manifest    *plugins.Manifest
	// Imports are the functions the module imports, as "module.name".
	Imports []string
}

// Authorizer decides what a plugin may do. It is consulted when a plugin is
// attached, before each execute and before each call of a kernel host
// function (log, state_*). Errors should wrap ErrPermissionDenied (or
// ErrResourceExceeded for a quota).
type Authorizer interface {
	AuthorizeAttach(req *AttachRequest) error
	AuthorizeExecute(agent AgentID, m *plugins.Manifest, method string) error
	AuthorizeHostCall(agent AgentID, m *plugins.Manifest, fn string) error
}

// DefaultAuthorizer grants every plugin exactly the host ABI (docs/ABI.md)
// and the deterministic "wasi" capability (fake clock, seeded randomness, no
// files, no network). Every other capability is refused: none exists yet.
type DefaultAuthorizer struct{}

// GrantedCapabilities are the capabilities DefaultAuthorizer grants.
var GrantedCapabilities = []string{plugins.CapabilityWASI}

// AuthorizeAttach refuses ungranted capabilities and WASI imports from a
// plugin that did not request the wasi capability.
func (DefaultAuthorizer) AuthorizeAttach(req *AttachRequest) error {
	for _, c := range req.Manifest.Capabilities {
		if !slices.Contains(GrantedCapabilities, c) {
			return fmt.Errorf("%w: plugin %s requests capability %q, which is not granted", ErrPermissionDenied, req.Manifest.ID(), c)
		}
	}
	wasi := slices.Contains(req.Manifest.Capabilities, plugins.CapabilityWASI)
	for _, imp := range req.Imports {
		if !wasi && len(imp) > len(plugins.WASIModule) && imp[:len(plugins.WASIModule)+1] == plugins.WASIModule+"." {
			return fmt.Errorf("%w: plugin %s imports %s without the %q capability", ErrPermissionDenied, req.Manifest.ID(), imp, plugins.CapabilityWASI)
		}
	}
	return nil
}

// AuthorizeExecute allows every listed method (Execute checks the listing).
func (DefaultAuthorizer) AuthorizeExecute(AgentID, *plugins.Manifest, string) error { return nil }

// AuthorizeHostCall allows the host ABI's kernel functions.
func (DefaultAuthorizer) AuthorizeHostCall(_ AgentID, m *plugins.Manifest, fn string) error {
	switch fn {
	case hostabi.FnLog, hostabi.FnStateGet, hostabi.FnStateSet, hostabi.FnStateDelete:
		return nil
	}
	return fmt.Errorf("%w: plugin %s may not call %s", ErrPermissionDenied, m.ID(), fn)
}
