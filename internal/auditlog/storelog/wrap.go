package storelog

import (
	"runtime"
	"sync"
	"weak"

	"github.com/mcpzero/mcpzero/internal/auditlog"
	"github.com/mcpzero/mcpzero/internal/store"
)

// staged holds the entries staged for each batch until it is written. It is
// a side table rather than keys in the batch so that staging adds nothing
// to what LevelDB writes; a batch dropped without a write is forgotten when
// the garbage collector frees it (weak key plus cleanup).
var staged = struct {
	sync.Mutex
	m map[weak.Pointer[store.Batch]][]auditlog.Entry
}{m: map[weak.Pointer[store.Batch]][]auditlog.Entry{}}

func forget(wp weak.Pointer[store.Batch]) {
	staged.Lock()
	delete(staged.m, wp)
	staged.Unlock()
}

// Stage records that e is to be appended to the log when b is written
// through a Store from Wrap. Commit hooks call it: several parts of one
// operation (the kernel, the security manager) may each stage entries, and
// the log assigns their indexes only at the write, under its lock, so that
// operations committed by different components never race for an index. A
// batch dropped without a write leaves no trace. e is checked now (it must
// encode), so that a bad entry fails the operation that made it.
func Stage(b *store.Batch, e auditlog.Entry) error {
	e.Index = 0
	if _, err := e.Encode(); err != nil {
		return err
	}
	wp := weak.Make(b)
	staged.Lock()
	list, ok := staged.m[wp]
	staged.m[wp] = append(list, e)
	staged.Unlock()
	if !ok {
		runtime.AddCleanup(b, forget, wp)
	}
	return nil
}

// takeStaged removes and returns the entries staged for b.
func takeStaged(b *store.Batch) []auditlog.Entry {
	wp := weak.Make(b)
	staged.Lock()
	defer staged.Unlock()
	list := staged.m[wp]
	delete(staged.m, wp)
	return list
}

func stagedBatches() int {
	staged.Lock()
	defer staged.Unlock()
	return len(staged.m)
}

// Store is a store.Store whose Write appends the entries staged in a batch
// to the log, in the same atomic write as the batch's other changes.
type Store struct {
	store.Store
	log *Log
	mu  sync.Mutex
}

// Wrap returns st with log appends at write time. log must have a signer.
func Wrap(st store.Store, log *Log) *Store { return &Store{Store: st, log: log} }

// Log is the wrapped log.
func (s *Store) Log() *Log { return s.log }

// Write appends the staged entries (if any), with one new signed
// checkpoint, and writes the batch. Writes are serialised so that the log's
// size read at the append is the size the write extends. When the append
// or the write fails, nothing is written and the entries are dropped with
// the operation.
func (s *Store) Write(b *store.Batch) error {
	entries := takeStaged(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(entries) > 0 {
		if _, err := s.log.AppendAll(b, entries...); err != nil {
			return err
		}
	}
	return s.Store.Write(b)
}

var _ store.Store = (*Store)(nil)
