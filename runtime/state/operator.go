package state

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"sort"

	"github.com/floe-yarn/floe/runtime"
)

// Redistribution is how operator list state moves on rescale.
type Redistribution uint8

// Flink's two modes: split the union of all elements evenly over the new
// subtasks (getListState), or give every new subtask all of them
// (getUnionListState).
const (
	EvenSplit Redistribution = 1
	Union     Redistribution = 2
)

// OperatorBackend holds the non-keyed state of one operator subtask (a
// source's split positions, a sink's pending commits): named lists of
// elements, kept as their codec bytes. It is small, so a snapshot copies
// it.
type OperatorBackend struct {
	lists map[string]*opList
}

type opList struct {
	mode  Redistribution
	elems [][]byte
}

// NewOperatorBackend returns an empty operator backend.
func NewOperatorBackend() *OperatorBackend { return &OperatorBackend{lists: map[string]*opList{}} }

// OperatorListDescriptor declares operator list state.
type OperatorListDescriptor[T any] struct {
	Name  string
	Codec runtime.Codec[T]
	Mode  Redistribution // default EvenSplit
}

// OperatorListState is a list of T of one operator subtask.
type OperatorListState[T any] struct {
	l     *opList
	name  string
	codec runtime.Codec[T]
}

// NewOperatorListState declares (or finds, after a restore) list state.
func NewOperatorListState[T any](b *OperatorBackend, d OperatorListDescriptor[T]) (*OperatorListState[T], error) {
	if d.Name == "" {
		return nil, fmt.Errorf("declare operator list state: empty name")
	}
	if d.Mode == 0 {
		d.Mode = EvenSplit
	}
	if d.Mode != EvenSplit && d.Mode != Union {
		return nil, fmt.Errorf("declare operator list state %q: unknown redistribution %d", d.Name, d.Mode)
	}
	codec, err := codecOr(d.Codec, d.Name)
	if err != nil {
		return nil, err
	}
	l := b.lists[d.Name]
	if l == nil {
		l = &opList{mode: d.Mode}
		b.lists[d.Name] = l
	} else if l.mode != d.Mode {
		return nil, fmt.Errorf("declare operator list state %q: redistribution %d where it was stored with %d", d.Name, d.Mode, l.mode)
	}
	return &OperatorListState[T]{l: l, name: d.Name, codec: codec}, nil
}

