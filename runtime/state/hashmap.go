package state

import (
	"context"
	"io"
	"maps"
	"sort"
	"sync/atomic"
	"time"
)

// HashMap is the in-memory keyed backend (state.backend.type: hashmap):
// one table of Go maps per state and key group. A snapshot freezes the
// tables (copy-on-write): it costs one reference per table, and the first
// write to a table still referenced by a snapshot copies that table only.
type HashMap struct {
	*keyedCore
	hs *hashStore
}

// hashTable holds one state's entries of one key group. Stored values are
// immutable (writers always store a fresh slice), so a copy of the maps
// shares them safely with a snapshot.
type hashTable struct {
	flat   map[string][]byte            // kn → value (all kinds but map)
	nested map[string]map[string][]byte // kn → user key → value (map state)
	refs   atomic.Int32                 // snapshots reading this table
}

type hashStore struct {
	rng    KeyGroupRange
	tables [][]*hashTable // [state id][kg - rng.Start]
}

// NewHashMap makes an empty hashmap backend.
func NewHashMap(opts Options) (*HashMap, error) {
	opts.Type = TypeHashMap
	if err := opts.fill(); err != nil {
		return nil, err
	}
	hs := &hashStore{rng: opts.Range}
	return &HashMap{keyedCore: newCore(opts, hs), hs: hs}, nil
}

func (h *hashStore) addState(s *stateMeta) error {
	ts := make([]*hashTable, h.rng.Len())
	for i := range ts {
		ts[i] = newHashTable()
	}
	h.tables = append(h.tables, ts)
	return nil
}

func newHashTable() *hashTable {
	return &hashTable{flat: map[string][]byte{}, nested: map[string]map[string][]byte{}}
}

func (h *hashStore) table(s *stateMeta, kg int) *hashTable {
	return h.tables[s.id][kg-h.rng.Start]
}

// writable returns the table for a write, copying it first if a snapshot
// still reads it.
func (h *hashStore) writable(s *stateMeta, kg int) *hashTable {
	t := h.tables[s.id][kg-h.rng.Start]
	if t.refs.Load() == 0 {
		return t
	}
	c := &hashTable{flat: maps.Clone(t.flat), nested: make(map[string]map[string][]byte, len(t.nested))}
	for k, m := range t.nested {
		c.nested[k] = maps.Clone(m)
	}
	h.tables[s.id][kg-h.rng.Start] = c
	return c
}

func (h *hashStore) get(s *stateMeta, kg int, kn, uk []byte) ([]byte, bool, error) {
	t := h.table(s, kg)
	if s.kind == KindMap {
		v, ok := t.nested[string(kn)][string(uk)]
		return v, ok, nil
	}
	v, ok := t.flat[string(kn)]
	return v, ok, nil
}

func (h *hashStore) put(s *stateMeta, kg int, kn, uk, v []byte) error {
	t := h.writable(s, kg)
	if s.kind == KindMap {
		m := t.nested[string(kn)]
		if m == nil {
			m = map[string][]byte{}
			t.nested[string(kn)] = m
		}
		m[string(uk)] = v
		return nil
	}
	t.flat[string(kn)] = v
	return nil
}

func (h *hashStore) del(s *stateMeta, kg int, kn, uk []byte) error {
	t := h.writable(s, kg)
	if s.kind != KindMap {
		delete(t.flat, string(kn))
		return nil
	}
	if uk == nil {
		delete(t.nested, string(kn))
		return nil
	}
	if m := t.nested[string(kn)]; m != nil {
		delete(m, string(uk))
		if len(m) == 0 {
			delete(t.nested, string(kn))
		}
	}
	return nil
}

func (h *hashStore) scan(s *stateMeta, kg int, kn []byte, fn func(uk, v []byte) error) error {
	for uk, v := range h.table(s, kg).nested[string(kn)] {
		if err := fn([]byte(uk), v); err != nil {
			return err
		}
	}
	return nil
}

// HashMapSnapshot is a frozen copy-on-write view of a HashMap: taken synchronously
// at a barrier, written from another goroutine.
type HashMapSnapshot struct {
	maxP   int
	rng    KeyGroupRange
	states []*stateMeta
	tables [][]*hashTable
	nowMs  int64
	freed  atomic.Bool
}

