package security

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
	wsys "github.com/tetratelabs/wazero/sys"

	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/plugins"
)

// Manifest capabilities of files; which directories a plugin sees is
// decided per agent by grants on fs:<DIR>.
const (
	// CapabilityFS: directories granted "read" are mounted read-only.
	CapabilityFS = "fs"
	// CapabilityFSWrite: directories granted "write" are mounted
	// read-write. A plugin that does not request it never gets a writable
	// mount, whatever the agent's grants.
	CapabilityFSWrite = "fs_write"
)

// Names of the recorded values of files.
const (
	FnFSRead    = kernel.HostFSRead
	FnFSWrite   = kernel.HostFSWrite
	FnFSReaddir = "fs_readdir" // a directory's name, then the names listed
)

// FS implements kernel.FileSystems. It is asked once per execute, so a
// grant revoked after attach takes effect on the next call.
//
// A plugin whose manifest requests "fs" (granted as cap:fs, checked here on
// every execute as well as at attach) sees each directory DIR the agent
// holds "read" (or "*") on fs:DIR, mounted read-only at the same path. A
// plugin whose manifest requests "fs_write" (cap:fs_write) sees each
// directory the agent holds "write" on mounted read-write; "write" implies
// reading it. Nothing else of the host is visible.
//
// Isolation: wazero's WASI layer cleans every path and refuses absolute
// paths and paths that climb out with "..", before a mount sees them.
// Symbolic links it would follow: a read-only mount is served through
// os.Root (links are followed only when they stay inside the directory); a
// read-write mount refuses every path through a symbolic link and refuses
// to create links (jailFS).
//
// Every read is recorded (file name and bytes) for replay; every write to a
// read-write mount is recorded too, and the mount itself (fs_mount_rw)
// marks the execute as not replayable (kernel.ErrReplayFileWrites): a
// replay must never write the host's files again, and the reads after a
// write cannot be rebuilt from the record.
func (a *Authorizer) FS(agent kernel.AgentID, m *plugins.Manifest, record func(kernel.HostValue)) (wazero.FSConfig, error) {
	var reqRO, reqRW bool
	for _, c := range m.Capabilities {
		reqRO = reqRO || c == CapabilityFS
		reqRW = reqRW || c == CapabilityFSWrite
	}
	if !reqRO && !reqRW {
		return nil, nil
	}
	for _, c := range []struct {
		want bool
		name string
	}{{reqRO, CapabilityFS}, {reqRW, CapabilityFSWrite}} {
		if !c.want {
			continue
		}
		if err := a.M.CheckPermission(string(agent), CapabilityResource(c.name), OpUse); err != nil {
			return nil, denied(fmt.Errorf("plugin %s requests capability %q: %w", m.ID(), c.name, err))
		}
	}
	writable := map[string]bool{}
	for _, g := range a.M.Grants(string(agent)) {
		dir, ok := strings.CutPrefix(g.Resource, KindFS+":")
		if !ok || strings.HasSuffix(dir, "*") {
			continue
		}
		switch {
		case reqRW && g.allows(OpWrite):
			writable[dir] = true
		case reqRO && g.allows(OpRead):
			if _, seen := writable[dir]; !seen {
				writable[dir] = false
			}
		}
	}
	if len(writable) == 0 {
		return nil, nil
	}
	dirs := make([]string, 0, len(writable))
	for dir := range writable {
		dirs = append(dirs, dir)
	}
	sort.Strings(dirs)
	cfg := wazero.NewFSConfig()
	for _, dir := range dirs {
		if writable[dir] {
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				return nil, fmt.Errorf("%w: fs:%s is not a directory (%v)", ErrInvalidArgument, dir, err)
			}
			record(kernel.HostValue{Fn: kernel.HostFSMountRW, Value: []byte(dir)})
			cfg = cfg.(sysfs.FSConfig).WithSysFSMount(&jailFS{FS: sysfs.DirFS(dir), dir: dir, record: record}, dir)
			continue
		}
		root, err := a.roots.get(dir)
		if err != nil {
			return nil, fmt.Errorf("%w: fs:%s: %w", ErrInvalidArgument, dir, err)
		}
		record(kernel.HostValue{Fn: kernel.HostFSMount, Value: []byte(dir)})
		cfg = cfg.WithFSMount(&recordingFS{fsys: root.FS(), dir: dir, record: record}, dir)
	}
	return cfg, nil
}

