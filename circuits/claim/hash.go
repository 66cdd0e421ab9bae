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
// fixed-arity, tagged tuples, so no length padding is needed. It costs a
// circuit 186 constraints per element, so from three elements on the
// sponge (460 a block of 11) is cheaper: HashLong hashes the long tuples,
// and Hash keeps the statement's short ones (3 to 5 elements, a few per
// segment), whose definitions the claim chain and its tools share.
func Hash(xs ...fr.Element) fr.Element {
	var h fr.Element
	for _, x := range xs {
		h = Compress(h, x)
	}
	return h
}

// SpongeWidth and SpongeRate are those of the sponge behind HashLong and
// the list digests: Poseidon2 over BN254 of width 12 (8 full and 57
// partial rounds, gnark-crypto's constants for t = 12), absorbing 11
// elements per permutation into lanes 1..11, lane 0 the capacity. In
// R1CS one permutation costs 460 constraints, 42 per absorbed element,
// where the width-2 chain costs 186 per element.
const (
	SpongeWidth = 12
	SpongeRate  = SpongeWidth - 1
)

// SpongeFullRounds and SpongePartialRounds are the full and partial rounds of the width-12 Poseidon2.
const (
	SpongeFullRounds    = 8
	SpongePartialRounds = 57
)

var widePerm = poseidon2.NewPermutation(SpongeWidth, SpongeFullRounds, SpongePartialRounds)

// ListIV is the capacity lane's initial value for list digests of kind k:
// 2^64 + k. HashLong starts it at the tuple's length, which never reaches
// 2^64, so the two never share a sponge; kinds keep lists of different
// encodings apart (zero padding would otherwise make the 9 zero values
// [9, 0, …] and the empty byte string [9, 0] one message).
func ListIV(kind uint64) fr.Element {
	var e, k fr.Element
	e.SetUint64(1 << 63)
	e.Double(&e)
	k.SetUint64(kind)
	e.Add(&e, &k)
	return e
}

// List kinds (ListIV): lists of values or field elements, and byte strings.
const (
	ListElements = 0
	ListBytes    = TagBytes
)

// Sponge absorbs xs, zero-padded to whole blocks of SpongeRate (at least
// one block), into lanes 1..SpongeRate of a width-12 Poseidon2 state whose
// capacity lane starts at iv, permuting after each block, and returns
// lane 1. Zero padding is injective only for inputs whose length the
// input itself fixes: HashLong puts the length in iv, list digests put it
// in the message.
func Sponge(iv fr.Element, xs []fr.Element) fr.Element {
	var st [SpongeWidth]fr.Element
	st[0] = iv
	for b := 0; b == 0 || b*SpongeRate < len(xs); b++ {
		for i := range SpongeRate {
			if k := b*SpongeRate + i; k < len(xs) {
				st[1+i].Add(&st[1+i], &xs[k])
			}
		}
		if err := widePerm.Permutation(st[:]); err != nil {
			panic(err) // width is SpongeWidth by construction
		}
	}
	return st[1]
}

// HashLong hashes a fixed-arity tuple of any length: Sponge(len(xs), xs).
func HashLong(xs ...fr.Element) fr.Element { return Sponge(U64(uint64(len(xs))), xs) }

// ListDigest is the digest of a list of field elements of a kind, after a
// header that fixes the list's length: Sponge(ListIV(kind), head ‖ items). Circuits
// recompute it for any length up to their capacity by absorbing every
// block of the capacity, the items past the length masked to zero, and
// selecting the state after the block where the message ends.
func ListDigest(kind uint64, head, items []fr.Element) fr.Element {
	return Sponge(ListIV(kind), append(append(make([]fr.Element, 0, len(head)+len(items)), head...), items...))
}

// ElementsDigest is the digest of a list of field elements:
// ListDigest(ListElements, [len(xs)], xs).
func ElementsDigest(xs []fr.Element) fr.Element {
	return ListDigest(ListElements, []fr.Element{U64(uint64(len(xs)))}, xs)
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
// ListDigest(ListBytes, [TagBytes, len(b)], PackBytes(b)).
func BytesDigest(b []byte) fr.Element {
	return ListDigest(ListBytes, []fr.Element{U64(TagBytes), U64(uint64(len(b)))}, PackBytes(b))
}

// ValuesDigest is the digest of a list of WebAssembly integer values
// (arguments or results; an i32 is zero-extended): ElementsDigest of the
// values.
func ValuesDigest(vs []uint64) fr.Element {
	xs := make([]fr.Element, len(vs))
	for i, v := range vs {
		xs[i] = U64(v)
	}
	return ElementsDigest(xs)
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