// Snapshot freezes the current state in O(states × key groups), without
// copying any entry.
func (h *HashMap) Snapshot() *HashMapSnapshot {
	sn := &HashMapSnapshot{maxP: h.maxP, rng: h.rng, nowMs: h.nowMs()}
	for _, s := range h.byID {
		c := *s
		sn.states = append(sn.states, &c)
		ts := append([]*hashTable(nil), h.hs.tables[s.id]...)
		for _, t := range ts {
			t.refs.Add(1)
		}
		sn.tables = append(sn.tables, ts)
	}
	return sn
}

// SavepointSnapshot is Snapshot: the hashmap backend's checkpoints are in
// the canonical format.
func (h *HashMap) SavepointSnapshot() (CanonicalSnapshot, error) { return h.Snapshot(), nil }

// RestoreSavepoint loads the key groups of h's range from canonical
// snapshots (savepoints or hashmap checkpoints).
func (h *HashMap) RestoreSavepoint(ctx context.Context, rs ...io.Reader) error {
	return restoreCanonical(h.keyedCore, rs)
}

// PurgeExpired deletes expired values.
func (h *HashMap) PurgeExpired(ctx context.Context) (int, error) {
	now, n := h.nowMs(), 0
	for _, s := range h.byID {
		if s == nil || s.ttl == 0 {
			continue
		}
		for i := range h.hs.tables[s.id] {
			if err := ctx.Err(); err != nil {
				return n, err
			}
			kg := h.rng.Start + i
			t := h.hs.table(s, kg)
			var dead [][2]string
			for kn, v := range t.flat {
				if !live(s, v, now) {
					dead = append(dead, [2]string{kn})
				}
			}
			for kn, m := range t.nested {
				for uk, v := range m {
					if !live(s, v, now) {
						dead = append(dead, [2]string{kn, uk})
					}
				}
			}
			for _, d := range dead {
				var uk []byte
				if s.kind == KindMap {
					uk = []byte(d[1])
				}
				if err := h.hs.del(s, kg, []byte(d[0]), uk); err != nil {
					return n, err
				}
			}
			n += len(dead)
		}
	}
	return n, nil
}

// Close drops the state.
func (h *HashMap) Close() error {
	h.hs.tables = nil
	return nil
}

// WriteTo writes the snapshot in the canonical format, in key-group order,
// leaving out values whose TTL had expired when it was taken. Entries come
// in sorted order, so equal state gives equal bytes.
func (sn *HashMapSnapshot) WriteTo(ctx context.Context, w io.Writer) (int64, error) {
	sw, err := newSavepointWriter(w, sn.maxP, sn.states)
	if err != nil {
		return sw.n, err
	}
	for i := 0; i < sn.rng.Len(); i++ {
		if err := ctx.Err(); err != nil {
			return sw.n, err
		}
		if err := sw.group(sn.rng.Start + i); err != nil {
			return sw.n, err
		}
		for si, s := range sn.states {
			t := sn.tables[si][i]
			if err := writeTable(sw, s, t, sn.nowMs); err != nil {
				return sw.n, err
			}
		}
	}
	return sw.finish()
}

func writeTable(sw *savepointWriter, s *stateMeta, t *hashTable, nowMs int64) error {
	if s.kind != KindMap {
		for _, kn := range sortedKeys(t.flat) {
			if v := t.flat[kn]; live(s, v, nowMs) {
				if err := sw.entry(s.id, []byte(kn), nil, v); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, kn := range sortedKeys(t.nested) {
		m := t.nested[kn]
		for _, uk := range sortedKeys(m) {
			if v := m[uk]; live(s, v, nowMs) {
				if err := sw.entry(s.id, []byte(kn), []byte(uk), v); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Release lets the backend write to the frozen tables in place again.
func (sn *HashMapSnapshot) Release() {
	if sn.freed.Swap(true) {
		return
	}
	for _, ts := range sn.tables {
		for _, t := range ts {
			t.refs.Add(-1)
		}
	}
}

func msDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }
