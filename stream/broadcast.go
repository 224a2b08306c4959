package stream

import (
	"context"
	"fmt"
	"strings"

	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/runtime/state"
)

// BroadcastStream is a stream every parallel instance of the operator it is
// connected to receives whole, with the broadcast states that operator
// keeps (Flink's broadcast state pattern). Build one with Broadcast and
// connect it to a keyed stream with ConnectBroadcast.
type BroadcastStream[T any] struct {
	s     Stream[T]
	descs []BroadcastStateDescriptor
}

// BroadcastStateDescriptor declares one broadcast state; MapStateDescriptor
// is the one kind (broadcast state is map-shaped, as in Flink).
type BroadcastStateDescriptor interface {
	declare(b *state.BroadcastBackend) error
	stateName() string
}

// MapStateDescriptor declares broadcast map state of K to V by name. Nil
// codecs take the built-in codecs of K and V (runtime.CodecFor).
type MapStateDescriptor[K comparable, V any] struct {
	Name       string
	KeyCodec   runtime.Codec[K]
	ValueCodec runtime.Codec[V]
}

func (d MapStateDescriptor[K, V]) stateName() string { return d.Name }

func (d MapStateDescriptor[K, V]) declare(b *state.BroadcastBackend) error {
	_, err := state.NewBroadcastMapState(b, state.BroadcastMapDescriptor[K, V]{Name: d.Name, KeyCodec: d.KeyCodec, ValueCodec: d.ValueCodec})
	return err
}

// Broadcast makes s a broadcast stream carrying the broadcast states descs
// declare.
func Broadcast[T any](s Stream[T], descs ...BroadcastStateDescriptor) BroadcastStream[T] {
	seen := map[string]bool{}
	for _, d := range descs {
		switch n := d.stateName(); {
		case n == "":
			s.env.fail(fmt.Errorf("Broadcast: a broadcast state descriptor has no name"))
		case seen[n]:
			s.env.fail(fmt.Errorf("Broadcast: broadcast state %q declared twice", n))
		default:
			seen[n] = true
		}
	}
	return BroadcastStream[T]{s: s.Broadcast(), descs: descs}
}

// BroadcastConnectedStream is a keyed stream connected to a broadcast
// stream, for KeyedBroadcastProcess.
type BroadcastConnectedStream[A any, K comparable, B any] struct {
	ks KeyedStream[A, K]
	bs BroadcastStream[B]
}

// ConnectBroadcast connects the keyed stream ks to the broadcast stream
// bs.
func ConnectBroadcast[A any, K comparable, B any](ks KeyedStream[A, K], bs BroadcastStream[B]) BroadcastConnectedStream[A, K, B] {
	if ks.s.env != bs.s.env {
		ks.s.env.fail(fmt.Errorf("connect streams from different environments"))
	}
	return BroadcastConnectedStream[A, K, B]{ks: ks, bs: bs}
}

// BroadcastContext is the context of ProcessBroadcastElement: read-write
// access to the broadcast states (BroadcastState), the record's timestamp,
// the operator's watermark and the side outputs (Output).
type BroadcastContext struct {
	b   *state.BroadcastBackend
	sub int
	tc  *runtime.TimeContext
	wm  func() int64
	sideOutputs
}

// Subtask is the index of the parallel instance running the function.
func (c *BroadcastContext) Subtask() int { return c.sub }

// Timestamp is the event timestamp of the broadcast record; false when it
// has none.
func (c *BroadcastContext) Timestamp() (int64, bool) {
	if c.tc == nil {
		return 0, false
	}
	return c.tc.Timestamp()
}

// CurrentWatermark is the operator's input watermark.
func (c *BroadcastContext) CurrentWatermark() int64 { return c.wm() }

// KeyedBroadcastContext is the context of ProcessElement and OnTimer: the
// key, its value state, timers and side outputs (a ProcessContext, as in
// KeyedProcess), and read-only access to the broadcast states
// (ReadOnlyBroadcastState).
type KeyedBroadcastContext[K comparable, S any] struct {
	*ProcessContext[K, S]
	b *state.BroadcastBackend
}

// BroadcastState returns the broadcast map d names, to read and write; only
// the broadcast side may change it (it must change it the same way on
// every instance: from the broadcast record alone). A map d does not
// match (other types) fails the task.
func BroadcastState[K comparable, V any](c *BroadcastContext, d MapStateDescriptor[K, V]) *state.BroadcastMapState[K, V] {
	return broadcastMap(c.b, d)
}

