package security

import (
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/tetratelabs/wazero"

	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/plugins"
)

// CapabilityFS is the manifest capability a plugin requests to get files;
// which directories it sees is decided per agent by grants on fs:<DIR>.
const CapabilityFS = "fs"

// FnFSRead names the recorded values of file reads.
const FnFSRead = kernel.HostFSRead

// FS implements kernel.FileSystems: a plugin whose manifest requests the
// "fs" capability (granted as cap:fs) sees each directory DIR the agent holds
// a grant of "read" (or "*") on fs:DIR, mounted read-only at the same path,
// and nothing else. Every read is recorded (file name and bytes) for
// replay. Read-write mounts are not offered: writes and the reads after
// them could not be replayed from the record.
func (a *Authorizer) FS(agent kernel.AgentID, m *plugins.Manifest, record func(kernel.HostValue)) (wazero.FSConfig, error) {
	requested := false
	for _, c := range m.Capabilities {
		requested = requested || c == CapabilityFS
	}
	if !requested {
		return nil, nil
	}
	var dirs []string
	for _, g := range a.M.Grants(string(agent)) {
		dir, ok := strings.CutPrefix(g.Resource, KindFS+":")
		if !ok || strings.HasSuffix(dir, "*") || !g.allows(OpRead) {
			continue
		}
		dirs = append(dirs, dir)
	}
	if len(dirs) == 0 {
		return nil, nil
	}
	sort.Strings(dirs)
	cfg := wazero.NewFSConfig()
	for _, dir := range dirs {
		record(kernel.HostValue{Fn: kernel.HostFSMount, Value: []byte(dir)})
		cfg = cfg.WithFSMount(&recordingFS{fsys: os.DirFS(dir), dir: dir, record: record}, dir)
	}
	return cfg, nil
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
	f.record(kernel.HostValue{Fn: "fs_readdir", Value: []byte(f.name + "\x00" + strings.Join(names, "\x00"))})
	return ents, err
}

var _ io.Reader = (*recordingFile)(nil)
