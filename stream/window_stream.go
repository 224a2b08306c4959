package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/runtime/state"
)

// WindowedStream is a keyed stream cut into windows (Flink's
// WindowedStream): set its Trigger, AllowedLateness and
// SideOutputLateData, then reduce (Reduce), aggregate (WindowAggregate) or
// process (WindowProcess, WindowAggregateProcess) each window.
type WindowedStream[T any, K comparable] struct {
	ks       KeyedStream[T, K]
	assigner WindowAssigner
	trigger  Trigger
	lateness time.Duration
	lateTag  *OutputTag[T]
	all      bool
	evict    int64 // keep the last evict records of a window (0: all)
}

// Window cuts the keyed stream into windows of a.
func Window[T any, K comparable](ks KeyedStream[T, K], a WindowAssigner) WindowedStream[T, K] {
	return WindowedStream[T, K]{ks: ks, assigner: a}
}

// WindowAll cuts a non-keyed stream into windows of a; one instance
// (parallelism 1) computes them.
func WindowAll[T any](s Stream[T], a WindowAssigner) WindowedStream[T, int] {
	return WindowedStream[T, int]{ks: KeyBy(s, func(T) int { return 0 }), assigner: a, all: true}
}

// CountWindow fires every n records of a key (global windows with a
// purging count trigger).
func CountWindow[T any, K comparable](ks KeyedStream[T, K], n int64) WindowedStream[T, K] {
	ws := Window(ks, GlobalWindows())
	if n <= 0 {
		ws.assigner.err = fmt.Errorf("count window of %d records: must be positive", n)
	}
	return ws.Trigger(PurgingTrigger(CountTrigger(n)))
}

// CountWindowSlide fires every slide records of a key with the last size
// records (global windows, a count trigger and a count evictor).
func CountWindowSlide[T any, K comparable](ks KeyedStream[T, K], size, slide int64) WindowedStream[T, K] {
	ws := Window(ks, GlobalWindows())
	switch {
	case size <= 0 || slide <= 0:
		ws.assigner.err = fmt.Errorf("count window of %d records sliding by %d: both must be positive", size, slide)
	case slide > size:
		ws.assigner.err = fmt.Errorf("count window slide %d is larger than its size %d (use a slide <= size)", slide, size)
	}
	ws.evict = size
	return ws.Trigger(CountTrigger(slide))
}

// Trigger replaces the assigner's default trigger.
func (ws WindowedStream[T, K]) Trigger(t Trigger) WindowedStream[T, K] { ws.trigger = t; return ws }

// AllowedLateness keeps event-time windows for d after their end: a late
// record within it fires the window again with the updated result.
func (ws WindowedStream[T, K]) AllowedLateness(d time.Duration) WindowedStream[T, K] {
	ws.lateness = d
	return ws
}

// SideOutputLateData sends records too late for all their windows to tag
// (read them with SideOutput on the window's result stream) instead of
// dropping them.
func (ws WindowedStream[T, K]) SideOutputLateData(tag OutputTag[T]) WindowedStream[T, K] {
	ws.lateTag = &tag
	return ws
}

// Reduce folds each window's records with fn (incrementally) and emits
// the result when the window fires.
func (ws WindowedStream[T, K]) Reduce(fn func(a, b T) T) Stream[T] {
	return WindowReduce(ws, fn)
}

// WindowReduce is the function form of WindowedStream.Reduce.
func WindowReduce[T any, K comparable](ws WindowedStream[T, K], fn func(a, b T) T) Stream[T] {
	return addWindow(ws, "WindowReduce", ws.ks.s.codec, ws.ks.s.codec,
		func(b state.KeyedBackend, c runtime.Codec[T]) (windowContents[T, T], error) {
			return newAggContents(b, c, func(v T) T { return v }, fn, fn)
		},
		func(vs []T) T {
			acc := vs[0]
			for _, v := range vs[1:] {
				acc = fn(acc, v)
			}
			return acc
		},
		func(_ *WindowContext[K], acc T, out func(T)) { out(acc) })
}

