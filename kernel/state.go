package kernel

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"sort"
	"sync"

	"github.com/mcpzero/mcpzero/internal/store"
)

// StateRootDomain starts the hash of every state root (docs/KERNEL.md).
const StateRootDomain = "mcpzero/state/v1\x00"

// stateHasher computes a state root: SHA-256 over StateRootDomain followed,
// for each entry in increasing key order, by u32be(len key) || key ||
// u32be(len value) || value.
type stateHasher struct {
	h   hash.Hash
	buf [4]byte
}

func newStateHasher() *stateHasher {
	s := &stateHasher{h: sha256.New()}
	s.h.Write([]byte(StateRootDomain))
	return s
}

func (s *stateHasher) add(k, v []byte) {
	binary.BigEndian.PutUint32(s.buf[:], uint32(len(k)))
	s.h.Write(s.buf[:])
	s.h.Write(k)
	binary.BigEndian.PutUint32(s.buf[:], uint32(len(v)))
	s.h.Write(s.buf[:])
	s.h.Write(v)
}

func (s *stateHasher) sum() (d Digest) {
	s.h.Sum(d[:0])
	return d
}

// StateRoot computes the state root of entries given in any order.
func StateRoot(entries map[string][]byte) Digest {
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := newStateHasher()
	for _, k := range keys {
		h.add([]byte(k), entries[k])
	}
	return h.sum()
}

// EmptyStateRoot is the state root of an agent with no state.
var EmptyStateRoot = StateRoot(nil)

func statePrefix(id AgentID) []byte { return store.Key(pfxState, []byte(id), nil) }

func stateKey(id AgentID, key []byte) []byte { return store.Key(pfxState, []byte(id), key) }

// overlay is one call's view of an agent's state: the stored state under
// its pending writes. It records the first read of each key for replay.
type overlay struct {
	r      store.Reader
	agent  AgentID
	writes map[string][]byte // nil value: deleted
	seen   map[string]bool
	reads  []StateRead
	bytes  int64 // total state bytes with the writes applied
	keys   int   // number of entries with the writes applied
	limit  int64
}

func newOverlay(r store.Reader, a *agentRecord) *overlay {
	return &overlay{r: r, agent: a.ID, writes: map[string][]byte{}, seen: map[string]bool{},
		bytes: a.StateBytes, keys: a.StateKeys, limit: a.Constraints.StateBytes}
}

func (o *overlay) stored(key []byte) ([]byte, bool, error) {
	v, err := o.r.Get(stateKey(o.agent, key))
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}

func (o *overlay) get(key []byte) ([]byte, bool, error) {
	if v, ok := o.writes[string(key)]; ok {
		return v, v != nil, nil
	}
	v, ok, err := o.stored(key)
	if err != nil {
		return nil, false, err
	}
	if !o.seen[string(key)] {
		o.seen[string(key)] = true
		o.reads = append(o.reads, StateRead{Key: append([]byte(nil), key...), Value: v, Present: ok})
	}
	return v, ok, nil
}

func (o *overlay) set(key, value []byte) error {
	old, ok, err := o.get(key)
	if err != nil {
		return err
	}
	size := o.bytes + int64(len(key)+len(value))
	keys := o.keys + 1
	if ok {
		size -= int64(len(key) + len(old))
		keys--
	}
	if size > o.limit {
		return fmt.Errorf("%w: state of agent %s would be %d bytes, limit %d", ErrResourceExceeded, o.agent, size, o.limit)
	}
	o.writes[string(key)] = value
	o.bytes, o.keys = size, keys
	return nil
}

func (o *overlay) del(key []byte) error {
	old, ok, err := o.get(key)
	if err != nil || !ok {
		return err
	}
	o.writes[string(key)] = nil
	o.bytes -= int64(len(key) + len(old))
	o.keys--
	return nil
}

// stateEntry is one entry of an agent's state.
type stateEntry struct {
	key   string
	value []byte
}

// written is the bytes the writes put in the store: len(key)+len(value)
// of each key set (OpRecord.StateWritten).
func (o *overlay) written() uint64 {
	var n uint64
	for k, v := range o.writes {
		if v != nil {
			n += uint64(len(k) + len(v))
		}
	}
	return n
}

