package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/storage"
	"github.com/syndtr/goleveldb/leveldb/util"
)

var (
	// ErrNotFound is returned by Get for an absent key.
	ErrNotFound = errors.New("store: not found")
	// ErrLocked is returned by Open when another process holds the store.
	ErrLocked = errors.New("store: data directory is in use by another process")
	// ErrCorrupted is returned when LevelDB reports corruption. The store is
	// never repaired silently: repairing may drop records.
	ErrCorrupted = errors.New("store: data is corrupted")
	// ErrClosed is returned by operations on a closed store.
	ErrClosed = errors.New("store: closed")
)

// Reader reads keys. Both a Store and a Snapshot are Readers.
type Reader interface {
	// Get returns the value of key, or an error wrapping ErrNotFound.
	Get(key []byte) ([]byte, error)
	// Has reports whether key is present.
	Has(key []byte) (bool, error)
	// Iterate calls fn for each key with the given prefix, in key order,
	// until fn returns an error (returned as is) or the keys run out. The
	// slices passed to fn are only valid during the call.
	Iterate(prefix []byte, fn func(key, value []byte) error) error
}

// Store is a key-value store with atomic batches.
type Store interface {
	Reader
	// NewBatch returns an empty batch for Write.
	NewBatch() *Batch
	// Write applies the batch atomically and durably (fsync) before it
	// returns: an acknowledged write survives a crash.
	Write(b *Batch) error
	// Snapshot returns a consistent read-only view; Release it when done.
	Snapshot() (Snapshot, error)
	// Last returns the greatest key with the given prefix and its value, or
	// an error wrapping ErrNotFound when there is none. It seeks: its cost
	// does not grow with the number of keys.
	Last(prefix []byte) (key, value []byte, err error)
	Close() error
}

// Snapshot is a consistent, read-only view of the store at one point.
type Snapshot interface {
	Reader
	Release()
}

// Batch collects puts and deletes applied atomically by Store.Write.
// Later operations on the same key win. A Batch also answers reads of the
// keys it has written, so that several parts of one operation can see each
// other's pending writes.
type Batch struct {
	lb      leveldb.Batch
	pending map[string][]byte // nil value: deleted
}

// Put records key=value. The slices are copied.
func (b *Batch) Put(key, value []byte) {
	b.lb.Put(key, value)
	if b.pending == nil {
		b.pending = make(map[string][]byte)
	}
	b.pending[string(key)] = append([]byte{}, value...)
}

// Delete records the deletion of key.
func (b *Batch) Delete(key []byte) {
	b.lb.Delete(key)
	if b.pending == nil {
		b.pending = make(map[string][]byte)
	}
	b.pending[string(key)] = nil
}

// Pending returns the value the batch will write for key: (value, true,
// true) for a put, (nil, true, false) for a delete, and found=false when the
// batch does not touch key.
func (b *Batch) Pending(key []byte) (value []byte, found, present bool) {
	v, ok := b.pending[string(key)]
	if !ok {
		return nil, false, false
	}
	return v, true, v != nil
}

// Len is the number of operations recorded.
func (b *Batch) Len() int { return b.lb.Len() }

// Size is the approximate encoded size of the batch in bytes.
func (b *Batch) Size() int { return len(b.lb.Dump()) }

// LevelDB is a Store on goleveldb.
type LevelDB struct {
	mu     sync.RWMutex
	db     *leveldb.DB
	path   string
	closed bool
	noSync bool
}

// OpenUnsynced is Open without the fsync of each Write: an acknowledged
// write can be lost by a crash of the machine (not of the process). It
// exists to measure what fsync costs; the kernel never uses it.
func OpenUnsynced(dir string) (*LevelDB, error) {
	s, err := Open(dir)
	if err != nil {
		return nil, err
	}
	s.noSync = true
	return s, nil
}

// Open opens (creating if needed) the LevelDB store in dir. It fails with
// ErrLocked at once, not after a wait, when another process holds dir.
func Open(dir string) (*LevelDB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create %s: %w", dir, err)
	}
	db, err := leveldb.OpenFile(dir, &opt.Options{ErrorIfMissing: false})
	if err != nil {
		return nil, classifyOpen(dir, err)
	}
	return &LevelDB{db: db, path: dir}, nil
}

