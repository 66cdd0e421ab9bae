package fuel

import "fmt"

// reader decodes the wasm binary format with bounds checks everywhere.
// Offsets in errors are absolute offsets in the module (base + pos).
type reader struct {
	b       []byte
	pos     int
	base    int // absolute offset of b[0] in the module
	section string
}

func (r *reader) fail(kind error, format string, args ...any) error {
	return &FormatError{Section: r.section, Offset: r.base + r.pos, Msg: fmt.Sprintf(format, args...), Err: kind}
}

func (r *reader) eof() bool { return r.pos >= len(r.b) }

func (r *reader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, r.fail(ErrMalformed, "unexpected end")
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *reader) bytes(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.pos {
		return nil, r.fail(ErrMalformed, "length %d past the end", n)
	}
	s := r.b[r.pos : r.pos+n]
	r.pos += n
	return s, nil
}

// uleb reads an unsigned LEB128 of at most bits bits.
func (r *reader) uleb(bits uint) (uint64, error) {
	start := r.pos
	var v uint64
	var shift uint
	for {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if shift >= bits {
			r.pos = start
			return 0, r.fail(ErrMalformed, "integer too long")
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			if bits < 64 && v>>bits != 0 {
				r.pos = start
				return 0, r.fail(ErrMalformed, "integer too large")
			}
			return v, nil
		}
		shift += 7
	}
}

func (r *reader) u32() (uint32, error) {
	v, err := r.uleb(32)
	return uint32(v), err
}

// sleb skips a signed LEB128 of at most bits bits (its value is never
// needed by the instrumenter).
func (r *reader) sleb(bits uint) error {
	start := r.pos
	var shift uint
	for {
		c, err := r.byte()
		if err != nil {
			return err
		}
		if shift >= bits {
			r.pos = start
			return r.fail(ErrMalformed, "integer too long")
		}
		if c&0x80 == 0 {
			return nil
		}
		shift += 7
	}
}

// name reads a length-prefixed UTF-8 name.
func (r *reader) name() (string, error) {
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	s, err := r.bytes(int(n))
	return string(s), err
}

func appendULEB(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func appendSLEB(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
