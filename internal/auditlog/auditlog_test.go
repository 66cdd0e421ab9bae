package auditlog

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/mcpzero/mcpzero/internal/keys"
)

// testKey is a deterministic kernel key so that expected bytes are stable.
func testKey(t testing.TB, seed byte) (note.Signer, note.Verifier, ed25519.PublicKey) {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
	pub := priv.Public().(ed25519.PublicKey)
	s, err := NewSigner(Origin(pub), priv)
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := VerifierKey(Origin(pub), pub)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ParseVerifierKey([]byte("# kernel key\n" + vkey + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	return s, v, pub
}

func sampleEntry(i uint64) Entry {
	return Entry{
		Index: i, Seq: 10 + 2*i, Kind: KindExecute, Agent: fmt.Sprintf("agent-%d", i%3),
		Plugin: SHA256([]byte("plugin")), Method: "run",
		Input: SHA256(fmt.Appendf(nil, "in %d", i)), Output: SHA256(fmt.Appendf(nil, "out %d", i)),
		StateBefore: SHA256(fmt.Appendf(nil, "s %d", i)), StateAfter: SHA256(fmt.Appendf(nil, "s %d", i+1)),
		Fuel: 1000 + i,
	}
}

func encode(t testing.TB, e Entry) []byte {
	t.Helper()
	b, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEntryRoundTrip(t *testing.T) {
	tests := []Entry{
		{Kind: KindSpawn},
		sampleEntry(7),
		{Index: 1<<64 - 1, Seq: 1<<64 - 1, Kind: KindProofStored, Proof: SHA256([]byte("bundle")), Ref: 42, Detail: "ünïcode détail"},
		{Kind: KindGrant, Agent: strings.Repeat("a", maxString), Method: "fs.read", Detail: strings.Repeat("d", maxDetail)},
	}
	for _, e := range tests {
		b := encode(t, e)
		got, err := DecodeEntry(b)
		if err != nil {
			t.Fatalf("%+v: %v", e, err)
		}
		if *got != e {
			t.Fatalf("round trip: got %+v want %+v", got, e)
		}
		if len(b) > MaxEntrySize {
			t.Fatalf("encoded %d bytes > MaxEntrySize %d", len(b), MaxEntrySize)
		}
	}
}

// The encoding is pinned: a change to it changes every record hash and
// breaks every published checkpoint, so it must be deliberate.
func TestEntryEncodingIsPinned(t *testing.T) {
	b := encode(t, Entry{Index: 1, Seq: 2, Kind: "spawn", Agent: "a", Method: "m", Fuel: 3, Ref: 4, Detail: "d"})
	want := "01" + "0000000000000001" + "0000000000000002" + "05" + "737061776e" + "01" + "61" +
		strings.Repeat("00", 32) + "01" + "6d" + strings.Repeat("00", 4*32) + "0000000000000003" +
		strings.Repeat("00", 32) + "0000000000000004" + "01" + "64"
	if got := fmt.Sprintf("%x", b); got != want {
		t.Fatalf("encoding changed:\n got %s\nwant %s", got, want)
	}
	if h := RecordHash(b); h != tlog.RecordHash(b) {
		t.Fatal("record hash is not RFC 6962 leaf hash")
	}
}

func TestEntryEncodeRejects(t *testing.T) {
	tests := map[string]Entry{
		"empty kind":    {},
		"upper kind":    {Kind: "Spawn"},
		"space kind":    {Kind: "a b"},
		"long kind":     {Kind: Kind(strings.Repeat("k", maxKind+1))},
		"long agent":    {Kind: KindSpawn, Agent: strings.Repeat("a", maxString+1)},
		"bad utf8":      {Kind: KindSpawn, Method: "\xff"},
		"long detail":   {Kind: KindSpawn, Detail: strings.Repeat("d", maxDetail+1)},
		"digit first":   {Kind: "1abc"},
		"bad detail u8": {Kind: KindSpawn, Detail: "\xc3"},
	}
	for name, e := range tests {
		if _, err := e.Encode(); !errors.Is(err, ErrMalformedEntry) {
			t.Errorf("%s: err = %v, want ErrMalformedEntry", name, err)
		}
	}
}

func TestDecodeEntryRejects(t *testing.T) {
	good := encode(t, sampleEntry(3))
	// Non-minimal varint for the kind's length: 0x87 0x00 instead of 0x07.
	nonCanon := append(append(append([]byte{}, good[:17]...), 0x87, 0x00), good[18:]...)
	tests := map[string][]byte{
		"empty":           nil,
		"version":         append([]byte{2}, good[1:]...),
		"truncated":       good[:len(good)-1],
		"trailing":        append(append([]byte{}, good...), 0),
		"non-canonical":   nonCanon,
		"huge length":     append(append([]byte{}, good[:17]...), 0xff, 0xff, 0xff, 0xff, 0x0f),
		"bad varint":      append(append([]byte{}, good[:17]...), 0xff),
		"bad kind":        bytes.Replace(good, []byte("execute"), []byte("EXECUTE"), 1),
		"too big":         make([]byte, MaxEntrySize+1),
		"truncated index": good[:5],
	}
	for name, b := range tests {
		_, err := DecodeEntry(b)
		if !errors.Is(err, ErrMalformedEntry) {
			t.Errorf("%s: err = %v, want ErrMalformedEntry", name, err)
		}
	}
	// Every single-byte change either fails to decode or decodes to a
	// different entry with a different record hash.
	for i := range good {
		b := append([]byte{}, good...)
		b[i] ^= 0x01
		e, err := DecodeEntry(b)
		if err == nil && *e == sampleEntry(3) {
			t.Fatalf("flipping byte %d left the entry unchanged", i)
		}
		if RecordHash(b) == RecordHash(good) {
			t.Fatalf("flipping byte %d kept the record hash", i)
		}
	}
}

func TestDigest(t *testing.T) {
	d := SHA256([]byte("abc"))
	if d.String() != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatal(d)
	}
	txt, _ := d.MarshalText()
	var d2 Digest
	if err := d2.UnmarshalText(txt); err != nil || d2 != d {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "zz", strings.Repeat("g", 64)} {
		if err := d2.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if !(Digest{}).IsZero() || d.IsZero() {
		t.Fatal("IsZero")
	}
}

func TestCheckpointSignOpen(t *testing.T) {
	s, v, pub := testKey(t, 1)
	root := tlog.RecordHash([]byte("x"))
	c := Checkpoint{Origin: Origin(pub), Size: 12, Root: root}
	if !strings.HasPrefix(c.Origin, "mcpzero.kernel/") {
		t.Fatal(c.Origin)
	}
	msg, err := SignCheckpoint(c, s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(msg, c.Body()) {
		t.Fatalf("note does not start with the body:\n%s", msg)
	}
	got, err := OpenCheckpoint(msg, v)
	if err != nil || got != c {
		t.Fatalf("open = %v, %v", got, err)
	}
	// Deterministic: signing twice gives the same bytes (ed25519, no time).
	again, _ := SignCheckpoint(c, s)
	if !bytes.Equal(again, msg) {
		t.Fatal("signature not deterministic")
	}

	// Another kernel's key.
	_, v2, _ := testKey(t, 2)
	if _, err := OpenCheckpoint(msg, v2); !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "not signed by the given key") {
		t.Fatalf("other key: %v", err)
	}
	// Changed size in the signed text.
	forged := bytes.Replace(msg, []byte("\n12\n"), []byte("\n13\n"), 1)
	if _, err := OpenCheckpoint(forged, v); !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "invalid signature") {
		t.Fatalf("forged: %v", err)
	}
	// Garbage.
	if _, err := OpenCheckpoint([]byte("hello"), v); !errors.Is(err, ErrMalformedCheckpoint) {
		t.Fatalf("garbage: %v", err)
	}
	// Signer name must be the origin.
	if _, err := SignCheckpoint(Checkpoint{Origin: "other", Size: 1}, s); err == nil {
		t.Fatal("signed a checkpoint of another origin")
	}
	// A key whose name is not the origin it signs: an attacker signing
	// "our" origin text under their own key name is refused by name.
	other, _, _ := testKey(t, 3)
	bad, err := note.Sign(&note.Note{Text: string(c.Body())}, other)
	if err != nil {
		t.Fatal(err)
	}
	otherV, _ := note.NewVerifier(mustVKey(t, 3))
	if _, err := OpenCheckpoint(bad, otherV); !errors.Is(err, ErrMalformedCheckpoint) || !strings.Contains(err.Error(), "origin") {
		t.Fatalf("origin mismatch: %v", err)
	}
}

func mustVKey(t *testing.T, seed byte) string {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
	pub := priv.Public().(ed25519.PublicKey)
	k, err := VerifierKey(Origin(pub), pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseCheckpoint(t *testing.T) {
	root := "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
	good := "o\n5\n" + root + "\n"
	if c, err := ParseCheckpoint([]byte(good)); err != nil || c.Size != 5 || c.Origin != "o" {
		t.Fatalf("%v %v", c, err)
	}
	bad := []string{
		"", "o\n5\n" + root, "o\n05\n" + root + "\n", "o\n-1\n" + root + "\n", "o\nx\n" + root + "\n",
		"o\n5\nAAAA\n", "o\n5\n" + root + "\next\n", "o b\n5\n" + root + "\n", "\n5\n" + root + "\n",
		"o\n5\n" + strings.TrimSuffix(root, "=") + "\n",
	}
	for _, b := range bad {
		if _, err := ParseCheckpoint([]byte(b)); !errors.Is(err, ErrMalformedCheckpoint) {
			t.Errorf("%q: err = %v", b, err)
		}
	}
}

func TestKeys(t *testing.T) {
	if _, err := NewSigner("n", ed25519.PrivateKey{1, 2}); !errors.Is(err, ErrBadKey) {
		t.Fatal(err)
	}
	if _, err := NewSigner("bad name", ed25519.NewKeyFromSeed(make([]byte, 32))); !errors.Is(err, ErrBadKey) {
		t.Fatal(err)
	}
	if _, err := VerifierKey("n", ed25519.PublicKey{1}); !errors.Is(err, ErrBadKey) {
		t.Fatal(err)
	}
	for _, f := range []string{"", "a\nb\n", "not a key", "# only comment\n"} {
		if _, err := ParseVerifierKey([]byte(f)); !errors.Is(err, ErrBadKey) {
			t.Errorf("%q: %v", f, err)
		}
	}
}

func buildTree(t testing.TB, n int) (*MemTree, [][]byte) {
	t.Helper()
	var tr MemTree
	var data [][]byte
	for i := 0; i < n; i++ {
		b := encode(t, sampleEntry(uint64(i)))
		if idx, err := tr.Append(b); err != nil || idx != int64(i) {
			t.Fatal(idx, err)
		}
		data = append(data, b)
	}
	return &tr, data
}

func checkpointAt(t testing.TB, tr *MemTree, origin string, n int64) Checkpoint {
	t.Helper()
	root, err := tr.Root(n)
	if err != nil {
		t.Fatal(err)
	}
	return Checkpoint{Origin: origin, Size: n, Root: root}
}

func TestInclusionAndConsistency(t *testing.T) {
	tr, data := buildTree(t, 37)
	for _, n := range []int64{1, 2, 3, 8, 17, 37} {
		c := checkpointAt(t, tr, "o", n)
		for i := int64(0); i < n; i++ {
			p, err := tr.ProveInclusion(i, n)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyInclusion(c, i, data[i], p); err != nil {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
			// Wrong entry, wrong index, tampered proof.
			if err := VerifyInclusion(c, i, data[(i+1)%37], p); !errors.Is(err, ErrInclusion) && n > 1 {
				t.Fatalf("wrong entry accepted: %v", err)
			}
			if len(p) > 0 {
				q := append(tlog.RecordProof{}, p...)
				q[0][0] ^= 1
				if err := VerifyInclusion(c, i, data[i], q); !errors.Is(err, ErrInclusion) {
					t.Fatalf("tampered proof accepted")
				}
				if err := VerifyInclusion(c, i, data[i], p[:len(p)-1]); !errors.Is(err, ErrInclusion) {
					t.Fatalf("short proof accepted")
				}
			}
		}
		if err := VerifyInclusion(c, n, data[0], nil); !errors.Is(err, ErrInclusion) {
			t.Fatalf("index past the end: %v", err)
		}
		if err := VerifyInclusion(c, -1, data[0], nil); !errors.Is(err, ErrInclusion) {
			t.Fatalf("negative index: %v", err)
		}
	}
	empty := checkpointAt(t, tr, "o", 0)
	for _, old := range []int64{0, 1, 5, 16, 36, 37} {
		for _, n := range []int64{old, 37} {
			p, err := tr.ProveConsistency(old, n)
			if err != nil {
				t.Fatal(err)
			}
			co, cn := checkpointAt(t, tr, "o", old), checkpointAt(t, tr, "o", n)
			if err := VerifyConsistency(co, cn, p); err != nil {
				t.Fatalf("%d→%d: %v", old, n, err)
			}
			if old > 0 && old < n {
				// Rollback: the proof does not run backwards.
				if err := VerifyConsistency(cn, co, p); !errors.Is(err, ErrConsistency) || !strings.Contains(err.Error(), "rolled back") {
					t.Fatalf("rollback: %v", err)
				}
			}
		}
	}
	if err := VerifyConsistency(Checkpoint{Origin: "o", Root: tlog.Hash{1}}, checkpointAt(t, tr, "o", 3), nil); !errors.Is(err, ErrConsistency) {
		t.Fatal("bad empty root accepted")
	}
	if err := VerifyConsistency(empty, checkpointAt(t, tr, "o", 3), tlog.TreeProof{{}}); !errors.Is(err, ErrConsistency) {
		t.Fatal("proof from the empty tree accepted")
	}
	if err := VerifyConsistency(empty, Checkpoint{Origin: "p"}, nil); !errors.Is(err, ErrConsistency) {
		t.Fatal("different origins accepted")
	}
}

// A fork after a published checkpoint: the operator rewrites entry 3 of a
// log whose checkpoint of size 5 an auditor holds, and appends more. No
// consistency proof takes the auditor's checkpoint to the forked log.
func TestForkIsDetected(t *testing.T) {
	tr, data := buildTree(t, 10)
	published := checkpointAt(t, tr, "o", 5)

	var fork MemTree
	for i, b := range data {
		if i == 3 {
			e := sampleEntry(3)
			e.Output = SHA256([]byte("rewritten"))
			b = encode(t, e)
		}
		fork.Append(b)
	}
	forked := checkpointAt(t, &fork, "o", 10)
	for _, p := range []tlog.TreeProof{mustTree(t, &fork, 5, 10), mustTree(t, tr, 5, 10)} {
		err := VerifyConsistency(published, forked, p)
		if !errors.Is(err, ErrConsistency) || !strings.Contains(err.Error(), "forked") {
			t.Fatalf("fork not detected: %v", err)
		}
	}
	// Same size, different root.
	if err := VerifyConsistency(published, checkpointAt(t, &fork, "o", 5), nil); !errors.Is(err, ErrConsistency) {
		t.Fatalf("same-size fork: %v", err)
	}
	// The honest extension verifies.
	if err := VerifyConsistency(published, checkpointAt(t, tr, "o", 10), mustTree(t, tr, 5, 10)); err != nil {
		t.Fatal(err)
	}
}

func mustTree(t *testing.T, tr *MemTree, old, n int64) tlog.TreeProof {
	p, err := tr.ProveConsistency(old, n)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMemTreeReadOutOfRange(t *testing.T) {
	tr, _ := buildTree(t, 2)
	if _, err := tr.ReadHashes([]int64{99}); err == nil {
		t.Fatal("out of range read")
	}
	if _, err := tr.ProveInclusion(5, 9); err == nil {
		t.Fatal("proof beyond the tree")
	}
	if tr.Size() != 2 || len(tr.StoredHashes()) != int(tlog.StoredHashCount(2)) {
		t.Fatal("size")
	}
}

// Proof length is logarithmic: at most 20 hashes at a million entries. The
// length depends only on (index, size), so stored hashes need not be real.
func TestProofLengthAtAMillion(t *testing.T) {
	zero := tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) { return make([]tlog.Hash, len(ix)), nil })
	const n = 1_000_000
	for _, i := range []int64{0, 1, n / 2, 999_999, 524_287, 524_288, 777_777} {
		p, err := tlog.ProveRecord(n, i, zero)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) > 20 {
			t.Fatalf("proof of %d in %d has %d hashes", i, n, len(p))
		}
	}
	p, err := tlog.ProveTree(n, 1000, zero)
	if err != nil || len(p) > 2*20 {
		t.Fatalf("consistency proof %d hashes, %v", len(p), err)
	}
}

func TestVerifierKeyFromPEM(t *testing.T) {
	s, v, pub := testKey(t, 5)
	pemKey := keys.EncodePublic(pub)
	vp, err := ParseVerifierKey(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	if vp.Name() != v.Name() || vp.KeyHash() != v.KeyHash() || vp.Name() != s.Name() {
		t.Fatalf("PEM key gives %s+%08x, want %s+%08x", vp.Name(), vp.KeyHash(), v.Name(), v.KeyHash())
	}
	if _, err := ParseVerifierKey([]byte("-----BEGIN OTHER-----\nAAAA\n-----END OTHER-----\n")); !errors.Is(err, ErrBadKey) {
		t.Fatal(err)
	}
	// The origin is the key ID internal/keys shows.
	if Origin(pub) != "mcpzero.kernel/"+keys.ID(pub) {
		t.Fatal(Origin(pub))
	}
}

// Keys whose base64 text contains '+' (most of them) make valid signers.
func TestSignerForManyKeys(t *testing.T) {
	for seed := 0; seed < 64; seed++ {
		priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(seed), 7}, 16))
		pub := priv.Public().(ed25519.PublicKey)
		s, err := NewSigner(Origin(pub), priv)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		vk, _ := VerifierKey(Origin(pub), pub)
		v, err := ParseVerifierKey([]byte(vk))
		if err != nil || v.KeyHash() != s.KeyHash() {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
}
