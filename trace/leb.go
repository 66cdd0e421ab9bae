package trace

import "unicode/utf8"

// reader decodes the binary format with bounds checks everywhere: every
// method reports failure through r.err (the first error wins) and returns a
// zero value, so that a hostile length can never index out of range.
type reader struct {
	b       []byte
	pos     int
	end     int
	section string
	fn      int
	err     *DecodeError
}

func (r *reader) fail(kind error, off int, msg string) {
	if r.err == nil {
		r.err = &DecodeError{Kind: kind, Section: r.section, Offset: off, Func: r.fn, Msg: msg}
	}
}

func (r *reader) malformed(msg string) { r.fail(ErrMalformed, r.pos, msg) }

func (r *reader) ok() bool { return r.err == nil }

func (r *reader) remaining() int { return r.end - r.pos }

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.pos >= r.end {
		r.malformed("unexpected end")
		return 0
	}
	c := r.b[r.pos]
	r.pos++
	return c
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > r.remaining() {
		r.malformed("unexpected end")
		return nil
	}
	s := r.b[r.pos : r.pos+n]
	r.pos += n
	return s
}

// u32 reads an unsigned LEB128 of at most 5 bytes whose unused bits are 0.
func (r *reader) u32() uint32 {
	start := r.pos
	var v uint32
	for i := 0; i < 5; i++ {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		if i == 4 && c&0xF0 != 0 {
			r.fail(ErrMalformed, start, "integer too large")
			return 0
		}
		v |= uint32(c&0x7F) << (7 * i)
		if c&0x80 == 0 {
			return v
		}
	}
	r.fail(ErrMalformed, start, "integer representation too long")
	return 0
}

// sleb reads a signed LEB128 of at most bits bits (32, 33 or 64).
func (r *reader) sleb(bits int) int64 {
	start := r.pos
	maxBytes := (bits + 6) / 7
	var v int64
	shift := 0
	for i := 0; i < maxBytes; i++ {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		if i == maxBytes-1 {
			// The unused bits of the last byte must be the sign extension of
			// the last used bit.
			used := bits - 7*i // bits of payload in this byte
			if used < 7 {
				rest := int8(c<<1) >> uint(used+1) // bits above the used ones, sign-extended
				signBit := (c >> uint(used-1)) & 1
				if c&0x80 != 0 || (signBit == 0 && rest != 0) || (signBit == 1 && rest != -1) {
					r.fail(ErrMalformed, start, "integer too large")
					return 0
				}
			}
		}
		v |= int64(c&0x7F) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v
		}
	}
	r.fail(ErrMalformed, start, "integer representation too long")
	return 0
}

// count reads a vector length and checks that at least min bytes per element
// remain, so that no allocation is sized by an unchecked length.
func (r *reader) count(minBytes int) int {
	start := r.pos
	n := r.u32()
	if r.err != nil {
		return 0
	}
	if minBytes > 0 && uint64(n)*uint64(minBytes) > uint64(r.remaining()) {
		r.fail(ErrMalformed, start, "length out of bounds")
		return 0
	}
	return int(n)
}

func (r *reader) name() string {
	start := r.pos
	n := r.count(1)
	b := r.bytes(n)
	if r.err != nil {
		return ""
	}
	if !utf8.Valid(b) {
		r.fail(ErrMalformed, start, "malformed UTF-8 encoding")
		return ""
	}
	return string(b)
}
