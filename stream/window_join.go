package stream

import (
	"fmt"
	"time"

	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/runtime/state"
)

// CoWindowedStreams are two keyed streams with the same key type cut into
// the same windows (Flink's JoinedStreams and CoGroupedStreams with their
// window): set its Trigger and AllowedLateness, then join (WindowJoin) or
// co-group (WindowCoGroup) each key's window.
//
// It is one keyed two-input operator that tags each record with its input
// and runs the window operator of Window over the tagged records (Flink's
// TaggedUnion): assigners, triggers, session merging, allowed lateness,
// checkpoints and rescaling behave exactly as for Window, and the
// operator's watermark is the minimum of both inputs'.
type CoWindowedStreams[A, B any, K comparable] struct {
	a        KeyedStream[A, K]
	b        KeyedStream[B, K]
	assigner WindowAssigner
	trigger  Trigger
	lateness time.Duration
}

// CoWindow cuts a and b into the windows of w; records of both with the
// same key and window meet in that window.
func CoWindow[A, B any, K comparable](a KeyedStream[A, K], b KeyedStream[B, K], w WindowAssigner) CoWindowedStreams[A, B, K] {
	if a.s.env != b.s.env {
		a.s.env.fail(fmt.Errorf("window join of streams from different environments"))
	}
	return CoWindowedStreams[A, B, K]{a: a, b: b, assigner: w}
}

// Trigger replaces the assigner's default trigger.
func (cw CoWindowedStreams[A, B, K]) Trigger(t Trigger) CoWindowedStreams[A, B, K] {
	cw.trigger = t
	return cw
}

// AllowedLateness keeps event-time windows for d after their end: a late
// record of either input within it fires the window again.
func (cw CoWindowedStreams[A, B, K]) AllowedLateness(d time.Duration) CoWindowedStreams[A, B, K] {
	cw.lateness = d
	return cw
}

// WindowJoin emits fn(a, b) for every pair of a record a of the first
// input and b of the second with the same key in the same window, when
// the window fires (an inner join: a window with records of one input
// only emits nothing). Results carry the window's MaxTimestamp.
func WindowJoin[A, B any, K comparable, O any](cw CoWindowedStreams[A, B, K], fn func(a A, b B) O) Stream[O] {
	return addCoWindow(cw, "WindowJoin", func(_ *WindowContext[K], as []A, bs []B, out func(O)) {
		for _, a := range as {
			for _, b := range bs {
				out(fn(a, b))
			}
		}
	})
}

// WindowCoGroup calls fn, when a window fires, with the window's records
// of each input for its key (Flink's CoGroupFunction): at least one of
// as and bs is non-empty. fn emits any number of results, which carry the
// window's MaxTimestamp.
func WindowCoGroup[A, B any, K comparable, O any](cw CoWindowedStreams[A, B, K], fn func(ctx *WindowContext[K], as []A, bs []B, out func(O))) Stream[O] {
	return addCoWindow(cw, "WindowCoGroup", fn)
}

// joinItem is a record of either input of a co-windowed operator (Flink's
// TaggedUnion).
type joinItem[A, B any] struct {
	second bool
	a      A
	b      B
}

// joinItemCodec encodes a joinItem as its tag and the record:
//
//	+-----+---------------------------------+
//	| tag | A (tag 0) or B (tag 1), encoded |
//	+-----+---------------------------------+
//	  1 B   by the input's codec
type joinItemCodec[A, B any] struct {
	a runtime.Codec[A]
	b runtime.Codec[B]
}

func (c joinItemCodec[A, B]) Append(dst []byte, v joinItem[A, B]) []byte {
	if v.second {
		return c.b.Append(append(dst, 1), v.b)
	}
	return c.a.Append(append(dst, 0), v.a)
}

func (c joinItemCodec[A, B]) Decode(src []byte) (joinItem[A, B], int, error) {
	var v joinItem[A, B]
	if len(src) == 0 {
		return v, 0, fmt.Errorf("empty join record: %w", runtime.ErrCorruptRecord)
	}
	var n int
	var err error
	switch src[0] {
	case 0:
		v.a, n, err = c.a.Decode(src[1:])
	case 1:
		v.second = true
		v.b, n, err = c.b.Decode(src[1:])
	default:
		return v, 0, fmt.Errorf("join record tag %d: %w", src[0], runtime.ErrCorruptRecord)
	}
	return v, n + 1, err
}

// addCoWindow adds the two-input window operator that hands each key's
// window, split by input, to fn.
func addCoWindow[A, B any, K comparable, O any](cw CoWindowedStreams[A, B, K], name string, fn func(ctx *WindowContext[K], as []A, bs []B, out func(O))) Stream[O] {
	env := cw.a.s.env
	spec := windowSpec[joinItem[A, B]]{assigner: cw.assigner, trigger: cw.trigger, lateness: cw.lateness}
	spec.check(env, name, streamHasTimestamps(cw.a.s) && streamHasTimestamps(cw.b.s))
	oc := codecFor[O](env, name)
	ic := joinItemCodec[A, B]{a: cw.a.s.codec, b: cw.b.s.codec}
	ka, kb := cw.a.key, cw.b.key
	contents := func(b state.KeyedBackend, _ runtime.Codec[[]joinItem[A, B]]) (windowContents[joinItem[A, B], []joinItem[A, B]], error) {
		return newListContents[joinItem[A, B]](b, ic)
	}
	result := func(ctx *WindowContext[K], items []joinItem[A, B], out func(O)) {
		var as []A // fresh: fn may keep them
		var bs []B
		for _, it := range items {
			if it.second {
				bs = append(bs, it.b)
			} else {
				as = append(as, it.a)
			}
		}
		fn(ctx, as, bs, out)
	}
	n := addCoOperator(cw.a.s, cw.b.s, "window", name, oc, func(rc runtime.OperatorContext, emit func(O), sides sideOutputs) (*coInstance[A, B], error) {
		emit = countedEmit(rc, emit)
		op, err := openWindowOp[joinItem[A, B], K](env, rc, name, spec, ic, nil, contents, nil, result, emit, sides)
		if err != nil {
			return nil, err
		}
		return &coInstance[A, B]{
			instance: &instance[A]{in: func(v A) { op.processElement(joinItem[A, B]{a: v}, ka(v)) },
				snapshot: op.kb.snapshot, close: op.kb.close, watermark: op.advance},
			in2: func(v B) { op.processElement(joinItem[A, B]{second: true, b: v}, kb(v)) },
		}, nil
	})
	return newStream(env, n, oc)
}
