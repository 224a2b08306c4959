package runtime

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"time"
	"unsafe"
)

// The default codec's encoding of composite values (scalars: codec_kinds.go):
//
//	struct    exported fields in declaration order, no tags or names
//	          (fields named _ are skipped; unexported fields are an error)
//	array     its elements, no length
//	slice     varint(len+1) then the elements; 0 = nil
//	map       varint(len+1) then key, value pairs in Go's iteration order; 0 = nil
//	pointer   1 byte: 0 = nil, 1 = present and followed by the pointee
//	time.Time varint(Unix seconds), varint(nanoseconds), varint(UTC offset
//	          in seconds); the zone name and the monotonic reading are dropped
//
// A type with a codec registered in the registry is encoded by that codec,
// wherever it appears.

// codecPlan encodes and decodes one type through pointers to its values.
// Plans are built once per type with reflection; running them uses only
// unsafe pointer arithmetic over precomputed offsets.
type codecPlan struct {
	typ  reflect.Type
	kind codecKind // a scalar run through codecAppendKind, or ckNone
	enc  func(dst []byte, p unsafe.Pointer) []byte
	dec  func(src []byte, p unsafe.Pointer) (int, error)
	// minSize is the fewest bytes any value encodes to; it bounds the
	// element counts a decoder accepts against the remaining input.
	minSize int
}

// codecField is one scalar or nested value of a (flattened) struct.
type codecField struct {
	name string
	off  uintptr
	kind codecKind
	plan *codecPlan
}

// codecSliceHeader mirrors the layout of a Go slice.
type codecSliceHeader struct {
	data unsafe.Pointer
	len  int
	cap  int
}

// codecMaxEmpty caps the element count of slices whose elements encode to
// nothing (struct{}), which no input length can bound.
const codecMaxEmpty = 1 << 20

type codecBuilder struct {
	r        *CodecRegistry
	root     reflect.Type
	building map[reflect.Type]*codecPlan // for recursive types
	built    map[reflect.Type]*codecPlan // committed to r.plans on success
}

func (b *codecBuilder) unsupported(path string, t reflect.Type, why string) error {
	return fmt.Errorf("%w %s: %s (%s) %s; register a codec for %s with runtime.RegisterCodec",
		ErrNoCodec, b.root, path, t, why, t)
}

var codecTimeType = reflect.TypeFor[time.Time]()

// plan returns the plan for t; path names where t sits inside the root type.
func (b *codecBuilder) plan(t reflect.Type, path string) (*codecPlan, error) {
	if pl, ok := b.r.glue[t]; ok {
		return pl, nil
	}
	if pl, ok := b.r.plans[t]; ok {
		return pl, nil
	}
	if pl, ok := b.built[t]; ok {
		return pl, nil
	}
	if pl, ok := b.building[t]; ok {
		return pl, nil // recursive reference; filled in before use
	}
	pl := &codecPlan{typ: t}
	k := codecScalarKind(t)
	if k == ckBytes {
		if _, glued := b.r.glue[t.Elem()]; glued {
			k = ckNone
		}
	}
	if k != ckNone {
		pl.kind, pl.minSize = k, codecMinSize(k)
		pl.enc = func(dst []byte, p unsafe.Pointer) []byte { return codecAppendKind(dst, k, p) }
		pl.dec = func(src []byte, p unsafe.Pointer) (int, error) { return codecDecodeKind(src, k, p) }
		b.built[t] = pl
		return pl, nil
	}
	b.building[t] = pl
	defer delete(b.building, t)
	var err error
	switch {
	case t == codecTimeType:
		codecTimePlan(pl)
	case t.Kind() == reflect.Struct:
		err = b.structPlan(pl, t, path)
	case t.Kind() == reflect.Array:
		err = b.arrayPlan(pl, t, path)
	case t.Kind() == reflect.Slice:
		err = b.slicePlan(pl, t, path)
	case t.Kind() == reflect.Map:
		err = b.mapPlan(pl, t, path)
	case t.Kind() == reflect.Pointer:
		err = b.pointerPlan(pl, t, path)
	case t.Kind() == reflect.Interface:
		err = b.unsupported(path, t, "is an interface type")
	default: // chan, func, unsafe.Pointer
		err = b.unsupported(path, t, "cannot be encoded")
	}
	if err != nil {
		return nil, err
	}
	b.built[t] = pl
	return pl, nil
}

