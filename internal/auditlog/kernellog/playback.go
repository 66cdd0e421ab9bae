package kernellog

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/plugins"
)

// playback is the replay kernel's HostCapabilities: it gives each execute
// the nondeterministic values (clock, random bytes, HTTP responses) the
// original call received, from its ExecRecord, in order. A call that asks
// for a value the original did not receive gets an error, and its
// execute diverges.
type playback struct {
	mu     sync.Mutex
	values []kernel.HostValue
}

var (
	_ kernel.HostCapabilities = (*playback)(nil)
	_ kernel.HTTPCapability   = (*playback)(nil)
)

// load sets the values of the next execute.
func (p *playback) load(v []kernel.HostValue) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.values = append([]kernel.HostValue(nil), v...)
}

// next removes and returns the first remaining value of function fn.
func (p *playback) next(fn string) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, v := range p.values {
		if v.Fn == fn {
			p.values = append(p.values[:i:i], p.values[i+1:]...)
			return v.Value, true
		}
	}
	return nil, false
}

// Now replays the next recorded clock value (0 when none was recorded,
// which makes the execute diverge visibly).
func (p *playback) Now() int64 {
	v, ok := p.next(plugins.FnClockNow)
	if !ok {
		return 0
	}
	n, _ := strconv.ParseInt(string(v), 10, 64)
	return n
}

// RandomStream replays the random bytes the call read, in order.
func (p *playback) RandomStream(kernel.AgentID, uint64, string) io.Reader {
	var all []byte
	for {
		v, ok := p.next(plugins.FnRandomGet)
		if !ok {
			break
		}
		all = append(all, v...)
	}
	return bytes.NewReader(all)
}

// HTTPGet replays the recorded response to the same URL.
func (p *playback) HTTPGet(_ context.Context, _ kernel.AgentID, url string) (int, []byte, error) {
	v, ok := p.next(plugins.FnHTTPGet)
	if !ok {
		return 0, nil, fmt.Errorf("%w: the logged execute made no further http_get", ErrCannotReplay)
	}
	u, rest, found := bytes.Cut(v, []byte{0})
	if !found || len(rest) < 4 {
		return 0, nil, fmt.Errorf("%w: malformed recorded http_get", ErrCannotReplay)
	}
	if string(u) != url {
		return 0, nil, fmt.Errorf("replay requested %q, the logged execute %q", url, u)
	}
	return int(binary.BigEndian.Uint32(rest[:4])), rest[4:], nil
}
