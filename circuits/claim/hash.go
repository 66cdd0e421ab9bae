package claim

import (
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"
)

// Domain-separation tags: the first element of every tagged hash, so that a
// digest of one kind can never be reinterpreted as a digest of another.
const (
	TagInit   = 1 // canonical initial state of a run
	TagFinal  = 2 // canonical final state of a run
	TagState  = 3 // machine state at a segment boundary
	TagLeaf   = 4 // leaf of the trace tree (one segment claim)
	TagRoot   = 5 // trace root (tree root and number of leaves)
	TagInput  = 6 // arguments and input bytes of a run
	TagOutput = 7 // results and output bytes of a run
	TagModule = 8 // module commitment
	TagBytes  = 9 // byte string packed into field elements
)

var perm = poseidon2.NewDefaultPermutation()

// Compress is the Poseidon2 2-to-1 compression (feed-forward of the right
// lane), the same function as gnark's std/permutation/poseidon2 Compress.
func Compress(left, right fr.Element) fr.Element {
	x := [2]fr.Element{left, right}
	if err := perm.Permutation(x[:]); err != nil {
		panic(err) // width is 2 by construction
	}
	var r fr.Element
	r.Add(&x[1], &right)
	return r
}

// Hash is the Merkle–Damgård chain of Compress over xs starting from zero:
// h = Compress(...Compress(Compress(0, x0), x1)..., xn). Callers hash
// fixed-arity, tagged tuples, so no length padding is needed.
func Hash(xs ...fr.Element) fr.Element {
	var h fr.Element
	for _, x := range xs {
		h = Compress(h, x)
	}
	return h
}

// U64 is the field element of an unsigned integer.
func U64(v uint64) fr.Element {
	var e fr.Element
	e.SetUint64(v)
	return e
}

// BytesPerElement is how many bytes one field element carries when a byte
// string is packed (little-endian within the element).
const BytesPerElement = 31

// PackBytes packs b, 31 bytes per element, little-endian inside each element.
func PackBytes(b []byte) []fr.Element {
	out := make([]fr.Element, 0, (len(b)+BytesPerElement-1)/BytesPerElement)
	for i := 0; i < len(b); i += BytesPerElement {
		end := min(i+BytesPerElement, len(b))
		var e, pow, t fr.Element
		pow.SetOne()
		var b256 fr.Element
		b256.SetUint64(256)
		for _, c := range b[i:end] {
			t.SetUint64(uint64(c))
			t.Mul(&t, &pow)
			e.Add(&e, &t)
			pow.Mul(&pow, &b256)
		}
		out = append(out, e)
	}
	return out
}

// BytesDigest is the digest of a byte string:
// Hash(TagBytes, len(b), PackBytes(b)...). Circuits recompute it for any
// length up to their capacity by hashing every prefix and selecting the one
// ending at len(b).
func BytesDigest(b []byte) fr.Element {
	xs := []fr.Element{U64(TagBytes), U64(uint64(len(b)))}
	xs = append(xs, PackBytes(b)...)
	return Hash(xs...)
}

// ValuesDigest is the digest of a list of WebAssembly integer values
// (arguments or results; an i32 is zero-extended): Hash(len(vs), vs...).
func ValuesDigest(vs []uint64) fr.Element {
	xs := []fr.Element{U64(uint64(len(vs)))}
	for _, v := range vs {
		xs = append(xs, U64(v))
	}
	return Hash(xs...)
}

// InputDigest is the statement's I: the digest of a run's arguments and
// input bytes.
func InputDigest(args []uint64, input []byte) fr.Element {
	return Hash(U64(TagInput), ValuesDigest(args), BytesDigest(input))
}

// OutputDigest is the statement's O: the digest of a run's results (empty
// when it trapped) and of the bytes it wrote with output_write.
func OutputDigest(results []uint64, output []byte) fr.Element {
	return Hash(U64(TagOutput), ValuesDigest(results), BytesDigest(output))
}
