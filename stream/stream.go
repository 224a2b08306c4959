package stream

import (
	"fmt"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/runtime"
)

// Stream is a stream of records of type T: the output of one operator, or
// the union of several. Its methods set properties of the operator that
// produced it (Name, UID, Parallelism, DisableChaining) or choose how the
// next operator receives its records (Forward, Rebalance, Broadcast).
type Stream[T any] struct {
	env   *Environment
	node  int // producing operator, or -1 for a union
	ups   []upstream
	codec runtime.Codec[T]
}

// upstream is one producer feeding whoever consumes the stream.
type upstream struct {
	node int
	part graph.Partitioner
	key  any // func(T) uint64 for hash partitioning
}

func newStream[T any](env *Environment, node int, codec runtime.Codec[T]) Stream[T] {
	return Stream[T]{env: env, node: node, ups: []upstream{{node: node}}, codec: codec}
}

// Env returns the environment the stream belongs to.
func (s Stream[T]) Env() *Environment { return s.env }

func (s Stream[T]) op(what string) *graph.Node {
	if s.env == nil {
		panic("stream: use of a zero Stream")
	}
	if s.node < 0 {
		s.env.fail(fmt.Errorf("%s on a union: set it on the streams before the union", what))
		return &graph.Node{}
	}
	return &s.env.nodes[s.node].gn
}

// Name sets the operator's name (shown in the job graph and logs).
func (s Stream[T]) Name(name string) Stream[T] { s.op("Name").Name = name; return s }

// UID fixes the operator's id, so it survives changes to the program.
func (s Stream[T]) UID(uid string) Stream[T] { s.op("UID").UID = uid; return s }

// Parallelism sets the operator's number of parallel instances.
func (s Stream[T]) Parallelism(p int) Stream[T] {
	if p <= 0 {
		s.env.fail(fmt.Errorf("operator %q: parallelism %d must be positive", s.op("Parallelism").Name, p))
		return s
	}
	s.op("Parallelism").Parallelism = p
	return s
}

// DisableChaining keeps the operator in a task of its own.
func (s Stream[T]) DisableChaining() Stream[T] {
	s.op("DisableChaining").DisableChaining = true
	return s
}

func (s Stream[T]) withPartitioner(p graph.Partitioner, key any) Stream[T] {
	ups := make([]upstream, len(s.ups))
	for i, u := range s.ups {
		ups[i] = upstream{node: u.node, part: p, key: key}
	}
	s.ups = ups
	return s
}

// Forward sends each record to the consumer instance with the same index
// (the default when the parallelism matches; then operators chain).
func (s Stream[T]) Forward() Stream[T] { return s.withPartitioner(graph.Forward, nil) }

// Rebalance spreads records round-robin over the consumer's instances.
func (s Stream[T]) Rebalance() Stream[T] { return s.withPartitioner(graph.Rebalance, nil) }

// Broadcast sends every record to every consumer instance.
func (s Stream[T]) Broadcast() Stream[T] { return s.withPartitioner(graph.Broadcast, nil) }

// Union merges s with others of the same type; consumers read all of them.
func (s Stream[T]) Union(others ...Stream[T]) Stream[T] {
	u := Stream[T]{env: s.env, node: -1, codec: s.codec, ups: append([]upstream(nil), s.ups...)}
	for _, o := range others {
		if o.env != s.env {
			s.env.fail(fmt.Errorf("union of streams from different environments"))
			continue
		}
		u.ups = append(u.ups, o.ups...)
	}
	return u
}

// connect adds the edges from s's producers to operator to.
func (s Stream[T]) connect(to int) {
	for _, u := range s.ups {
		s.env.edges = append(s.env.edges, graph.Edge{From: u.node, To: to, Partitioner: u.part})
		if u.key != nil {
			s.env.keyHashes[[2]int{u.node, to}] = u.key
		}
	}
}

// codecFor looks up the codec for T, recording a build error naming the
// operator when there is none.
func codecFor[T any](env *Environment, what string) runtime.Codec[T] {
	c, err := runtime.CodecFor[T](env.codecs)
	if err != nil {
		env.fail(fmt.Errorf("%s: records of type %T have no codec (register one with stream.RegisterCodec): %w", what, *new(T), err))
	}
	return c
}

// RegisterCodec makes env use c for records of type T. Register before
// creating streams of T.
func RegisterCodec[T any](env *Environment, c runtime.Codec[T]) {
	runtime.RegisterCodec(env.codecs, c)
}

// typeName names T for the job graph.
func typeName[T any]() string { return fmt.Sprintf("%T", *new(T)) }
