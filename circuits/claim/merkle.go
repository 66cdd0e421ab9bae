package claim

import (
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// The trace tree: leaves are Claim.Leaf() in segment order, padded with zero
// to a power of two; an inner node is Compress(left, right); the trace root
// is Hash(TagRoot, number of claims, tree root), so that trees of different
// sizes never share a root.

// ErrNoClaims is returned for an empty claim list.
var ErrNoClaims = errors.New("claim: no segment claims")

func treeLevels(leaves []fr.Element) [][]fr.Element {
	n := 1
	for n < len(leaves) {
		n *= 2
	}
	level := make([]fr.Element, n)
	copy(level, leaves)
	levels := [][]fr.Element{level}
	for len(level) > 1 {
		next := make([]fr.Element, len(level)/2)
		for i := range next {
			next[i] = Compress(level[2*i], level[2*i+1])
		}
		levels = append(levels, next)
		level = next
	}
	return levels
}

func rootOf(n int, tree fr.Element) fr.Element {
	return Hash(U64(TagRoot), U64(uint64(n)), tree)
}

// MerkleRoot is the trace root over claims, in order.
func MerkleRoot(claims []Claim) (fr.Element, error) {
	if len(claims) == 0 {
		return fr.Element{}, ErrNoClaims
	}
	leaves := make([]fr.Element, len(claims))
	for i, c := range claims {
		leaves[i] = c.Leaf()
	}
	levels := treeLevels(leaves)
	return rootOf(len(claims), levels[len(levels)-1][0]), nil
}

// Path proves that one claim is the Index-th of N claims under a trace root.
type Path struct {
	Index    int
	N        int
	Siblings []fr.Element // bottom-up
}

// MerklePath returns the path of claims[index].
func MerklePath(claims []Claim, index int) (Path, error) {
	if len(claims) == 0 {
		return Path{}, ErrNoClaims
	}
	if index < 0 || index >= len(claims) {
		return Path{}, fmt.Errorf("claim: path index %d out of range [0, %d)", index, len(claims))
	}
	leaves := make([]fr.Element, len(claims))
	for i, c := range claims {
		leaves[i] = c.Leaf()
	}
	levels := treeLevels(leaves)
	p := Path{Index: index, N: len(claims)}
	for _, level := range levels[:len(levels)-1] {
		p.Siblings = append(p.Siblings, level[index^1])
		index /= 2
	}
	return p, nil
}

// ErrBadPath is returned when a Merkle path does not lead to the root.
var ErrBadPath = errors.New("claim: Merkle path does not match the trace root")

// VerifyPath checks that c is the p.Index-th of p.N claims under root: the
// check an auditor runs on one segment alone.
func VerifyPath(root fr.Element, c Claim, p Path) error {
	if p.N <= 0 || p.Index < 0 || p.Index >= p.N {
		return fmt.Errorf("%w: index %d of %d", ErrBadPath, p.Index, p.N)
	}
	depth := 0
	for 1<<depth < p.N {
		depth++
	}
	if len(p.Siblings) != depth {
		return fmt.Errorf("%w: %d siblings for %d claims, want %d", ErrBadPath, len(p.Siblings), p.N, depth)
	}
	h, idx := c.Leaf(), p.Index
	for _, s := range p.Siblings {
		if idx%2 == 0 {
			h = Compress(h, s)
		} else {
			h = Compress(s, h)
		}
		idx /= 2
	}
	if got := rootOf(p.N, h); !got.Equal(&root) {
		return fmt.Errorf("%w: claim %d of %d", ErrBadPath, p.Index, p.N)
	}
	return nil
}
