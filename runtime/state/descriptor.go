package state

import (
	"fmt"
	"time"

	"github.com/floe-yarn/floe/runtime"
)

// Kind is the shape of a declared state; it is part of the savepoint
// format, so the numbers never change.
type Kind uint8

// The kinds of keyed state, with Flink's semantics.
const (
	KindValue       Kind = 1 // one value per key and namespace
	KindList        Kind = 2 // a list of values, appended to
	KindMap         Kind = 3 // a map per key and namespace, one entry per user key
	KindReducing    Kind = 4 // one value folded with a reduce function on Add
	KindAggregating Kind = 5 // one accumulator folded with an aggregate function on Add
)

func (k Kind) String() string {
	switch k {
	case KindValue:
		return "value"
	case KindList:
		return "list"
	case KindMap:
		return "map"
	case KindReducing:
		return "reducing"
	case KindAggregating:
		return "aggregating"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// TTLUpdate says which accesses renew a value's time to live.
type TTLUpdate uint8

// Flink's StateTtlConfig.UpdateType: renew on create and write (default),
// or on read too.
const (
	OnCreateAndWrite TTLUpdate = iota
	OnReadAndWrite
)

// TTLConfig is a state's time to live; zero TTL means values never expire.
// An expired value is never returned; it is deleted when read and left out
// of every snapshot. Time comes from the backend's Options.Clock.
type TTLConfig struct {
	TTL    time.Duration
	Update TTLUpdate
}

// VoidNamespace is the namespace of state that is not scoped (windows set
// theirs with SetNamespace).
var VoidNamespace []byte

// ValueDescriptor declares value state: Name is unique per operator; a nil
// Codec means runtime.CodecFor[V].
type ValueDescriptor[V any] struct {
	Name  string
	Codec runtime.Codec[V]
	TTL   TTLConfig
}

// ListDescriptor declares list state of elements T.
type ListDescriptor[T any] struct {
	Name  string
	Codec runtime.Codec[T]
	TTL   TTLConfig
}

// MapDescriptor declares map state from UK to UV; TTL applies per entry.
type MapDescriptor[UK comparable, UV any] struct {
	Name       string
	KeyCodec   runtime.Codec[UK]
	ValueCodec runtime.Codec[UV]
	TTL        TTLConfig
}

// ReducingDescriptor declares reducing state: Add folds with Reduce.
type ReducingDescriptor[V any] struct {
	Name   string
	Codec  runtime.Codec[V]
	Reduce func(acc, v V) V
	TTL    TTLConfig
}

// AggregateFunction is Flink's AggregateFunction: inputs IN fold into an
// accumulator ACC that yields OUT.
type AggregateFunction[IN, ACC, OUT any] struct {
	Create func() ACC
	Add    func(acc ACC, in IN) ACC
	Result func(acc ACC) OUT
}

// AggregatingDescriptor declares aggregating state; AccCodec encodes the
// accumulator.
type AggregatingDescriptor[IN, ACC, OUT any] struct {
	Name     string
	AccCodec runtime.Codec[ACC]
	Agg      AggregateFunction[IN, ACC, OUT]
	TTL      TTLConfig
}

// stateMeta is a declared state inside one backend: its local id (the
// prefix of its entries), name, kind and TTL.
type stateMeta struct {
	id   uint16
	name string
	kind Kind
	ttl  time.Duration
	upd  TTLUpdate
}

func codecOr[T any](c runtime.Codec[T], state string) (runtime.Codec[T], error) {
	if c != nil {
		return c, nil
	}
	c, err := runtime.CodecFor[T](nil)
	if err != nil {
		return nil, fmt.Errorf("state %q: %w", state, err)
	}
	return c, nil
}
