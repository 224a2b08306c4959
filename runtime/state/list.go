package state

import (
	"fmt"

	"github.com/floe-yarn/floe/runtime"
)

// ListState is a list of elements per key (and namespace). It is stored as
// one value: each element length-prefixed, so Add appends without decoding.
// TTL applies to the list as a whole (renewed by every Add).
type ListState[T any] struct {
	scoped
	codec runtime.Codec[T]
}

// NewListState declares list state on b.
func NewListState[T any](b KeyedBackend, d ListDescriptor[T]) (*ListState[T], error) {
	codec, err := codecOr(d.Codec, d.Name)
	if err != nil {
		return nil, err
	}
	c := b.core()
	s, err := c.declare(d.Name, KindList, d.TTL)
	if err != nil {
		return nil, err
	}
	return &ListState[T]{scoped: scoped{c: c, s: s}, codec: codec}, nil
}

// Get returns the current key's elements (nil when none).
func (st *ListState[T]) Get() ([]T, error) {
	p, ok, err := st.c.read(st.s, st.c.keyNS(st.ns), nil)
	if err != nil || !ok {
		return nil, err
	}
	var out []T
	for len(p) > 0 {
		var b []byte
		if b, p, err = readLP(p); err != nil {
			return nil, st.errf("read", err)
		}
		v, err := decodeAll(st.codec, b)
		if err != nil {
			return nil, st.errf("read", err)
		}
		out = append(out, v)
	}
	return out, nil
}

// Add appends v to the current key's list.
func (st *ListState[T]) Add(v T) error { return st.AddAll([]T{v}) }

// AddAll appends vs to the current key's list.
func (st *ListState[T]) AddAll(vs []T) error {
	kn := st.c.keyNS(st.ns)
	old, _, err := st.c.read(st.s, kn, nil)
	if err != nil {
		return err
	}
	// A fresh slice: stored values are immutable (snapshots share them).
	p := make([]byte, len(old), len(old)+16*len(vs))
	copy(p, old)
	var scratch []byte
	for _, v := range vs {
		scratch = st.codec.Append(scratch[:0], v)
		p = appendLP(p, scratch)
	}
	return st.c.write(st.s, st.c.keyNS(st.ns), nil, p)
}

// Update replaces the current key's list with vs (an empty vs clears it).
func (st *ListState[T]) Update(vs []T) error {
	if len(vs) == 0 {
		return st.Clear()
	}
	var p, scratch []byte
	for _, v := range vs {
		scratch = st.codec.Append(scratch[:0], v)
		p = appendLP(p, scratch)
	}
	if p == nil {
		return fmt.Errorf("update list state %q: empty encoding", st.s.name)
	}
	return st.c.write(st.s, st.c.keyNS(st.ns), nil, p)
}
