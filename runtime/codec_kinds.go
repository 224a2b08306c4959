package runtime

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"
)

// The default codec's encoding of scalar values:
//
//	bool            1 byte, 0 or 1
//	int8, uint8     1 byte
//	int, int16..64  zig-zag varint (encoding/binary.AppendVarint)
//	uint16..64      varint (encoding/binary.AppendUvarint), also uint, uintptr
//	float32/64      IEEE 754 bits, little endian, 4 or 8 bytes
//	complex64/128   real then imaginary part, as floats
//	string, []byte  varint length, then the bytes ([]byte: length+1, 0 = nil)

// codecKind names the scalar kinds that struct, slice and array plans
// encode inline through one switch instead of a call per value.
type codecKind uint8

const (
	ckNone codecKind = iota
	ckBool
	ckInt
	ckInt8
	ckInt16
	ckInt32
	ckInt64
	ckUint
	ckUint8
	ckUint16
	ckUint32
	ckUint64
	ckUintptr
	ckFloat32
	ckFloat64
	ckComplex64
	ckComplex128
	ckString
	ckBytes
)

// Immutable error values for the decode hot path; callers add context.
var (
	errCodecShort    = fmt.Errorf("%w: truncated input", ErrCorruptRecord)
	errCodecVarint   = fmt.Errorf("%w: bad varint", ErrCorruptRecord)
	errCodecRange    = fmt.Errorf("%w: integer out of range", ErrCorruptRecord)
	errCodecBool     = fmt.Errorf("%w: bool byte is neither 0 nor 1", ErrCorruptRecord)
	errCodecLength   = fmt.Errorf("%w: length exceeds the remaining input", ErrCorruptRecord)
	errCodecNilFlag  = fmt.Errorf("%w: pointer flag is neither 0 nor 1", ErrCorruptRecord)
	errCodecTooLarge = fmt.Errorf("%w: element count too large", ErrCorruptRecord)
)

// codecAppendKind appends the scalar at p.
func codecAppendKind(dst []byte, k codecKind, p unsafe.Pointer) []byte {
	switch k {
	case ckBool:
		if *(*bool)(p) {
			return append(dst, 1)
		}
		return append(dst, 0)
	case ckInt:
		return binary.AppendVarint(dst, int64(*(*int)(p)))
	case ckInt8:
		return append(dst, byte(*(*int8)(p)))
	case ckInt16:
		return binary.AppendVarint(dst, int64(*(*int16)(p)))
	case ckInt32:
		return binary.AppendVarint(dst, int64(*(*int32)(p)))
	case ckInt64:
		return binary.AppendVarint(dst, *(*int64)(p))
	case ckUint:
		return binary.AppendUvarint(dst, uint64(*(*uint)(p)))
	case ckUint8:
		return append(dst, *(*uint8)(p))
	case ckUint16:
		return binary.AppendUvarint(dst, uint64(*(*uint16)(p)))
	case ckUint32:
		return binary.AppendUvarint(dst, uint64(*(*uint32)(p)))
	case ckUint64:
		return binary.AppendUvarint(dst, *(*uint64)(p))
	case ckUintptr:
		return binary.AppendUvarint(dst, uint64(*(*uintptr)(p)))
	case ckFloat32:
		return binary.LittleEndian.AppendUint32(dst, math.Float32bits(*(*float32)(p)))
	case ckFloat64:
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(*(*float64)(p)))
	case ckComplex64:
		c := *(*complex64)(p)
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(real(c)))
		return binary.LittleEndian.AppendUint32(dst, math.Float32bits(imag(c)))
	case ckComplex128:
		c := *(*complex128)(p)
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(real(c)))
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(imag(c)))
	case ckString:
		s := *(*string)(p)
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		return append(dst, s...)
	case ckBytes:
		b := *(*[]byte)(p)
		if b == nil {
			return append(dst, 0)
		}
		dst = binary.AppendUvarint(dst, uint64(len(b))+1)
		return append(dst, b...)
	}
	panic(fmt.Sprintf("runtime: codec kind %d has no encoder", k))
}

