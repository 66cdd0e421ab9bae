package kernel

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/tetratelabs/wazero"

	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/plugins"
)

// The tests of capabilities.go run kernel/testdata/hostcaps.wat, which calls
// every capability-gated host function and reads a WASI file, under a test
// authorizer that grants them all (allowAll, extensions_test.go).

// hostcapsPlugin signs kernel/testdata/hostcaps.wasm.
func hostcapsPlugin(t testing.TB) (*plugins.Signed, []byte) {
	t.Helper()
	wasm := readFile(t, filepath.Join("testdata", "hostcaps.wasm"))
	s, err := plugins.Sign(plugins.Manifest{Name: "hostcaps", Version: "0.1.0",
		Methods:      []string{"clock", "random", "http", "read"},
		Capabilities: []string{plugins.CapabilityWASI}, Limits: plugins.Limits{MemoryPages: 1}}, wasm, testPriv)
	if err != nil {
		t.Fatal(err)
	}
	return s, wasm
}

// hostcapsKernel opens a kernel with hostcaps installed.
func hostcapsKernel(t testing.TB, opts ...Option) *Kernel {
	t.Helper()
	k := newKernel(t, store.OpenMemory(), opts...)
	s, w := hostcapsPlugin(t)
	install(t, k, s, w)
	return k
}

