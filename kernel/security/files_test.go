package security

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"

	"github.com/mcpzero/mcpzero/internal/keys"
	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/plugins"
)

// TestFiles: a plugin sees a directory only when the agent is granted it
// (read-only, at the same path), reads in it are recorded with the
// operation, and nothing outside it is reachable; without the grant it
// sees no file at all.
func TestFiles(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	root := t.TempDir()
	data, secret := filepath.Join(root, "data"), filepath.Join(root, "secret")
	os.Mkdir(data, 0o755)
	os.Mkdir(secret, 0o755)
	os.WriteFile(filepath.Join(data, "hello.txt"), []byte("hello, plugin"), 0o644)
	os.WriteFile(filepath.Join(secret, "key.txt"), []byte("s3cr3t"), 0o644)
	links(t, data, secret)
	pub, priv, _ := ed25519.GenerateKey(nil)
	wasm, err := os.ReadFile(filepath.Join("testdata", "files.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	for _, engine := range []plugins.Engine{plugins.EngineCompiler, plugins.EngineInterpreter} {
		k, err := kernel.Open(f.st, kernel.WithEngine(engine), kernel.WithTrustedKeys(plugins.KeySet{keys.ID(pub): pub}),
			kernel.WithAuthorizer(&Authorizer{M: f.m}))
		if err != nil {
			t.Fatal(err)
		}
		s, _ := plugins.Sign(plugins.Manifest{Name: "files", Version: "1.0.0", Methods: []string{"read", "write"},
			Capabilities: []string{plugins.CapabilityWASI, CapabilityFS}, Limits: plugins.Limits{MemoryPages: 1}}, wasm, priv)
		if _, err := k.InstallPlugin(ctx, s, wasm); err != nil {
			t.Fatal(err)
		}
		agent, _ := k.Spawn(kernel.Constraints{})
		if err := k.AttachPlugin(ctx, agent, "files"); !errors.Is(err, kernel.ErrPermissionDenied) {
			t.Fatalf("attach without cap:fs: %v", err)
		}
		f.grant(t, string(agent), CapabilityResource(CapabilityFS), OpUse)
		if err := k.AttachPlugin(ctx, agent, "files"); err != nil {
			t.Fatal(err)
		}
		errno := func(out []byte) uint32 { return binary.LittleEndian.Uint32(out) }
		// No directory granted yet: nothing to open.
		out, err := k.Execute(ctx, agent, "read", []byte("hello.txt"))
		if err != nil || errno(out) == 0 {
			t.Fatalf("%s: read without a directory grant: %x %v", engine, out, err)
		}
		f.grant(t, string(agent), KindFS+":"+data, OpRead)
		r, err := k.ExecuteDetailed(ctx, agent, "read", []byte("hello.txt"))
		if err != nil || errno(r.Output) != 0 || string(r.Output[4:]) != "hello, plugin" {
			t.Fatalf("%s: granted read: %q %v", engine, r.Output, err)
		}
		rec, err := k.ExecRecord(r.Record.Seq)
		if err != nil || len(rec.Host) != 2 || rec.Host[0].Fn != kernel.HostFSMount || string(rec.Host[0].Value) != data ||
			rec.Host[1].Fn != FnFSRead || !bytes.Equal(rec.Host[1].Value, []byte(filepath.Join(data, "hello.txt")+"\x00hello, plugin")) {
			t.Fatalf("%s: read not recorded: %+v %v", engine, rec, err)
		}
		// A link inside the directory is followed (os.Root); one that
		// leads out of it is not.
		r, err = k.ExecuteDetailed(ctx, agent, "read", []byte("inside-link"))
		if err != nil || errno(r.Output) != 0 || string(r.Output[4:]) != "hello, plugin" {
			t.Fatalf("%s: link inside the directory: %q %v", engine, r.Output, err)
		}
		for _, p := range []string{"../secret/key.txt", secret + "/key.txt", "/etc/passwd", "outside-link", "outside-dir/key.txt"} {
			out, err := k.Execute(ctx, agent, "read", []byte(p))
			if err != nil || errno(out) == 0 || bytes.Contains(out, []byte("s3cr3t")) {
				t.Fatalf("%s: %s reachable: %q %v", engine, p, out, err)
			}
		}
		// A read-only grant, and a plugin that did not request fs_write:
		// nothing is written.
		out, err = k.Execute(ctx, agent, "write", writeInput("new.txt", "pwned"))
		if err != nil || errno(out) == 0 {
			t.Fatalf("%s: write under a read-only grant: %x %v", engine, out, err)
		}
		if _, err := os.Stat(filepath.Join(data, "new.txt")); !os.IsNotExist(err) {
			t.Fatalf("%s: read-only mount created a file: %v", engine, err)
		}
		k.Close()
	}
}

// links plants the links the isolation tests try to follow: inside-link
// (to hello.txt, inside), outside-link (to secret/key.txt) and outside-dir
// (to secret).
func links(t *testing.T, data, secret string) {
	t.Helper()
	for name, target := range map[string]string{
		"inside-link":  "hello.txt", // relative: os.Root refuses absolute links
		"outside-link": filepath.Join(secret, "key.txt"),
		"outside-dir":  secret,
	} {
		if err := os.Symlink(target, filepath.Join(data, name)); err != nil {
			t.Fatal(err)
		}
	}
}

// writeInput is the input of files.wat's write and symlink methods.
func writeInput(path, data string) []byte {
	return append([]byte{byte(len(path))}, path+data...)
}

// TestFilesReadWrite: a plugin that requests fs_write, on an agent granted
// cap:fs_write and "write" on fs:DIR, creates and writes files inside DIR
// (each write recorded); it cannot write outside it by "..", an absolute
// path, a symbolic link or by creating one; the grant is checked at attach
// and on every execute; and a replay of such an execute is refused without
// touching the files.
func TestFilesReadWrite(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	root := t.TempDir()
	data, secret := filepath.Join(root, "data"), filepath.Join(root, "secret")
	os.Mkdir(data, 0o755)
	os.Mkdir(secret, 0o755)
	os.WriteFile(filepath.Join(data, "hello.txt"), []byte("hello, plugin"), 0o644)
	os.WriteFile(filepath.Join(secret, "key.txt"), []byte("s3cr3t"), 0o644)
	links(t, data, secret)
	pub, priv, _ := ed25519.GenerateKey(nil)
	wasm, err := os.ReadFile(filepath.Join("testdata", "files.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	u32 := func(out []byte, i int) uint32 { return binary.LittleEndian.Uint32(out[4*i:]) }
	for _, engine := range []plugins.Engine{plugins.EngineCompiler, plugins.EngineInterpreter} {
		k, err := kernel.Open(f.st, kernel.WithEngine(engine), kernel.WithTrustedKeys(plugins.KeySet{keys.ID(pub): pub}),
			kernel.WithAuthorizer(&Authorizer{M: f.m}))
		if err != nil {
			t.Fatal(err)
		}
		s, _ := plugins.Sign(plugins.Manifest{Name: "files", Version: "1.0.0", Methods: []string{"read", "write", "symlink"},
			Capabilities: []string{plugins.CapabilityWASI, CapabilityFSWrite}, Limits: plugins.Limits{MemoryPages: 1}}, wasm, priv)
		if _, err := k.InstallPlugin(ctx, s, wasm); err != nil {
			t.Fatal(err)
		}
		agent, _ := k.Spawn(kernel.Constraints{})
		f.grant(t, string(agent), CapabilityResource(CapabilityFS), OpUse)
		if err := k.AttachPlugin(ctx, agent, "files"); !errors.Is(err, kernel.ErrPermissionDenied) {
			t.Fatalf("%s: attach without cap:fs_write: %v", engine, err)
		}
		f.grant(t, string(agent), CapabilityResource(CapabilityFSWrite), OpUse)
		if err := k.AttachPlugin(ctx, agent, "files"); err != nil {
			t.Fatal(err)
		}
		name := "out-" + string(engine) + ".txt"
		target := filepath.Join(data, name)
		// Read alone does not make a writable mount (nor any mount: the
		// plugin asked for fs_write only).
		f.grant(t, string(agent), KindFS+":"+data, OpRead)
		out, err := k.Execute(ctx, agent, "write", writeInput(name, "rw works"))
		if err != nil || u32(out, 0) == 0 {
			t.Fatalf("%s: write with a read grant: %x %v", engine, out, err)
		}
		if _, err := os.Stat(target); !os.IsNotExist(err) {
			t.Fatalf("%s: file created without a write grant: %v", engine, err)
		}
		f.grant(t, string(agent), KindFS+":"+data, OpWrite)
		r, err := k.ExecuteDetailed(ctx, agent, "write", writeInput(name, "rw works"))
		if err != nil || u32(r.Output, 0) != 0 || u32(r.Output, 1) != 0 || u32(r.Output, 2) != 8 {
			t.Fatalf("%s: granted write: %x %v", engine, r.Output, err)
		}
		if b, err := os.ReadFile(target); err != nil || string(b) != "rw works" {
			t.Fatalf("%s: host file: %q %v", engine, b, err)
		}
		rec, err := k.ExecRecord(r.Record.Seq)
		if err != nil || len(rec.Host) != 2 || rec.Host[0].Fn != kernel.HostFSMountRW || string(rec.Host[0].Value) != data ||
			rec.Host[1].Fn != FnFSWrite || string(rec.Host[1].Value) != target+"\x00rw works" {
			t.Fatalf("%s: write not recorded: %+v %v", engine, rec, err)
		}
		// The writable mount reads too, recorded.
		r2, err := k.ExecuteDetailed(ctx, agent, "read", []byte(name))
		if err != nil || u32(r2.Output, 0) != 0 || string(r2.Output[4:]) != "rw works" {
			t.Fatalf("%s: read back: %q %v", engine, r2.Output, err)
		}
		// Escapes: lexical (refused by wazero) and through links (jailFS).
		for _, p := range []string{"../secret/key.txt", "../secret/new.txt", secret + "/key.txt", "outside-link", "outside-dir/key.txt", "outside-dir/new.txt", "inside-link"} {
			out, err := k.Execute(ctx, agent, "write", writeInput(p, "pwned"))
			if err != nil || u32(out, 0) == 0 {
				t.Fatalf("%s: write to %s: %x %v", engine, p, out, err)
			}
			out, err = k.Execute(ctx, agent, "read", []byte(p))
			if err != nil || u32(out, 0) == 0 || bytes.Contains(out, []byte("s3cr3t")) {
				t.Fatalf("%s: %s readable: %q %v", engine, p, out, err)
			}
		}
		if b, _ := os.ReadFile(filepath.Join(secret, "key.txt")); string(b) != "s3cr3t" {
			t.Fatalf("%s: secret overwritten: %q", engine, b)
		}
		if _, err := os.Stat(filepath.Join(secret, "new.txt")); !os.IsNotExist(err) {
			t.Fatalf("%s: file created outside: %v", engine, err)
		}
		if b, _ := os.ReadFile(filepath.Join(data, "hello.txt")); string(b) != "hello, plugin" {
			t.Fatalf("%s: written through inside-link: %q", engine, b)
		}
		// wazero refuses an absolute target itself; a relative one that
		// climbs out is jailFS's to refuse.
		out, err = k.Execute(ctx, agent, "symlink", writeInput("../secret/key.txt", "evil"))
		if err != nil || u32(out, 0) == 0 {
			t.Fatalf("%s: symlink created: %x %v", engine, out, err)
		}
		if _, err := os.Lstat(filepath.Join(data, "evil")); !os.IsNotExist(err) {
			t.Fatalf("%s: link on the host: %v", engine, err)
		}
		// Nor is it provable (it imports WASI and received host values).
		if _, err := k.GenerateProof(ctx, r.Record.Seq); !errors.Is(err, kernel.ErrNotProvable) {
			t.Fatalf("%s: proof of a write: %v", engine, err)
		}
		// A replay of the write is refused and leaves the file alone.
		os.WriteFile(target, []byte("changed since"), 0o644)
		_, err = k.Execute(kernel.WithReplayHost(ctx, rec.Host), agent, "write", writeInput(name, "rw works"))
		if !errors.Is(err, kernel.ErrReplayFileWrites) || !errors.Is(err, kernel.ErrReplayHost) || errors.Is(err, kernel.ErrPermissionDenied) {
			t.Fatalf("%s: replay of a write: %v", engine, err)
		}
		if b, _ := os.ReadFile(target); string(b) != "changed since" {
			t.Fatalf("%s: replay wrote the file: %q", engine, b)
		}
		// Checked on every execute: revoking cap:fs_write stops the next one.
		if _, err := f.m.Apply(SignStatement(f.stmt(ActionRevoke, string(agent), CapabilityResource(CapabilityFSWrite)), f.op.id, f.op.priv)); err != nil {
			t.Fatal(err)
		}
		if _, err := k.Execute(ctx, agent, "write", writeInput(name, "again")); !errors.Is(err, kernel.ErrPermissionDenied) {
			t.Fatalf("%s: write after revoking cap:fs_write: %v", engine, err)
		}
		if b, _ := os.ReadFile(target); string(b) != "changed since" {
			t.Fatalf("%s: written after revoke: %q", engine, b)
		}
		k.Close()
	}
}

// TestJailFS: every path operation of a read-write mount refuses a path
// through a symbolic link and a non-local path, and works on a plain one;
// links are never created.
func TestJailFS(t *testing.T) {
	root := t.TempDir()
	data, secret := filepath.Join(root, "data"), filepath.Join(root, "secret")
	os.Mkdir(data, 0o755)
	os.Mkdir(secret, 0o755)
	os.WriteFile(filepath.Join(data, "hello.txt"), []byte("hello, plugin"), 0o644)
	os.WriteFile(filepath.Join(secret, "key.txt"), []byte("s3cr3t"), 0o644)
	links(t, data, secret)
	var rec []kernel.HostValue
	j := &jailFS{FS: sysfs.DirFS(data), dir: data, record: func(v kernel.HostValue) { rec = append(rec, v) }}
	ops := []struct {
		name string
		do   func(p string) experimentalsys.Errno
	}{
		{"stat", func(p string) experimentalsys.Errno { _, e := j.Stat(p); return e }},
		{"lstat", func(p string) experimentalsys.Errno { _, e := j.Lstat(p + "/x"); return e }},
		{"mkdir", func(p string) experimentalsys.Errno { return j.Mkdir(p+"/d", 0o755) }},
		{"chmod", func(p string) experimentalsys.Errno { return j.Chmod(p, 0o600) }},
		{"rename from", func(p string) experimentalsys.Errno { return j.Rename(p+"/key.txt", "stolen") }},
		{"rename to", func(p string) experimentalsys.Errno { return j.Rename("hello.txt", p+"/planted") }},
		{"rmdir", func(p string) experimentalsys.Errno { return j.Rmdir(p + "/d") }},
		{"unlink", func(p string) experimentalsys.Errno { return j.Unlink(p + "/key.txt") }},
		{"readlink", func(p string) experimentalsys.Errno { _, e := j.Readlink(p + "/l"); return e }},
		{"utimens", func(p string) experimentalsys.Errno { return j.Utimens(p, 0, 0) }},
		{"open", func(p string) experimentalsys.Errno { _, e := j.OpenFile(p, experimentalsys.O_RDONLY, 0); return e }},
	}
	for _, op := range ops {
		for _, p := range []string{"outside-dir", "../secret", secret} {
			if e := op.do(p); e != experimentalsys.ELOOP && e != experimentalsys.EPERM {
				t.Errorf("%s %s: errno %v, want ELOOP or EPERM", op.name, p, e)
			}
		}
	}
	if b, _ := os.ReadFile(filepath.Join(secret, "key.txt")); string(b) != "s3cr3t" {
		t.Fatalf("secret changed: %q", b)
	}
	if fi, err := os.Stat(secret); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("secret dir changed: %v %v", fi, err)
	}
	if e := j.Symlink("hello.txt", "l"); e != experimentalsys.EPERM {
		t.Fatalf("symlink: %v", e)
	}
	if e := j.Link("hello.txt", "l"); e != experimentalsys.EPERM {
		t.Fatalf("link: %v", e)
	}
	// Plain paths work, and reads and writes through files are recorded.
	if e := j.Mkdir("sub", 0o755); e != 0 {
		t.Fatal(e)
	}
	f, e := j.OpenFile("sub/f.txt", experimentalsys.O_RDWR|experimentalsys.O_CREAT, 0o644)
	if e != 0 {
		t.Fatal(e)
	}
	if n, e := f.Write([]byte("ab")); n != 2 || e != 0 {
		t.Fatal(n, e)
	}
	if n, e := f.Pwrite([]byte("cd"), 2); n != 2 || e != 0 {
		t.Fatal(n, e)
	}
	buf := make([]byte, 4)
	if n, e := f.Pread(buf, 0); n != 4 || e != 0 || string(buf) != "abcd" {
		t.Fatal(n, e, buf)
	}
	f.Seek(0, io.SeekStart)
	if n, e := f.Read(buf[:1]); n != 1 || e != 0 {
		t.Fatal(n, e)
	}
	f.Close()
	d, e := j.OpenFile("sub", experimentalsys.O_RDONLY|experimentalsys.O_DIRECTORY, 0)
	if e != 0 {
		t.Fatal(e)
	}
	if ents, e := d.Readdir(-1); e != 0 || len(ents) != 1 || ents[0].Name != "f.txt" {
		t.Fatal(ents, e)
	}
	d.Close()
	if last := rec[len(rec)-1]; last.Fn != FnFSReaddir || string(last.Value) != filepath.Join(data, "sub")+"\x00f.txt" {
		t.Fatalf("readdir recorded %q", last)
	}
	rec = rec[:len(rec)-1]
	name := filepath.Join(data, "sub", "f.txt") + "\x00"
	want := []kernel.HostValue{{Fn: FnFSWrite, Value: []byte(name + "ab")}, {Fn: FnFSWrite, Value: []byte(name + "cd")},
		{Fn: FnFSRead, Value: []byte(name + "abcd")}, {Fn: FnFSRead, Value: []byte(name + "a")}}
	if len(rec) != len(want) {
		t.Fatalf("recorded %q", rec)
	}
	for i := range want {
		if rec[i].Fn != want[i].Fn || !bytes.Equal(rec[i].Value, want[i].Value) {
			t.Fatalf("recorded %q, want %q", rec, want)
		}
	}
	if _, e := j.Stat("sub/f.txt"); e != 0 {
		t.Fatal(e)
	}
	if _, e := j.Lstat("inside-link"); e != 0 {
		t.Fatal("lstat of a link itself:", e)
	}
	if s, e := j.Readlink("inside-link"); e != 0 || s != "hello.txt" {
		t.Fatal(s, e)
	}
	for _, e := range []experimentalsys.Errno{j.Chmod("sub/f.txt", 0o600), j.Utimens("sub/f.txt", 0, 0),
		j.Rename("sub/f.txt", "sub/g.txt"), j.Unlink("sub/g.txt"), j.Rmdir("sub"), j.Unlink("inside-link")} {
		if e != 0 {
			t.Fatal(e)
		}
	}
	if _, err := os.Lstat(filepath.Join(data, "inside-link")); !os.IsNotExist(err) {
		t.Fatal("unlink of a link:", err)
	}
	if e := j.check(".", true); e != 0 {
		t.Fatal(e)
	}
}

// TestRootCache: read-only mounts share one os.Root per directory, and a
// directory replaced on disk is reopened (its new files are served).
func TestRootCache(t *testing.T) {
	var c rootCache
	dir := filepath.Join(t.TempDir(), "d")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "f"), []byte("old"), 0o644)
	r1, err := c.get(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r2, err := c.get(dir); err != nil || r2 != r1 {
		t.Fatalf("second get: %p %p %v", r1, r2, err)
	}
	os.RemoveAll(dir)
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "f"), []byte("new"), 0o644)
	r3, err := c.get(dir)
	if err != nil || r3 == r1 {
		t.Fatalf("replaced directory: %p %p %v", r1, r3, err)
	}
	if b, err := r3.ReadFile("f"); err != nil || string(b) != "new" {
		t.Fatalf("served %q %v", b, err)
	}
	os.RemoveAll(dir)
	if _, err := c.get(dir); err == nil {
		t.Fatal("a missing directory opened")
	}
}

// TestFSMissingDirectory: a granted directory that does not exist refuses
// the execute with ErrInvalidArgument, read-only or read-write.
func TestFSMissingDirectory(t *testing.T) {
	f := newFixture(t)
	a := &Authorizer{M: f.m}
	missing := filepath.Join(t.TempDir(), "gone")
	f.grant(t, "agent-1", CapabilityResource(CapabilityFS), OpUse)
	f.grant(t, "agent-1", CapabilityResource(CapabilityFSWrite), OpUse)
	f.grant(t, "agent-1", KindFS+":"+missing, OpRead, OpWrite)
	for _, c := range []string{CapabilityFS, CapabilityFSWrite} {
		m := &plugins.Manifest{Name: "p", Version: "1.0.0", Capabilities: []string{c}}
		if _, err := a.FS("agent-1", m, func(kernel.HostValue) {}); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: err %v, want ErrInvalidArgument", c, err)
		}
	}
}
