package aggregatedlog

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// errShort is a record or block that ends before its declared length.
var errShort = errors.New("truncated")

// reader walks a byte slice with Hadoop's DataInput and TFile encodings.
type reader struct {
	b   []byte
	off int
}

func (r *reader) need(n int) error {
	if n < 0 || len(r.b)-r.off < n {
		return fmt.Errorf("at byte %d: %w (need %d, have %d)", r.off, errShort, n, len(r.b)-r.off)
	}
	return nil
}

func (r *reader) bytes(n int) ([]byte, error) {
	if err := r.need(n); err != nil {
		return nil, err
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p, nil
}

// vlong reads TFile's variable-length integer (Utils.writeVLong):
//
//	first byte FB (signed)        value
//	FB >= -32                     FB
//	FB in [-72, -33]              (FB+52)<<8  | 1 more byte
//	FB in [-104, -73]             (FB+88)<<16 | 2 more bytes
//	FB in [-120, -105]            (FB+112)<<24 | 3 more bytes
//	FB in [-128, -121]            the next FB+129 (4..8) bytes, big-endian, signed
func (r *reader) vlong() (int64, error) {
	p, err := r.bytes(1)
	if err != nil {
		return 0, err
	}
	fb := int64(int8(p[0]))
	if fb >= -32 {
		return fb, nil
	}
	more := func(n int) (uint64, error) {
		q, err := r.bytes(n)
		if err != nil {
			return 0, err
		}
		var u uint64
		for _, c := range q {
			u = u<<8 | uint64(c)
		}
		return u, nil
	}
	switch {
	case fb >= -72:
		u, err := more(1)
		return (fb+52)<<8 | int64(u), err
	case fb >= -104:
		u, err := more(2)
		return (fb+88)<<16 | int64(u), err
	case fb >= -120:
		u, err := more(3)
		return (fb+112)<<24 | int64(u), err
	}
	n := int(fb + 129)
	if n < 4 || n > 8 {
		return 0, fmt.Errorf("at byte %d: corrupt variable-length integer (first byte %d)", r.off-1, fb)
	}
	u, err := more(n)
	if err != nil {
		return 0, err
	}
	shift := uint(64 - 8*n) // sign-extend the n-byte big-endian value
	return int64(u<<shift) >> shift, nil
}

// vint is vlong limited to a Java int.
func (r *reader) vint() (int, error) {
	v, err := r.vlong()
	if err != nil {
		return 0, err
	}
	if v > 1<<31-1 || v < -1<<31 {
		return 0, fmt.Errorf("at byte %d: integer %d out of range", r.off, v)
	}
	return int(v), nil
}

// str reads Utils.writeString: a vint length (-1: null), then the bytes.
func (r *reader) str() (string, error) {
	n, err := r.vint()
	if err != nil || n == -1 {
		return "", err
	}
	p, err := r.bytes(n)
	return string(p), err
}

// utf reads DataOutput.writeUTF: a 2-byte big-endian length, then
// (modified) UTF-8; the names and lengths in the log format are ASCII.
func (r *reader) utf() (string, error) {
	p, err := r.bytes(2)
	if err != nil {
		return "", err
	}
	q, err := r.bytes(int(binary.BigEndian.Uint16(p)))
	return string(q), err
}

func (r *reader) done() bool { return r.off >= len(r.b) }
