package state

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"sort"

	"github.com/floe-yarn/floe/runtime"
)

// BroadcastBackend holds the broadcast state of one operator subtask
// (Flink's broadcast state pattern): named maps that the broadcast input
// writes and every parallel instance of the operator holds alike, because
// every instance sees the same broadcast records in the same order.
//
// Its snapshot is small and taken synchronously. On restore, at any
// parallelism, each new subtask takes the whole state of one old subtask
// (RestoreBroadcast: old subtask i mod the old parallelism), as Flink
// does: the contents are the same everywhere, so one copy is enough, and
// none is ever split.
type BroadcastBackend struct {
	maps     map[string]broadcastMap
	restored map[string][][2][]byte // decoded entries not declared yet
}

// broadcastMap is one declared map, seen without its types.
type broadcastMap interface {
	// entries returns the encoded key/value pairs, sorted by key bytes.
	entries() [][2][]byte
}

// NewBroadcastBackend returns an empty broadcast backend.
func NewBroadcastBackend() *BroadcastBackend {
	return &BroadcastBackend{maps: map[string]broadcastMap{}, restored: map[string][][2][]byte{}}
}

// BroadcastMapDescriptor declares a broadcast map state (Flink's
// MapStateDescriptor given to broadcast). Nil codecs take the built-in
// codec of the type.
type BroadcastMapDescriptor[K comparable, V any] struct {
	Name       string
	KeyCodec   runtime.Codec[K]
	ValueCodec runtime.Codec[V]
}

// BroadcastMapState is one broadcast map of K to V. The broadcast side of
// an operator reads and writes it; the keyed side only reads it.
type BroadcastMapState[K comparable, V any] struct {
	name string
	m    map[K]V
	kc   runtime.Codec[K]
	vc   runtime.Codec[V]
}

// NewBroadcastMapState declares the map d names in b (with its restored
// content, after a restore). Declaring a name twice returns the same map
// when the types agree.
func NewBroadcastMapState[K comparable, V any](b *BroadcastBackend, d BroadcastMapDescriptor[K, V]) (*BroadcastMapState[K, V], error) {
	if d.Name == "" {
		return nil, fmt.Errorf("declare broadcast state: empty name")
	}
	if m, ok := b.maps[d.Name]; ok {
		s, ok := m.(*BroadcastMapState[K, V])
		if !ok {
			return nil, fmt.Errorf("declare broadcast state %q: declared before with other types (%T)", d.Name, m)
		}
		return s, nil
	}
	kc, err := codecOr(d.KeyCodec, d.Name)
	if err != nil {
		return nil, err
	}
	vc, err := codecOr(d.ValueCodec, d.Name)
	if err != nil {
		return nil, err
	}
	s := &BroadcastMapState[K, V]{name: d.Name, m: map[K]V{}, kc: kc, vc: vc}
	for _, e := range b.restored[d.Name] {
		k, err := decodeAll(kc, e[0])
		if err != nil {
			return nil, fmt.Errorf("restore broadcast state %q: key: %w", d.Name, err)
		}
		v, err := decodeAll(vc, e[1])
		if err != nil {
			return nil, fmt.Errorf("restore broadcast state %q: value: %w", d.Name, err)
		}
		s.m[k] = v
	}
	delete(b.restored, d.Name)
	b.maps[d.Name] = s
	return s, nil
}

// Get returns k's value and whether there is one.
func (s *BroadcastMapState[K, V]) Get(k K) (V, bool) {
	v, ok := s.m[k]
	return v, ok
}

// Put sets k's value.
func (s *BroadcastMapState[K, V]) Put(k K, v V) { s.m[k] = v }

// Remove deletes k.
func (s *BroadcastMapState[K, V]) Remove(k K) { delete(s.m, k) }

// Len is the number of entries.
func (s *BroadcastMapState[K, V]) Len() int { return len(s.m) }

// Range calls fn for every entry, in unspecified order, until fn returns
// false. fn must not change the map.
func (s *BroadcastMapState[K, V]) Range(fn func(k K, v V) bool) {
	for k, v := range s.m {
		if !fn(k, v) {
			return
		}
	}
}

func (s *BroadcastMapState[K, V]) entries() [][2][]byte {
	out := make([][2][]byte, 0, len(s.m))
	for k, v := range s.m {
		out = append(out, [2][]byte{s.kc.Append(nil, k), s.vc.Append(nil, v)})
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i][0], out[j][0]) < 0 })
	return out
}

