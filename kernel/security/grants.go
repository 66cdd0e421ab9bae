package security

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/mcpzero/mcpzero/internal/store"
)

// Resource kinds. A resource is "<kind>:<name>"; a name ending in "*"
// matches every name with that prefix ("plugin:*" is every plugin).
const (
	KindState  = "state"  // a namespace (key prefix) of the agent's own state
	KindAgent  = "agent"  // another agent: ops read, write, call
	KindCap    = "cap"    // a host capability: cap:clock, cap:random
	KindNet    = "net"    // outbound HTTP to a host: net:example.com, op http
	KindFS     = "fs"     // files under a directory: fs:/data, ops read, write
	KindPlugin = "plugin" // a plugin by name: ops attach, execute
)

// Well-known resources and operations.
const (
	ResourceClock  = "cap:clock"
	ResourceRandom = "cap:random"
	OpRead         = "read"
	OpWrite        = "write"
	OpCall         = "call"
	OpAttach       = "attach"
	OpExecute      = "execute"
	OpHTTP         = "http"
	OpAll          = "*"
)

var (
	kinds   = []string{KindState, KindAgent, KindCap, KindNet, KindFS, KindPlugin}
	opRE    = regexp.MustCompile(`^(\*|[a-z][a-z0-9_.:-]{0,63})$`)
	agentRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)
)

// ValidateResource checks the "<kind>:<name>" syntax.
func ValidateResource(r string) error {
	kind, name, ok := strings.Cut(r, ":")
	if !ok || !slices.Contains(kinds, kind) {
		return fmt.Errorf("%w: resource %q: want <kind>:<name> with kind one of %s", ErrInvalidArgument, r, strings.Join(kinds, ", "))
	}
	if name == "" || len(r) > 512 || strings.ContainsAny(name, "\x00\n") || strings.Contains(strings.TrimSuffix(name, "*"), "*") {
		return fmt.Errorf("%w: resource %q: bad name", ErrInvalidArgument, r)
	}
	// A directory is mounted at the path the grant names, so the path must
	// mean the same thing whatever the kernel's working directory.
	if kind == KindFS && !strings.HasSuffix(name, "*") && (!filepath.IsAbs(name) || filepath.Clean(name) != name) {
		return fmt.Errorf("%w: resource %q: a directory must be an absolute, clean path", ErrInvalidArgument, r)
	}
	return nil
}

// GrantStatement is what an operator signs to grant or revoke. Its signing
// bytes are GrantDomain followed by its JSON encoding, with Ops sorted.
type GrantStatement struct {
	Version  int      `json:"v"`
	Action   string   `json:"action"` // "grant" or "revoke"
	Agent    string   `json:"agent"`
	Resource string   `json:"resource"`
	Ops      []string `json:"ops"` // revoke: the ops removed; empty removes all
	// Nonce makes each statement unique, so that an applied statement can
	// never be replayed (for example to undo a later revocation).
	Nonce string `json:"nonce"`
}

// GrantDomain separates grant signatures from every other signature.
const GrantDomain = "mcpzero/grant/v1\n"

// Actions of a GrantStatement.
const (
	ActionGrant  = "grant"
	ActionRevoke = "revoke"
)

// SigningBytes are the bytes the operator signs.
func (s *GrantStatement) SigningBytes() []byte {
	c := *s
	c.Ops = append([]string(nil), s.Ops...)
	sort.Strings(c.Ops)
	b, _ := json.Marshal(&c)
	return append([]byte(GrantDomain), b...)
}

// Validate checks the statement's fields.
func (s *GrantStatement) Validate() error {
	if s.Version != 1 {
		return fmt.Errorf("%w: grant statement version %d", ErrInvalidArgument, s.Version)
	}
	if s.Action != ActionGrant && s.Action != ActionRevoke {
		return fmt.Errorf("%w: action %q", ErrInvalidArgument, s.Action)
	}
	if !agentRE.MatchString(s.Agent) {
		return fmt.Errorf("%w: agent %q", ErrInvalidArgument, s.Agent)
	}
	if err := ValidateResource(s.Resource); err != nil {
		return err
	}
	if s.Action == ActionGrant && len(s.Ops) == 0 {
		return fmt.Errorf("%w: a grant names at least one operation", ErrInvalidArgument)
	}
	for _, op := range s.Ops {
		if !opRE.MatchString(op) {
			return fmt.Errorf("%w: operation %q", ErrInvalidArgument, op)
		}
	}
	if len(s.Nonce) < 16 || len(s.Nonce) > 128 {
		return fmt.Errorf("%w: nonce must have 16 to 128 characters", ErrInvalidArgument)
	}
	return nil
}

// SignedStatement is a GrantStatement with the operator's signature.
type SignedStatement struct {
	Statement GrantStatement `json:"statement"`
	Signer    string         `json:"signer"` // key ID
	Signature []byte         `json:"signature"`
}

// NewNonce returns a random nonce for a statement.
func NewNonce() string {
	b, err := GenerateRandom(16)
	if err != nil {
		panic(err) // the OS CSPRNG does not fail on supported systems
	}
	return hex.EncodeToString(b)
}

