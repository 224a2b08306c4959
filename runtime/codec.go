package runtime

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"unsafe"
)

// Codec turns records of type T into bytes and back. Records travel between
// subtasks (and TaskManagers) as bytes, so every record type of a job needs
// one; CodecFor finds it when the graph is built.
//
// Append appends the encoding of v to dst and returns the extended slice; it
// must not retain dst or v. Decode reads one value from the front of src and
// reports how many bytes it used; it must not retain src (the engine reuses
// network buffers) and must return an error, never panic, on corrupt input.
// Append must write at least one byte for every value, so that slices of the
// type decode with a bounded allocation.
type Codec[T any] interface {
	Append(dst []byte, v T) []byte
	Decode(src []byte) (v T, n int, err error)
}

// ErrNoCodec reports a record type the default codec cannot encode (a
// channel, a function, an unsafe.Pointer, an interface, an unexported struct
// field) and for which no codec was registered.
var ErrNoCodec = errors.New("no codec for type")

// ErrCorruptRecord reports bytes that do not decode as the requested type.
var ErrCorruptRecord = errors.New("corrupt record")

// CodecRegistry holds the codecs users registered and the default codecs
// built so far. It is safe for concurrent use; one registry serves a job.
type CodecRegistry struct {
	mu    sync.Mutex
	user  map[reflect.Type]any        // Codec[T] as registered
	glue  map[reflect.Type]*codecPlan // plans that call a registered codec
	plans map[reflect.Type]*codecPlan // default plans built so far
}

// NewCodecRegistry returns a registry with no user codecs.
func NewCodecRegistry() *CodecRegistry {
	return &CodecRegistry{
		user:  map[reflect.Type]any{},
		glue:  map[reflect.Type]*codecPlan{},
		plans: map[reflect.Type]*codecPlan{},
	}
}

// RegisterCodec makes c the codec for T in r, both for records of type T and
// for T wherever it appears inside other types (struct fields, slice and map
// elements, pointers). A later registration for the same type replaces the
// earlier one for codecs looked up afterwards.
func RegisterCodec[T any](r *CodecRegistry, c Codec[T]) {
	t := reflect.TypeFor[T]()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.user[t] = c
	r.glue[t] = &codecPlan{
		typ: t,
		enc: func(dst []byte, p unsafe.Pointer) []byte {
			return c.Append(dst, *(*T)(p))
		},
		dec: func(src []byte, p unsafe.Pointer) (int, error) {
			v, n, err := c.Decode(src)
			if err != nil {
				return 0, fmt.Errorf("%w: %w", ErrCorruptRecord, err)
			}
			if n < 0 || n > len(src) {
				return 0, fmt.Errorf("%w: codec for %s reported %d bytes of %d", ErrCorruptRecord, t, n, len(src))
			}
			*(*T)(p) = v
			return n, nil
		},
		minSize: 1,
	}
	// Plans built earlier may have inlined the default encoding of T.
	clear(r.plans)
}

// CodecFor returns the codec for T: the one registered with RegisterCodec if
// any, else the default binary codec, built once per type and cached. For a
// type the default codec cannot handle it returns an error wrapping
// ErrNoCodec that names the type, the offending field and the fix. A nil
// registry means no user codecs (and no caching).
func CodecFor[T any](r *CodecRegistry) (Codec[T], error) {
	if r == nil {
		r = NewCodecRegistry()
	}
	t := reflect.TypeFor[T]()
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.user[t]; ok {
		return c.(Codec[T]), nil
	}
	b := codecBuilder{r: r, root: t, building: map[reflect.Type]*codecPlan{}, built: map[reflect.Type]*codecPlan{}}
	pl, err := b.plan(t, t.String())
	if err != nil {
		return nil, err
	}
	for bt, bp := range b.built {
		r.plans[bt] = bp
	}
	return codecDefault[T]{pl: pl}, nil
}

// codecDefault is the default codec of one type: a plan compiled once by
// CodecFor, run without reflection.
type codecDefault[T any] struct{ pl *codecPlan }

func (c codecDefault[T]) Append(dst []byte, v T) []byte {
	p := codecNoescape(unsafe.Pointer(&v))
	if c.pl.kind != ckNone {
		return codecAppendKind(dst, c.pl.kind, p)
	}
	return c.pl.enc(dst, p)
}

func (c codecDefault[T]) Decode(src []byte) (v T, n int, err error) {
	p := codecNoescape(unsafe.Pointer(&v))
	if c.pl.kind != ckNone {
		n, err = codecDecodeKind(src, c.pl.kind, p)
	} else {
		n, err = c.pl.dec(src, p)
	}
	if err != nil {
		var zero T
		return zero, 0, fmt.Errorf("decode %s: %w", c.pl.typ, err)
	}
	return v, n, nil
}

// codecNoescape hides p from escape analysis so that the value handed to
// Append and Decode stays on the caller's stack: plans read and write
// through p only during the call and never store it (nor anything derived
// from it) in the heap, which is what makes this sound. It is the technique
// of the Go runtime's noescape, written as a load so that the conversion is
// a plain pointer round trip; without it every Append would allocate.
//
//go:nosplit
func codecNoescape(p unsafe.Pointer) unsafe.Pointer {
	x := uintptr(p)
	return *(*unsafe.Pointer)(unsafe.Pointer(&x))
}