// The broadcast state snapshot format, version 1 (lp = uvarint length then
// bytes; maps sorted by name, entries by key bytes, so equal contents give
// equal bytes):
//
//	+------------+---------+----------------+------+--------------+
//	| "FLOEBCST" | version | maps: uvarint  | map* | crc32c (u32) |
//	|  8 bytes   |  u16=1  |                |      | of all before|
//	+------------+---------+----------------+------+--------------+
//	map := name lp | count uvarint | (key lp | value lp) × count
const (
	bcMagic   = "FLOEBCST"
	bcVersion = 1
)

// Snapshot encodes every map, declared or restored and not declared yet.
func (b *BroadcastBackend) Snapshot() []byte {
	all := map[string][][2][]byte{}
	for n, es := range b.restored {
		all[n] = es
	}
	for n, m := range b.maps {
		all[n] = m.entries()
	}
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	out := binary.BigEndian.AppendUint16([]byte(bcMagic), bcVersion)
	out = binary.AppendUvarint(out, uint64(len(names)))
	for _, n := range names {
		out = appendLP(out, []byte(n))
		out = binary.AppendUvarint(out, uint64(len(all[n])))
		for _, e := range all[n] {
			out = appendLP(appendLP(out, e[0]), e[1])
		}
	}
	return binary.BigEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
}

func bcCorrupt(format string, args ...any) error {
	return fmt.Errorf("%w: broadcast state: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// decodeBroadcast decodes one snapshot; corrupt input gives an error
// wrapping ErrCorrupt.
func decodeBroadcast(data []byte) (map[string][][2][]byte, error) {
	if len(data) < len(bcMagic)+2+4 {
		return nil, bcCorrupt("%d bytes", len(data))
	}
	if string(data[:len(bcMagic)]) != bcMagic {
		return nil, bcCorrupt("bad magic %q", data[:len(bcMagic)])
	}
	body, sum := data[:len(data)-4], binary.BigEndian.Uint32(data[len(data)-4:])
	if c := crc32.Checksum(body, castagnoli); c != sum {
		return nil, bcCorrupt("checksum %08x, computed %08x", sum, c)
	}
	if v := binary.BigEndian.Uint16(body[len(bcMagic):]); v != bcVersion {
		return nil, bcCorrupt("version %d, this Floe reads version %d", v, bcVersion)
	}
	p := body[len(bcMagic)+2:]
	n, k := binary.Uvarint(p)
	if k <= 0 || n > uint64(len(p)) {
		return nil, bcCorrupt("bad map count")
	}
	p = p[k:]
	out := map[string][][2][]byte{}
	for i := uint64(0); i < n; i++ {
		name, rest, err := readLP(p)
		if err != nil || len(name) == 0 {
			return nil, bcCorrupt("map %d: bad name", i)
		}
		cnt, k := binary.Uvarint(rest)
		if k <= 0 || cnt > uint64(len(rest)) {
			return nil, bcCorrupt("map %q: bad entry count", name)
		}
		p = rest[k:]
		entries := make([][2][]byte, 0, cnt)
		for j := uint64(0); j < cnt; j++ {
			var kb, vb []byte
			if kb, p, err = readLP(p); err == nil {
				vb, p, err = readLP(p)
			}
			if err != nil {
				return nil, fmt.Errorf("broadcast map %q entry %d: %w", name, j, err)
			}
			entries = append(entries, [2][]byte{bytes.Clone(kb), bytes.Clone(vb)})
		}
		out[string(name)] = entries
	}
	if len(p) != 0 {
		return nil, bcCorrupt("%d bytes after the last map", len(p))
	}
	return out, nil
}

// RestoreBroadcast loads into b the state of one old subtask: old holds
// the snapshots of the old subtasks (in old subtask order, or any order —
// they hold the same content), and new subtask i takes old[i mod
// len(old)]. Restore before declaring maps; no snapshot restores nothing.
func (b *BroadcastBackend) RestoreBroadcast(subtask int, old [][]byte) error {
	if len(old) == 0 {
		return nil
	}
	if subtask < 0 {
		return fmt.Errorf("restore broadcast state: subtask %d", subtask)
	}
	i := subtask % len(old)
	maps, err := decodeBroadcast(old[i])
	if err != nil {
		return fmt.Errorf("restore broadcast state from snapshot %d of %d: %w", i+1, len(old), err)
	}
	b.restored = maps
	b.maps = map[string]broadcastMap{}
	return nil
}
