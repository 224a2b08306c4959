package state

import (
	"bytes"
	"fmt"
)

// ForEach calls fn with the codec bytes of every key that has a live value
// in the current namespace, its key group and the value, key group by key
// group over the backend's range (keys in no particular order within a
// group). fn must not write state; the key bytes are valid during the call.
// It serves end-of-input callbacks that visit every key.
func (st *ValueState[V]) ForEach(fn func(key []byte, kg int, v V) error) error {
	c, s := st.c, st.s
	now := c.nowMs()
	for kg := c.rng.Start; kg <= c.rng.End; kg++ {
		err := c.st.scanAll(s, kg, func(kn, raw []byte) error {
			key, ns, rest, err := splitKeyNS(kn)
			if err != nil || len(rest) != 0 {
				return fmt.Errorf("%w: state %q: malformed key in key group %d", ErrCorrupt, s.name, kg)
			}
			if !bytes.Equal(ns, st.ns) || !live(s, raw, now) {
				return nil
			}
			p := raw
			if s.ttl > 0 {
				p = raw[ttlHeader:]
			}
			v, err := decodeAll(st.codec, p)
			if err != nil {
				return st.errf("read", err)
			}
			return fn(key, kg, v)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// scanAll calls fn for every entry of value state s in key group kg.
func (h *hashStore) scanAll(s *stateMeta, kg int, fn func(kn, v []byte) error) error {
	for kn, v := range h.table(s, kg).flat {
		if err := fn([]byte(kn), v); err != nil {
			return err
		}
	}
	return nil
}

// scanAll calls fn for every entry of state s in key group kg.
func (ps *pebbleStore) scanAll(s *stateMeta, kg int, fn func(kn, v []byte) error) error {
	return ps.scan(s, kg, nil, fn)
}