// codecDecodeKind decodes the scalar at the front of src into p.
func codecDecodeKind(src []byte, k codecKind, p unsafe.Pointer) (int, error) {
	switch k {
	case ckBool:
		if len(src) < 1 {
			return 0, errCodecShort
		}
		switch src[0] {
		case 0:
			*(*bool)(p) = false
		case 1:
			*(*bool)(p) = true
		default:
			return 0, errCodecBool
		}
		return 1, nil
	case ckInt8, ckUint8:
		if len(src) < 1 {
			return 0, errCodecShort
		}
		*(*uint8)(p) = src[0]
		return 1, nil
	case ckInt:
		v, n := binary.Varint(src)
		if n <= 0 {
			return 0, codecVarintErr(n)
		}
		if int64(int(v)) != v {
			return 0, errCodecRange
		}
		*(*int)(p) = int(v)
		return n, nil
	case ckInt64:
		v, n := binary.Varint(src)
		if n <= 0 {
			return 0, codecVarintErr(n)
		}
		*(*int64)(p) = v
		return n, nil
	case ckInt16:
		v, n := binary.Varint(src)
		if n <= 0 {
			return 0, codecVarintErr(n)
		}
		if v < math.MinInt16 || v > math.MaxInt16 {
			return 0, errCodecRange
		}
		*(*int16)(p) = int16(v)
		return n, nil
	case ckInt32:
		v, n := binary.Varint(src)
		if n <= 0 {
			return 0, codecVarintErr(n)
		}
		if v < math.MinInt32 || v > math.MaxInt32 {
			return 0, errCodecRange
		}
		*(*int32)(p) = int32(v)
		return n, nil
	case ckUint64:
		v, n := binary.Uvarint(src)
		if n <= 0 {
			return 0, codecVarintErr(n)
		}
		*(*uint64)(p) = v
		return n, nil
	case ckUint:
		v, n := binary.Uvarint(src)
		if n <= 0 {
			return 0, codecVarintErr(n)
		}
		if uint64(uint(v)) != v {
			return 0, errCodecRange
		}
		*(*uint)(p) = uint(v)
		return n, nil
	case ckUintptr:
		v, n := binary.Uvarint(src)
		if n <= 0 {
			return 0, codecVarintErr(n)
		}
		if uint64(uintptr(v)) != v {
			return 0, errCodecRange
		}
		*(*uintptr)(p) = uintptr(v)
		return n, nil
	case ckUint16:
		v, n := binary.Uvarint(src)
		if n <= 0 {
			return 0, codecVarintErr(n)
		}
		if v > math.MaxUint16 {
			return 0, errCodecRange
		}
		*(*uint16)(p) = uint16(v)
		return n, nil
	case ckUint32:
		v, n := binary.Uvarint(src)
		if n <= 0 {
			return 0, codecVarintErr(n)
		}
		if v > math.MaxUint32 {
			return 0, errCodecRange
		}
		*(*uint32)(p) = uint32(v)
		return n, nil
	case ckFloat32:
		if len(src) < 4 {
			return 0, errCodecShort
		}
		*(*uint32)(p) = binary.LittleEndian.Uint32(src)
		return 4, nil
	case ckFloat64:
		if len(src) < 8 {
			return 0, errCodecShort
		}
		*(*uint64)(p) = binary.LittleEndian.Uint64(src)
		return 8, nil
	case ckComplex64:
		if len(src) < 8 {
			return 0, errCodecShort
		}
		*(*[2]uint32)(p) = [2]uint32{binary.LittleEndian.Uint32(src), binary.LittleEndian.Uint32(src[4:])}
		return 8, nil
	case ckComplex128:
		if len(src) < 16 {
			return 0, errCodecShort
		}
		*(*[2]uint64)(p) = [2]uint64{binary.LittleEndian.Uint64(src), binary.LittleEndian.Uint64(src[8:])}
		return 16, nil
	case ckString:
		l, n := binary.Uvarint(src)
		if n <= 0 {
			return 0, codecVarintErr(n)
		}
		if l > uint64(len(src)-n) {
			return 0, errCodecLength
		}
		*(*string)(p) = string(src[n : n+int(l)])
		return n + int(l), nil
	case ckBytes:
		l, n := binary.Uvarint(src)
		if n <= 0 {
			return 0, codecVarintErr(n)
		}
		if l == 0 {
			*(*[]byte)(p) = nil
			return n, nil
		}
		l--
		if l > uint64(len(src)-n) {
			return 0, errCodecLength
		}
		b := make([]byte, l)
		copy(b, src[n:])
		*(*[]byte)(p) = b
		return n + int(l), nil
	}
	panic(fmt.Sprintf("runtime: codec kind %d has no decoder", k))
}

func codecVarintErr(n int) error {
	if n == 0 {
		return errCodecShort
	}
	return errCodecVarint
}

// codecMinSize is the fewest bytes a scalar kind encodes to.
func codecMinSize(k codecKind) int {
	switch k {
	case ckFloat32:
		return 4
	case ckFloat64, ckComplex64:
		return 8
	case ckComplex128:
		return 16
	}
	return 1
}
