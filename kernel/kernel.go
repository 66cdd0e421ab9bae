package kernel

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/plugins"
)

// Store key prefixes (docs/KERNEL.md, "Storage layout"). Parts are joined
// with 0x00 by store.Key.
var (
	pfxAgent    = []byte("agent")  // agent/<id> -> agentRecord JSON
	pfxState    = []byte("state")  // state/<id>/<key> -> value
	pfxPlugin   = []byte("plugin") // plugin/<digest hex> -> pluginRecord JSON
	pfxPName    = []byte("pname")  // pname/<name> -> digest hex (latest install)
	pfxWasm     = []byte("wasm")   // wasm/<digest hex> -> wasm bytes (kept for replay)
	pfxSnap     = []byte("snap")   // snap/<snapshot id> -> snapshot content
	pfxAgentSn  = []byte("asnap")  // asnap/<agent>/<snapshot id> -> SnapshotInfo JSON
	pfxOp       = []byte("op")     // op/<seq, 8 bytes big-endian> -> OpRecord JSON
	pfxAgentOp  = []byte("aop")    // aop/<agent>/<seq, 8 bytes BE> -> empty
	pfxExec     = []byte("exec")   // exec/<seq, 8 bytes BE> -> ExecRecord JSON
	agentPrefix = "agent-"
)

func seqBytes(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// Kernel is the Agent Manager. It is safe for concurrent use: operations on
// different agents run in parallel, operations on one agent one at a time.
// Commits (the atomic batch of each operation) are serialized in sequence
// order.
type Kernel struct {
	st     store.Store
	sb     *plugins.Sandbox
	cfg    config
	verify plugins.Verifier
	auth   Authorizer
	locks  sync.Map // AgentID -> *sync.Mutex
	// attachMu orders AttachPlugin (shared) against RemovePlugin
	// (exclusive), so that a plugin cannot be removed while it is attached.
	attachMu sync.RWMutex
	pluginM  sync.Mutex
	plugins  map[Digest]*loadedPlugin // installed plugins, loaded lazily

	cache stateCache

	commitMu sync.Mutex
	seq      uint64 // last committed sequence number
	closed   bool
}

type loadedPlugin struct {
	rec  pluginRecord
	wasm []byte
}

type pluginRecord struct {
	Manifest   plugins.Manifest `json:"manifest"`
	KeyID      string           `json:"key_id,omitempty"`
	Unsigned   bool             `json:"unsigned,omitempty"`
	InstallSeq uint64           `json:"install_seq"`
	Size       int              `json:"size"`
}

func (p *pluginRecord) info(d Digest) PluginInfo {
	m := p.Manifest
	return PluginInfo{Digest: d, Name: m.Name, Version: m.Version, Methods: m.Methods, Caps: m.Capabilities,
		KeyID: p.KeyID, Unsigned: p.Unsigned, Size: p.Size, InstallSeq: p.InstallSeq}
}

// Open returns a kernel on st. The caller keeps ownership of st: Close the
// kernel, then the store.
func Open(st store.Store, opts ...Option) (*Kernel, error) {
	cfg := config{engine: plugins.EngineCompiler, trusted: plugins.KeySet{}, stateCacheBytes: DefaultStateCacheBytes}
	for _, o := range opts {
		o(&cfg)
	}
	sbOpts := []plugins.SandboxOption{plugins.WithEngine(cfg.engine)}
	if cfg.cacheDir != "" {
		sbOpts = append(sbOpts, plugins.WithCacheDir(cfg.cacheDir))
	}
	if cfg.meter != nil {
		sbOpts = append(sbOpts, plugins.WithMeter(cfg.meter))
	}
	sb, err := plugins.NewSandbox(sbOpts...)
	if err != nil {
		return nil, err
	}
	k := &Kernel{st: st, sb: sb, cfg: cfg, plugins: map[Digest]*loadedPlugin{},
		cache: stateCache{agents: map[AgentID]cachedState{}, limit: cfg.stateCacheBytes}}
	k.verify = cfg.trusted
	if cfg.verifierSet {
		k.verify = cfg.verifier
	}
	k.auth = cfg.authorizer
	if k.auth == nil {
		k.auth = DefaultAuthorizer{}
	}
	// The sequence counter is the key of the last operation record.
	key, _, err := st.Last(store.Key(pfxOp, nil))
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		sb.Close(context.Background())
		return nil, fmt.Errorf("kernel: read sequence: %w", err)
	case len(key) != len(pfxOp)+1+8:
		sb.Close(context.Background())
		return nil, fmt.Errorf("%w: operation key %q", ErrCorrupted, key)
	default:
		k.seq = binary.BigEndian.Uint64(key[len(key)-8:])
	}
	return k, nil
}