func codecScalarKind(t reflect.Type) codecKind {
	switch t.Kind() {
	case reflect.Bool:
		return ckBool
	case reflect.Int:
		return ckInt
	case reflect.Int8:
		return ckInt8
	case reflect.Int16:
		return ckInt16
	case reflect.Int32:
		return ckInt32
	case reflect.Int64:
		return ckInt64
	case reflect.Uint:
		return ckUint
	case reflect.Uint8:
		return ckUint8
	case reflect.Uint16:
		return ckUint16
	case reflect.Uint32:
		return ckUint32
	case reflect.Uint64:
		return ckUint64
	case reflect.Uintptr:
		return ckUintptr
	case reflect.Float32:
		return ckFloat32
	case reflect.Float64:
		return ckFloat64
	case reflect.Complex64:
		return ckComplex64
	case reflect.Complex128:
		return ckComplex128
	case reflect.String:
		return ckString
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return ckBytes
		}
	}
	return ckNone
}

// fields flattens t's exported fields, inlining nested structs that have no
// registered codec so that a struct of scalars runs as one loop.
func (b *codecBuilder) fields(t reflect.Type, base uintptr, path string, out []codecField) ([]codecField, error) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		// Fields named _ are padding; fields of an embedded struct of an
		// unexported type are promoted like Go promotes them.
		fpath := path + "." + f.Name
		if f.Name == "_" {
			continue
		}
		embeddedStruct := f.Anonymous && f.Type.Kind() == reflect.Struct
		if !f.IsExported() && !embeddedStruct {
			return nil, fmt.Errorf("%w %s: field %s (%s) is unexported; export it, or register a codec for %s with runtime.RegisterCodec",
				ErrNoCodec, b.root, fpath, f.Type, t)
		}
		off := base + f.Offset
		ft := f.Type
		_, glued := b.r.glue[ft]
		if ft.Kind() == reflect.Struct && !glued && ft != codecTimeType {
			var err error
			if out, err = b.fields(ft, off, fpath, out); err != nil {
				return nil, err
			}
			continue
		}
		pl, err := b.plan(ft, fpath)
		if err != nil {
			return nil, err
		}
		out = append(out, codecField{name: fpath, off: off, kind: pl.kind, plan: pl})
	}
	return out, nil
}

func (b *codecBuilder) structPlan(pl *codecPlan, t reflect.Type, path string) error {
	fields, err := b.fields(t, 0, path, nil)
	if err != nil {
		return err
	}
	for _, f := range fields {
		if f.kind != ckNone {
			pl.minSize += codecMinSize(f.kind)
		} else {
			pl.minSize += f.plan.minSize
		}
	}
	pl.enc = func(dst []byte, p unsafe.Pointer) []byte {
		for i := range fields {
			f := &fields[i]
			if f.kind != ckNone {
				dst = codecAppendKind(dst, f.kind, unsafe.Add(p, f.off))
			} else {
				dst = f.plan.enc(dst, unsafe.Add(p, f.off))
			}
		}
		return dst
	}
	pl.dec = func(src []byte, p unsafe.Pointer) (int, error) {
		pos := 0
		for i := range fields {
			f := &fields[i]
			var n int
			var err error
			if f.kind != ckNone {
				n, err = codecDecodeKind(src[pos:], f.kind, unsafe.Add(p, f.off))
			} else {
				n, err = f.plan.dec(src[pos:], unsafe.Add(p, f.off))
			}
			if err != nil {
				return 0, fmt.Errorf("field %s: %w", f.name, err)
			}
			pos += n
		}
		return pos, nil
	}
	return nil
}

// elemCodec returns an element's plan plus the inline scalar kind.
func (b *codecBuilder) elem(t reflect.Type, path string) (*codecPlan, codecKind, error) {
	pl, err := b.plan(t, path)
	if err != nil {
		return nil, ckNone, err
	}
	return pl, pl.kind, nil
}