// SignStatement signs s with an operator's private key.
func SignStatement(s GrantStatement, keyID string, priv ed25519.PrivateKey) *SignedStatement {
	return &SignedStatement{Statement: s, Signer: keyID, Signature: ed25519.Sign(priv, s.SigningBytes())}
}

// Grant is the current permission of an agent over one resource.
type Grant struct {
	Agent    string   `json:"agent"`
	Resource string   `json:"resource"`
	Ops      []string `json:"ops"`
	// Time is the logical time of the last change; Signed is the operator's
	// statement that made it.
	Time   uint64          `json:"time"`
	Signed SignedStatement `json:"signed"`
}

func (g *Grant) allows(op string) bool {
	return slices.Contains(g.Ops, op) || slices.Contains(g.Ops, OpAll)
}

// Apply verifies a signed grant or revocation (a registered operator key,
// not applied before) and applies it atomically.
func (m *Manager) Apply(s *SignedStatement) (*Grant, error) {
	st := &s.Statement
	if err := st.Validate(); err != nil {
		return nil, err
	}
	msg := st.SigningBytes()
	if err := m.VerifyRole(msg, s.Signature, s.Signer, RoleOperator); err != nil {
		return nil, err
	}
	digest := sha256.Sum256(msg)
	m.mu.Lock()
	defer m.mu.Unlock()
	appliedKey := store.Key(pfxApplied, digest[:])
	if ok, err := m.st.Has(appliedKey); err != nil {
		return nil, fmt.Errorf("security: %w", err)
	} else if ok {
		return nil, fmt.Errorf("%w: %s of %s on %s (nonce %s)", ErrReplay, st.Action, st.Resource, st.Agent, st.Nonce)
	}
	now := m.now()
	old := m.grants[st.Agent][st.Resource]
	g := &Grant{Agent: st.Agent, Resource: st.Resource, Time: now, Signed: *s}
	if old != nil {
		g.Ops = append(g.Ops, old.Ops...)
	}
	switch st.Action {
	case ActionGrant:
		for _, op := range st.Ops {
			if !slices.Contains(g.Ops, op) {
				g.Ops = append(g.Ops, op)
			}
		}
	case ActionRevoke:
		if old == nil {
			return nil, fmt.Errorf("%w: no grant of %s to %s", ErrNotFound, st.Resource, st.Agent)
		}
		if len(st.Ops) == 0 {
			g.Ops = nil
		} else {
			g.Ops = slices.DeleteFunc(g.Ops, func(op string) bool { return slices.Contains(st.Ops, op) })
		}
	}
	sort.Strings(g.Ops)
	b := m.st.NewBatch()
	b.Put(appliedKey, mustJSON(now))
	gk := store.Key(pfxGrant, []byte(st.Agent), []byte(st.Resource))
	if len(g.Ops) == 0 {
		b.Delete(gk)
	} else {
		b.Put(gk, mustJSON(g))
	}
	kind := ChangeGrant
	if st.Action == ActionRevoke {
		kind = ChangeRevoke
	}
	c := &Change{Kind: kind, Time: now, Agent: st.Agent, Resource: st.Resource, Ops: st.Ops, Signer: s.Signer, Signature: s.Signature}
	if err := m.commit(b, c); err != nil {
		return nil, err
	}
	if len(g.Ops) == 0 {
		delete(m.grants[st.Agent], st.Resource)
		return g, nil
	}
	m.putGrant(g)
	return g, nil
}

func (m *Manager) putGrant(g *Grant) {
	if m.grants[g.Agent] == nil {
		m.grants[g.Agent] = map[string]*Grant{}
	}
	m.grants[g.Agent][g.Resource] = g
}

// CheckPermission returns nil when a grant lets agent perform op on
// resource, and an error wrapping ErrPermissionDenied otherwise. Nothing is
// allowed by default.
func (m *Manager) CheckPermission(agent, resource, op string) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	byRes := m.grants[agent]
	if g := byRes[resource]; g != nil && g.allows(op) {
		return nil
	}
	for r, g := range byRes {
		if strings.HasSuffix(r, "*") && strings.HasPrefix(resource, r[:len(r)-1]) && g.allows(op) {
			return nil
		}
	}
	return &PermissionError{Agent: agent, Resource: resource, Op: op}
}

// PermissionError is the error of CheckPermission.
type PermissionError struct {
	Agent, Resource, Op string
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("permission denied: agent %s has no grant of %q on %s", e.Agent, e.Op, e.Resource)
}

// Is makes errors.Is(err, ErrPermissionDenied) true.
func (e *PermissionError) Is(target error) bool { return target == ErrPermissionDenied }

// Grants lists the grants of agent, or of every agent when agent is "".
func (m *Manager) Grants(agent string) []Grant {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []Grant
	for a, byRes := range m.grants {
		if agent != "" && a != agent {
			continue
		}
		for _, g := range byRes {
			out = append(out, *g)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Agent != out[j].Agent {
			return out[i].Agent < out[j].Agent
		}
		return out[i].Resource < out[j].Resource
	})
	return out
}
