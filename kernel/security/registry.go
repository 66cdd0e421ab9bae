package security

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/mcpzero/mcpzero/internal/keys"
	"github.com/mcpzero/mcpzero/internal/store"
)

// Role is what a registered key may sign.
type Role string

const (
	// RoleOperator signs grants, revocations and agreement revocations.
	RoleOperator Role = "operator"
	// RolePublisher signs plugin manifests.
	RolePublisher Role = "publisher"
	// RoleParty signs usage agreements as consumer or provider.
	RoleParty Role = "party"
)

// Roles lists the valid roles.
var Roles = []Role{RoleOperator, RolePublisher, RoleParty}

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	if slices.Contains(Roles, Role(s)) {
		return Role(s), nil
	}
	return "", fmt.Errorf("%w: role %q (want operator, publisher or party)", ErrInvalidArgument, s)
}

// KeyEntry is a registered public key.
type KeyEntry struct {
	ID        string            `json:"id"`
	PublicKey ed25519.PublicKey `json:"public_key"`
	Roles     []Role            `json:"roles"`
	// Added is the kernel's logical time when the key was registered.
	Added uint64 `json:"added"`
}

// HasRole reports whether the key holds r.
func (e *KeyEntry) HasRole(r Role) bool { return slices.Contains(e.Roles, r) }

// AddKey registers pub with the given roles, or adds the roles to the key
// already registered under its ID. Registering keys is a local
// administrative act on the data directory (see docs/SECURITY.md), so it
// needs no signature.
func (m *Manager) AddKey(pub ed25519.PublicKey, roles ...Role) (*KeyEntry, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: public key has %d bytes", ErrInvalidArgument, len(pub))
	}
	if len(roles) == 0 {
		return nil, fmt.Errorf("%w: a key needs at least one role", ErrInvalidArgument)
	}
	for _, r := range roles {
		if _, err := ParseRole(string(r)); err != nil {
			return nil, err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	id := keys.ID(pub)
	e := &KeyEntry{ID: id, PublicKey: append(ed25519.PublicKey(nil), pub...), Added: m.now()}
	if old, ok := m.keys[id]; ok {
		if !old.PublicKey.Equal(pub) {
			return nil, fmt.Errorf("%w: key ID %s names a different key", ErrKeyExists, id)
		}
		cp := *old
		cp.Roles = append([]Role(nil), old.Roles...)
		e = &cp
	}
	for _, r := range roles {
		if !e.HasRole(r) {
			e.Roles = append(e.Roles, r)
		}
	}
	sort.Slice(e.Roles, func(i, j int) bool { return e.Roles[i] < e.Roles[j] })
	b := m.st.NewBatch()
	b.Put(store.Key(pfxKey, []byte(id)), mustJSON(e))
	if err := m.commit(b, &Change{Kind: ChangeKeyAdd, Key: id, Roles: e.Roles}); err != nil {
		return nil, err
	}
	m.keys[id] = e
	m.keyGen++
	return e, nil
}

// RemoveKey unregisters a key. Signatures it made no longer verify.
func (m *Manager) RemoveKey(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.keys[id]; !ok {
		return fmt.Errorf("%w: %s", ErrUnknownKey, id)
	}
	b := m.st.NewBatch()
	b.Delete(store.Key(pfxKey, []byte(id)))
	if err := m.commit(b, &Change{Kind: ChangeKeyRemove, Key: id}); err != nil {
		return err
	}
	delete(m.keys, id)
	m.keyGen++
	return nil
}

// Key returns the key registered under id.
func (m *Manager) Key(id string) (*KeyEntry, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e, ok := m.keys[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownKey, id)
	}
	cp := *e
	return &cp, nil
}

// Keys lists the registered keys by ID.
func (m *Manager) Keys() []KeyEntry {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]KeyEntry, 0, len(m.keys))
	for _, e := range m.keys {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// KeysWithRole returns the public keys holding role r, by key ID (the shape
// the plugin verifier's key set has).
func (m *Manager) KeysWithRole(r Role) map[string]ed25519.PublicKey {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := map[string]ed25519.PublicKey{}
	for id, e := range m.keys {
		if e.HasRole(r) {
			out[id] = e.PublicKey
		}
	}
	return out
}

// VerifySignature checks that sig is keyID's ed25519 signature of data and
// that the key is registered. It does not check a role; VerifyRole does.
func (m *Manager) VerifySignature(data, sig []byte, keyID string) error {
	m.mu.RLock()
	e, ok := m.keys[keyID]
	m.mu.RUnlock()
	if !ok {
		return fmt.Errorf("%w: %w: %s", ErrInvalidSignature, ErrUnknownKey, keyID)
	}
	if len(sig) != ed25519.SignatureSize || !ed25519.Verify(e.PublicKey, data, sig) {
		return fmt.Errorf("%w: not made by key %s over these bytes", ErrInvalidSignature, keyID)
	}
	return nil
}

// VerifyRole is VerifySignature that also requires the key to hold role.
func (m *Manager) VerifyRole(data, sig []byte, keyID string, role Role) error {
	if err := m.VerifySignature(data, sig, keyID); err != nil {
		return err
	}
	m.mu.RLock()
	e := m.keys[keyID]
	m.mu.RUnlock()
	if e == nil || !e.HasRole(role) {
		return fmt.Errorf("%w: key %s does not hold the %s role", ErrInvalidSignature, keyID, role)
	}
	return nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("security: encode: " + err.Error())
	}
	return b
}