func (b *codecBuilder) arrayPlan(pl *codecPlan, t reflect.Type, path string) error {
	ep, k, err := b.elem(t.Elem(), path+"[]")
	if err != nil {
		return err
	}
	n, size := t.Len(), t.Elem().Size()
	pl.minSize = n * ep.minSize
	if k == ckUint8 || k == ckInt8 {
		// A byte array is its raw bytes either way; copy them in one go
		// (same wire form as the element loop below).
		pl.enc = func(dst []byte, p unsafe.Pointer) []byte {
			return append(dst, unsafe.Slice((*byte)(p), n)...)
		}
		pl.dec = func(src []byte, p unsafe.Pointer) (int, error) {
			if len(src) < n {
				return 0, fmt.Errorf("element %d: %w", len(src), errCodecShort)
			}
			copy(unsafe.Slice((*byte)(p), n), src)
			return n, nil
		}
		return nil
	}
	pl.enc = func(dst []byte, p unsafe.Pointer) []byte {
		return codecAppendElems(dst, p, n, size, k, ep)
	}
	pl.dec = func(src []byte, p unsafe.Pointer) (int, error) {
		return codecDecodeElems(src, p, n, size, k, ep)
	}
	return nil
}

func codecAppendElems(dst []byte, p unsafe.Pointer, n int, size uintptr, k codecKind, ep *codecPlan) []byte {
	for i := 0; i < n; i++ {
		q := unsafe.Add(p, uintptr(i)*size)
		if k != ckNone {
			dst = codecAppendKind(dst, k, q)
		} else {
			dst = ep.enc(dst, q)
		}
	}
	return dst
}

func codecDecodeElems(src []byte, p unsafe.Pointer, n int, size uintptr, k codecKind, ep *codecPlan) (int, error) {
	pos := 0
	for i := 0; i < n; i++ {
		q := unsafe.Add(p, uintptr(i)*size)
		var m int
		var err error
		if k != ckNone {
			m, err = codecDecodeKind(src[pos:], k, q)
		} else {
			m, err = ep.dec(src[pos:], q)
		}
		if err != nil {
			return 0, fmt.Errorf("element %d: %w", i, err)
		}
		pos += m
	}
	return pos, nil
}

// codecCount reads a varint(count+1) prefix (0 = nil) and checks the count
// against what the remaining input can hold.
func codecCount(src []byte, minSize int, memSize uintptr) (count int, isNil bool, n int, err error) {
	c, n := binary.Uvarint(src)
	if n <= 0 {
		return 0, false, 0, codecVarintErr(n)
	}
	if c == 0 {
		return 0, true, n, nil
	}
	c--
	rest := uint64(len(src) - n)
	switch {
	case minSize > 0 && c > rest/uint64(minSize):
		return 0, false, 0, errCodecLength
	case minSize == 0 && memSize > 0 && c > rest:
		return 0, false, 0, errCodecLength
	case c > codecMaxEmpty && c > rest:
		return 0, false, 0, errCodecTooLarge
	}
	return int(c), false, n, nil
}

func (b *codecBuilder) slicePlan(pl *codecPlan, t reflect.Type, path string) error {
	ep, k, err := b.elem(t.Elem(), path+"[]")
	if err != nil {
		return err
	}
	size := t.Elem().Size()
	// Elements that encode to nothing (struct{}) need no loop at all.
	empty := size == 0 && ep.minSize == 0
	pl.minSize = 1
	pl.enc = func(dst []byte, p unsafe.Pointer) []byte {
		h := (*codecSliceHeader)(p)
		if h.data == nil {
			return append(dst, 0)
		}
		dst = binary.AppendUvarint(dst, uint64(h.len)+1)
		if empty {
			return dst
		}
		return codecAppendElems(dst, h.data, h.len, size, k, ep)
	}
	pl.dec = func(src []byte, p unsafe.Pointer) (int, error) {
		count, isNil, n, err := codecCount(src, ep.minSize, size)
		if err != nil {
			return 0, err
		}
		h := (*codecSliceHeader)(p)
		if isNil {
			*h = codecSliceHeader{}
			return n, nil
		}
		data := reflect.MakeSlice(t, count, count).UnsafePointer()
		m := 0
		if !empty {
			if m, err = codecDecodeElems(src[n:], data, count, size, k, ep); err != nil {
				return 0, err
			}
		}
		*h = codecSliceHeader{data: data, len: count, cap: count}
		return n + m, nil
	}
	return nil
}

