package verifier

import (
	"encoding/binary"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254"
)

// gnark's decoders allocate a slice as soon as they have read its length,
// before they read its elements: a verifying key or proof whose length
// prefix was corrupted makes gnark allocate up to 2^32 points (256 GiB), and
// the verifier dies of it (found by TestEveryByteCounts). checkEncoding
// walks gnark 0.16's compressed BN254 encodings — bundles and key sets must
// name that gnark version (ErrVersion) — and refuses, before gnark sees the
// bytes, a length the rest of the bytes cannot hold, a point that is not
// compressed (the format, docs/BUNDLE.md, says compressed; an uncompressed
// point would shift the walk) and trailing bytes.

type encodingKind int

const (
	verifyingKeyEncoding encodingKind = iota
	proofEncoding
)

const (
	g1Compressed = bn254.SizeOfG1AffineCompressed // 32
	g2Compressed = bn254.SizeOfG2AffineCompressed // 64
	frBytes      = 32
)

// checkEncoding checks the lengths of a gnark encoding of kind for
// backend b.
func checkEncoding(b Backend, kind encodingKind, raw []byte) error {
	w := &encWalker{b: raw}
	switch {
	case b == Groth16 && kind == verifyingKeyEncoding:
		// [α]1 [β]1 [β]2 [γ]2 [δ]1 [δ]2, K, public-and-commitment-committed
		// indexes, then the Pedersen keys ([G]2, [σG]2 each).
		w.g1(2)
		w.g2(2)
		w.g1(1)
		w.g2(1)
		w.g1s()
		for range w.count(4) {
			w.skip(8 * w.count(8))
		}
		for range w.count(2 * g2Compressed) {
			w.g2(2)
		}
	case b == Groth16 && kind == proofEncoding:
		// Ar, Bs, Krs, commitments, commitment proof of knowledge.
		w.g1(1)
		w.g2(1)
		w.g1(1)
		w.g1s()
		w.g1(1)
	case b == PLONK && kind == verifyingKeyEncoding:
		// The versioned layout (marker 0, version 1), as WriteTo writes it:
		// Size, SizeInv, Generator, NbPublicVariables, CosetShift, S[3],
		// Ql, Qr, Qm, Qo, Qk, Qcp, Kzg.G1, Kzg.G2[2], Kzg.Lines, commitment
		// constraint indexes.
		if marker, version := w.u64(), w.u64(); w.err == nil && (marker != 0 || version != 1) {
			return fmt.Errorf("PLONK verifying key header %d/%d, gnark 0.16 writes 0/1", marker, version)
		}
		w.u64()
		w.skip(2 * frBytes)
		w.u64()
		w.skip(frBytes)
		w.g1(3 + 5)
		w.g1s()
		w.g1(1)
		w.g2(2)
		w.skip(2 * 2 * len(bn254.LoopCounter) * 4 * frBytes) // [2][2][·] lines of two E2 coordinates
		w.skip(8 * w.count(8))
	case b == PLONK && kind == proofEncoding:
		// LRO[3], Z, H[3], BatchedProof.H, ClaimedValues, ZShiftedOpening.H
		// and ClaimedValue, Bsb22Commitments.
		w.g1(3 + 1 + 3 + 1)
		w.skip(frBytes * w.count(frBytes))
		w.g1(1)
		w.skip(frBytes)
		w.g1s()
	default:
		return fmt.Errorf("no encoding walk for backend %v", b)
	}
	if w.err == nil && w.off != len(raw) {
		w.err = fmt.Errorf("%d trailing bytes", len(raw)-w.off)
	}
	return w.err
}

// encWalker reads an encoding forward; the first error sticks.
type encWalker struct {
	b   []byte
	off int
	err error
}

func (w *encWalker) skip(n int) {
	if w.err != nil {
		return
	}
	if n < 0 || n > len(w.b)-w.off {
		w.err = fmt.Errorf("%d bytes needed at offset %d of %d", n, w.off, len(w.b))
		return
	}
	w.off += n
}

func (w *encWalker) u64() uint64 {
	start := w.off
	w.skip(8)
	if w.err != nil {
		return 0
	}
	return binary.BigEndian.Uint64(w.b[start:])
}

// count reads a u32 length whose elements take at least elem bytes each,
// and refuses one the rest of the encoding cannot hold.
func (w *encWalker) count(elem int) int {
	start := w.off
	w.skip(4)
	if w.err != nil {
		return 0
	}
	n := int64(binary.BigEndian.Uint32(w.b[start:]))
	if left := int64(len(w.b) - w.off); n*int64(elem) > left {
		w.err = fmt.Errorf("a length of %d at offset %d, only %d bytes follow", n, start, left)
		return 0
	}
	return int(n)
}

// points skips n compressed points of size bytes.
func (w *encWalker) points(n, size int) {
	for range n {
		if w.err == nil && w.off < len(w.b) && w.b[w.off]&(0b11<<6) == 0 {
			w.err = fmt.Errorf("uncompressed point at offset %d", w.off)
		}
		w.skip(size)
	}
}

func (w *encWalker) g1(n int) { w.points(n, g1Compressed) }
func (w *encWalker) g2(n int) { w.points(n, g2Compressed) }
func (w *encWalker) g1s()     { w.g1(w.count(g1Compressed)) }
