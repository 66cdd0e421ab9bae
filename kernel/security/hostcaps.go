package security

import (
	"io"
	"time"

	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/plugins"
)

// DefaultHostCapabilities maps the kernel's capability host functions to
// the capability each needs (a grant of "use" on cap:<capability>).
var DefaultHostCapabilities = map[string]string{
	plugins.FnClockNow:  "clock",
	plugins.FnRandomGet: "random",
	plugins.FnHTTPGet:   CapabilityHTTP,
}

// HostCaps provides the values of the capability host functions to the
// kernel (kernel.WithHostCapabilities): the real clock, and for randomness
// the deterministic per-operation stream of RandomStream. Who may call them
// is the Authorizer's decision; the kernel records every value.
type HostCaps struct {
	M *Manager
	// Clock is the real clock (time.Now when nil).
	Clock func() time.Time
	// AllowPrivate lets http_get reach loopback and private addresses that
	// a granted host name resolves to (by default only a grant naming the
	// IP itself reaches one).
	AllowPrivate bool
}

// Now is the real time in nanoseconds since the Unix epoch.
func (h *HostCaps) Now() int64 {
	if h.Clock != nil {
		return h.Clock().UnixNano()
	}
	return time.Now().UnixNano()
}

// RandomStream is the stream of the agent's n-th execute of method.
func (h *HostCaps) RandomStream(agent kernel.AgentID, n uint64, method string) io.Reader {
	return h.M.RandomStream(string(agent), n, method)
}

var (
	_ kernel.HostCapabilities = (*HostCaps)(nil)
	_ kernel.HTTPCapability   = (*HostCaps)(nil)
	_ kernel.FileSystems      = (*Authorizer)(nil)
)
