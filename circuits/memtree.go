package circuits

import (
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/mcpzero/mcpzero/circuits/claim"
)

// Linear memory is committed at every segment boundary as the root of a
// Poseidon2 Merkle tree over the whole 32-bit address space in blocks of
// MemBlockBytes bytes. A leaf is claim.HashLong of its block packed 31 bytes
// per element; an inner node is claim.Compress(left, right). A segment
// opens only the blocks it touches, so memory size does not enter the
// circuit, only the number of blocks a segment may touch (Shape.Mem).
const (
	MemBlockBytes = 256
	memBlockLog   = 8
	MemTreeDepth  = 32 - memBlockLog // leaves: 2^24 blocks
)

// The program table is committed the same way (read-only): blocks of
// ProgBlockEntries packed entries (Entry.packed), leaf = claim.HashLong of the
// block, over at most MaxProgram entries. A segment opens the blocks of
// the pcs it executes.
const (
	ProgBlockEntries = 32
	ProgTreeDepth    = 15
	MaxProgram       = ProgBlockEntries << ProgTreeDepth // 2^20 entries
)

// The funcref table likewise: blocks of ProgBlockEntries packed slots
// (TableEntry.packed), a segment opening the blocks its call_indirects
// look up, at most MaxTable slots.
const MaxTable = MaxProgram

// The function table is a tree of single functions: leaf = packedFunc +
// 2^128 (so that no leaf of an absent function, zero, opens as one), at
// most MaxFuncs functions. Only the called function is ever opened (the
// first segment's initial state); calls take the callee from the program.
const (
	FuncTreeDepth = 20
	MaxFuncs      = 1 << FuncTreeDepth
)

// zeroNodes[k] is the root of a subtree of height k over zero memory.
var zeroNodes = zeroTree(blockLeaf(make([]byte, MemBlockBytes)), MemTreeDepth)

// zeroProgNodes[k] is the root of a subtree of height k of empty program
// (or funcref table) blocks.
var zeroProgNodes = zeroTree(claim.HashLong(make([]fr.Element, ProgBlockEntries)...), ProgTreeDepth)

// zeroFuncNodes[k] is the root of a subtree of height k without functions.
var zeroFuncNodes = zeroTree(fr.Element{}, FuncTreeDepth)

func zeroTree(leaf fr.Element, depth int) []fr.Element {
	z := make([]fr.Element, depth+1)
	z[0] = leaf
	for k := 1; k <= depth; k++ {
		z[k] = claim.Compress(z[k-1], z[k-1])
	}
	return z
}

// blockLeaf is the leaf of one block of MemBlockBytes bytes.
func blockLeaf(b []byte) fr.Element { return claim.HashLong(claim.PackBytes(b)...) }

// sparseTree is a Merkle tree over blocks of which only the nodes above a
// non-zero block are stored.
type sparseTree struct {
	nodes []map[uint64]fr.Element // level 0: leaves
	zero  []fr.Element            // zero[k]: the root of an empty subtree of height k
}

func newMemTree() *sparseTree { return newSparseTree(zeroNodes) }

func newSparseTree(zero []fr.Element) *sparseTree {
	t := &sparseTree{nodes: make([]map[uint64]fr.Element, len(zero)), zero: zero}
	for k := range t.nodes {
		t.nodes[k] = map[uint64]fr.Element{}
	}
	return t
}

func (t *sparseTree) depth() int { return len(t.zero) - 1 }

// memTreeOf is the tree of a memory image (bytes past it are zero).
func memTreeOf(image []byte) *sparseTree {
	t := newMemTree()
	for off := 0; off < len(image); off += MemBlockBytes {
		blk := make([]byte, MemBlockBytes)
		copy(blk, image[off:min(off+MemBlockBytes, len(image))])
		if !allZero(blk) {
			t.set(uint64(off/MemBlockBytes), blockLeaf(blk))
		}
	}
	return t
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

func (t *sparseTree) node(level int, i uint64) fr.Element {
	if n, ok := t.nodes[level][i]; ok {
		return n
	}
	return t.zero[level]
}

// root is the tree's commitment.
func (t *sparseTree) root() fr.Element { return t.node(t.depth(), 0) }

// path returns the siblings of block i's leaf, bottom first.
func (t *sparseTree) path(i uint64) []fr.Element {
	p := make([]fr.Element, t.depth())
	for k := range p {
		p[k] = t.node(k, (i>>k)^1)
	}
	return p
}

// set replaces block i's leaf and updates the nodes above it.
func (t *sparseTree) set(i uint64, leaf fr.Element) {
	t.nodes[0][i] = leaf
	n := leaf
	for k := range t.depth() {
		sib := t.node(k, (i>>k)^1)
		if (i>>k)&1 == 0 {
			n = claim.Compress(n, sib)
		} else {
			n = claim.Compress(sib, n)
		}
		t.nodes[k+1][i>>(k+1)] = n
	}
}

// memRootOf is the root of a path from leaf at block i.
func memRootOf(leaf fr.Element, i uint64, path []fr.Element) fr.Element {
	n := leaf
	for k := range path {
		if (i>>k)&1 == 0 {
			n = claim.Compress(n, path[k])
		} else {
			n = claim.Compress(path[k], n)
		}
	}
	return n
}

// MemoryRoot is the memory commitment of an initial memory image.
func MemoryRoot(image []byte) fr.Element { return memTreeOf(image).root() }

// blockTreeOf is the tree of a table of packed elements in blocks of
// ProgBlockEntries (the program, the funcref table), zero past its end.
func blockTreeOf(packed []fr.Element) *sparseTree {
	t := newSparseTree(zeroProgNodes)
	for b := 0; b*ProgBlockEntries < len(packed); b++ {
		blk := make([]fr.Element, ProgBlockEntries)
		copy(blk, packed[b*ProgBlockEntries:])
		t.set(uint64(b), claim.HashLong(blk...))
	}
	return t
}

// funcLeaf is the function tree's leaf of a packed function.
func funcLeaf(packed fr.Element) fr.Element {
	var l fr.Element
	l.Add(&packed, pow2fr(128))
	return l
}