// OpenMemory returns a store kept in memory, for tests and dry runs. It runs
// the same LevelDB code as Open.
func OpenMemory() *LevelDB {
	db, err := leveldb.Open(storage.NewMemStorage(), nil)
	if err != nil {
		panic("store: memory storage cannot fail to open: " + err.Error())
	}
	return &LevelDB{db: db, path: ":memory:"}
}

func classifyOpen(dir string, err error) error {
	switch {
	case errors.Is(err, syscall.EWOULDBLOCK), errors.Is(err, syscall.EAGAIN):
		return fmt.Errorf("%w: %s (%v)", ErrLocked, dir, err)
	case lerrors.IsCorrupted(err):
		return fmt.Errorf("%w: %s: %v", ErrCorrupted, dir, err)
	}
	return fmt.Errorf("store: open %s: %w", filepath.Clean(dir), err)
}

func (s *LevelDB) wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, leveldb.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, leveldb.ErrClosed):
		return ErrClosed
	case lerrors.IsCorrupted(err):
		return fmt.Errorf("%w: %s: %s: %v", ErrCorrupted, s.path, op, err)
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// Path is the data directory, or ":memory:".
func (s *LevelDB) Path() string { return s.path }

func (s *LevelDB) Get(key []byte) ([]byte, error) {
	v, err := s.db.Get(key, nil)
	return v, s.wrap("get", err)
}

func (s *LevelDB) Has(key []byte) (bool, error) {
	ok, err := s.db.Has(key, nil)
	return ok, s.wrap("has", err)
}

func (s *LevelDB) Iterate(prefix []byte, fn func(key, value []byte) error) error {
	return iterate(s.db.NewIterator(util.BytesPrefix(prefix), nil), s, fn)
}

type iterator interface {
	Next() bool
	Key() []byte
	Value() []byte
	Release()
	Error() error
}

func iterate(it iterator, s *LevelDB, fn func(key, value []byte) error) error {
	defer it.Release()
	for it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			return err
		}
	}
	return s.wrap("iterate", it.Error())
}

func (s *LevelDB) NewBatch() *Batch { return &Batch{} }

func (s *LevelDB) Last(prefix []byte) ([]byte, []byte, error) {
	it := s.db.NewIterator(util.BytesPrefix(prefix), nil)
	defer it.Release()
	if !it.Last() {
		if err := it.Error(); err != nil {
			return nil, nil, s.wrap("last", err)
		}
		return nil, nil, ErrNotFound
	}
	return append([]byte(nil), it.Key()...), append([]byte(nil), it.Value()...), nil
}

func (s *LevelDB) Write(b *Batch) error {
	return s.wrap("write", s.db.Write(&b.lb, &opt.WriteOptions{Sync: !s.noSync}))
}

func (s *LevelDB) Snapshot() (Snapshot, error) {
	snap, err := s.db.GetSnapshot()
	if err != nil {
		return nil, s.wrap("snapshot", err)
	}
	return &levelSnapshot{snap: snap, s: s}, nil
}

func (s *LevelDB) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.wrap("close", s.db.Close())
}

type levelSnapshot struct {
	snap *leveldb.Snapshot
	s    *LevelDB
}

func (l *levelSnapshot) Get(key []byte) ([]byte, error) {
	v, err := l.snap.Get(key, nil)
	return v, l.s.wrap("get", err)
}

func (l *levelSnapshot) Has(key []byte) (bool, error) {
	ok, err := l.snap.Has(key, nil)
	return ok, l.s.wrap("has", err)
}

func (l *levelSnapshot) Iterate(prefix []byte, fn func(key, value []byte) error) error {
	return iterate(l.snap.NewIterator(util.BytesPrefix(prefix), nil), l.s, fn)
}

func (l *levelSnapshot) Release() { l.snap.Release() }

// Key joins parts into a store key with 0x00 separators, the convention for
// namespaced keys (prefix, then ids). Parts must not contain 0x00.
func Key(parts ...[]byte) []byte { return bytes.Join(parts, []byte{0}) }