// hostcapsAgent spawns a fresh agent (its first execute is number 1) with
// hostcaps attached.
func hostcapsAgent(t testing.TB, k *Kernel) AgentID {
	t.Helper()
	id, err := k.Spawn(Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.AttachPlugin(ctx, id, "hostcaps"); err != nil {
		t.Fatal(err)
	}
	return id
}

// httpCaps is fixedCaps (clock 1234567890, random stream n,2,3,4,5,6) that
// also provides http_get with a fixed response, and remembers the URLs.
type httpCaps struct {
	fixedCaps
	status int
	body   []byte
	err    error
	urls   *[]string
}

func (h httpCaps) HTTPGet(_ context.Context, _ AgentID, url string) (int, []byte, error) {
	*h.urls = append(*h.urls, url)
	return h.status, h.body, h.err
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// httpValue is the recorded value of an http_get: URL, NUL, status
// (4 bytes big-endian), body.
func httpValue(url string, status uint32, body string) []byte {
	return append(binary.BigEndian.AppendUint32([]byte(url+"\x00"), status), body...)
}

var errUpstream = errors.New("upstream unreachable")

// TestCapabilitiesLive: each capability function returns the
// HostCapabilities provider's value to the plugin and the value is recorded
// in the ExecRecord, in the form a replay serves it back.
func TestCapabilitiesLive(t *testing.T) {
	const url = "https://example.test/ping"
	cases := []struct {
		name         string
		caps         httpCaps
		method       string
		input        []byte
		want         []byte
		wantHost     []HostValue
		wantErr      error
		wantRequests int
	}{
		{name: "clock", method: "clock", want: le64(1234567890),
			wantHost: []HostValue{{Fn: plugins.FnClockNow, Value: []byte("1234567890")}}},
		// fixedCaps' stream starts with the execute number (1 for a fresh agent).
		{name: "random", method: "random", input: make([]byte, 6), want: []byte{1, 2, 3, 4, 5, 6},
			wantHost: []HostValue{{Fn: plugins.FnRandomGet, Value: []byte{1, 2, 3, 4, 5, 6}}}},
		{name: "random zero bytes", method: "random", want: []byte{},
			wantHost: []HostValue{{Fn: plugins.FnRandomGet, Value: []byte{}}}},
		{name: "http ok", caps: httpCaps{status: 200, body: []byte("pong")}, method: "http", input: []byte(url),
			want: append(le32(4), "pong"...), wantHost: []HostValue{{Fn: plugins.FnHTTPGet, Value: httpValue(url, 200, "pong")}},
			wantRequests: 1},
		{name: "http not found", caps: httpCaps{status: 404, body: []byte("nope")}, method: "http", input: []byte(url),
			want: le32(uint32(0xFFFFFFFF - 404 + 1)), wantHost: []HostValue{{Fn: plugins.FnHTTPGet, Value: httpValue(url, 404, "nope")}},
			wantRequests: 1},
		{name: "http request failed", caps: httpCaps{status: 0}, method: "http", input: []byte(url),
			want: le32(0xFFFFFFFF), wantHost: []HostValue{{Fn: plugins.FnHTTPGet, Value: httpValue(url, 0, "")}},
			wantRequests: 1},
		{name: "http refused", caps: httpCaps{err: errUpstream}, method: "http", input: []byte(url),
			wantErr: errUpstream, wantRequests: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var urls []string
			c.caps.urls = &urls
			k := hostcapsKernel(t, WithAuthorizer(allowAll{}), WithHostCapabilities(c.caps))
			id := hostcapsAgent(t, k)
			r, err := k.ExecuteDetailed(ctx, id, c.method, c.input)
			if len(urls) != c.wantRequests || (c.wantRequests > 0 && urls[0] != url) {
				t.Fatalf("http requests %q, want %d of %q", urls, c.wantRequests, url)
			}
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) || !errors.Is(err, ErrPluginFailed) {
					t.Fatalf("err %v, want %v and ErrPluginFailed", err, c.wantErr)
				}
				if info, _ := k.Inspect(id); info.Executes != 0 {
					t.Fatalf("failed execute counted: %d executes", info.Executes)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(r.Output, c.want) {
				t.Fatalf("output %x, want %x", r.Output, c.want)
			}
			x, err := k.ExecRecord(r.Record.Seq)
			if err != nil {
				t.Fatal(err)
			}
			if !hostValuesEqual(x.Host, c.wantHost) {
				t.Fatalf("recorded host values %q, want %q", x.Host, c.wantHost)
			}
		})
	}
}

func hostValuesEqual(a, b []HostValue) bool {
	return slices.EqualFunc(a, b, func(x, y HostValue) bool { return x.Fn == y.Fn && bytes.Equal(x.Value, y.Value) })
}

// TestCapabilitiesUnavailable: without a provider (or one that does not
// offer HTTP) the capability functions trap with plugins.ErrNoEnv, even
// when the authorizer grants them; nothing is committed.
func TestCapabilitiesUnavailable(t *testing.T) {
	cases := []struct {
		name   string
		opts   []Option
		method string
		input  []byte
	}{
		{"clock without provider", nil, "clock", nil},
		{"random without provider", nil, "random", []byte{0, 0}},
		{"http without provider", nil, "http", []byte("https://example.test/")},
		{"http from a provider without HTTPCapability", []Option{WithHostCapabilities(fixedCaps{})}, "http", []byte("https://example.test/")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := hostcapsKernel(t, append([]Option{WithAuthorizer(allowAll{})}, c.opts...)...)
			id := hostcapsAgent(t, k)
			_, err := k.Execute(ctx, id, c.method, c.input)
			var pe *PluginError
			if !errors.Is(err, plugins.ErrNoEnv) || !errors.As(err, &pe) || pe.Method != c.method {
				t.Fatalf("err %v, want a PluginError of %s wrapping ErrNoEnv", err, c.method)
			}
			if info, _ := k.Inspect(id); info.Executes != 0 {
				t.Fatalf("failed execute counted: %d executes", info.Executes)
			}
		})
	}
}

