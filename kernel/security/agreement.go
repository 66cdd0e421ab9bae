package security

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/mcpzero/mcpzero/internal/store"
)

// Metrics an agreement can put a quota on.
const (
	MetricCalls      = "calls"
	MetricFuel       = "fuel"
	MetricStateBytes = "state_bytes"
)

// AgreementDomain starts the bytes whose SHA-256 is an agreement's ID and
// which both parties sign.
const AgreementDomain = "mcpzero/agreement/v1\n"

// AgreementRevokeDomain starts the bytes a revocation signs.
const AgreementRevokeDomain = "mcpzero/agreement-revoke/v1\n"

// Terms are the content of a usage agreement.
type Terms struct {
	Version  int    `json:"v"`
	Consumer string `json:"consumer"` // key ID of the consumer (role party)
	Provider string `json:"provider"` // key ID of the provider (role party)
	Resource string `json:"resource"`
	// Operations the consumer may perform on the resource ("*": all).
	Operations []string `json:"operations"`
	// The agreement is valid while NotBefore <= t <= NotAfter, t being the
	// kernel's logical time (its operation sequence number), never the
	// wall clock.
	NotBefore uint64 `json:"not_before"`
	NotAfter  uint64 `json:"not_after"`
	// Quotas caps the total usage per metric (calls, fuel, state_bytes). A
	// metric absent from the map is not limited.
	Quotas map[string]uint64 `json:"quotas"`
	Nonce  string            `json:"nonce"`
}

// Bytes are the canonical bytes of the terms: AgreementDomain followed by
// their JSON encoding (fields in declaration order, operations sorted, quota
// keys sorted by encoding/json).
func (t *Terms) Bytes() []byte {
	c := *t
	c.Operations = append([]string(nil), t.Operations...)
	sort.Strings(c.Operations)
	b, _ := json.Marshal(&c)
	return append([]byte(AgreementDomain), b...)
}

// ID is the hex SHA-256 of Bytes.
func (t *Terms) ID() string {
	h := sha256.Sum256(t.Bytes())
	return hex.EncodeToString(h[:])
}

// Validate checks the terms' fields.
func (t *Terms) Validate() error {
	bad := func(f string, a ...any) error {
		return fmt.Errorf("%w: agreement: %s", ErrInvalidArgument, fmt.Sprintf(f, a...))
	}
	switch {
	case t.Version != 1:
		return bad("version %d", t.Version)
	case t.Consumer == "" || t.Provider == "":
		return bad("consumer and provider key IDs are required")
	case t.NotAfter < t.NotBefore:
		return bad("window [%d, %d] is empty", t.NotBefore, t.NotAfter)
	case len(t.Operations) == 0:
		return bad("no operations")
	case len(t.Nonce) < 16 || len(t.Nonce) > 128:
		return bad("nonce must have 16 to 128 characters")
	}
	if err := ValidateResource(t.Resource); err != nil {
		return err
	}
	for _, op := range t.Operations {
		if !opRE.MatchString(op) {
			return bad("operation %q", op)
		}
	}
	for k := range t.Quotas {
		if k != MetricCalls && k != MetricFuel && k != MetricStateBytes {
			return bad("unknown quota metric %q (want calls, fuel, state_bytes)", k)
		}
	}
	return nil
}

// Agreement is signed terms.
type Agreement struct {
	ID                string `json:"id"`
	Terms             Terms  `json:"terms"`
	ConsumerSignature []byte `json:"consumer_signature,omitempty"`
	ProviderSignature []byte `json:"provider_signature,omitempty"`
	RegisteredAt      uint64 `json:"registered_at,omitempty"`
}

// NewAgreement returns unsigned terms with a fresh nonce and their ID.
func NewAgreement(t Terms) (*Agreement, error) {
	if t.Version == 0 {
		t.Version = 1
	}
	if t.Nonce == "" {
		t.Nonce = NewNonce()
	}
	sort.Strings(t.Operations)
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &Agreement{ID: t.ID(), Terms: t}, nil
}

// Sign adds the signature of keyID, which must be the consumer's or the
// provider's key ID.
func (a *Agreement) Sign(keyID string, priv ed25519.PrivateKey) error {
	if a.ID != a.Terms.ID() {
		return fmt.Errorf("%w: agreement ID %s does not match its terms (%s)", ErrInvalidArgument, a.ID, a.Terms.ID())
	}
	sig := ed25519.Sign(priv, a.Terms.Bytes())
	signed := false
	if keyID == a.Terms.Consumer {
		a.ConsumerSignature, signed = sig, true
	}
	if keyID == a.Terms.Provider {
		a.ProviderSignature, signed = sig, true
	}
	if !signed {
		return fmt.Errorf("%w: key %s is neither the consumer (%s) nor the provider (%s)", ErrInvalidArgument, keyID, a.Terms.Consumer, a.Terms.Provider)
	}
	return nil
}

