package kernel

import (
	"errors"
	"fmt"

	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/plugins"
)

// Errors of the kernel API. Every error the kernel returns wraps one of these
// (test with errors.Is); plugin failures are also a *PluginError (errors.As).
var (
	// ErrNotFound: no such agent, plugin, method, snapshot or record.
	ErrNotFound = errors.New("not found")
	// ErrResourceExceeded: a constraint was hit (memory pages, state bytes,
	// wall-clock deadline, fuel).
	ErrResourceExceeded = errors.New("resource exceeded")
	// ErrPermissionDenied: the Authorizer refused an attach, an execute or a
	// host call.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrInvalidSignature: a plugin is unsigned, tampered with or signed by
	// an untrusted key (the same value as plugins.ErrInvalidSignature).
	ErrInvalidSignature = plugins.ErrInvalidSignature
	// ErrInvalidPlugin: malformed wasm or manifest, a missing export, an
	// import the host does not provide.
	ErrInvalidPlugin = errors.New("invalid plugin")
	// ErrPluginFailed: the plugin trapped or broke the host ABI during a call.
	ErrPluginFailed = errors.New("plugin failed")
	// ErrTerminated: the agent was terminated.
	ErrTerminated = errors.New("agent terminated")
	// ErrConflict: the operation conflicts with existing state (a plugin
	// already attached, a plugin still in use, an ambiguous method).
	ErrConflict = errors.New("conflict")
	// ErrInvalidArgument: a malformed argument (constraints, ids).
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrClosed: the kernel was closed.
	ErrClosed = errors.New("kernel closed")
	// ErrCorrupted: stored data fails its integrity check (the same value as
	// store.ErrCorrupted).
	ErrCorrupted = store.ErrCorrupted
)

// PluginError is the error of a call that failed inside a plugin: a trap, a
// broken ABI rule, a resource limit hit during the call. Nothing the call
// did to the agent's state is kept.
type PluginError struct {
	Agent  AgentID
	Plugin string // name@version
	Method string
	// Err is the cause: the trap as wazero reports it, or a host error.
	Err error
}

func (e *PluginError) Error() string {
	return fmt.Sprintf("agent %s: plugin %s: method %s failed: %v", e.Agent, e.Plugin, e.Method, e.Err)
}

// Unwrap makes errors.Is match ErrPluginFailed and the cause's chain (for
// example ErrResourceExceeded for a deadline or memory limit).
func (e *PluginError) Unwrap() []error { return []error{ErrPluginFailed, e.Err} }