// rootCache keeps one os.Root per granted directory, so that executes do
// not each hold a descriptor until the garbage collector closes it. A root
// is reopened when the path no longer names the directory it holds (the
// directory was replaced); the old one is left to its finalizer, since a
// running call may still read through it.
type rootCache struct {
	mu sync.Mutex
	m  map[string]*os.Root
}

func (c *rootCache) get(dir string) (*os.Root, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.m[dir]; r != nil {
		now, err1 := os.Stat(dir)
		held, err2 := r.Stat(".")
		if err1 == nil && err2 == nil && os.SameFile(now, held) {
			return r, nil
		}
		delete(c.m, dir)
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = map[string]*os.Root{}
	}
	c.m[dir] = r
	return r, nil
}

// recordingFS is a read-only fs.FS that reports every byte read.
type recordingFS struct {
	fsys   fs.FS
	dir    string
	record func(kernel.HostValue)
}

func (r *recordingFS) Open(name string) (fs.File, error) {
	f, err := r.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	return &recordingFile{File: f, name: path.Join(r.dir, name), record: r.record}, nil
}

type recordingFile struct {
	fs.File
	name   string
	record func(kernel.HostValue)
}

func (f *recordingFile) Read(p []byte) (int, error) {
	n, err := f.File.Read(p)
	if n > 0 {
		v := append([]byte(f.name+"\x00"), p[:n]...)
		f.record(kernel.HostValue{Fn: FnFSRead, Value: v})
	}
	return n, err
}

// ReadDir lists a directory (what a plugin sees of it is recorded too).
func (f *recordingFile) ReadDir(n int) ([]fs.DirEntry, error) {
	d, ok := f.File.(fs.ReadDirFile)
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: f.name, Err: fs.ErrInvalid}
	}
	ents, err := d.ReadDir(n)
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	f.record(kernel.HostValue{Fn: FnFSReaddir, Value: []byte(f.name + "\x00" + strings.Join(names, "\x00"))})
	return ents, err
}

var _ io.Reader = (*recordingFile)(nil)

// jailFS is a read-write mount of dir. wazero's WASI layer has already
// refused absolute paths and paths escaping with ".." (fs.ValidPath after
// path.Clean); jailFS refuses what remains: a path through a symbolic link
// (whose target may be anywhere) and creating links. It assumes no other
// host process plants links in dir while a call runs.
type jailFS struct {
	experimentalsys.FS
	dir    string
	record func(kernel.HostValue)
}

// check refuses a path that is not local or that passes through a symbolic
// link; follow says whether the last element is followed too.
func (j *jailFS) check(p string, follow bool) experimentalsys.Errno {
	switch p {
	case "", ".", "/":
		return 0
	}
	p = strings.TrimSuffix(p, "/")
	if !filepath.IsLocal(p) {
		return experimentalsys.EPERM
	}
	parts := strings.Split(p, "/")
	if !follow {
		parts = parts[:len(parts)-1]
	}
	cur := j.dir
	for _, part := range parts {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		if err != nil {
			return 0 // does not exist: the operation reports it
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return experimentalsys.ELOOP
		}
	}
	return 0
}

func (j *jailFS) OpenFile(p string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	if e := j.check(p, true); e != 0 {
		return nil, e
	}
	f, e := j.FS.OpenFile(p, flag, perm)
	if e != 0 {
		return nil, e
	}
	return &jailFile{File: f, name: path.Join(j.dir, p), record: j.record}, 0
}