// Usage is what has been consumed under an agreement (or what a call is
// estimated to consume).
type Usage struct {
	Calls      uint64 `json:"calls"`
	Fuel       uint64 `json:"fuel"`
	StateBytes uint64 `json:"state_bytes"`
}

func (u Usage) metric(name string) uint64 {
	switch name {
	case MetricCalls:
		return u.Calls
	case MetricFuel:
		return u.Fuel
	}
	return u.StateBytes
}

func addSat(a, b uint64) uint64 {
	if a > math.MaxUint64-b {
		return math.MaxUint64
	}
	return a + b
}

// Add returns u + v, saturating.
func (u Usage) Add(v Usage) Usage {
	return Usage{addSat(u.Calls, v.Calls), addSat(u.Fuel, v.Fuel), addSat(u.StateBytes, v.StateBytes)}
}

// AgreementRevocation is a signed revocation of an agreement by one of its
// parties or an operator.
type AgreementRevocation struct {
	ID        string `json:"id"`
	Signer    string `json:"signer"`
	Signature []byte `json:"signature"`
	Time      uint64 `json:"time"`
}

// RevocationBytes are the bytes a revocation of id signs.
func RevocationBytes(id string) []byte { return []byte(AgreementRevokeDomain + id) }

// verifySigs checks both parties' signatures (role party) against the
// registry.
func (m *Manager) verifySigs(a *Agreement) error {
	if a.ID != a.Terms.ID() {
		return fmt.Errorf("%w: agreement ID %s does not match its terms", ErrInvalidSignature, a.ID)
	}
	msg := a.Terms.Bytes()
	if len(a.ConsumerSignature) == 0 || len(a.ProviderSignature) == 0 {
		return fmt.Errorf("%w: agreement %s lacks the %s signature", ErrInvalidSignature, short(a.ID), missing(a))
	}
	if err := m.VerifyRole(msg, a.ConsumerSignature, a.Terms.Consumer, RoleParty); err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	if err := m.VerifyRole(msg, a.ProviderSignature, a.Terms.Provider, RoleParty); err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	return nil
}

func missing(a *Agreement) string {
	var s []string
	if len(a.ConsumerSignature) == 0 {
		s = append(s, "consumer")
	}
	if len(a.ProviderSignature) == 0 {
		s = append(s, "provider")
	}
	return strings.Join(s, " and ")
}

func short(id string) string {
	if len(id) > 16 {
		return id[:16]
	}
	return id
}

// RegisterAgreement verifies both signatures and stores the agreement.
// Registering the same agreement again is a no-op.
func (m *Manager) RegisterAgreement(a *Agreement) error {
	if err := a.Terms.Validate(); err != nil {
		return err
	}
	if err := m.verifySigs(a); err != nil {
		return err
	}
	m.useMu.Lock()
	defer m.useMu.Unlock()
	k := store.Key(pfxAgr, []byte(a.ID))
	if ok, err := m.st.Has(k); err != nil {
		return fmt.Errorf("security: %w", err)
	} else if ok {
		return nil
	}
	cp := *a
	cp.RegisteredAt = m.now()
	b := m.st.NewBatch()
	b.Put(k, mustJSON(&cp))
	return m.commit(b, &Change{Kind: ChangeAgreementAdd, Time: cp.RegisteredAt, Agreement: a.ID, Resource: a.Terms.Resource, Ops: a.Terms.Operations})
}

// Agreement returns a registered agreement, its revocation (nil if none)
// and its usage.
func (m *Manager) Agreement(id string) (*Agreement, *AgreementRevocation, Usage, error) {
	a, err := m.loadAgreement(m.st, id)
	if err != nil {
		return nil, nil, Usage{}, err
	}
	rev, err := m.revocation(m.st, id)
	if err != nil {
		return nil, nil, Usage{}, err
	}
	u, err := m.usage(nil, id)
	return a, rev, u, err
}

// Agreements lists registered agreements.
func (m *Manager) Agreements() ([]Agreement, error) {
	var out []Agreement
	err := m.st.Iterate(prefix(pfxAgr), func(k, v []byte) error {
		var a Agreement
		if err := json.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("%w: agreement %q: %v", store.ErrCorrupted, k, err)
		}
		out = append(out, a)
		return nil
	})
	return out, err
}

