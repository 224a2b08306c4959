package stream

import (
	"context"
	"fmt"

	"github.com/floe-yarn/floe/runtime"
)

// KeyedStream is a stream partitioned by a key: all records with the same
// key go to the same parallel instance of the next operator, which may keep
// state per key.
type KeyedStream[T any, K comparable] struct {
	s   Stream[T]
	key func(T) K
}

// KeyBy partitions in by key (hash partitioning over key groups).
func KeyBy[T any, K comparable](in Stream[T], key func(T) K) KeyedStream[T, K] {
	kc, err := runtime.CodecFor[K](in.env.codecs)
	if err != nil {
		kc = nil // primitive keys hash without a codec; KeyHasher says otherwise
	}
	h, herr := runtime.KeyHasher[K](kc)
	if herr != nil {
		in.env.fail(fmt.Errorf("KeyBy: %w (%v)", herr, err))
		return KeyedStream[T, K]{s: in, key: key}
	}
	hash := func(v T) uint64 { return h(key(v)) }
	return KeyedStream[T, K]{s: in.withPartitioner("hash", hash), key: key}
}

// Stream returns the keyed stream's records as a plain stream partitioned
// by key.
func (ks KeyedStream[T, K]) Stream() Stream[T] { return ks.s }

// Reduce combines each record with the previous result for its key and
// emits the new result (a rolling reduce). The first record of a key is
// emitted as it is.
func Reduce[T any, K comparable](ks KeyedStream[T, K], fn func(acc, v T) T) Stream[T] {
	in := ks.s
	env := in.env
	n := addOperator(in, "reduce", "Reduce", in.codec, func(oc runtime.OperatorContext, emit func(T)) (*instance[T], error) {
		oc.OneToOne() // a result per record
		st, err := openKeyedValue[K, T](context.Background(), env, oc, "Reduce")
		if err != nil {
			return nil, err
		}
		key := ks.key
		return &instance[T]{in: func(v T) {
			k := key(v)
			if acc, ok := st.get(k); ok {
				v = fn(acc, v)
			}
			st.put(k, v)
			emit(v)
		}, snapshot: st.snapshot, close: st.close}, nil
	})
	return newStream(in.env, n, in.codec)
}

// KeyedContext gives a keyed process function the current key, the key's
// value state (one value of type S per key) and side outputs (Output).
type KeyedContext[K comparable, S any] struct {
	key     K
	state   *keyedValue[K, S]
	sub     int
	metrics *metricGroup
	sideOutputs
}

// Key is the key of the record being processed.
func (c *KeyedContext[K, S]) Key() K { return c.key }

// Value returns the state of the current key and whether it is set.
func (c *KeyedContext[K, S]) Value() (S, bool) { return c.state.get(c.key) }

// Update sets the state of the current key.
func (c *KeyedContext[K, S]) Update(v S) { c.state.put(c.key, v) }

// Clear removes the state of the current key.
func (c *KeyedContext[K, S]) Clear() { c.state.del(c.key) }

// Subtask is the index of the parallel instance running the function.
func (c *KeyedContext[K, S]) Subtask() int { return c.sub }

// Process runs fn for every record of a keyed stream, with per-key value
// state of type S in the context; fn emits any number of results, and
// records of other types to side outputs with Output(c, tag, v).
func Process[T any, K comparable, S, O any](ks KeyedStream[T, K], fn func(c *KeyedContext[K, S], v T, emit func(O))) Stream[O] {
	return ProcessWithEndContext(ks, fn, nil)
}

// ProcessWithEnd is Process with onEnd, called once per key that has state
// when a bounded input ends (keys in unspecified order), to emit final
// results. It is never called for an unbounded input.
func ProcessWithEnd[T any, K comparable, S, O any](ks KeyedStream[T, K], fn func(c *KeyedContext[K, S], v T, emit func(O)),
	onEnd func(key K, state S, emit func(O))) Stream[O] {
	var end func(c *KeyedContext[K, S], state S, emit func(O))
	if onEnd != nil {
		end = func(c *KeyedContext[K, S], state S, emit func(O)) { onEnd(c.key, state, emit) }
	}
	return ProcessWithEndContext(ks, fn, end)
}

// ProcessWithEndContext is ProcessWithEnd whose onEnd also gets the
// context, with the key (Key), the subtask and the side outputs: onEnd
// may emit to side outputs with Output(c, tag, v). It must not change the
// state (Update, Clear) while the keys are visited.
func ProcessWithEndContext[T any, K comparable, S, O any](ks KeyedStream[T, K], fn func(c *KeyedContext[K, S], v T, emit func(O)),
	onEnd func(c *KeyedContext[K, S], state S, emit func(O))) Stream[O] {
	in := ks.s
	oc := codecFor[O](in.env, "Process")
	env := in.env
	n := env.addNode("process", "KeyedProcess", typeName[O]())
	env.nodes[n].factory = &factory[T, O]{env: env, node: n, in: in.codec, out: oc,
		openSide: func(rc runtime.OperatorContext, emit func(O), sides sideOutputs) (*instance[T], error) {
			emit = countedEmit(rc, emit)
			st, err := openKeyedValue[K, S](context.Background(), env, rc, "Process")
			if err != nil {
				return nil, err
			}
			c := &KeyedContext[K, S]{state: st, sub: rc.Subtask, metrics: newRuntimeContext(rc).Metrics, sideOutputs: sides}
			key := ks.key
			inst := &instance[T]{in: func(v T) {
				c.key = key(v)
				fn(c, v, emit)
			}, snapshot: st.snapshot, close: st.close}
			if onEnd != nil {
				inst.finish = func(ctx context.Context) error {
					if runtime.StoppedWithSavepoint(ctx) {
						return nil // the input did not end: the job resumes from the savepoint
					}
					return st.each(func(k K, s S) {
						c.key = k
						onEnd(c, s, emit)
					})
				}
			}
			return inst, nil
		}}
	in.connect(n)
	return newStream(env, n, oc)
}

// AsKeyed treats a stream that is already partitioned by key (the output of
// a keyed operator, at the same parallelism) as keyed, without another
// exchange: records go forward to the next keyed operator.
func AsKeyed[T any, K comparable](in Stream[T], key func(T) K) KeyedStream[T, K] {
	return KeyedStream[T, K]{s: in.Forward(), key: key}
}
