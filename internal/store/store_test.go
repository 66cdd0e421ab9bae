package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func put(t *testing.T, s Store, kv ...string) {
	t.Helper()
	b := s.NewBatch()
	for i := 0; i < len(kv); i += 2 {
		b.Put([]byte(kv[i]), []byte(kv[i+1]))
	}
	if err := s.Write(b); err != nil {
		t.Fatal(err)
	}
}

func TestBatchAndReads(t *testing.T) {
	s := OpenMemory()
	defer s.Close()
	if _, err := s.Get([]byte("a")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent key: err = %v", err)
	}
	put(t, s, "a/1", "x", "a/2", "y", "b/1", "z")
	if v, err := s.Get([]byte("a/2")); err != nil || string(v) != "y" {
		t.Fatalf("get = %q, %v", v, err)
	}
	if ok, err := s.Has([]byte("b/1")); !ok || err != nil {
		t.Fatalf("has = %v, %v", ok, err)
	}
	var seen []string
	if err := s.Iterate([]byte("a/"), func(k, v []byte) error {
		seen = append(seen, string(k)+"="+string(v))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seen) != "[a/1=x a/2=y]" {
		t.Fatalf("iterate = %v", seen)
	}
	stop := errors.New("stop")
	if err := s.Iterate(nil, func(k, v []byte) error { return stop }); err != stop {
		t.Fatalf("iterate error = %v", err)
	}

	b := s.NewBatch()
	b.Put([]byte("k"), []byte("v1"))
	b.Delete([]byte("a/1"))
	if v, found, present := b.Pending([]byte("k")); !found || !present || string(v) != "v1" {
		t.Fatalf("pending put = %q %v %v", v, found, present)
	}
	if _, found, present := b.Pending([]byte("a/1")); !found || present {
		t.Fatalf("pending delete = %v %v", found, present)
	}
	if _, found, _ := b.Pending([]byte("zz")); found {
		t.Fatal("pending of untouched key")
	}
	if b.Len() != 2 || b.Size() == 0 {
		t.Fatalf("len = %d size = %d", b.Len(), b.Size())
	}
	snap, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	if err := s.Write(b); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Has([]byte("a/1")); ok {
		t.Fatal("delete not applied")
	}
	// The snapshot still sees the old state.
	if v, err := snap.Get([]byte("a/1")); err != nil || string(v) != "x" {
		t.Fatalf("snapshot get = %q, %v", v, err)
	}
	if ok, _ := snap.Has([]byte("k")); ok {
		t.Fatal("snapshot sees a later write")
	}
	n := 0
	if err := snap.Iterate([]byte("a/"), func(k, v []byte) error { n++; return nil }); err != nil || n != 2 {
		t.Fatalf("snapshot iterate n=%d err=%v", n, err)
	}
	if _, err := snap.Get([]byte("nope")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("snapshot absent: %v", err)
	}
}

func TestPersistenceAndLock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, "key", "value")
	if s.Path() != dir {
		t.Fatalf("path = %q", s.Path())
	}
	// A second opener (same process, separate handle) is refused at once.
	if _, err := Open(dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: err = %v, want ErrLocked", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, err := s.Get([]byte("key")); !errors.Is(err, ErrClosed) {
		t.Fatalf("get after close: %v", err)
	}
	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if v, err := s2.Get([]byte("key")); err != nil || string(v) != "value" {
		t.Fatalf("after reopen: %q, %v", v, err)
	}
}

func TestCorruptionIsReported(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, "key", "value")
	s.Close()
	// Destroy the manifest: LevelDB cannot open without it.
	ms, _ := filepath.Glob(filepath.Join(dir, "MANIFEST-*"))
	if len(ms) == 0 {
		t.Fatal("no manifest")
	}
	if err := os.WriteFile(ms[0], []byte("garbage that is not a manifest"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); !errors.Is(err, ErrCorrupted) {
		t.Fatalf("open corrupted: err = %v, want ErrCorrupted", err)
	}
}

func TestOpenErrors(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o600)
	if _, err := Open(filepath.Join(f, "sub")); err == nil {
		t.Fatal("open under a file succeeded")
	}
}

func TestKey(t *testing.T) {
	if got := string(Key([]byte("agent"), []byte("id"))); got != "agent\x00id" {
		t.Fatalf("Key = %q", got)
	}
}

func TestOpenUnsynced(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenUnsynced(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := s.NewBatch()
	b.Put([]byte("k"), []byte("v"))
	if err := s.Write(b); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if v, err := s2.Get([]byte("k")); err != nil || string(v) != "v" {
		t.Fatalf("after a clean close: %q %v", v, err)
	}
	if _, err := OpenUnsynced("/dev/null/x"); err == nil {
		t.Fatal("bad dir")
	}
}

func TestLast(t *testing.T) {
	s := OpenMemory()
	defer s.Close()
	if _, _, err := s.Last([]byte("op")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty: %v", err)
	}
	b := s.NewBatch()
	for _, k := range []string{"op\x00\x01", "op\x00\x09", "op\x00\x05", "oq", "on"} {
		b.Put([]byte(k), []byte("v"+k))
	}
	if err := s.Write(b); err != nil {
		t.Fatal(err)
	}
	k, v, err := s.Last([]byte("op\x00"))
	if err != nil || string(k) != "op\x00\x09" || string(v) != "vop\x00\x09" {
		t.Fatalf("last: %q %q %v", k, v, err)
	}
	s.Close()
	if _, _, err := s.Last([]byte("op")); err == nil {
		t.Fatal("closed store answered")
	}
}
