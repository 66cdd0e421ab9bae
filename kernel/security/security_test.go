package security

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"io"
	"testing"

	"github.com/mcpzero/mcpzero/internal/keys"
	"github.com/mcpzero/mcpzero/internal/store"
)

type party struct {
	id   string
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
}

func newParty(t testing.TB) party {
	pub, priv, err := keys.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	return party{keys.ID(pub), pub, priv}
}

type fixture struct {
	st       *store.LevelDB
	m        *Manager
	now      uint64
	op       party // operator
	consumer party
	provider party
	outsider party // registered as publisher only
}

func newFixture(t testing.TB) *fixture {
	f := &fixture{st: store.OpenMemory()}
	t.Cleanup(func() { f.st.Close() })
	f.reopen(t)
	f.op, f.consumer, f.provider, f.outsider = newParty(t), newParty(t), newParty(t), newParty(t)
	for _, k := range []struct {
		p    party
		role Role
	}{{f.op, RoleOperator}, {f.consumer, RoleParty}, {f.provider, RoleParty}, {f.outsider, RolePublisher}} {
		if _, err := f.m.AddKey(k.p.pub, k.role); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *fixture) reopen(t testing.TB) {
	m, err := Open(f.st, WithClock(func() uint64 { return f.now }))
	if err != nil {
		t.Fatal(err)
	}
	f.m = m
}

func (f *fixture) stmt(action, agent, resource string, ops ...string) GrantStatement {
	return GrantStatement{Version: 1, Action: action, Agent: agent, Resource: resource, Ops: ops, Nonce: NewNonce()}
}

func (f *fixture) grant(t testing.TB, agent, resource string, ops ...string) {
	t.Helper()
	if _, err := f.m.Apply(SignStatement(f.stmt(ActionGrant, agent, resource, ops...), f.op.id, f.op.priv)); err != nil {
		t.Fatal(err)
	}
}

func TestKeyRegistry(t *testing.T) {
	f := newFixture(t)
	msg := []byte("hello")
	sig := ed25519.Sign(f.op.priv, msg)
	if err := f.m.VerifySignature(msg, sig, f.op.id); err != nil {
		t.Fatal(err)
	}
	if err := f.m.VerifyRole(msg, sig, f.op.id, RoleOperator); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  error
		fn   func() error
	}{
		{"tampered data", ErrInvalidSignature, func() error { return f.m.VerifySignature([]byte("hellO"), sig, f.op.id) }},
		{"wrong key", ErrInvalidSignature, func() error { return f.m.VerifySignature(msg, sig, f.consumer.id) }},
		{"unknown key", ErrUnknownKey, func() error { return f.m.VerifySignature(msg, sig, "0011223344556677") }},
		{"short signature", ErrInvalidSignature, func() error { return f.m.VerifySignature(msg, sig[:10], f.op.id) }},
		{"missing role", ErrInvalidSignature, func() error {
			return f.m.VerifyRole(msg, ed25519.Sign(f.outsider.priv, msg), f.outsider.id, RoleOperator)
		}},
		{"bad role", ErrInvalidArgument, func() error { _, err := f.m.AddKey(f.op.pub, "root"); return err }},
		{"no role", ErrInvalidArgument, func() error { _, err := f.m.AddKey(f.op.pub); return err }},
		{"short key", ErrInvalidArgument, func() error { _, err := f.m.AddKey(f.op.pub[:5], RoleParty); return err }},
		{"remove unknown", ErrUnknownKey, func() error { return f.m.RemoveKey("nope") }},
	}
	for _, tc := range tests {
		if err := tc.fn(); !errors.Is(err, tc.err) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.err)
		}
	}
	// Adding a role keeps the old ones; the registry survives a reopen.
	if _, err := f.m.AddKey(f.outsider.pub, RoleParty); err != nil {
		t.Fatal(err)
	}
	f.reopen(t)
	e, err := f.m.Key(f.outsider.id)
	if err != nil || !e.HasRole(RoleParty) || !e.HasRole(RolePublisher) {
		t.Fatalf("after reopen: %+v %v", e, err)
	}
	if got := len(f.m.Keys()); got != 4 {
		t.Fatalf("%d keys", got)
	}
	if ks := f.m.KeysWithRole(RoleOperator); len(ks) != 1 || !ks[f.op.id].Equal(f.op.pub) {
		t.Fatalf("operators: %v", ks)
	}
	if err := f.m.RemoveKey(f.op.id); err != nil {
		t.Fatal(err)
	}
	if err := f.m.VerifySignature(msg, sig, f.op.id); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("removed key still verifies: %v", err)
	}
	if _, err := ParseRole("party"); err != nil {
		t.Fatal(err)
	}
}