// ReadOnlyBroadcastState returns the broadcast map d names, to read.
func ReadOnlyBroadcastState[K comparable, V any, KK comparable, S any](c *KeyedBroadcastContext[KK, S], d MapStateDescriptor[K, V]) ReadOnlyBroadcastMap[K, V] {
	return ReadOnlyBroadcastMap[K, V]{m: broadcastMap(c.b, d)}
}

func broadcastMap[K comparable, V any](b *state.BroadcastBackend, d MapStateDescriptor[K, V]) *state.BroadcastMapState[K, V] {
	m, err := state.NewBroadcastMapState(b, state.BroadcastMapDescriptor[K, V]{Name: d.Name, KeyCodec: d.KeyCodec, ValueCodec: d.ValueCodec})
	if err != nil {
		panic(fmt.Errorf("broadcast state: %w", err))
	}
	return m
}

// ReadOnlyBroadcastMap reads a broadcast map from the keyed side.
type ReadOnlyBroadcastMap[K comparable, V any] struct {
	m *state.BroadcastMapState[K, V]
}

// Get returns k's value and whether there is one.
func (r ReadOnlyBroadcastMap[K, V]) Get(k K) (V, bool) { return r.m.Get(k) }

// Len is the number of entries.
func (r ReadOnlyBroadcastMap[K, V]) Len() int { return r.m.Len() }

// Range calls fn for every entry, in unspecified order, until it returns
// false.
func (r ReadOnlyBroadcastMap[K, V]) Range(fn func(k K, v V) bool) { r.m.Range(fn) }

// KeyedBroadcastProcessFunction processes a keyed stream connected to a
// broadcast stream (Flink's KeyedBroadcastProcessFunction):
// ProcessBroadcastElement sees every broadcast record on every instance and
// may change the broadcast state; ProcessElement sees the keyed records,
// with the key's state and timers and the broadcast state read-only;
// OnTimer runs when a timer of the key fires.
type KeyedBroadcastProcessFunction[K comparable, A, B, S, O any] interface {
	ProcessElement(ctx *KeyedBroadcastContext[K, S], v A, out func(O))
	ProcessBroadcastElement(ctx *BroadcastContext, v B, out func(O))
	OnTimer(ctx *KeyedBroadcastContext[K, S], timestamp int64, out func(O))
}

// KeyedBroadcastProcessFuncs is a KeyedBroadcastProcessFunction made of
// functions; Timer may be nil.
type KeyedBroadcastProcessFuncs[K comparable, A, B, S, O any] struct {
	Element          func(ctx *KeyedBroadcastContext[K, S], v A, out func(O))
	BroadcastElement func(ctx *BroadcastContext, v B, out func(O))
	Timer            func(ctx *KeyedBroadcastContext[K, S], timestamp int64, out func(O))
}

// ProcessElement calls Element.
func (f KeyedBroadcastProcessFuncs[K, A, B, S, O]) ProcessElement(ctx *KeyedBroadcastContext[K, S], v A, out func(O)) {
	f.Element(ctx, v, out)
}

// ProcessBroadcastElement calls BroadcastElement.
func (f KeyedBroadcastProcessFuncs[K, A, B, S, O]) ProcessBroadcastElement(ctx *BroadcastContext, v B, out func(O)) {
	f.BroadcastElement(ctx, v, out)
}

// OnTimer calls Timer, if set.
func (f KeyedBroadcastProcessFuncs[K, A, B, S, O]) OnTimer(ctx *KeyedBroadcastContext[K, S], ts int64, out func(O)) {
	if f.Timer != nil {
		f.Timer(ctx, ts, out)
	}
}

// broadcastKind names the files of broadcast state in a checkpoint.
const broadcastKind = "broadcast"