// WindowAggregate folds each window's records with agg (incrementally)
// and emits agg.Result when the window fires.
func WindowAggregate[T any, K comparable, ACC, O any](ws WindowedStream[T, K], agg AggregateFunction[T, ACC, O]) Stream[O] {
	return WindowAggregateProcess(ws, agg, func(_ *WindowContext[K], r O, out func(O)) { out(r) })
}

// WindowAggregateProcess folds each window's records with agg and, when
// the window fires, calls fn with the result and the window's context.
func WindowAggregateProcess[T any, K comparable, ACC, R, O any](ws WindowedStream[T, K], agg AggregateFunction[T, ACC, R],
	fn func(ctx *WindowContext[K], result R, out func(O))) Stream[O] {
	env := ws.ks.s.env
	if agg.Create == nil || agg.Add == nil || agg.Result == nil {
		env.fail(fmt.Errorf("window aggregate: the AggregateFunction needs Create, Add and Result"))
	} else if ws.assigner.merging() && agg.Merge == nil {
		env.fail(fmt.Errorf("window aggregate on session windows: the AggregateFunction needs Merge"))
	}
	accCodec := codecFor[ACC](env, "window accumulator")
	return addWindow(ws, "WindowAggregate", accCodec, codecFor[O](env, "WindowAggregate"),
		func(b state.KeyedBackend, c runtime.Codec[ACC]) (windowContents[T, ACC], error) {
			return newAggContents(b, c, func(v T) ACC { return agg.Add(agg.Create(), v) }, agg.Add, agg.Merge)
		},
		func(vs []T) ACC {
			acc := agg.Create()
			for _, v := range vs {
				acc = agg.Add(acc, v)
			}
			return acc
		},
		func(ctx *WindowContext[K], acc ACC, out func(O)) { fn(ctx, agg.Result(acc), out) })
}

// WindowProcess calls fn with all records of each window when it fires
// (the records are kept in keyed state until then).
func WindowProcess[T any, K comparable, O any](ws WindowedStream[T, K], fn func(ctx *WindowContext[K], elements []T, out func(O))) Stream[O] {
	env := ws.ks.s.env
	return addWindow(ws, "WindowProcess", nil, codecFor[O](env, "WindowProcess"),
		func(b state.KeyedBackend, _ runtime.Codec[[]T]) (windowContents[T, []T], error) {
			return newListContents(b, ws.ks.s.codec)
		}, func(vs []T) []T { return vs }, fn)
}

// windowSpec is how a window operator windows its records, whatever its
// inputs: the assigner, the trigger, the allowed lateness, where late
// records go and the count evictor.
type windowSpec[T any] struct {
	assigner WindowAssigner
	trigger  Trigger
	lateness time.Duration
	lateTag  *OutputTag[T]
	evict    int64 // keep the last evict records of a window (0: all)
}

func (ws WindowedStream[T, K]) spec() windowSpec[T] {
	return windowSpec[T]{assigner: ws.assigner, trigger: ws.trigger, lateness: ws.lateness, lateTag: ws.lateTag, evict: ws.evict}
}

// check records the spec's build errors; timestamps tells whether every
// input of the operator carries event timestamps.
func (s windowSpec[T]) check(env *Environment, name string, timestamps bool) {
	if err := s.assigner.check(); err != nil {
		env.fail(fmt.Errorf("%s: %w", name, err))
	} else if s.assigner.eventTime && !timestamps {
		env.fail(fmt.Errorf("%s: event-time windows on a stream that has no timestamps: call AssignTimestampsAndWatermarks or give the source a WatermarkStrategy", name))
	}
	if s.lateness < 0 {
		env.fail(fmt.Errorf("%s: allowed lateness %v must not be negative", name, s.lateness))
	}
}