// apply adds the writes to b and returns the new state root and the new
// sorted state: a merge of base (the stored entries in key order) with the
// sorted writes.
func (o *overlay) apply(b *store.Batch, base []stateEntry) (Digest, []stateEntry) {
	wkeys := make([]string, 0, len(o.writes))
	for k, v := range o.writes {
		wkeys = append(wkeys, k)
		if v == nil {
			b.Delete(stateKey(o.agent, []byte(k)))
		} else {
			b.Put(stateKey(o.agent, []byte(k)), v)
		}
	}
	sort.Strings(wkeys)
	out := make([]stateEntry, 0, len(base)+len(wkeys))
	h := newStateHasher()
	emit := func(k string, v []byte) {
		if v != nil {
			out = append(out, stateEntry{k, v})
			h.add([]byte(k), v)
		}
	}
	i, j := 0, 0
	for i < len(base) || j < len(wkeys) {
		switch {
		case j == len(wkeys) || (i < len(base) && base[i].key < wkeys[j]):
			emit(base[i].key, base[i].value)
			i++
		case i == len(base) || wkeys[j] < base[i].key:
			emit(wkeys[j], o.writes[wkeys[j]])
			j++
		default: // the same key: the write wins
			emit(wkeys[j], o.writes[wkeys[j]])
			i++
			j++
		}
	}
	return h.sum(), out
}

// stateCache keeps the sorted state of recently used agents in memory, so
// that an execute computes its new state root without scanning LevelDB (a
// prefix scan must skip every overwritten version of a key still in the
// memtable, which made the scan grow with the number of executes). Entries
// are read and replaced only under the agent's lock; the cache is bounded in
// bytes and evicts whole agents.
type stateCache struct {
	mu     sync.Mutex
	agents map[AgentID]cachedState
	bytes  int64
	limit  int64
}

type cachedState struct {
	entries []stateEntry
	size    int64
}

// DefaultStateCacheBytes bounds the state cache (WithStateCacheBytes).
const DefaultStateCacheBytes = 64 << 20

func (c *stateCache) get(id AgentID) ([]stateEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.agents[id]
	return s.entries, ok
}

func (c *stateCache) put(id AgentID, entries []stateEntry, size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.agents[id]; ok {
		c.bytes -= old.size
		delete(c.agents, id)
	}
	if size > c.limit {
		return
	}
	for other, s := range c.agents {
		if c.bytes+size <= c.limit {
			break
		}
		c.bytes -= s.size
		delete(c.agents, other)
	}
	c.agents[id] = cachedState{entries, size}
	c.bytes += size
}

func (c *stateCache) drop(id AgentID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.agents[id]; ok {
		c.bytes -= old.size
		delete(c.agents, id)
	}
}

// snapshot content: "MZSNAP1\n", u32be(#plugins), digests, then each state
// entry as u32be(len k) k u32be(len v) v in key order. Its SHA-256 is the
// snapshot id.
const snapMagic = "MZSNAP1\n"

func encodeSnapshot(pluginsList []Digest, entries [][2][]byte) []byte {
	var b bytes.Buffer
	b.WriteString(snapMagic)
	b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(pluginsList))))
	for _, d := range pluginsList {
		b.Write(d[:])
	}
	for _, e := range entries {
		b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(e[0]))))
		b.Write(e[0])
		b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(e[1]))))
		b.Write(e[1])
	}
	return b.Bytes()
}

func decodeSnapshot(id SnapshotID, data []byte) ([]Digest, [][2][]byte, error) {
	bad := fmt.Errorf("%w: snapshot %s is malformed", ErrCorrupted, id)
	if Sum(data).String() != string(id) {
		return nil, nil, fmt.Errorf("%w: snapshot %s does not hash to its id", ErrCorrupted, id)
	}
	if !bytes.HasPrefix(data, []byte(snapMagic)) || len(data) < len(snapMagic)+4 {
		return nil, nil, bad
	}
	p := data[len(snapMagic):]
	n := binary.BigEndian.Uint32(p)
	p = p[4:]
	if uint64(len(p)) < uint64(n)*32 {
		return nil, nil, bad
	}
	ds := make([]Digest, n)
	for i := range ds {
		copy(ds[i][:], p[:32])
		p = p[32:]
	}
	var entries [][2][]byte
	next := func() ([]byte, bool) {
		if len(p) < 4 {
			return nil, false
		}
		l := binary.BigEndian.Uint32(p)
		if uint64(len(p)-4) < uint64(l) {
			return nil, false
		}
		v := p[4 : 4+l]
		p = p[4+l:]
		return v, true
	}
	for len(p) > 0 {
		k, ok1 := next()
		v, ok2 := next()
		if !ok1 || !ok2 {
			return nil, nil, bad
		}
		entries = append(entries, [2][]byte{k, v})
	}
	return ds, entries, nil
}