// KeyedBroadcastProcess runs fn over the keyed stream and the broadcast
// stream of c. In a job that checkpoints, every subtask snapshots its
// broadcast state (to <dir>/chk-<n>/<operator>-<vertex>-<subtask>-broadcast)
// beside its keyed state; the file's handle covers every key group, so a
// subtask restored at any parallelism is handed every old subtask's copy
// and takes one (the copies are equal): all instances start with the same
// broadcast state.
func KeyedBroadcastProcess[A any, K comparable, B, S, O any](c BroadcastConnectedStream[A, K, B], fn KeyedBroadcastProcessFunction[K, A, B, S, O]) Stream[O] {
	env := c.ks.s.env
	oc := codecFor[O](env, "KeyedBroadcastProcess")
	sc := codecFor[S](env, "KeyedBroadcastProcess state")
	descs := c.bs.descs
	n := addCoOperator(c.ks.s, c.bs.s, "broadcastprocess", "KeyedBroadcastProcess", oc, func(rc runtime.OperatorContext, emit func(O), sides sideOutputs) (*coInstance[A, B], error) {
		emit = countedEmit(rc, emit)
		bc, err := openBroadcast(context.Background(), rc, descs)
		if err != nil {
			return nil, fmt.Errorf("KeyedBroadcastProcess: %w", err)
		}
		kc, err := openKeyedCore[K](env, withoutBroadcast(rc), sides, sc, "KeyedBroadcastProcess")
		if err != nil {
			return nil, err
		}
		kctx := &KeyedBroadcastContext[K, S]{ProcessContext: kc.ctx, b: bc}
		bctx := &BroadcastContext{b: bc, sub: rc.Subtask, tc: rc.Time, wm: kc.ctx.timers.CurrentWatermark, sideOutputs: sides}
		kc.onTimer = func(ts int64) { fn.OnTimer(kctx, ts, emit) }
		key := c.ks.key
		return &coInstance[A, B]{
			instance: &instance[A]{
				in: func(v A) {
					kc.setKey(key(v))
					fn.ProcessElement(kctx, v, emit)
				},
				snapshot: func(ctx context.Context, cp runtime.CheckpointMeta) (runtime.OperatorSnapshot, error) {
					return snapshotWithBroadcast(ctx, rc, cp, kc.kb.snapshot, bc)
				},
				close:     kc.kb.close,
				watermark: kc.advance,
			},
			in2: func(v B) { fn.ProcessBroadcastElement(bctx, v, emit) },
		}, nil
	})
	return newStream(env, n, oc)
}

// isBroadcastHandle tells the broadcast state's files from keyed state's.
func isBroadcastHandle(h runtime.StateHandle) bool {
	return strings.HasSuffix(h.Path, "-"+broadcastKind)
}

// openBroadcast declares descs in a new broadcast backend, after loading
// one old subtask's broadcast state when the subtask restores.
func openBroadcast(ctx context.Context, oc runtime.OperatorContext, descs []BroadcastStateDescriptor) (*state.BroadcastBackend, error) {
	b := state.NewBroadcastBackend()
	if oc.Restore != nil && oc.Checkpointing != nil {
		old, err := oc.Restore.ReadAll(ctx, oc.Checkpointing.Storage, isBroadcastHandle)
		if err != nil {
			return nil, err
		}
		if err := b.RestoreBroadcast(oc.Subtask, old); err != nil {
			return nil, fmt.Errorf("checkpoint %d: %w", oc.Restore.Checkpoint, err)
		}
	}
	for _, d := range descs {
		if err := d.declare(b); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// withoutBroadcast is oc with the broadcast state's handles left out, for
// the keyed state (which reads every handle overlapping its key groups).
func withoutBroadcast(oc runtime.OperatorContext) runtime.OperatorContext {
	if oc.Restore == nil {
		return oc
	}
	r := &runtime.OperatorRestore{Checkpoint: oc.Restore.Checkpoint}
	for _, h := range oc.Restore.Handles {
		if !isBroadcastHandle(h) {
			r.Handles = append(r.Handles, h)
		}
	}
	oc.Restore = r
	return oc
}

// snapshotWithBroadcast takes the keyed state's snapshot and the broadcast
// state's (encoded now, at the barrier) and uploads both.
func snapshotWithBroadcast(ctx context.Context, oc runtime.OperatorContext, cp runtime.CheckpointMeta,
	keyed func(context.Context, runtime.CheckpointMeta) (runtime.OperatorSnapshot, error), bc *state.BroadcastBackend) (runtime.OperatorSnapshot, error) {
	snap, err := keyed(ctx, cp)
	if err != nil || oc.Checkpointing == nil {
		return snap, err
	}
	data := bc.Snapshot()
	cs := oc.Checkpointing
	path := cs.StateFile(cp, oc.Operator.ID, oc.Vertex, oc.Subtask, broadcastKind) // a savepoint keeps its own
	upload := snap.Upload
	snap.Upload = func(ctx context.Context) ([]runtime.StateHandle, error) {
		var hs []runtime.StateHandle
		if upload != nil {
			var err error
			if hs, err = upload(ctx); err != nil {
				return nil, err
			}
		}
		w, err := cs.Storage.Create(ctx, path)
		if err != nil {
			return nil, err
		}
		_, err = w.Write(data)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
		return append(hs, runtime.StateHandle{Path: path, Size: int64(len(data)), KeyGroupStart: 0, KeyGroupEnd: oc.MaxParallelism}), nil
	}
	return snap, nil
}