func (b *codecBuilder) pointerPlan(pl *codecPlan, t reflect.Type, path string) error {
	ep, err := b.plan(t.Elem(), "*"+path)
	if err != nil {
		return err
	}
	et := t.Elem()
	pl.minSize = 1
	pl.enc = func(dst []byte, p unsafe.Pointer) []byte {
		q := *(*unsafe.Pointer)(p)
		if q == nil {
			return append(dst, 0)
		}
		return ep.enc(append(dst, 1), q)
	}
	pl.dec = func(src []byte, p unsafe.Pointer) (int, error) {
		if len(src) < 1 {
			return 0, errCodecShort
		}
		switch src[0] {
		case 0:
			*(*unsafe.Pointer)(p) = nil
			return 1, nil
		case 1:
		default:
			return 0, errCodecNilFlag
		}
		q := reflect.New(et).UnsafePointer()
		n, err := ep.dec(src[1:], q)
		if err != nil {
			return 0, err
		}
		*(*unsafe.Pointer)(p) = q
		return 1 + n, nil
	}
	return nil
}

func (b *codecBuilder) mapPlan(pl *codecPlan, t reflect.Type, path string) error {
	kp, err := b.plan(t.Key(), path+"[key]")
	if err != nil {
		return err
	}
	vp, err := b.plan(t.Elem(), path+"[value]")
	if err != nil {
		return err
	}
	kt, vt := t.Key(), t.Elem()
	pl.minSize = 1
	pl.enc = func(dst []byte, p unsafe.Pointer) []byte {
		// Copy the map pointer out so that reflect never sees p, which
		// may point into the caller's stack (see codecNoescape).
		m := *(*unsafe.Pointer)(p)
		if m == nil {
			return append(dst, 0)
		}
		mv := reflect.NewAt(t, unsafe.Pointer(&m)).Elem()
		dst = binary.AppendUvarint(dst, uint64(mv.Len())+1)
		k, v := reflect.New(kt).Elem(), reflect.New(vt).Elem()
		kq, vq := k.Addr().UnsafePointer(), v.Addr().UnsafePointer()
		for it := mv.MapRange(); it.Next(); {
			k.SetIterKey(it)
			v.SetIterValue(it)
			dst = vp.enc(kp.enc(dst, kq), vq)
		}
		return dst
	}
	pl.dec = func(src []byte, p unsafe.Pointer) (int, error) {
		count, isNil, n, err := codecCount(src, kp.minSize+vp.minSize, kt.Size()+vt.Size())
		if err != nil {
			return 0, err
		}
		if isNil {
			*(*unsafe.Pointer)(p) = nil
			return n, nil
		}
		mv := reflect.MakeMapWithSize(t, count)
		k, v := reflect.New(kt).Elem(), reflect.New(vt).Elem()
		kq, vq := k.Addr().UnsafePointer(), v.Addr().UnsafePointer()
		for i := 0; i < count; i++ {
			m, err := kp.dec(src[n:], kq)
			if err != nil {
				return 0, fmt.Errorf("key %d: %w", i, err)
			}
			n += m
			if m, err = vp.dec(src[n:], vq); err != nil {
				return 0, fmt.Errorf("value %d: %w", i, err)
			}
			n += m
			mv.SetMapIndex(k, v)
		}
		*(*unsafe.Pointer)(p) = mv.UnsafePointer()
		return n, nil
	}
	return nil
}

func codecTimePlan(pl *codecPlan) {
	pl.minSize = 3
	pl.enc = func(dst []byte, p unsafe.Pointer) []byte {
		t := *(*time.Time)(p)
		_, off := t.Zone()
		dst = binary.AppendVarint(dst, t.Unix())
		dst = binary.AppendVarint(dst, int64(t.Nanosecond()))
		return binary.AppendVarint(dst, int64(off))
	}
	pl.dec = func(src []byte, p unsafe.Pointer) (int, error) {
		var v [3]int64
		pos := 0
		for i := range v {
			x, n := binary.Varint(src[pos:])
			if n <= 0 {
				return 0, codecVarintErr(n)
			}
			v[i], pos = x, pos+n
		}
		if v[1] < 0 || v[1] > 999_999_999 || v[2] < -24*3600 || v[2] > 24*3600 {
			return 0, errCodecRange
		}
		t := time.Unix(v[0], v[1])
		if v[2] == 0 {
			t = t.UTC()
		} else {
			t = t.In(time.FixedZone("", int(v[2])))
		}
		*(*time.Time)(p) = t
		return pos, nil
	}
}