func (m *Manager) loadAgreement(r store.Reader, id string) (*Agreement, error) {
	v, err := r.Get(store.Key(pfxAgr, []byte(id)))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: agreement %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("security: %w", err)
	}
	var a Agreement
	if err := json.Unmarshal(v, &a); err != nil {
		return nil, fmt.Errorf("security: %w: agreement %s: %v", store.ErrCorrupted, id, err)
	}
	return &a, nil
}

func (m *Manager) revocation(r store.Reader, id string) (*AgreementRevocation, error) {
	v, err := r.Get(store.Key(pfxAgrRev, []byte(id)))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("security: %w", err)
	}
	var rev AgreementRevocation
	if err := json.Unmarshal(v, &rev); err != nil {
		return nil, fmt.Errorf("security: %w: revocation %s: %v", store.ErrCorrupted, id, err)
	}
	return &rev, nil
}

// usage reads the agreement's usage, from b's pending writes first.
func (m *Manager) usage(b *store.Batch, id string) (Usage, error) {
	k := store.Key(pfxAgrUsage, []byte(id))
	var v []byte
	found := false
	if b != nil {
		var present bool
		v, found, present = b.Pending(k)
		if found && !present {
			return Usage{}, nil
		}
	}
	if !found {
		var err error
		v, err = m.st.Get(k)
		if errors.Is(err, store.ErrNotFound) {
			return Usage{}, nil
		}
		if err != nil {
			return Usage{}, fmt.Errorf("security: %w", err)
		}
	}
	var u Usage
	if err := json.Unmarshal(v, &u); err != nil {
		return Usage{}, fmt.Errorf("security: %w: usage of %s: %v", store.ErrCorrupted, id, err)
	}
	return u, nil
}

// RevokeAgreement applies a revocation signed by the consumer, the provider
// or an operator.
func (m *Manager) RevokeAgreement(rev *AgreementRevocation) error {
	a, err := m.loadAgreement(m.st, rev.ID)
	if err != nil {
		return err
	}
	msg := RevocationBytes(rev.ID)
	if rev.Signer == a.Terms.Consumer || rev.Signer == a.Terms.Provider {
		err = m.VerifySignature(msg, rev.Signature, rev.Signer)
	} else {
		err = m.VerifyRole(msg, rev.Signature, rev.Signer, RoleOperator)
	}
	if err != nil {
		return err
	}
	m.useMu.Lock()
	defer m.useMu.Unlock()
	if old, err := m.revocation(m.st, rev.ID); err != nil {
		return err
	} else if old != nil {
		return nil
	}
	cp := *rev
	cp.Time = m.now()
	b := m.st.NewBatch()
	b.Put(store.Key(pfxAgrRev, []byte(rev.ID)), mustJSON(&cp))
	if err := m.commit(b, &Change{Kind: ChangeAgreementRevoke, Time: cp.Time, Agreement: rev.ID, Signer: rev.Signer, Signature: rev.Signature}); err != nil {
		return err
	}
	m.cacheMu.Lock()
	if c := m.agrCache[rev.ID]; c != nil {
		c.rev = &cp
	}
	m.cacheMu.Unlock()
	return nil
}

// VerifyAgreement checks, in this order, that the agreement's signatures
// verify against registered party keys, that it is not revoked, that the
// kernel's logical time is within its window, that it covers resource and
// operation, and that its usage plus estimate stays within every quota. The
// error wraps ErrInvalidSignature, ErrAgreementRevoked, ErrAgreementWindow,
// ErrAgreementScope or ErrQuotaExceeded (or ErrNotFound).
func (m *Manager) VerifyAgreement(id, resource, operation string, estimate Usage) error {
	_, err := m.verifyAgreement(nil, id, resource, operation, estimate, m.now())
	return err
}