// Close releases the sandbox. It does not close the store.
func (k *Kernel) Close() error {
	k.commitMu.Lock()
	k.closed = true
	k.commitMu.Unlock()
	return k.sb.Close(context.Background())
}

// Engine is the wazero engine the kernel runs plugins on.
func (k *Kernel) Engine() plugins.Engine { return k.sb.Engine() }

// Seq is the sequence number of the last committed operation.
func (k *Kernel) Seq() uint64 {
	k.commitMu.Lock()
	defer k.commitMu.Unlock()
	return k.seq
}

func (k *Kernel) lock(id AgentID) func() {
	m, _ := k.locks.LoadOrStore(id, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// commit assigns the next sequence number to rec, lets prepare add the
// writes that depend on it, puts the record, runs the commit hooks and
// writes the batch atomically and durably. On any error nothing is written
// and the sequence number is not used.
func (k *Kernel) commit(b *store.Batch, rec *OpRecord, prepare func(seq uint64)) error {
	k.commitMu.Lock()
	defer k.commitMu.Unlock()
	if k.closed {
		return ErrClosed
	}
	seq := k.seq + 1
	rec.Seq = seq
	if prepare != nil {
		prepare(seq)
	}
	if rec.Agent != "" {
		b.Put(store.Key(pfxAgentOp, []byte(rec.Agent), seqBytes(seq)), nil)
	}
	b.Put(store.Key(pfxOp, seqBytes(seq)), mustJSON(rec))
	for _, h := range k.cfg.hooks {
		if err := h.BeforeCommit(b, rec); err != nil {
			return fmt.Errorf("kernel: %s aborted by commit hook: %w", rec.Kind, err)
		}
	}
	if err := k.st.Write(b); err != nil {
		return fmt.Errorf("kernel: commit %s: %w", rec.Kind, err)
	}
	k.seq = seq
	return nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("kernel: record cannot fail to marshal: " + err.Error())
	}
	return b
}

func getJSON(r store.Reader, key []byte, v any, what string) error {
	b, err := r.Get(key)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %s", ErrNotFound, what)
	}
	if err != nil {
		return err
	}
	return getJSONBytes(b, v, what)
}

// Record returns the operation record with sequence number seq.
func (k *Kernel) Record(seq uint64) (*OpRecord, error) {
	var r OpRecord
	if err := getJSON(k.st, store.Key(pfxOp, seqBytes(seq)), &r, fmt.Sprintf("operation %d", seq)); err != nil {
		return nil, err
	}
	return &r, nil
}

// ExecRecord returns what a replay of the execute with sequence number seq
// needs: params, state reads, output and log.
func (k *Kernel) ExecRecord(seq uint64) (*ExecRecord, error) {
	var r ExecRecord
	if err := getJSON(k.st, store.Key(pfxExec, seqBytes(seq)), &r, fmt.Sprintf("execute %d", seq)); err != nil {
		return nil, err
	}
	return &r, nil
}

// Records returns the agent's most recent operation records, newest first,
// at most limit (all when limit <= 0).
func (k *Kernel) Records(id AgentID, limit int) ([]OpRecord, error) {
	var seqs []uint64
	err := k.st.Iterate(store.Key(pfxAgentOp, []byte(id), nil), func(key, _ []byte) error {
		seqs = append(seqs, binary.BigEndian.Uint64(key[len(key)-8:]))
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []OpRecord
	for i := len(seqs) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		r, err := k.Record(seqs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, nil
}

// Wasm returns the wasm bytes with the given digest. Bytes stay stored after
// a plugin is removed, so that logged executes can be replayed.
func (k *Kernel) Wasm(d Digest) ([]byte, error) {
	b, err := k.st.Get(store.Key(pfxWasm, []byte(d.String())))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: wasm %s", ErrNotFound, d)
	}
	if err == nil && Sum(b) != d {
		return nil, fmt.Errorf("%w: wasm %s does not hash to its key", ErrCorrupted, d)
	}
	return b, err
}