func (j *jailFS) Lstat(p string) (wsys.Stat_t, experimentalsys.Errno) {
	if e := j.check(p, false); e != 0 {
		return wsys.Stat_t{}, e
	}
	return j.FS.Lstat(p)
}

func (j *jailFS) Stat(p string) (wsys.Stat_t, experimentalsys.Errno) {
	if e := j.check(p, true); e != 0 {
		return wsys.Stat_t{}, e
	}
	return j.FS.Stat(p)
}

func (j *jailFS) Mkdir(p string, perm fs.FileMode) experimentalsys.Errno {
	if e := j.check(p, false); e != 0 {
		return e
	}
	return j.FS.Mkdir(p, perm)
}

func (j *jailFS) Chmod(p string, perm fs.FileMode) experimentalsys.Errno {
	if e := j.check(p, true); e != 0 {
		return e
	}
	return j.FS.Chmod(p, perm)
}

func (j *jailFS) Rename(from, to string) experimentalsys.Errno {
	if e := j.check(from, false); e != 0 {
		return e
	}
	if e := j.check(to, false); e != 0 {
		return e
	}
	return j.FS.Rename(from, to)
}

func (j *jailFS) Rmdir(p string) experimentalsys.Errno {
	if e := j.check(p, false); e != 0 {
		return e
	}
	return j.FS.Rmdir(p)
}

func (j *jailFS) Unlink(p string) experimentalsys.Errno {
	if e := j.check(p, false); e != 0 {
		return e
	}
	return j.FS.Unlink(p)
}

// Link is refused: a hard link to a file is harmless, but refusing links
// keeps the jail's argument short.
func (j *jailFS) Link(string, string) experimentalsys.Errno { return experimentalsys.EPERM }

// Symlink is refused: a link's target is free text ("/etc/passwd").
func (j *jailFS) Symlink(string, string) experimentalsys.Errno { return experimentalsys.EPERM }

func (j *jailFS) Readlink(p string) (string, experimentalsys.Errno) {
	if e := j.check(p, false); e != 0 {
		return "", e
	}
	return j.FS.Readlink(p)
}

func (j *jailFS) Utimens(p string, atim, mtim int64) experimentalsys.Errno {
	if e := j.check(p, true); e != 0 {
		return e
	}
	return j.FS.Utimens(p, atim, mtim)
}

// jailFile records the bytes read from and written to a file of a
// read-write mount.
type jailFile struct {
	experimentalsys.File
	name   string
	record func(kernel.HostValue)
}

func (f *jailFile) rec(fn string, b []byte) {
	if len(b) > 0 {
		f.record(kernel.HostValue{Fn: fn, Value: append([]byte(f.name+"\x00"), b...)})
	}
}

func (f *jailFile) Read(b []byte) (int, experimentalsys.Errno) {
	n, e := f.File.Read(b)
	f.rec(FnFSRead, b[:n])
	return n, e
}

func (f *jailFile) Pread(b []byte, off int64) (int, experimentalsys.Errno) {
	n, e := f.File.Pread(b, off)
	f.rec(FnFSRead, b[:n])
	return n, e
}

// Readdir records the names listed, as recordingFile.ReadDir does.
func (f *jailFile) Readdir(n int) ([]experimentalsys.Dirent, experimentalsys.Errno) {
	ents, e := f.File.Readdir(n)
	names := make([]string, len(ents))
	for i, d := range ents {
		names[i] = d.Name
	}
	f.record(kernel.HostValue{Fn: FnFSReaddir, Value: []byte(f.name + "\x00" + strings.Join(names, "\x00"))})
	return ents, e
}

func (f *jailFile) Write(b []byte) (int, experimentalsys.Errno) {
	n, e := f.File.Write(b)
	f.rec(FnFSWrite, b[:n])
	return n, e
}

func (f *jailFile) Pwrite(b []byte, off int64) (int, experimentalsys.Errno) {
	n, e := f.File.Pwrite(b, off)
	f.rec(FnFSWrite, b[:n])
	return n, e
}