// TestReplayHost: an execute replayed under WithReplayHost gets the values
// the original received, on a kernel with no provider at all, and records
// them again; a replay that asks for anything else fails with ErrReplayHost.
func TestReplayHost(t *testing.T) {
	const url = "https://example.test/data"
	var urls []string
	live := hostcapsKernel(t, WithAuthorizer(allowAll{}),
		WithHostCapabilities(httpCaps{status: 200, body: []byte("payload"), urls: &urls}))
	replay := hostcapsKernel(t, WithAuthorizer(allowAll{})) // no HostCapabilities
	for _, c := range []struct {
		method string
		input  []byte
	}{
		{"clock", nil},
		{"random", make([]byte, 5)},
		{"http", []byte(url)},
	} {
		t.Run(c.method, func(t *testing.T) {
			id := hostcapsAgent(t, live)
			r, err := live.ExecuteDetailed(ctx, id, c.method, c.input)
			if err != nil {
				t.Fatal(err)
			}
			x, err := live.ExecRecord(r.Record.Seq)
			if err != nil || len(x.Host) != 1 {
				t.Fatalf("record %+v %v", x, err)
			}
			rctx := WithReplayHost(ctx, x.Host)
			rid := hostcapsAgent(t, replay)
			// Twice under the same context: each execute has its own cursor.
			for i := range 2 {
				rr, err := replay.ExecuteDetailed(rctx, rid, c.method, c.input)
				if err != nil {
					t.Fatalf("replay %d: %v", i, err)
				}
				if !bytes.Equal(rr.Output, r.Output) || rr.Record.Output != r.Record.Output {
					t.Fatalf("replay %d output %x, original %x", i, rr.Output, r.Output)
				}
				rx, err := replay.ExecRecord(rr.Record.Seq)
				if err != nil || !hostValuesEqual(rx.Host, x.Host) {
					t.Fatalf("replay %d recorded %q, original %q (%v)", i, rx.Host, x.Host, err)
				}
			}
		})
	}
	if len(urls) != 1 {
		t.Fatalf("the replay made HTTP requests: %q", urls)
	}

	clock := func(v string) HostValue { return HostValue{Fn: plugins.FnClockNow, Value: []byte(v)} }
	random := func(b ...byte) HostValue { return HostValue{Fn: plugins.FnRandomGet, Value: b} }
	diverged := []struct {
		name    string
		method  string
		input   []byte
		values  []HostValue
		wantErr error
	}{
		{"clock, record empty", "clock", nil, nil, ErrReplayHost},
		{"clock, record holds random", "clock", nil, []HostValue{random(1, 2)}, ErrReplayHost},
		{"clock, record exhausted", "clock", nil, []HostValue{{Fn: HostFSRead, Value: []byte("/d/f\x00x")}}, ErrReplayHost},
		{"clock, recorded value not a number", "clock", nil, []HostValue{clock("noon")}, ErrPluginFailed},
		{"random, record holds clock", "random", []byte{0}, []HostValue{clock("1")}, ErrReplayHost},
		{"random, other length", "random", make([]byte, 4), []HostValue{random(1, 2, 3)}, ErrReplayHost},
		{"http, record holds clock", "http", []byte(url), []HostValue{clock("1")}, ErrReplayHost},
		{"http, other URL", "http", []byte(url), []HostValue{{Fn: plugins.FnHTTPGet, Value: httpValue(url+"/x", 200, "")}}, ErrReplayHost},
		{"http, truncated record", "http", []byte(url), []HostValue{{Fn: plugins.FnHTTPGet, Value: []byte(url + "\x00\x00\x00")}}, ErrReplayHost},
	}
	for _, c := range diverged {
		t.Run(c.name, func(t *testing.T) {
			id := hostcapsAgent(t, replay)
			_, err := replay.Execute(WithReplayHost(ctx, c.values), id, c.method, c.input)
			if !errors.Is(err, c.wantErr) || !errors.Is(err, ErrPluginFailed) {
				t.Fatalf("err %v, want %v", err, c.wantErr)
			}
			if info, _ := replay.Inspect(id); info.Executes != 0 {
				t.Fatalf("diverged replay committed: %d executes", info.Executes)
			}
		})
	}

	// Values of other sources (file reads) before the clock's are skipped.
	id := hostcapsAgent(t, replay)
	out, err := replay.Execute(WithReplayHost(ctx, []HostValue{{Fn: HostFSRead, Value: []byte("/d/f\x00x")}, clock("42")}), id, "clock", nil)
	if err != nil || !bytes.Equal(out, le64(42)) {
		t.Fatalf("clock after a file value: %x %v", out, err)
	}
}

