package kernel

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/tetratelabs/wazero"

	"github.com/mcpzero/mcpzero/plugins"
)

// HostCapabilities provides the values of the capability-gated host
// functions (plugins.FnClockNow, plugins.FnRandomGet). The Authorizer
// decides who may call them; the kernel records every value a call
// receives in its ExecRecord (Host), so that a replay reproduces it.
type HostCapabilities interface {
	// Now is the real time in nanoseconds since the Unix epoch.
	Now() int64
	// RandomStream is the random stream of one execute: n is the agent's
	// execute number (AgentInfo.Executes after it), method the method.
	RandomStream(agent AgentID, n uint64, method string) io.Reader
}

// WithHostCapabilities installs the provider of clock_now and random_get.
// Without it those functions trap.
func WithHostCapabilities(h HostCapabilities) Option { return func(c *config) { c.caps = h } }

// HostValue is one nondeterministic value a call received.
type HostValue struct {
	Fn    string `json:"fn"`
	Value []byte `json:"value"`
}

// ClockNow implements plugins.CapabilityEnv.
func (e *callEnv) ClockNow() (int64, error) {
	if e.k.cfg.caps == nil {
		return 0, fmt.Errorf("%w: %s", plugins.ErrNoEnv, plugins.FnClockNow)
	}
	v := e.k.cfg.caps.Now()
	e.host = append(e.host, HostValue{Fn: plugins.FnClockNow, Value: []byte(fmt.Sprint(v))})
	return v, nil
}

// RandomBytes implements plugins.CapabilityEnv: the next n bytes of the
// call's stream.
func (e *callEnv) RandomBytes(n uint32) ([]byte, error) {
	if e.k.cfg.caps == nil {
		return nil, fmt.Errorf("%w: %s", plugins.ErrNoEnv, plugins.FnRandomGet)
	}
	if e.rnd == nil {
		e.rnd = e.k.cfg.caps.RandomStream(e.agent, e.execN, e.method)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(e.rnd, b); err != nil {
		return nil, err
	}
	e.host = append(e.host, HostValue{Fn: plugins.FnRandomGet, Value: b})
	return b, nil
}

// FileSystems is implemented by an Authorizer that grants files: it
// returns one call's WASI file system (nil: none), and the file systems it
// builds report every file content the call reads through record, which the
// kernel keeps in the ExecRecord (Host) for replay.
type FileSystems interface {
	FS(agent AgentID, m *plugins.Manifest, record func(HostValue)) (wazero.FSConfig, error)
}

func (k *Kernel) fileSystems(id AgentID, m *plugins.Manifest, e *callEnv) (wazero.FSConfig, error) {
	fsys, ok := k.auth.(FileSystems)
	if !ok {
		return nil, nil
	}
	return fsys.FS(id, m, func(v HostValue) { e.host = append(e.host, v) })
}

// HTTPCapability is implemented by a HostCapabilities that provides
// http_get: it checks the destination against the agent's grants and
// performs the request (status 0: the request failed).
type HTTPCapability interface {
	HTTPGet(ctx context.Context, agent AgentID, url string) (status int, body []byte, err error)
}

// HTTPGet implements plugins.HTTPEnv; the response (status and body) is
// recorded.
func (e *callEnv) HTTPGet(ctx context.Context, url string) (int, []byte, error) {
	h, ok := e.k.cfg.caps.(HTTPCapability)
	if !ok {
		return 0, nil, fmt.Errorf("%w: %s", plugins.ErrNoEnv, plugins.FnHTTPGet)
	}
	status, body, err := h.HTTPGet(ctx, e.agent, url)
	if err != nil {
		return 0, nil, err
	}
	v := binary.BigEndian.AppendUint32([]byte(url+"\x00"), uint32(status))
	e.host = append(e.host, HostValue{Fn: plugins.FnHTTPGet, Value: append(v, body...)})
	return status, body, nil
}
