package auditlog

import (
	"errors"
	"strings"
	"testing"
)

func consistencyFile(t *testing.T, tr *MemTree, old, n int64) (*ConsistencyFile, []byte) {
	t.Helper()
	s, _, _ := testKey(t, 1)
	sign := func(size int64) string {
		msg, err := SignCheckpoint(checkpointAt(t, tr, s.Name(), size), s)
		if err != nil {
			t.Fatal(err)
		}
		return string(msg)
	}
	p, err := tr.ProveConsistency(old, n)
	if err != nil {
		t.Fatal(err)
	}
	f := &ConsistencyFile{Format: ConsistencyFormat, Old: sign(old), New: sign(n), Proof: p}
	raw, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	g, err := ParseConsistencyFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	return g, []byte(f.Old)
}

func TestConsistencyFile(t *testing.T) {
	_, v, _ := testKey(t, 1)
	_, other, _ := testKey(t, 2)
	tr, _ := buildTree(t, 40)
	f, kept := consistencyFile(t, tr, 13, 40)
	old, cur, err := VerifyConsistencyFile(f, v, kept)
	if err != nil || old.Size != 13 || cur.Size != 40 {
		t.Fatalf("%v %v %v", old, cur, err)
	}
	if _, _, err := VerifyConsistencyFile(f, v, nil); err != nil {
		t.Fatal(err)
	}
	// Another kept checkpoint than the file's old one.
	_, kept2 := consistencyFile(t, tr, 12, 40)
	if _, _, err := VerifyConsistencyFile(f, v, kept2); !errors.Is(err, ErrConsistency) || !strings.Contains(err.Error(), "not from the kept checkpoint") {
		t.Fatal(err)
	}
	if _, _, err := VerifyConsistencyFile(f, v, []byte("junk")); err == nil {
		t.Fatal("junk kept checkpoint")
	}
	if _, _, err := VerifyConsistencyFile(f, other, nil); !errors.Is(err, ErrBadSignature) {
		t.Fatal(err)
	}
	g := *f
	g.New = strings.Replace(f.New, "\n40\n", "\n41\n", 1)
	if _, _, err := VerifyConsistencyFile(&g, v, nil); !errors.Is(err, ErrBadSignature) {
		t.Fatal(err)
	}
	g = *f
	g.Proof = append(g.Proof[:0:0], f.Proof...)
	g.Proof[0][0] ^= 1
	if _, _, err := VerifyConsistencyFile(&g, v, nil); !errors.Is(err, ErrConsistency) {
		t.Fatal(err)
	}
	// A fork: the new checkpoint of a log whose entry 5 was rewritten.
	var fork MemTree
	for i := 0; i < 40; i++ {
		e := sampleEntry(uint64(i))
		if i == 5 {
			e.Detail = "rewritten"
		}
		fork.Append(encode(t, e))
	}
	ff, _ := consistencyFile(t, &fork, 13, 40)
	g = *f
	g.New = ff.New
	if _, _, err := VerifyConsistencyFile(&g, v, nil); !errors.Is(err, ErrConsistency) || !strings.Contains(err.Error(), "forked") {
		t.Fatal(err)
	}
	for _, bad := range []string{"x", `{"format":"other"}`, `{"format":"` + ConsistencyFormat + `","extra":1}`, `{"format":"` + ConsistencyFormat + `"}{}`} {
		if _, err := ParseConsistencyFile([]byte(bad)); !errors.Is(err, ErrMalformedExport) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := ParseConsistencyFile(make([]byte, 2<<20)); !errors.Is(err, ErrMalformedExport) {
		t.Fatal(err)
	}
}