// fsAuth is allowAll that also grants files: every call sees fsys mounted
// at dir, read-only, and each read is reported to record, as
// kernel/security's Authorizer does.
type fsAuth struct {
	allowAll
	dir  string
	fsys fs.FS
	err  error
	// manifests sees the plugin each FS call was for.
	manifests *[]string
}

func (a fsAuth) FS(_ AgentID, m *plugins.Manifest, record func(HostValue)) (wazero.FSConfig, error) {
	*a.manifests = append(*a.manifests, m.ID())
	if a.err != nil {
		return nil, a.err
	}
	record(HostValue{Fn: HostFSMount, Value: []byte(a.dir)})
	return wazero.NewFSConfig().WithFSMount(recordingFS{a.fsys, a.dir, record}, a.dir), nil
}

type recordingFS struct {
	fs.FS
	dir    string
	record func(HostValue)
}

func (r recordingFS) Open(name string) (fs.File, error) {
	f, err := r.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return recordingFile{f, path.Join(r.dir, name), r.record}, nil
}

type recordingFile struct {
	fs.File
	name   string
	record func(HostValue)
}

func (f recordingFile) Read(p []byte) (int, error) {
	n, err := f.File.Read(p)
	if n > 0 {
		f.record(HostValue{Fn: HostFSRead, Value: append([]byte(f.name+"\x00"), p[:n]...)})
	}
	return n, err
}

// readOutput splits hostcaps' "read" output: time, path_open's errno, the
// file's bytes.
func readOutput(t *testing.T, out []byte) (uint64, uint32, []byte) {
	t.Helper()
	if len(out) < 12 {
		t.Fatalf("read output %x too short", out)
	}
	return binary.LittleEndian.Uint64(out), binary.LittleEndian.Uint32(out[8:]), out[12:]
}

