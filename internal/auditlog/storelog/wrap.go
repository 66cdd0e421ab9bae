package storelog

import (
	"fmt"
	"sync"

	"github.com/mcpzero/mcpzero/internal/auditlog"
	"github.com/mcpzero/mcpzero/internal/store"
)

// prefixStaged holds entries staged in a batch until it is written; the
// key never reaches the database (Write deletes it in the same batch).
var prefixStaged = store.Key(prefix, []byte("staged"), nil)

// maxStaged bounds the entries one batch may stage.
const maxStaged = 1 << 16

// Stage records, inside b, that e is to be appended to the log when b is
// written through a Store from Wrap. Commit hooks call it: several parts of
// one operation (the kernel, the security manager) may each stage entries,
// and the log assigns their indexes only at the write, under its lock, so
// that operations committed by different components never race for an
// index. A batch dropped without a write leaves no trace.
func Stage(b *store.Batch, e auditlog.Entry) error {
	e.Index = 0
	data, err := e.Encode()
	if err != nil {
		return err
	}
	for i := uint64(0); i < maxStaged; i++ {
		if _, found, _ := b.Pending(keyOf(prefixStaged, i)); !found {
			b.Put(keyOf(prefixStaged, i), data)
			return nil
		}
	}
	return fmt.Errorf("storelog: more than %d entries staged in one batch", maxStaged)
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
// size read at the append is the size the write extends.
func (s *Store) Write(b *store.Batch) error {
	var staged []auditlog.Entry
	for i := uint64(0); i < maxStaged; i++ {
		data, found, present := b.Pending(keyOf(prefixStaged, i))
		if !found {
			break
		}
		if !present {
			continue
		}
		e, err := auditlog.DecodeEntry(data)
		if err != nil {
			return fmt.Errorf("storelog: staged entry %d: %w", i, err)
		}
		staged = append(staged, *e)
		b.Delete(keyOf(prefixStaged, i))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(staged) > 0 {
		if _, err := s.log.AppendAll(b, staged...); err != nil {
			return err
		}
	}
	return s.Store.Write(b)
}

var _ store.Store = (*Store)(nil)
