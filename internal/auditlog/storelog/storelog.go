package storelog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/mcpzero/mcpzero/internal/auditlog"
	"github.com/mcpzero/mcpzero/internal/store"
)

// Store keys, all under the "audit" namespace:
//
//	audit 0x00 size                  big-endian u64: number of entries
//	audit 0x00 e  0x00 <u64 index>   canonical entry encoding
//	audit 0x00 h  0x00 <u64 index>   32-byte stored hash (tlog's layout)
//	audit 0x00 cp 0x00 <u64 size>    signed checkpoint note of that size
//	audit 0x00 seq 0x00 <u64 seq>    big-endian u64 index of the first entry of that seq
//	audit 0x00 bundle 0x00 <digest>  a proof bundle linked by a proof_stored entry (proof.go)
var (
	prefix      = []byte("audit")
	keySize     = store.Key(prefix, []byte("size"))
	prefixEntry = store.Key(prefix, []byte("e"), nil)
	prefixHash  = store.Key(prefix, []byte("h"), nil)
	prefixCP    = store.Key(prefix, []byte("cp"), nil)
	prefixSeq   = store.Key(prefix, []byte("seq"), nil)
)

func keyOf(p []byte, n uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte{}, p...), n)
}

// Errors of the store-backed log (besides auditlog's).
var (
	// ErrNotFound: no entry, checkpoint or proof for what was asked.
	ErrNotFound = errors.New("storelog: not found")
	// ErrTampered: the stored log is inconsistent with itself or with its
	// signed checkpoints. The message names the first thing that failed.
	ErrTampered = errors.New("storelog: audit log tampered with")
	// ErrReadOnly: an append or checkpoint on a log opened without a signer.
	ErrReadOnly = errors.New("storelog: log opened without a signing key")
)

// Log is the operation log in a store.
type Log struct {
	st       store.Reader
	signer   note.Signer
	origin   string
	onDemand bool
	cache    hashCache
}

// Option configures a Log.
type Option func(*Log)

// WithSigner sets the kernel's checkpoint signer; without one the log is
// read-only. The signer's name is the log's origin.
func WithSigner(s note.Signer) Option { return func(l *Log) { l.signer, l.origin = s, s.Name() } }

// WithCheckpointsOnDemand stops signing a checkpoint in every append's
// batch: each batch still commits the entry and the tree's hashes (so the
// root of every size is fixed at its write), and a checkpoint of any size
// is signed when asked for (Checkpoint, Latest, Export, SignCheckpoint).
// Signing is an ed25519 signature per operation; this option takes it off
// the operation's path for embedders with high operation rates.
func WithCheckpointsOnDemand() Option { return func(l *Log) { l.onDemand = true } }

// New returns the log kept in st.
func New(st store.Reader, opts ...Option) *Log {
	l := &Log{st: st}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Origin is the log's name (the signer's name), or "" for a read-only log.
func (l *Log) Origin() string { return l.origin }

// reader reads through a batch's pending writes to the store.
type reader struct {
	st    store.Reader
	b     *store.Batch
	cache *hashCache
}

// hashCache keeps stored hashes read from the store. A stored hash is
// written once, at the append that completes its subtree, and never
// changes, so a committed value can be cached for good; values pending in
// a batch are never cached (the batch may be dropped). The tree's right
// edge, read by every append and root, stays in it. Bounded: cleared when
// full.
type hashCache struct {
	mu sync.Mutex
	m  map[int64]tlog.Hash
}

const hashCacheMax = 4096

