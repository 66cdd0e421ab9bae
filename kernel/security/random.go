package security

import (
	"crypto/sha256"
	"encoding/binary"
	"io"
	"math/rand/v2"
)

// RandomDomain starts the hash that seeds a plugin call's random stream.
const RandomDomain = "mcpzero/random/v1\x00"

// RandomStream returns the random bytes a plugin granted randomness reads
// during one operation: ChaCha8 (math/rand/v2, a specified algorithm whose
// output does not change between Go versions) keyed with
//
//	SHA-256(RandomDomain || kernel seed || u32be(len agent) || agent ||
//	        u64be(seq) || u32be(len operation) || operation)
//
// where the kernel seed is the 32 CSPRNG bytes created when the store was
// first opened and seq identifies the operation (the kernel passes the
// agent's execute number, known before the call runs). The stream is
// unpredictable to the plugin (it never sees the seed) and reproduced
// exactly by a replay of the operation.
func (m *Manager) RandomStream(agent string, seq uint64, operation string) io.Reader {
	return RandomStreamFromSeed(m.seed, agent, seq, operation)
}

// KernelSeed returns the kernel's randomness seed, for replaying
// operations elsewhere. It is a secret of the kernel.
func (m *Manager) KernelSeed() [32]byte { return m.seed }

// RandomStreamFromSeed is RandomStream for a given kernel seed.
func RandomStreamFromSeed(seed [32]byte, agent string, seq uint64, operation string) io.Reader {
	h := sha256.New()
	h.Write([]byte(RandomDomain))
	h.Write(seed[:])
	var n [8]byte
	binary.BigEndian.PutUint32(n[:4], uint32(len(agent)))
	h.Write(n[:4])
	h.Write([]byte(agent))
	binary.BigEndian.PutUint64(n[:], seq)
	h.Write(n[:])
	binary.BigEndian.PutUint32(n[:4], uint32(len(operation)))
	h.Write(n[:4])
	h.Write([]byte(operation))
	var key [32]byte
	copy(key[:], h.Sum(nil))
	return rand.NewChaCha8(key)
}