func (m *Manager) verifyAgreement(b *store.Batch, id, resource, operation string, est Usage, now uint64) (Usage, error) {
	a, err := m.cachedAgreement(id)
	if err != nil {
		return Usage{}, err
	}
	if err := m.verifySigsCached(a); err != nil {
		return Usage{}, err
	}
	if rev := m.revoked(id); rev != nil {
		return Usage{}, fmt.Errorf("%w: %s by %s at time %d", ErrAgreementRevoked, short(id), rev.Signer, rev.Time)
	}
	t := &a.Terms
	if now < t.NotBefore || now > t.NotAfter {
		return Usage{}, fmt.Errorf("%w: %s is valid in [%d, %d], kernel time is %d", ErrAgreementWindow, short(id), t.NotBefore, t.NotAfter, now)
	}
	if !resourceMatches(t.Resource, resource) || !(slices.Contains(t.Operations, operation) || slices.Contains(t.Operations, OpAll)) {
		return Usage{}, fmt.Errorf("%w: %s covers %v on %s, not %q on %s", ErrAgreementScope, short(id), t.Operations, t.Resource, operation, resource)
	}
	used, err := m.usage(b, id)
	if err != nil {
		return Usage{}, err
	}
	total := used.Add(est)
	for _, metric := range []string{MetricCalls, MetricFuel, MetricStateBytes} {
		if q, ok := t.Quotas[metric]; ok && total.metric(metric) > q {
			return Usage{}, &QuotaError{Agreement: id, Metric: metric, Used: used.metric(metric), Estimate: est.metric(metric), Quota: q}
		}
	}
	return total, nil
}

// QuotaError is the error of a call whose usage would pass a quota.
type QuotaError struct {
	Agreement             string
	Metric                string
	Used, Estimate, Quota uint64
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("%v: agreement %s: %s used %d + %d > quota %d", ErrQuotaExceeded, short(e.Agreement), e.Metric, e.Used, e.Estimate, e.Quota)
}

// Is makes errors.Is(err, ErrQuotaExceeded) true.
func (e *QuotaError) Is(target error) bool { return target == ErrQuotaExceeded }

func resourceMatches(pattern, resource string) bool {
	if strings.HasSuffix(pattern, "*") {
		return strings.HasPrefix(resource, pattern[:len(pattern)-1])
	}
	return pattern == resource
}

// RecordUsage adds the usage of one execute to the agreement inside b, the
// execute's own batch, after checking every quota again with the actual
// usage: the usage is written if and only if the execute is. Call it from
// the kernel's commit hook. Calls for one agreement must not interleave
// between RecordUsage and the batch's write; the kernel's commit order
// guarantees that.
func (m *Manager) RecordUsage(b *store.Batch, id, resource, operation string, actual Usage) error {
	return m.RecordUsageAt(b, id, resource, operation, actual, m.now())
}

// RecordUsageAt is RecordUsage at the given kernel logical time (the
// sequence number of the operation being committed).
func (m *Manager) RecordUsageAt(b *store.Batch, id, resource, operation string, actual Usage, now uint64) error {
	m.useMu.Lock()
	defer m.useMu.Unlock()
	total, err := m.verifyAgreement(b, id, resource, operation, actual, now)
	if err != nil {
		return err
	}
	b.Put(store.Key(pfxAgrUsage, []byte(id)), mustJSON(total))
	return nil
}

// cachedAgreement is an agreement with what the hot path needs to know
// about it. Registered agreements never change, and only this manager
// writes revocations (the store is held by one process), so the cache is
// exact. Signature checks are remembered per key-registry generation:
// removing a key or changing roles makes them run again.
type cachedAgreement struct {
	a      *Agreement
	rev    *AgreementRevocation
	sigGen uint64 // keyGen at which the signatures verified; 0: not yet
	sigErr error
}

func (m *Manager) cachedAgreement(id string) (*Agreement, error) {
	m.cacheMu.Lock()
	c := m.agrCache[id]
	m.cacheMu.Unlock()
	if c != nil {
		return c.a, nil
	}
	a, err := m.loadAgreement(m.st, id)
	if err != nil {
		return nil, err
	}
	rev, err := m.revocation(m.st, id)
	if err != nil {
		return nil, err
	}
	m.cacheMu.Lock()
	if m.agrCache[id] == nil {
		m.agrCache[id] = &cachedAgreement{a: a, rev: rev}
	}
	m.cacheMu.Unlock()
	return a, nil
}

func (m *Manager) revoked(id string) *AgreementRevocation {
	m.cacheMu.Lock()
	defer m.cacheMu.Unlock()
	if c := m.agrCache[id]; c != nil {
		return c.rev
	}
	return nil
}

func (m *Manager) verifySigsCached(a *Agreement) error {
	m.mu.RLock()
	gen := m.keyGen
	m.mu.RUnlock()
	m.cacheMu.Lock()
	c := m.agrCache[a.ID]
	if c != nil && c.sigGen == gen {
		err := c.sigErr
		m.cacheMu.Unlock()
		return err
	}
	m.cacheMu.Unlock()
	err := m.verifySigs(a)
	m.cacheMu.Lock()
	if c != nil {
		c.sigGen, c.sigErr = gen, err
	}
	m.cacheMu.Unlock()
	return err
}