// Get returns the elements.
func (s *OperatorListState[T]) Get() ([]T, error) {
	out := make([]T, 0, len(s.l.elems))
	for _, e := range s.l.elems {
		v, err := decodeAll(s.codec, e)
		if err != nil {
			return nil, fmt.Errorf("read operator list state %q: %w", s.name, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// Add appends v.
func (s *OperatorListState[T]) Add(v T) { s.l.elems = append(s.l.elems, s.codec.Append(nil, v)) }

// Update replaces the elements with vs.
func (s *OperatorListState[T]) Update(vs []T) {
	s.l.elems = s.l.elems[:0:0]
	for _, v := range vs {
		s.Add(v)
	}
}

// Clear removes every element.
func (s *OperatorListState[T]) Clear() { s.l.elems = nil }

// The operator state snapshot format, version 1 (lp = uvarint length then
// bytes; lists sorted by name):
//
//	+------------+---------+-----------------+-------+--------------+
//	| "FLOEOPST" | version | lists: uvarint  | list* | crc32c (u32) |
//	|  8 bytes   |  u16=1  |                 |       | of all before|
//	+------------+---------+-----------------+-------+--------------+
//	list := name lp | mode u8 | count uvarint | element lp × count
const (
	opMagic   = "FLOEOPST"
	opVersion = 1
)

// Snapshot encodes the operator state (synchronously: it is small).
func (b *OperatorBackend) Snapshot() []byte {
	names := make([]string, 0, len(b.lists))
	for n := range b.lists {
		names = append(names, n)
	}
	sort.Strings(names)
	out := binary.BigEndian.AppendUint16([]byte(opMagic), opVersion)
	out = binary.AppendUvarint(out, uint64(len(names)))
	for _, n := range names {
		l := b.lists[n]
		out = appendLP(out, []byte(n))
		out = append(out, byte(l.mode))
		out = binary.AppendUvarint(out, uint64(len(l.elems)))
		for _, e := range l.elems {
			out = appendLP(out, e)
		}
	}
	return binary.BigEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
}

type decodedList struct {
	name  string
	mode  Redistribution
	elems [][]byte
}

func opCorrupt(format string, args ...any) error {
	return fmt.Errorf("%w: operator state: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// decodeOperatorState decodes one snapshot; corrupt input gives an error
// wrapping ErrCorrupt.
func decodeOperatorState(data []byte) ([]decodedList, error) {
	if len(data) < len(opMagic)+2+4 {
		return nil, opCorrupt("%d bytes", len(data))
	}
	if string(data[:len(opMagic)]) != opMagic {
		return nil, opCorrupt("bad magic %q", data[:len(opMagic)])
	}
	body, sum := data[:len(data)-4], binary.BigEndian.Uint32(data[len(data)-4:])
	if c := crc32.Checksum(body, castagnoli); c != sum {
		return nil, opCorrupt("checksum %08x, computed %08x", sum, c)
	}
	if v := binary.BigEndian.Uint16(body[len(opMagic):]); v != opVersion {
		return nil, opCorrupt("version %d, this Floe reads version %d", v, opVersion)
	}
	p := body[len(opMagic)+2:]
	n, k := binary.Uvarint(p)
	if k <= 0 || n > uint64(len(p)) {
		return nil, opCorrupt("bad list count")
	}
	p = p[k:]
	var out []decodedList
	for i := uint64(0); i < n; i++ {
		name, rest, err := readLP(p)
		if err != nil || len(name) == 0 || len(rest) < 1 {
			return nil, opCorrupt("list %d: bad name", i)
		}
		d := decodedList{name: string(name), mode: Redistribution(rest[0])}
		if d.mode != EvenSplit && d.mode != Union {
			return nil, opCorrupt("list %q: redistribution %d", name, d.mode)
		}
		cnt, k := binary.Uvarint(rest[1:])
		if k <= 0 || cnt > uint64(len(rest)) {
			return nil, opCorrupt("list %q: bad element count", name)
		}
		p = rest[1+k:]
		for j := uint64(0); j < cnt; j++ {
			var e []byte
			if e, p, err = readLP(p); err != nil {
				return nil, fmt.Errorf("operator list %q element %d: %w", name, j, err)
			}
			d.elems = append(d.elems, bytes.Clone(e))
		}
		out = append(out, d)
	}
	if len(p) != 0 {
		return nil, opCorrupt("%d bytes after the last list", len(p))
	}
	return out, nil
}

// Restore loads into b subtask's share of the operator state
// of all old subtasks (their snapshots in old subtask order), for new
// parallelism p: an EvenSplit list gets a contiguous, even share of the
// concatenated elements (the first total%p subtasks one more), a Union
// list all of them.
func (b *OperatorBackend) Restore(ctx context.Context, subtask, p int, old []io.Reader) error {
	if p <= 0 || subtask < 0 || subtask >= p {
		return fmt.Errorf("restore operator state: subtask %d of %d", subtask, p)
	}
	all := map[string]*decodedList{}
	var order []string
	for i, r := range old {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := io.ReadAll(r)
		if err != nil {
			return fmt.Errorf("restore operator state %d of %d: %w", i+1, len(old), err)
		}
		lists, err := decodeOperatorState(data)
		if err != nil {
			return fmt.Errorf("restore operator state %d of %d: %w", i+1, len(old), err)
		}
		for _, l := range lists {
			acc := all[l.name]
			if acc == nil {
				acc = &decodedList{name: l.name, mode: l.mode}
				all[l.name] = acc
				order = append(order, l.name)
			} else if acc.mode != l.mode {
				return fmt.Errorf("restore operator state: list %q has redistribution %d and %d", l.name, acc.mode, l.mode)
			}
			acc.elems = append(acc.elems, l.elems...)
		}
	}
	for _, name := range order {
		l := all[name]
		elems := l.elems
		if l.mode == EvenSplit {
			lo, hi := evenShare(len(elems), p, subtask)
			elems = elems[lo:hi]
		}
		b.lists[name] = &opList{mode: l.mode, elems: append([][]byte(nil), elems...)}
	}
	return nil
}

// evenShare is the slice [lo, hi) of n elements subtask i of p gets.
func evenShare(n, p, i int) (lo, hi int) {
	base, extra := n/p, n%p
	lo = i*base + min(i, extra)
	hi = lo + base
	if i < extra {
		hi++
	}
	return lo, hi
}
