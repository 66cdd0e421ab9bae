package kernel

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing/fstest"

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

type replayKey struct{}

// WithReplayHost returns a context under which Execute replays a recorded
// execute: its capability host functions return the recorded values (an
// ExecRecord's Host), in order, instead of asking the HostCapabilities
// provider, and files are served from the recorded reads. A call that asks
// for a different function than the record holds next fails with
// ErrReplayHost.
func WithReplayHost(ctx context.Context, values []HostValue) context.Context {
	return context.WithValue(ctx, replayKey{}, &hostReplay{values: values})
}

// ErrReplayHost: a replayed execute asked the host for something other
// than what the original execute received.
var ErrReplayHost = errors.New("replay diverged from the recorded host values")

type hostReplay struct {
	values []HostValue
	next   int
}

func replayHostFrom(ctx context.Context) *hostReplay {
	r, _ := ctx.Value(replayKey{}).(*hostReplay)
	if r == nil {
		return nil
	}
	return &hostReplay{values: r.values} // one cursor per execute
}

func (r *hostReplay) take(fn string) ([]byte, error) {
	for r.next < len(r.values) && r.values[r.next].Fn != fn && !isCapFn(r.values[r.next].Fn) {
		r.next++ // values of other sources (file reads) are served elsewhere
	}
	if r.next >= len(r.values) || r.values[r.next].Fn != fn {
		return nil, fmt.Errorf("%w: %s called, record holds %d values (next %d)", ErrReplayHost, fn, len(r.values), r.next)
	}
	v := r.values[r.next].Value
	r.next++
	return v, nil
}

// ErrReplayFileWrites: the execute had a read-write directory, so it is not
// replayed. Re-running it would either write the host's files a second
// time or serve reads after its writes that the record cannot rebuild
// exactly; the record still holds every byte it read and wrote.
var ErrReplayFileWrites = fmt.Errorf("%w: the execute had a read-write directory (fs_write), whose writes are recorded but never replayed", ErrReplayHost)

// fileSystems rebuilds a replayed execute's directories from its record:
// each recorded mount, holding the bytes the original execute read.
func (r *hostReplay) fileSystems() (wazero.FSConfig, error) {
	var mounts []string
	files := map[string][]byte{}
	for _, v := range r.values {
		switch v.Fn {
		case HostFSMountRW:
			return nil, fmt.Errorf("%w: %s", ErrReplayFileWrites, v.Value)
		case HostFSMount:
			mounts = append(mounts, string(v.Value))
		case HostFSRead:
			name, data, _ := strings.Cut(string(v.Value), "\x00")
			files[name] = append(files[name], data...)
		}
	}
	if len(mounts) == 0 {
		return nil, nil
	}
	cfg := wazero.NewFSConfig()
	for _, dir := range mounts {
		mfs := fstest.MapFS{}
		for name, data := range files {
			if rel, ok := strings.CutPrefix(name, strings.TrimSuffix(dir, "/")+"/"); ok {
				mfs[rel] = &fstest.MapFile{Data: data, Mode: 0o444}
			}
		}
		cfg = cfg.WithFSMount(mfs, dir)
	}
	return cfg, nil
}

func isCapFn(fn string) bool {
	return fn == plugins.FnClockNow || fn == plugins.FnRandomGet || fn == plugins.FnHTTPGet
}

// ClockNow implements plugins.CapabilityEnv.
func (e *callEnv) ClockNow() (int64, error) {
	if e.replay != nil {
		v, err := e.replay.take(plugins.FnClockNow)
		if err != nil {
			return 0, err
		}
		e.host = append(e.host, HostValue{Fn: plugins.FnClockNow, Value: v})
		var n int64
		_, err = fmt.Sscan(string(v), &n)
		return n, err
	}
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
	if e.replay != nil {
		v, err := e.replay.take(plugins.FnRandomGet)
		if err != nil {
			return nil, err
		}
		if uint32(len(v)) != n {
			return nil, fmt.Errorf("%w: random_get of %d bytes, recorded %d", ErrReplayHost, n, len(v))
		}
		e.host = append(e.host, HostValue{Fn: plugins.FnRandomGet, Value: v})
		return v, nil
	}
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

// Names of the recorded values of files: each mounted directory (read-only
// or read-write), then "path\x00bytes" for each read and each write.
const (
	HostFSMount   = "fs_mount"
	HostFSMountRW = "fs_mount_rw"
	HostFSRead    = "fs_read"
	HostFSWrite   = "fs_write"
)

func (k *Kernel) fileSystems(id AgentID, m *plugins.Manifest, e *callEnv) (wazero.FSConfig, error) {
	if e.replay != nil {
		return e.replay.fileSystems()
	}
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
	if e.replay != nil {
		v, err := e.replay.take(plugins.FnHTTPGet)
		if err != nil {
			return 0, nil, err
		}
		prefix := url + "\x00"
		if len(v) < len(prefix)+4 || string(v[:len(prefix)]) != prefix {
			return 0, nil, fmt.Errorf("%w: http_get of %q, recorded another URL", ErrReplayHost, url)
		}
		e.host = append(e.host, HostValue{Fn: plugins.FnHTTPGet, Value: v})
		rest := v[len(prefix):]
		return int(binary.BigEndian.Uint32(rest)), rest[4:], nil
	}
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