// addWindow adds the window operator.
func addWindow[T any, K comparable, ACC, O any](ws WindowedStream[T, K], name string, accCodec runtime.Codec[ACC], outCodec runtime.Codec[O],
	contents func(b state.KeyedBackend, c runtime.Codec[ACC]) (windowContents[T, ACC], error),
	fold func([]T) ACC,
	result func(ctx *WindowContext[K], acc ACC, out func(O))) Stream[O] {
	in := ws.ks.s
	env := in.env
	spec := ws.spec()
	spec.check(env, name, streamHasTimestamps(in))
	key := ws.ks.key
	n := env.addNode("window", name, typeName[O]())
	env.nodes[n].factory = &factory[T, O]{env: env, node: n, in: in.codec, out: outCodec,
		openSide: func(rc runtime.OperatorContext, emit func(O), sides sideOutputs) (*instance[T], error) {
			emit = countedEmit(rc, emit)
			op, err := openWindowOp[T, K](env, rc, name, spec, in.codec, accCodec, contents, fold, result, emit, sides)
			if err != nil {
				return nil, err
			}
			return &instance[T]{in: func(v T) { op.processElement(v, key(v)) }, snapshot: op.kb.snapshot, close: op.kb.close,
				watermark: op.advance}, nil
		}}
	in.connect(n)
	if ws.all {
		env.nodes[n].gn.Parallelism = 1
	}
	return newStream(env, n, outCodec)
}

// openWindowOp opens (and restores) one subtask of a window operator over
// records T of codec in: its keyed backend, contents, trigger state,
// session sets and timers.
func openWindowOp[T any, K comparable, ACC, O any](env *Environment, rc runtime.OperatorContext, name string, spec windowSpec[T],
	in runtime.Codec[T], accCodec runtime.Codec[ACC],
	contents func(b state.KeyedBackend, c runtime.Codec[ACC]) (windowContents[T, ACC], error),
	fold func([]T) ACC,
	result func(ctx *WindowContext[K], acc ACC, out func(O)),
	emit func(O), sides sideOutputs) (*windowOp[T, K, ACC, O], error) {
	trigger := spec.trigger
	if trigger == nil {
		trigger = spec.assigner.defaultTrigger()
	}
	kb, err := openKeyedBackend[K](context.Background(), env, rc, name)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*windowOp[T, K, ACC, O], error) {
		return nil, errors.Join(fmt.Errorf("%s: %w", name, err), kb.close())
	}
	op := &windowOp[T, K, ACC, O]{kb: kb, tc: rc.Time, assigner: spec.assigner, trigger: trigger,
		lateness: spec.lateness.Milliseconds(), result: result, emit: emit,
		trigKeys: map[string]bool{countState: true, fireState: true}}
	if spec.lateTag != nil {
		op.lateOut, _ = sides[spec.lateTag.name].(func(T))
	}
	op.tctx.op, op.wctx.op, op.wctx.sideOutputs = op, op, sides
	if spec.evict > 0 {
		l, err := newListContents(kb.b, in)
		if err != nil {
			return fail(err)
		}
		op.contents = &evictingContents[T, ACC]{list: l, keep: int(spec.evict), fold: fold}
	} else if op.contents, err = contents(kb.b, accCodec); err != nil {
		return fail(err)
	}
	sessionCodec, err := runtime.CodecFor[[]TimeWindow](env.codecs)
	if err != nil {
		return fail(err)
	}
	trigCodec, err := runtime.CodecFor[int64](env.codecs)
	if err != nil {
		return fail(err)
	}
	if op.trig, err = state.NewValueState(kb.b, state.ValueDescriptor[int64]{Name: "window-trigger", Codec: trigCodec}); err != nil {
		return fail(err)
	}
	if op.sessions, err = state.NewValueState(kb.b, state.ValueDescriptor[[]TimeWindow]{Name: "window-sessions", Codec: sessionCodec}); err != nil {
		return fail(err)
	}
	if op.timers, err = newTimerDriver(kb.b, rc.Time, "window"); err != nil {
		return fail(err)
	}
	op.timers.fire = op.onTimer
	return op, nil
}
