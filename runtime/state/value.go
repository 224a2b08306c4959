package state

import (
	"fmt"

	"github.com/floe-yarn/floe/runtime"
)

// scoped is what every typed state shares: its backend, declaration and
// namespace.
type scoped struct {
	c  *keyedCore
	s  *stateMeta
	ns []byte
}

// SetNamespace scopes later accesses to ns (codec bytes of a window, say);
// nil is VoidNamespace. ns is not retained.
func (sc *scoped) SetNamespace(ns []byte) { sc.ns = append(sc.ns[:0], ns...) }

// Clear removes the current key's value in the current namespace.
func (sc *scoped) Clear() error {
	return sc.c.del(sc.s, sc.c.keyNS(sc.ns), nil)
}

func (sc *scoped) errf(op string, err error) error {
	return fmt.Errorf("%s state %q: %w", op, sc.s.name, err)
}

func decodeAll[T any](codec runtime.Codec[T], b []byte) (T, error) {
	v, n, err := codec.Decode(b)
	if err == nil && n != len(b) {
		err = fmt.Errorf("%w: %d bytes left after a value", ErrCorrupt, len(b)-n)
	}
	return v, err
}

// ValueState is one value per key (and namespace).
type ValueState[V any] struct {
	scoped
	codec runtime.Codec[V]
}

// NewValueState declares (or finds, after a restore) value state on b.
func NewValueState[V any](b KeyedBackend, d ValueDescriptor[V]) (*ValueState[V], error) {
	codec, err := codecOr(d.Codec, d.Name)
	if err != nil {
		return nil, err
	}
	c := b.core()
	s, err := c.declare(d.Name, KindValue, d.TTL)
	if err != nil {
		return nil, err
	}
	return &ValueState[V]{scoped: scoped{c: c, s: s}, codec: codec}, nil
}

// Value returns the current key's value and whether it has one.
func (st *ValueState[V]) Value() (V, bool, error) {
	var zero V
	p, ok, err := st.c.read(st.s, st.c.keyNS(st.ns), nil)
	if err != nil || !ok {
		return zero, false, err
	}
	v, err := decodeAll(st.codec, p)
	if err != nil {
		return zero, false, st.errf("read", err)
	}
	return v, true, nil
}

// Update sets the current key's value.
func (st *ValueState[V]) Update(v V) error {
	return st.c.write(st.s, st.c.keyNS(st.ns), nil, st.codec.Append(nil, v))
}

// ReducingState folds every added value into one with its reduce function.
type ReducingState[V any] struct {
	ValueState[V]
	reduce func(acc, v V) V
}

// NewReducingState declares reducing state on b.
func NewReducingState[V any](b KeyedBackend, d ReducingDescriptor[V]) (*ReducingState[V], error) {
	if d.Reduce == nil {
		return nil, fmt.Errorf("declare reducing state %q: no Reduce function", d.Name)
	}
	codec, err := codecOr(d.Codec, d.Name)
	if err != nil {
		return nil, err
	}
	c := b.core()
	s, err := c.declare(d.Name, KindReducing, d.TTL)
	if err != nil {
		return nil, err
	}
	return &ReducingState[V]{ValueState: ValueState[V]{scoped: scoped{c: c, s: s}, codec: codec}, reduce: d.Reduce}, nil
}

// Get returns the folded value.
func (st *ReducingState[V]) Get() (V, bool, error) { return st.Value() }

// Add folds v into the current key's value (or starts it with v).
func (st *ReducingState[V]) Add(v V) error {
	acc, ok, err := st.Value()
	if err != nil {
		return err
	}
	if ok {
		v = st.reduce(acc, v)
	}
	return st.Update(v)
}

// AggregatingState folds inputs IN into an accumulator ACC and yields OUT.
type AggregatingState[IN, ACC, OUT any] struct {
	acc ValueState[ACC]
	agg AggregateFunction[IN, ACC, OUT]
}

// NewAggregatingState declares aggregating state on b.
func NewAggregatingState[IN, ACC, OUT any](b KeyedBackend, d AggregatingDescriptor[IN, ACC, OUT]) (*AggregatingState[IN, ACC, OUT], error) {
	if d.Agg.Create == nil || d.Agg.Add == nil || d.Agg.Result == nil {
		return nil, fmt.Errorf("declare aggregating state %q: the aggregate function needs Create, Add and Result", d.Name)
	}
	codec, err := codecOr(d.AccCodec, d.Name)
	if err != nil {
		return nil, err
	}
	c := b.core()
	s, err := c.declare(d.Name, KindAggregating, d.TTL)
	if err != nil {
		return nil, err
	}
	return &AggregatingState[IN, ACC, OUT]{acc: ValueState[ACC]{scoped: scoped{c: c, s: s}, codec: codec}, agg: d.Agg}, nil
}

// SetNamespace scopes later accesses to ns.
func (st *AggregatingState[IN, ACC, OUT]) SetNamespace(ns []byte) { st.acc.SetNamespace(ns) }

// Clear removes the current key's accumulator.
func (st *AggregatingState[IN, ACC, OUT]) Clear() error { return st.acc.Clear() }

// Add folds in into the current key's accumulator.
func (st *AggregatingState[IN, ACC, OUT]) Add(in IN) error {
	acc, ok, err := st.acc.Value()
	if err != nil {
		return err
	}
	if !ok {
		acc = st.agg.Create()
	}
	return st.acc.Update(st.agg.Add(acc, in))
}

// Get returns the result of the current key's accumulator.
func (st *AggregatingState[IN, ACC, OUT]) Get() (OUT, bool, error) {
	var zero OUT
	acc, ok, err := st.acc.Value()
	if err != nil || !ok {
		return zero, false, err
	}
	return st.agg.Result(acc), true, nil
}
