package prover

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/mcpzero/mcpzero/verifier"
)

// The key store remembers, per backend, each shape's constraint count and
// constraint-system digest from the last time it was compiled
// (shapes-<backend>.json). Choosing a shape must not compile every shape
// (the large ones take many seconds), yet the choice depends on real sizes
// and on which shapes already have keys. A stale record (the circuits
// changed) only makes one choice less good; keys are still looked up by the
// freshly compiled digest.

type shapeRecord struct {
	Constraints int    `json:"constraints"`
	Digest      string `json:"cs_digest"`
	Gnark       string `json:"gnark"`
}

func (s *KeyStore) sizesPath(b verifier.Backend) string {
	return filepath.Join(s.dir, "shapes-"+b.String()+".json")
}

func (s *KeyStore) readSizes(b verifier.Backend) map[string]shapeRecord {
	m := map[string]shapeRecord{}
	raw, err := os.ReadFile(s.sizesPath(b))
	if err == nil {
		_ = json.Unmarshal(raw, &m) // a corrupt file is only a lost hint
	}
	return m
}

// recordShape notes a compiled shape's size and digest.
func (s *KeyStore) recordShape(b verifier.Backend, shape string, c *compiled) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.readSizes(b)
	rec := shapeRecord{Constraints: c.cs.GetNbConstraints(), Digest: hex.EncodeToString(c.digest[:]), Gnark: verifier.GnarkVersion}
	if m[shape] == rec {
		return
	}
	m[shape] = rec
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return
	}
	tmp, err := os.CreateTemp(s.dir, ".tmp-shapes-*")
	if err != nil {
		return
	}
	_, err = tmp.Write(raw)
	if cerr := tmp.Close(); err == nil && cerr == nil {
		os.Rename(tmp.Name(), s.sizesPath(b))
	}
	os.Remove(tmp.Name())
}

// shapeHint returns what the store knows about a shape without compiling
// it: its constraint count and whether keys for its last digest exist.
func (s *KeyStore) shapeHint(b verifier.Backend, shape string) (constraints int, hasKeys, known bool) {
	compiledMu.Lock()
	c := compiledCache[b.String()+"/"+shape]
	compiledMu.Unlock()
	var d [32]byte
	if c != nil {
		constraints, d, known = c.cs.GetNbConstraints(), c.digest, true
	} else {
		s.mu.Lock()
		rec, ok := s.readSizes(b)[shape]
		s.mu.Unlock()
		raw, err := hex.DecodeString(rec.Digest)
		if !ok || err != nil || len(raw) != 32 || rec.Gnark != verifier.GnarkVersion {
			return 0, false, false
		}
		copy(d[:], raw)
		constraints, known = rec.Constraints, true
	}
	_, e1 := os.Stat(s.path(b, d, "pk"))
	_, e2 := os.Stat(s.path(b, d, "vk"))
	return constraints, e1 == nil && e2 == nil, known
}