// TestFileSystems: an Authorizer that implements FileSystems gives the call
// its files, the kernel records the mount and every read (before the later
// clock value), and a replay serves the files from the record alone; an
// FS error refuses the execute with ErrPermissionDenied; without
// FileSystems the plugin has no directory.
func TestFileSystems(t *testing.T) {
	files := fstest.MapFS{"hello.txt": {Data: []byte("hello, plugin")}}
	var seen []string
	k := hostcapsKernel(t, WithAuthorizer(fsAuth{dir: "/data", fsys: files, manifests: &seen}), WithHostCapabilities(fixedCaps{}))
	id := hostcapsAgent(t, k)
	r, err := k.ExecuteDetailed(ctx, id, "read", []byte("hello.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if now, errno, data := readOutput(t, r.Output); now != 1234567890 || errno != 0 || string(data) != "hello, plugin" {
		t.Fatalf("read: time %d errno %d data %q", now, errno, data)
	}
	if !slices.Equal(seen, []string{"hostcaps@0.1.0"}) {
		t.Fatalf("FS called for %q", seen)
	}
	x, err := k.ExecRecord(r.Record.Seq)
	if err != nil {
		t.Fatal(err)
	}
	want := []HostValue{{Fn: HostFSMount, Value: []byte("/data")},
		{Fn: HostFSRead, Value: []byte("/data/hello.txt\x00hello, plugin")},
		{Fn: plugins.FnClockNow, Value: []byte("1234567890")}}
	if !hostValuesEqual(x.Host, want) {
		t.Fatalf("recorded %q, want %q", x.Host, want)
	}
	// A file the mount does not hold: path_open fails inside the plugin.
	r2, err := k.ExecuteDetailed(ctx, id, "read", []byte("missing.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if _, errno, data := readOutput(t, r2.Output); errno == 0 || len(data) != 0 {
		t.Fatalf("missing file: errno %d data %q", errno, data)
	}

	t.Run("replay from the record", func(t *testing.T) {
		// The replaying kernel has neither FileSystems nor a clock.
		rk := hostcapsKernel(t, WithAuthorizer(allowAll{}))
		rid := hostcapsAgent(t, rk)
		out, err := rk.Execute(WithReplayHost(ctx, x.Host), rid, "read", []byte("hello.txt"))
		if err != nil || !bytes.Equal(out, r.Output) {
			t.Fatalf("replay %q %v, original %q", out, err, r.Output)
		}
	})

	t.Run("replay of several mounts and split reads", func(t *testing.T) {
		rk := hostcapsKernel(t, WithAuthorizer(allowAll{}))
		values := []HostValue{
			{Fn: HostFSMount, Value: []byte("/a")}, {Fn: HostFSMount, Value: []byte("/b/")},
			{Fn: HostFSRead, Value: []byte("/a/x.txt\x00hel")}, {Fn: HostFSRead, Value: []byte("/a/x.txt\x00lo")},
			{Fn: HostFSRead, Value: []byte("/b/y.txt\x00world")},
			{Fn: plugins.FnClockNow, Value: []byte("7")},
		}
		cases := []struct {
			file      string
			wantErrno bool
			want      string
		}{
			{"x.txt", false, "hello"}, // the first mount is fd 3; its reads are joined in order
			{"y.txt", true, ""},       // recorded under /b, not under /a
		}
		for _, c := range cases {
			rid := hostcapsAgent(t, rk)
			out, err := rk.Execute(WithReplayHost(ctx, values), rid, "read", []byte(c.file))
			if err != nil {
				t.Fatal(err)
			}
			now, errno, data := readOutput(t, out)
			if now != 7 || (errno != 0) != c.wantErrno || string(data) != c.want {
				t.Fatalf("%s: time %d errno %d data %q", c.file, now, errno, data)
			}
		}
	})

	t.Run("replay of a read-write mount is refused", func(t *testing.T) {
		rk := hostcapsKernel(t, WithAuthorizer(allowAll{}))
		rid := hostcapsAgent(t, rk)
		values := []HostValue{{Fn: HostFSMountRW, Value: []byte("/rw")}, {Fn: HostFSWrite, Value: []byte("/rw/x\x00data")},
			{Fn: plugins.FnClockNow, Value: []byte("7")}}
		_, err := rk.Execute(WithReplayHost(ctx, values), rid, "read", []byte("x"))
		if !errors.Is(err, ErrReplayFileWrites) || !errors.Is(err, ErrReplayHost) || errors.Is(err, ErrPermissionDenied) {
			t.Fatalf("err %v, want ErrReplayFileWrites (not a permission error)", err)
		}
		if info, _ := rk.Inspect(rid); info.Executes != 0 {
			t.Fatalf("refused replay counted: %d executes", info.Executes)
		}
	})

	t.Run("FS refuses", func(t *testing.T) {
		errNoDir := errors.New("directory not granted")
		var seen []string
		k := hostcapsKernel(t, WithAuthorizer(fsAuth{err: errNoDir, manifests: &seen}), WithHostCapabilities(fixedCaps{}))
		id := hostcapsAgent(t, k)
		_, err := k.Execute(ctx, id, "read", []byte("hello.txt"))
		if !errors.Is(err, ErrPermissionDenied) || !errors.Is(err, errNoDir) || len(seen) != 1 {
			t.Fatalf("err %v (FS calls %q), want ErrPermissionDenied wrapping the FS error", err, seen)
		}
		if info, _ := k.Inspect(id); info.Executes != 0 {
			t.Fatalf("refused execute counted: %d executes", info.Executes)
		}
	})

	t.Run("no FileSystems", func(t *testing.T) {
		k := hostcapsKernel(t, WithAuthorizer(allowAll{}), WithHostCapabilities(fixedCaps{}))
		id := hostcapsAgent(t, k)
		r, err := k.ExecuteDetailed(ctx, id, "read", []byte("hello.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if _, errno, data := readOutput(t, r.Output); errno == 0 || len(data) != 0 {
			t.Fatalf("no directory expected: errno %d data %q", errno, data)
		}
		x, err := k.ExecRecord(r.Record.Seq)
		if err != nil || len(x.Host) != 1 || x.Host[0].Fn != plugins.FnClockNow {
			t.Fatalf("recorded %q %v, want only the clock", x.Host, err)
		}
	})
}

var _ io.Reader = recordingFile{}
