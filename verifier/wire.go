package verifier

import (
	"encoding/binary"
	"errors"
	"math"
)

// wire is the little binary encoding shared by bundles and key files:
// fixed-width big-endian integers and length-prefixed (uint32) byte strings.
// It is written by hand because it is tiny and must stay byte-for-byte
// stable; encoding/gob and JSON are neither canonical nor compact.

type wireWriter struct{ b []byte }

func (w *wireWriter) u8(v uint8)   { w.b = append(w.b, v) }
func (w *wireWriter) u16(v uint16) { w.b = binary.BigEndian.AppendUint16(w.b, v) }
func (w *wireWriter) u32(v uint32) { w.b = binary.BigEndian.AppendUint32(w.b, v) }
func (w *wireWriter) u64(v uint64) { w.b = binary.BigEndian.AppendUint64(w.b, v) }
func (w *wireWriter) raw(b []byte) { w.b = append(w.b, b...) }
func (w *wireWriter) bytes(b []byte) {
	w.u32(uint32(len(b)))
	w.b = append(w.b, b...)
}
func (w *wireWriter) str(s string) { w.bytes([]byte(s)) }

var errShort = errors.New("truncated")

// wireReader records the first error and returns zero values after it, so
// decoders read straight through and check err once.
type wireReader struct {
	b   []byte
	err error
}

func (r *wireReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = errShort
		r.b = nil
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *wireReader) u8() uint8 {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}
func (r *wireReader) u16() uint16 {
	if b := r.take(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}
func (r *wireReader) u32() uint32 {
	if b := r.take(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}
func (r *wireReader) u64() uint64 {
	if b := r.take(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// bytes reads a length-prefixed byte string; the result is a copy.
func (r *wireReader) bytes() []byte {
	n := r.u32()
	if r.err == nil && uint64(n) > uint64(len(r.b)) || n > math.MaxInt32 {
		r.err = errShort
		return nil
	}
	b := r.take(int(n))
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

func (r *wireReader) str() string { return string(r.bytes()) }

// count reads a uint32 element count and checks that at least min bytes per
// element remain, so a corrupt count cannot make a decoder allocate wildly.
func (r *wireReader) count(minPerElem int) int {
	n := r.u32()
	if r.err != nil {
		return 0
	}
	if minPerElem < 1 {
		minPerElem = 1
	}
	if uint64(n)*uint64(minPerElem) > uint64(len(r.b)) {
		r.err = errShort
		return 0
	}
	return int(n)
}

func (r *wireReader) done() error {
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return errors.New("trailing bytes")
	}
	return nil
}
