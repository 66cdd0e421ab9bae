package kernellog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/mcpzero/mcpzero/internal/auditlog"
	"github.com/mcpzero/mcpzero/internal/auditlog/storelog"
	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/plugins"
)

// liveCaps is a clock that moves and a random stream that differs per
// call: values a replay cannot recompute, only play back.
type liveCaps struct{ t *int64 }

func (c liveCaps) Now() int64 { *c.t += 1000; return *c.t }
func (c liveCaps) RandomStream(_ kernel.AgentID, n uint64, _ string) io.Reader {
	return bytes.NewReader([]byte{byte(n), byte(n * 7), byte(n * 13), byte(n * 31), 9, 9})
}

func TestReplayPlaysBackHostValues(t *testing.T) {
	dir := t.TempDir()
	signer, _, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	st := store.OpenMemory()
	defer st.Close()
	ws := storelog.Wrap(st, storelog.New(st, storelog.WithSigner(signer)))
	clock := int64(5_000_000)
	k, err := kernel.Open(ws, kernel.WithInsecureSkipVerify(), kernel.WithCommitHook(Hook()),
		kernel.WithAuthorizer(allowAll{}), kernel.WithHostCapabilities(liveCaps{&clock}))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	wasm, err := os.ReadFile(filepath.Join("..", "..", "..", "plugins", "testdata", "caps.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	m := plugins.Manifest{Name: "caps", Version: "0.1.0", Methods: []string{"both"}, Limits: plugins.Limits{MemoryPages: 1}}
	if _, err := k.InstallPlugin(ctx, &plugins.Signed{Manifest: m}, wasm); err != nil {
		t.Fatal(err)
	}
	id, _ := k.Spawn(kernel.Constraints{})
	if err := k.AttachPlugin(ctx, id, "caps"); err != nil {
		t.Fatal(err)
	}
	var outs [][]byte
	for i := 0; i < 3; i++ {
		out, err := k.Execute(ctx, id, "both", nil)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, out)
	}
	if bytes.Equal(outs[0], outs[1]) {
		t.Fatal("the capabilities did not vary")
	}
	rep, err := Replay(ctx, ws.Log(), k, st)
	if err != nil {
		t.Fatalf("replay of clock and random values: %v", err)
	}
	if rep.Replayed != 6 {
		t.Fatalf("%+v", rep)
	}
}

func TestPlaybackHTTP(t *testing.T) {
	rec := binary.BigEndian.AppendUint32([]byte("https://example.org/x\x00"), 200)
	p := &playback{}
	p.load([]kernel.HostValue{{Fn: plugins.FnHTTPGet, Value: append(rec, "body"...)}, {Fn: plugins.FnClockNow, Value: []byte("42")}})
	if p.Now() != 42 || p.Now() != 0 {
		t.Fatal("clock playback")
	}
	status, body, err := p.HTTPGet(ctx, "a", "https://example.org/x")
	if err != nil || status != 200 || string(body) != "body" {
		t.Fatalf("%d %q %v", status, body, err)
	}
	if _, _, err := p.HTTPGet(ctx, "a", "https://example.org/x"); !errors.Is(err, ErrCannotReplay) {
		t.Fatal(err)
	}
	p.load([]kernel.HostValue{{Fn: plugins.FnHTTPGet, Value: append(rec, "body"...)}})
	if _, _, err := p.HTTPGet(ctx, "a", "https://other.example/"); err == nil {
		t.Fatal("other URL played back")
	}
	p.load([]kernel.HostValue{{Fn: plugins.FnHTTPGet, Value: []byte("no separator")}})
	if _, _, err := p.HTTPGet(ctx, "a", "x"); !errors.Is(err, ErrCannotReplay) {
		t.Fatal(err)
	}
}

// rwAuth records a read-write mount, as security.Authorizer does for a
// plugin granted fs_write (no directory is actually mounted).
type rwAuth struct{ allowAll }

func (rwAuth) FS(_ kernel.AgentID, _ *plugins.Manifest, record func(kernel.HostValue)) (wazero.FSConfig, error) {
	record(kernel.HostValue{Fn: kernel.HostFSMountRW, Value: []byte("/rw")})
	return nil, nil
}

// TestReplayRefusesFileWrites: an execute that had a read-write directory
// is not replayed (its writes must not happen twice): ErrCannotReplay, not a
// divergence.
func TestReplayRefusesFileWrites(t *testing.T) {
	dir := t.TempDir()
	signer, _, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	st := store.OpenMemory()
	defer st.Close()
	ws := storelog.Wrap(st, storelog.New(st, storelog.WithSigner(signer)))
	clock := int64(5_000_000)
	k, err := kernel.Open(ws, kernel.WithInsecureSkipVerify(), kernel.WithCommitHook(Hook()),
		kernel.WithAuthorizer(rwAuth{}), kernel.WithHostCapabilities(liveCaps{&clock}))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	wasm, err := os.ReadFile(filepath.Join("..", "..", "..", "plugins", "testdata", "caps.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	m := plugins.Manifest{Name: "caps", Version: "0.1.0", Methods: []string{"both"}, Limits: plugins.Limits{MemoryPages: 1}}
	if _, err := k.InstallPlugin(ctx, &plugins.Signed{Manifest: m}, wasm); err != nil {
		t.Fatal(err)
	}
	id, _ := k.Spawn(kernel.Constraints{})
	if err := k.AttachPlugin(ctx, id, "caps"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Execute(ctx, id, "both", nil); err != nil {
		t.Fatal(err)
	}
	_, err = Replay(ctx, ws.Log(), k, st)
	var d *auditlog.DivergenceError
	if !errors.Is(err, ErrCannotReplay) || !errors.Is(err, kernel.ErrReplayFileWrites) || errors.As(err, &d) {
		t.Fatalf("replay of a file-writing execute: %v", err)
	}
}