func (c *hashCache) get(i int64) (tlog.Hash, bool) {
	if c == nil {
		return tlog.Hash{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.m[i]
	return h, ok
}

func (c *hashCache) put(i int64, h tlog.Hash) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= hashCacheMax {
		c.m = make(map[int64]tlog.Hash, 64)
	}
	c.m[i] = h
}

func (r reader) get(key []byte) ([]byte, error) {
	if r.b != nil {
		if v, found, present := r.b.Pending(key); found {
			if !present {
				return nil, store.ErrNotFound
			}
			return v, nil
		}
	}
	return r.st.Get(key)
}

func (r reader) size() (int64, error) {
	v, err := r.get(keySize)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(v) != 8 || int64(binary.BigEndian.Uint64(v)) < 0 {
		return 0, fmt.Errorf("%w: log size record is %d bytes, not a size", ErrTampered, len(v))
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

// ReadHashes implements tlog.HashReader over the stored hashes.
func (r reader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		key := keyOf(prefixHash, uint64(x))
		var v []byte
		committed := false
		if r.b != nil {
			if pv, found, present := r.b.Pending(key); found {
				if !present {
					return nil, fmt.Errorf("%w: stored hash %d is missing", ErrTampered, x)
				}
				v = pv
			}
		}
		if v == nil {
			if h, ok := r.cache.get(x); ok {
				out[i] = h
				continue
			}
			var err error
			v, err = r.st.Get(key)
			if errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("%w: stored hash %d is missing", ErrTampered, x)
			}
			if err != nil {
				return nil, err
			}
			committed = true
		}
		if len(v) != tlog.HashSize {
			return nil, fmt.Errorf("%w: stored hash %d is %d bytes", ErrTampered, x, len(v))
		}
		copy(out[i][:], v)
		if committed {
			r.cache.put(x, out[i])
		}
	}
	return out, nil
}

// Append adds e to the log inside batch b: the entry, the tree's new stored
// hashes, the new size and a new signed checkpoint. e.Index is assigned
// (to the log's size). Several
// appends may go into one batch; each sees the ones before it.
func (l *Log) Append(b *store.Batch, e auditlog.Entry) (auditlog.Entry, error) {
	out, err := l.AppendAll(b, e)
	if err != nil {
		return auditlog.Entry{}, err
	}
	return out[0], nil
}

// AppendAll appends entries in order and signs one checkpoint for the
// resulting size (instead of one per entry).
//
// The log's order is the order of appends. Seq, the kernel's logical time,
// is recorded as given and not required to increase: a security change
// carries the time of the latest kernel operation, so several entries may
// share one seq, and a change racing an operation may carry the time before
// it.
func (l *Log) AppendAll(b *store.Batch, entries ...auditlog.Entry) ([]auditlog.Entry, error) {
	if l.signer == nil {
		return nil, ErrReadOnly
	}
	r := reader{st: l.st, b: b, cache: &l.cache}
	n, err := r.size()
	if err != nil {
		return nil, err
	}
	out := make([]auditlog.Entry, 0, len(entries))
	for _, e := range entries {
		e.Index = uint64(n)
		data, err := e.Encode()
		if err != nil {
			return nil, err
		}
		hashes, err := tlog.StoredHashes(n, data, r)
		if err != nil {
			return nil, fmt.Errorf("storelog: tree hashes for entry %d: %w", n, err)
		}
		base := tlog.StoredHashCount(n)
		for i, h := range hashes {
			b.Put(keyOf(prefixHash, uint64(base+int64(i))), h[:])
		}
		b.Put(keyOf(prefixEntry, uint64(n)), data)
		// The seq index names the first entry of each logical time
		// (security changes carry the time of the latest operation).
		if _, err := r.get(keyOf(prefixSeq, e.Seq)); errors.Is(err, store.ErrNotFound) {
			b.Put(keyOf(prefixSeq, e.Seq), binary.BigEndian.AppendUint64(nil, uint64(n)))
		} else if err != nil {
			return nil, err
		}
		n++
		b.Put(keySize, binary.BigEndian.AppendUint64(nil, uint64(n)))
		out = append(out, e)
	}
	if !l.onDemand {
		if _, err := l.checkpoint(r, b, n); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkpoint signs the checkpoint of size n, puts it into b and returns it.
func (l *Log) checkpoint(r reader, b *store.Batch, n int64) ([]byte, error) {
	root, err := tlog.TreeHash(n, r)
	if err != nil {
		return nil, fmt.Errorf("storelog: tree hash of size %d: %w", n, err)
	}
	msg, err := auditlog.SignCheckpoint(auditlog.Checkpoint{Origin: l.origin, Size: n, Root: root}, l.signer)
	if err != nil {
		return nil, err
	}
	b.Put(keyOf(prefixCP, uint64(n)), msg)
	return msg, nil
}

// SignCheckpoint signs a checkpoint of the log's current size on demand,
// stores it through b (the caller writes b) and returns it. Signing is
// deterministic, so it equals the checkpoint stored at the last append.
func (l *Log) SignCheckpoint(b *store.Batch) ([]byte, error) {
	if l.signer == nil {
		return nil, ErrReadOnly
	}
	r := reader{st: l.st, b: b, cache: &l.cache}
	n, err := r.size()
	if err != nil {
		return nil, err
	}
	return l.checkpoint(r, b, n)
}

// Size is the number of entries in the log.
func (l *Log) Size() (int64, error) { return reader{st: l.st, cache: &l.cache}.size() }

// Entry returns the entry at index and its stored bytes.
func (l *Log) Entry(index int64) (*auditlog.Entry, []byte, error) {
	r := reader{st: l.st, cache: &l.cache}
	data, err := l.entryBytes(r, index)
	if err != nil {
		return nil, nil, err
	}
	e, err := decodeAt(index, data)
	return e, data, err
}

func decodeAt(index int64, data []byte) (*auditlog.Entry, error) {
	e, err := auditlog.DecodeEntry(data)
	if err != nil {
		return nil, fmt.Errorf("%w: entry %d: %w", ErrTampered, index, err)
	}
	if e.Index != uint64(index) {
		return nil, fmt.Errorf("%w: entry stored at %d declares index %d (entries reordered)", ErrTampered, index, e.Index)
	}
	return e, nil
}

func (l *Log) entryBytes(r reader, index int64) ([]byte, error) {
	n, err := r.size()
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= n {
		return nil, fmt.Errorf("%w: entry %d (the log has %d entries)", ErrNotFound, index, n)
	}
	data, err := r.get(keyOf(prefixEntry, uint64(index)))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: entry %d of %d is missing", ErrTampered, index, n)
	}
	return data, err
}

// IndexOfSeq returns the index of the first entry of kernel logical time seq.
func (l *Log) IndexOfSeq(seq uint64) (int64, error) {
	v, err := l.st.Get(keyOf(prefixSeq, seq))
	if errors.Is(err, store.ErrNotFound) {
		return 0, fmt.Errorf("%w: no entry of seq %d", ErrNotFound, seq)
	}
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: seq index of %d is %d bytes", ErrTampered, seq, len(v))
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

// Checkpoint returns the signed checkpoint of size n: the one stored at the
// append that reached n, or, when none was stored (checkpoints on demand)
// and the log has a signer, one signed now (not stored; signing is
// deterministic, so it is the same bytes every time).
func (l *Log) Checkpoint(n int64) ([]byte, error) {
	if n <= 0 {
		return nil, fmt.Errorf("%w: checkpoint of size %d (checkpoints start at size 1)", ErrNotFound, n)
	}
	v, err := l.st.Get(keyOf(prefixCP, uint64(n)))
	if errors.Is(err, store.ErrNotFound) {
		size, serr := l.Size()
		if serr != nil {
			return nil, serr
		}
		if l.signer == nil || n > size {
			return nil, fmt.Errorf("%w: no checkpoint of size %d", ErrNotFound, n)
		}
		root, err := l.Root(n)
		if err != nil {
			return nil, err
		}
		return auditlog.SignCheckpoint(auditlog.Checkpoint{Origin: l.origin, Size: n, Root: root}, l.signer)
	}
	return v, err
}

// Latest returns the checkpoint of the log's current size.
func (l *Log) Latest() ([]byte, error) {
	n, err := l.Size()
	if err != nil {
		return nil, err
	}
	return l.Checkpoint(n)
}

// InclusionProof proves entry index in the tree of size n.
func (l *Log) InclusionProof(index, n int64) (tlog.RecordProof, error) {
	size, err := l.Size()
	if err != nil {
		return nil, err
	}
	if n > size || index < 0 || index >= n {
		return nil, fmt.Errorf("%w: inclusion proof of entry %d in a tree of size %d (the log has %d entries)", ErrNotFound, index, n, size)
	}
	return tlog.ProveRecord(n, index, reader{st: l.st, cache: &l.cache})
}

// ConsistencyProof proves that the tree of size n extends the tree of size
// old.
func (l *Log) ConsistencyProof(old, n int64) (tlog.TreeProof, error) {
	size, err := l.Size()
	if err != nil {
		return nil, err
	}
	if old < 0 || old > n || n > size {
		return nil, fmt.Errorf("%w: consistency proof from size %d to %d (the log has %d entries)", ErrNotFound, old, n, size)
	}
	if old == 0 || old == n {
		return tlog.TreeProof{}, nil
	}
	return tlog.ProveTree(n, old, reader{st: l.st, cache: &l.cache})
}

// Root is the tree hash of the first n entries, from the stored hashes.
func (l *Log) Root(n int64) (tlog.Hash, error) {
	return tlog.TreeHash(n, reader{st: l.st, cache: &l.cache})
}
