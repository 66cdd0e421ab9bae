package security

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/mcpzero/mcpzero/internal/store"
)

// Store key prefixes, each followed by 0x00 and the ids (store.Key).
var (
	pfxKey      = []byte("sec/key")      // sec/key/<key id> -> KeyEntry
	pfxGrant    = []byte("sec/grant")    // sec/grant/<agent>/<resource> -> Grant
	pfxApplied  = []byte("sec/applied")  // sec/applied/<statement digest> -> logical time
	pfxAgr      = []byte("sec/agr")      // sec/agr/<id> -> SignedAgreement
	pfxAgrRev   = []byte("sec/agrrev")   // sec/agrrev/<id> -> AgreementRevocation
	pfxAgrUsage = []byte("sec/agrusage") // sec/agrusage/<id> -> Usage
	keySeed     = []byte("sec/seed")     // 32 bytes: the kernel's randomness seed
)

// ChangeKind names a state change of the security manager.
type ChangeKind string

const (
	ChangeKeyAdd          ChangeKind = "key-add"
	ChangeKeyRemove       ChangeKind = "key-remove"
	ChangeGrant           ChangeKind = "grant"
	ChangeRevoke          ChangeKind = "revoke"
	ChangeAgreementAdd    ChangeKind = "agreement-add"
	ChangeAgreementRevoke ChangeKind = "agreement-revoke"
	ChangeSeed            ChangeKind = "seed"
)

// Change describes one state change, for commit hooks (the operation log).
type Change struct {
	Kind      ChangeKind `json:"kind"`
	Time      uint64     `json:"time"` // kernel logical time
	Key       string     `json:"key,omitempty"`
	Roles     []Role     `json:"roles,omitempty"`
	Agent     string     `json:"agent,omitempty"`
	Resource  string     `json:"resource,omitempty"`
	Ops       []string   `json:"ops,omitempty"`
	Agreement string     `json:"agreement,omitempty"`
	// Signer and Signature are the operator's or party's, when signed.
	Signer    string `json:"signer,omitempty"`
	Signature []byte `json:"signature,omitempty"`
}

// CommitHook sees each change's batch before it is written and may add to
// it; an error aborts the change.
type CommitHook func(b *store.Batch, c *Change) error

// Option configures Open.
type Option func(*Manager)

// WithClock sets the source of kernel logical time (the kernel's operation
// sequence number). Without it the time is always 0.
func WithClock(now func() uint64) Option { return func(m *Manager) { m.clock = now } }

// WithCommitHook adds a hook run before every change is written.
func WithCommitHook(h CommitHook) Option { return func(m *Manager) { m.hooks = append(m.hooks, h) } }

// Manager is the security manager. It is safe for concurrent use.
type Manager struct {
	st    store.Store
	clock func() uint64
	hooks []CommitHook

	mu     sync.RWMutex // guards keys, grants and write order
	keys   map[string]*KeyEntry
	grants map[string]map[string]*Grant // agent -> resource -> grant
	keyGen uint64                       // bumped on every key change; starts at 1
	seed   [32]byte
	useMu  sync.Mutex // serialises agreement registration, revocation and usage

	cacheMu  sync.Mutex
	agrCache map[string]*cachedAgreement
}

// Open loads the security manager's state from st, creating the kernel's
// randomness seed from the OS CSPRNG the first time.
func Open(st store.Store, opts ...Option) (*Manager, error) {
	m := &Manager{st: st, keys: map[string]*KeyEntry{}, grants: map[string]map[string]*Grant{}, keyGen: 1, agrCache: map[string]*cachedAgreement{}}
	for _, o := range opts {
		o(m)
	}
	err := st.Iterate(prefix(pfxKey), func(k, v []byte) error {
		var e KeyEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("%w: key entry %q: %v", store.ErrCorrupted, k, err)
		}
		m.keys[e.ID] = &e
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("security: load keys: %w", err)
	}
	err = st.Iterate(prefix(pfxGrant), func(k, v []byte) error {
		var g Grant
		if err := json.Unmarshal(v, &g); err != nil {
			return fmt.Errorf("%w: grant %q: %v", store.ErrCorrupted, k, err)
		}
		m.putGrant(&g)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("security: load grants: %w", err)
	}
	seed, err := st.Get(keySeed)
	switch {
	case err == nil && len(seed) == len(m.seed):
		copy(m.seed[:], seed)
	case err == nil:
		return nil, fmt.Errorf("security: %w: randomness seed has %d bytes", store.ErrCorrupted, len(seed))
	default:
		if _, err := GenerateRandomInto(m.seed[:]); err != nil {
			return nil, err
		}
		b := st.NewBatch()
		b.Put(keySeed, m.seed[:])
		if err := m.commit(b, &Change{Kind: ChangeSeed}); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Manager) now() uint64 {
	if m.clock == nil {
		return 0
	}
	return m.clock()
}

// commit runs the hooks and writes b atomically.
func (m *Manager) commit(b *store.Batch, c *Change) error {
	if c.Time == 0 {
		c.Time = m.now()
	}
	for _, h := range m.hooks {
		if err := h(b, c); err != nil {
			return fmt.Errorf("security: %s: %w", c.Kind, err)
		}
	}
	if err := m.st.Write(b); err != nil {
		return fmt.Errorf("security: %s: %w", c.Kind, err)
	}
	return nil
}

// GenerateRandom returns n bytes from the OS CSPRNG, for kernel secrets.
// Plugins never see these; they get RandomStream.
func GenerateRandom(n int) ([]byte, error) {
	if n < 0 {
		return nil, fmt.Errorf("%w: negative length", ErrInvalidArgument)
	}
	b := make([]byte, n)
	_, err := GenerateRandomInto(b)
	return b, err
}

// GenerateRandomInto fills b from the OS CSPRNG.
func GenerateRandomInto(b []byte) (int, error) {
	n, err := rand.Read(b)
	if err != nil {
		return n, fmt.Errorf("security: OS randomness: %w", err)
	}
	return n, nil
}

// prefix returns p followed by the 0x00 separator, in a fresh slice.
func prefix(p []byte) []byte { return store.Key(p, nil) }
