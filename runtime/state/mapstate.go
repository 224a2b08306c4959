package state

import (
	"errors"

	"github.com/floe-yarn/floe/runtime"
)

// MapState is a map from UK to UV per key (and namespace); every entry is
// stored on its own (user key = UK's codec bytes), so Get and Put touch one
// entry and TTL applies per entry, as in Flink.
type MapState[UK comparable, UV any] struct {
	scoped
	kc runtime.Codec[UK]
	vc runtime.Codec[UV]
	uk []byte
}

// NewMapState declares map state on b.
func NewMapState[UK comparable, UV any](b KeyedBackend, d MapDescriptor[UK, UV]) (*MapState[UK, UV], error) {
	kc, err := codecOr(d.KeyCodec, d.Name)
	if err != nil {
		return nil, err
	}
	vc, err := codecOr(d.ValueCodec, d.Name)
	if err != nil {
		return nil, err
	}
	c := b.core()
	s, err := c.declare(d.Name, KindMap, d.TTL)
	if err != nil {
		return nil, err
	}
	return &MapState[UK, UV]{scoped: scoped{c: c, s: s}, kc: kc, vc: vc}, nil
}

// Get returns the value at k and whether there is one.
func (st *MapState[UK, UV]) Get(k UK) (UV, bool, error) {
	var zero UV
	st.uk = st.kc.Append(st.uk[:0], k)
	p, ok, err := st.c.read(st.s, st.c.keyNS(st.ns), st.uk)
	if err != nil || !ok {
		return zero, false, err
	}
	v, err := decodeAll(st.vc, p)
	if err != nil {
		return zero, false, st.errf("read", err)
	}
	return v, true, nil
}

// Contains reports whether there is a value at k.
func (st *MapState[UK, UV]) Contains(k UK) (bool, error) {
	_, ok, err := st.Get(k)
	return ok, err
}

// Put sets the value at k.
func (st *MapState[UK, UV]) Put(k UK, v UV) error {
	uk := st.kc.Append(nil, k)
	return st.c.write(st.s, st.c.keyNS(st.ns), uk, st.vc.Append(nil, v))
}

// Remove deletes the entry at k.
func (st *MapState[UK, UV]) Remove(k UK) error {
	st.uk = st.kc.Append(st.uk[:0], k)
	return st.c.del(st.s, st.c.keyNS(st.ns), st.uk)
}

// errStop ends a scan early.
var errStop = errors.New("stop")

// Range calls fn for every live entry (in no particular order) until fn
// returns false. fn must not modify the state; expired entries are skipped
// and deleted afterwards.
func (st *MapState[UK, UV]) Range(fn func(k UK, v UV) bool) error {
	kn := append([]byte(nil), st.c.keyNS(st.ns)...)
	now := st.c.nowMs()
	var expired [][]byte
	err := st.c.scan(st.s, kn, func(uk, v []byte) error {
		if !live(st.s, v, now) {
			expired = append(expired, append([]byte(nil), uk...))
			return nil
		}
		if st.s.ttl > 0 {
			v = v[ttlHeader:]
		}
		k, err := decodeAll(st.kc, uk)
		if err != nil {
			return st.errf("read key of", err)
		}
		val, err := decodeAll(st.vc, v)
		if err != nil {
			return st.errf("read", err)
		}
		if !fn(k, val) {
			return errStop
		}
		return nil
	})
	if err != nil && err != errStop {
		return err
	}
	for _, uk := range expired {
		if err := st.c.del(st.s, kn, uk); err != nil {
			return err
		}
	}
	return nil
}

// IsEmpty reports whether the map has no live entry.
func (st *MapState[UK, UV]) IsEmpty() (bool, error) {
	empty := true
	err := st.Range(func(UK, UV) bool { empty = false; return false })
	return empty, err
}

// Clear removes every entry of the current key's map.
func (st *MapState[UK, UV]) Clear() error {
	kn := append([]byte(nil), st.c.keyNS(st.ns)...)
	var uks [][]byte
	if err := st.c.scan(st.s, kn, func(uk, _ []byte) error {
		uks = append(uks, append([]byte(nil), uk...))
		return nil
	}); err != nil {
		return err
	}
	for _, uk := range uks {
		if err := st.c.del(st.s, kn, uk); err != nil {
			return err
		}
	}
	return nil
}