func TestGrants(t *testing.T) {
	f := newFixture(t)
	a := "agent-1"
	// Deny by default.
	var pe *PermissionError
	if err := f.m.CheckPermission(a, ResourceClock, OpRead); !errors.Is(err, ErrPermissionDenied) || !errors.As(err, &pe) {
		t.Fatalf("default: %v", err)
	}
	f.grant(t, a, ResourceClock, OpRead)
	f.grant(t, a, "agent:agent-2", OpRead)
	f.grant(t, a, "plugin:*", OpAttach)
	f.grant(t, "agent-9", ResourceRandom, OpAll)
	checks := []struct {
		agent, res, op string
		ok             bool
	}{
		{a, ResourceClock, OpRead, true},
		{a, ResourceClock, OpWrite, false},
		{a, ResourceRandom, OpRead, false},
		{a, "agent:agent-2", OpRead, true},
		{a, "agent:agent-2", OpWrite, false},
		{a, "agent:agent-3", OpRead, false},
		{a, "plugin:counter", OpAttach, true},
		{a, "plugin:counter", OpExecute, false},
		{"agent-2", ResourceClock, OpRead, false},
		{"agent-9", ResourceRandom, "anything", true},
	}
	run := func(when string) {
		for _, c := range checks {
			err := f.m.CheckPermission(c.agent, c.res, c.op)
			if (err == nil) != c.ok {
				t.Errorf("%s: CheckPermission(%s, %s, %s) = %v, want ok=%v", when, c.agent, c.res, c.op, err, c.ok)
			}
		}
	}
	run("fresh")
	f.reopen(t)
	run("after reopen")

	// Partial then full revocation.
	f.grant(t, a, ResourceClock, OpWrite)
	rev := SignStatement(f.stmt(ActionRevoke, a, ResourceClock, OpRead), f.op.id, f.op.priv)
	if _, err := f.m.Apply(rev); err != nil {
		t.Fatal(err)
	}
	if f.m.CheckPermission(a, ResourceClock, OpRead) == nil || f.m.CheckPermission(a, ResourceClock, OpWrite) != nil {
		t.Fatal("partial revoke")
	}
	if _, err := f.m.Apply(SignStatement(f.stmt(ActionRevoke, a, ResourceClock), f.op.id, f.op.priv)); err != nil {
		t.Fatal(err)
	}
	if f.m.CheckPermission(a, ResourceClock, OpWrite) == nil {
		t.Fatal("full revoke")
	}
	// Replaying the old partial revocation, or any applied grant, fails.
	if _, err := f.m.Apply(rev); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay: %v", err)
	}
	f.reopen(t)
	if f.m.CheckPermission(a, ResourceClock, OpWrite) == nil {
		t.Fatal("revocation lost on reopen")
	}
	if n := len(f.m.Grants(a)); n != 2 {
		t.Fatalf("grants of %s: %d", a, n)
	}
	if n := len(f.m.Grants("")); n != 3 {
		t.Fatalf("all grants: %d", n)
	}
}

func TestGrantRefused(t *testing.T) {
	f := newFixture(t)
	good := f.stmt(ActionGrant, "agent-1", ResourceClock, OpRead)
	tampered := SignStatement(good, f.op.id, f.op.priv)
	tampered.Statement.Resource = ResourceRandom
	tests := []struct {
		name string
		s    *SignedStatement
		err  error
	}{
		{"not an operator", SignStatement(good, f.outsider.id, f.outsider.priv), ErrInvalidSignature},
		{"tampered", tampered, ErrInvalidSignature},
		{"unknown signer", SignStatement(good, "ffffffffffffffff", f.op.priv), ErrInvalidSignature},
		{"bad resource", SignStatement(f.stmt(ActionGrant, "agent-1", "disk:/", OpRead), f.op.id, f.op.priv), ErrInvalidArgument},
		{"two wildcards", SignStatement(f.stmt(ActionGrant, "agent-1", "fs:*/x*", OpRead), f.op.id, f.op.priv), ErrInvalidArgument},
		{"relative dir", SignStatement(f.stmt(ActionGrant, "agent-1", "fs:data", OpWrite), f.op.id, f.op.priv), ErrInvalidArgument},
		{"unclean dir", SignStatement(f.stmt(ActionGrant, "agent-1", "fs:/data/../etc", OpWrite), f.op.id, f.op.priv), ErrInvalidArgument},
		{"no ops", SignStatement(f.stmt(ActionGrant, "agent-1", ResourceClock), f.op.id, f.op.priv), ErrInvalidArgument},
		{"bad op", SignStatement(f.stmt(ActionGrant, "agent-1", ResourceClock, "Read!"), f.op.id, f.op.priv), ErrInvalidArgument},
		{"bad agent", SignStatement(f.stmt(ActionGrant, "agent 1", ResourceClock, OpRead), f.op.id, f.op.priv), ErrInvalidArgument},
		{"bad action", SignStatement(f.stmt("give", "agent-1", ResourceClock, OpRead), f.op.id, f.op.priv), ErrInvalidArgument},
		{"revoke nothing", SignStatement(f.stmt(ActionRevoke, "agent-1", ResourceClock), f.op.id, f.op.priv), ErrNotFound},
		{"short nonce", SignStatement(GrantStatement{Version: 1, Action: ActionGrant, Agent: "a", Resource: ResourceClock, Ops: []string{OpRead}, Nonce: "x"}, f.op.id, f.op.priv), ErrInvalidArgument},
		{"version", SignStatement(GrantStatement{Version: 2, Action: ActionGrant, Agent: "a", Resource: ResourceClock, Ops: []string{OpRead}, Nonce: NewNonce()}, f.op.id, f.op.priv), ErrInvalidArgument},
	}
	for _, tc := range tests {
		if _, err := f.m.Apply(tc.s); !errors.Is(err, tc.err) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.err)
		}
	}
	if f.m.CheckPermission("agent-1", ResourceClock, OpRead) == nil || f.m.CheckPermission("agent-1", ResourceRandom, OpRead) == nil {
		t.Fatal("a refused statement granted something")
	}
}

func TestCommitHookSeesAndCanAbort(t *testing.T) {
	st := store.OpenMemory()
	defer st.Close()
	var seen []ChangeKind
	fail := false
	m, err := Open(st, WithCommitHook(func(b *store.Batch, c *Change) error {
		if fail {
			return errors.New("log full")
		}
		b.Put([]byte("log/"+string(c.Kind)), []byte(c.Resource))
		seen = append(seen, c.Kind)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	op := newParty(t)
	if _, err := m.AddKey(op.pub, RoleOperator); err != nil {
		t.Fatal(err)
	}
	s := SignStatement(GrantStatement{Version: 1, Action: ActionGrant, Agent: "a", Resource: ResourceClock, Ops: []string{OpRead}, Nonce: NewNonce()}, op.id, op.priv)
	fail = true
	if _, err := m.Apply(s); err == nil {
		t.Fatal("hook error ignored")
	}
	if m.CheckPermission("a", ResourceClock, OpRead) == nil {
		t.Fatal("aborted grant applied")
	}
	fail = false
	if _, err := m.Apply(s); err != nil { // not a replay: the aborted one never landed
		t.Fatal(err)
	}
	if v, err := st.Get([]byte("log/grant")); err != nil || string(v) != ResourceClock {
		t.Fatalf("hook write not committed with the grant: %q %v", v, err)
	}
	if len(seen) != 3 || seen[0] != ChangeSeed || seen[2] != ChangeGrant {
		t.Fatalf("changes seen: %v", seen)
	}
}

func TestRandomness(t *testing.T) {
	f := newFixture(t)
	read := func(r io.Reader) []byte {
		b := make([]byte, 64)
		if _, err := io.ReadFull(r, b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	a := read(f.m.RandomStream("agent-1", 7, "roll"))
	if !bytes.Equal(a, read(f.m.RandomStream("agent-1", 7, "roll"))) {
		t.Fatal("stream not reproducible")
	}
	for _, other := range [][]byte{
		read(f.m.RandomStream("agent-2", 7, "roll")),
		read(f.m.RandomStream("agent-1", 8, "roll")),
		read(f.m.RandomStream("agent-1", 7, "rolL")),
	} {
		if bytes.Equal(a, other) {
			t.Fatal("streams of different operations coincide")
		}
	}
	seed := f.m.KernelSeed()
	f.reopen(t)
	if f.m.KernelSeed() != seed || !bytes.Equal(a, read(RandomStreamFromSeed(seed, "agent-1", 7, "roll"))) {
		t.Fatal("seed not persisted")
	}
	other := newFixture(t)
	if other.m.KernelSeed() == seed {
		t.Fatal("two kernels share a seed")
	}
	r1, err := GenerateRandom(32)
	r2, _ := GenerateRandom(32)
	if err != nil || len(r1) != 32 || bytes.Equal(r1, r2) {
		t.Fatal("GenerateRandom")
	}
	if _, err := GenerateRandom(-1); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal(err)
	}
	// A corrupted seed is reported, not replaced.
	f.st.Write(func() *store.Batch { b := f.st.NewBatch(); b.Put(keySeed, []byte("short")); return b }())
	if _, err := Open(f.st); !errors.Is(err, store.ErrCorrupted) {
		t.Fatalf("corrupted seed: %v", err)
	}
}
