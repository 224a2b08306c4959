package stream

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/runtime/state"
)

// IntervalJoinedStreams are two keyed streams joined by event time
// (Flink's KeyedStream.IntervalJoined): a record a of the first input
// meets every record b of the second with the same key and
// a.ts + lower <= b.ts <= a.ts + upper. Make the bounds exclusive with
// LowerBoundExclusive and UpperBoundExclusive, then process each pair with
// IntervalJoinProcess.
type IntervalJoinedStreams[A, B any, K comparable] struct {
	a              KeyedStream[A, K]
	b              KeyedStream[B, K]
	lower, upper   time.Duration
	lowerExclusive bool
	upperExclusive bool
}

// IntervalJoin joins a and b on their key and on b's timestamp lying in
// [a's + lower, a's + upper]; lower may be negative (b before a). Both
// streams need event timestamps.
func IntervalJoin[A, B any, K comparable](a KeyedStream[A, K], b KeyedStream[B, K], lower, upper time.Duration) IntervalJoinedStreams[A, B, K] {
	if a.s.env != b.s.env {
		a.s.env.fail(fmt.Errorf("interval join of streams from different environments"))
	}
	return IntervalJoinedStreams[A, B, K]{a: a, b: b, lower: lower, upper: upper}
}

// LowerBoundExclusive excludes b.ts == a.ts + lower.
func (j IntervalJoinedStreams[A, B, K]) LowerBoundExclusive() IntervalJoinedStreams[A, B, K] {
	j.lowerExclusive = true
	return j
}

// UpperBoundExclusive excludes b.ts == a.ts + upper.
func (j IntervalJoinedStreams[A, B, K]) UpperBoundExclusive() IntervalJoinedStreams[A, B, K] {
	j.upperExclusive = true
	return j
}

// bounds returns the inclusive bounds in milliseconds, or why there are
// none.
func (j IntervalJoinedStreams[A, B, K]) bounds() (lo, hi int64, err error) {
	for _, d := range []time.Duration{j.lower, j.upper} {
		if d%time.Millisecond != 0 {
			return 0, 0, fmt.Errorf("bound %v: must be whole milliseconds", d)
		}
	}
	if j.lower > j.upper {
		return 0, 0, fmt.Errorf("lower bound %v is above upper bound %v: no pair can match (swap them, or swap the inputs and negate both)", j.lower, j.upper)
	}
	lo, hi = j.lower.Milliseconds(), j.upper.Milliseconds()
	if j.lowerExclusive {
		lo++
	}
	if j.upperExclusive {
		hi--
	}
	if lo > hi {
		return 0, 0, fmt.Errorf("bounds (%v, %v) with an exclusive end hold no timestamp: no pair can match (make them inclusive or widen them)", j.lower, j.upper)
	}
	return lo, hi, nil
}

// IntervalJoinContext is what an interval join function sees (Flink's
// ProcessJoinFunction.Context): the key, both records' timestamps, and
// side outputs (Output).
type IntervalJoinContext[K comparable] struct {
	key         K
	left, right int64
	sub         int
	sideOutputs
}

// Key is the joined records' key.
func (c *IntervalJoinContext[K]) Key() K { return c.key }

// LeftTimestamp is the timestamp of the first input's record.
func (c *IntervalJoinContext[K]) LeftTimestamp() int64 { return c.left }

// RightTimestamp is the timestamp of the second input's record.
func (c *IntervalJoinContext[K]) RightTimestamp() int64 { return c.right }

// Timestamp is the timestamp of the results: the larger of both.
func (c *IntervalJoinContext[K]) Timestamp() int64 { return max(c.left, c.right) }

// Subtask is the index of the parallel instance.
func (c *IntervalJoinContext[K]) Subtask() int { return c.sub }

// IntervalJoinProcess calls fn for every pair of records that the interval
// join matches (Flink's ProcessJoinFunction), as soon as the second of
// them arrives; its results carry the larger of both timestamps.
//
// Each input's records wait in keyed state (by key and timestamp, so
// checkpointed, restored and rescaled by key group) until the watermark —
// the minimum of both inputs' — makes them unjoinable: an event-time timer
// then removes them. A record behind the watermark (its timestamp below
// it) is late and dropped, as in Flink.
func IntervalJoinProcess[A, B any, K comparable, O any](j IntervalJoinedStreams[A, B, K], fn func(ctx *IntervalJoinContext[K], a A, b B, out func(O))) Stream[O] {
	const name = "IntervalJoin"
	env := j.a.s.env
	lo, hi, err := j.bounds()
	if err != nil {
		env.fail(fmt.Errorf("%s: %w", name, err))
	}
	if !streamHasTimestamps(j.a.s) || !streamHasTimestamps(j.b.s) {
		env.fail(fmt.Errorf("%s: an interval join is in event time and needs timestamps on both inputs: call AssignTimestampsAndWatermarks or give the sources a WatermarkStrategy", name))
	}
	oc := codecFor[O](env, name)
	acs := codecFor[[]A](env, name+" buffer")
	bcs := codecFor[[]B](env, name+" buffer")
	ka, kb := j.a.key, j.b.key
	n := addCoOperator(j.a.s, j.b.s, "join", name, oc, func(rc runtime.OperatorContext, emit func(O), sides sideOutputs) (*coInstance[A, B], error) {
		emit = countedEmit(rc, emit)
		op, err := openIntervalJoin[A, B, K, O](env, rc, name, acs, bcs)
		if err != nil {
			return nil, err
		}
		op.lo, op.hi, op.fn, op.emit = lo, hi, fn, emit
		op.ctx = IntervalJoinContext[K]{sub: rc.Subtask, sideOutputs: sides}
		return &coInstance[A, B]{
			instance: &instance[A]{in: func(v A) { op.processLeft(v, ka(v)) },
				snapshot: op.kb.snapshot, close: op.kb.close, watermark: op.advance},
			in2: func(v B) { op.processRight(v, kb(v)) },
		}, nil
	})
	return newStream(env, n, oc)
}

// intervalJoinOp is one subtask of an interval join (Flink's
// IntervalJoinOperator). Each side's buffer maps a timestamp to the
// records of the key with it; an event-time timer per key, side and
// timestamp removes them once no record still to come can match.
type intervalJoinOp[A, B any, K comparable, O any] struct {
	kb     *keyedBackend[K]
	tc     *runtime.TimeContext
	left   *state.MapState[int64, []A]
	right  *state.MapState[int64, []B]
	timers *timerDriver
	lo, hi int64 // inclusive bounds of b.ts − a.ts
	fn     func(ctx *IntervalJoinContext[K], a A, b B, out func(O))
	emit   func(O)
	ctx    IntervalJoinContext[K]
	nsBuf  []byte
}

func openIntervalJoin[A, B any, K comparable, O any](env *Environment, rc runtime.OperatorContext, name string,
	acs runtime.Codec[[]A], bcs runtime.Codec[[]B]) (*intervalJoinOp[A, B, K, O], error) {
	kb, err := openKeyedBackend[K](context.Background(), env, rc, name)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*intervalJoinOp[A, B, K, O], error) {
		return nil, errors.Join(fmt.Errorf("%s: %w", name, err), kb.close())
	}
	tsc, err := runtime.CodecFor[int64](env.codecs)
	if err != nil {
		return fail(err)
	}
	op := &intervalJoinOp[A, B, K, O]{kb: kb, tc: rc.Time}
	if op.left, err = state.NewMapState(kb.b, state.MapDescriptor[int64, []A]{Name: "interval-join-left", KeyCodec: tsc, ValueCodec: acs}); err != nil {
		return fail(err)
	}
	if op.right, err = state.NewMapState(kb.b, state.MapDescriptor[int64, []B]{Name: "interval-join-right", KeyCodec: tsc, ValueCodec: bcs}); err != nil {
		return fail(err)
	}
	if op.timers, err = newTimerDriver(kb.b, rc.Time, "interval-join"); err != nil {
		return fail(err)
	}
	op.timers.fire = op.cleanup
	return op, nil
}

// The namespace of a cleanup timer names the buffer entry it removes:
//
//	+------+----------------------------+
//	| side | timestamp of the entry     |
//	+------+----------------------------+
//	  1 B    8 B big-endian
const (
	leftSide  = 'L'
	rightSide = 'R'
)

// timestamp returns the current record's timestamp, or false when it is
// late (behind the watermark) and must be dropped.
func (op *intervalJoinOp[A, B, K, O]) timestamp() (int64, bool) {
	ts, ok := op.tc.Timestamp()
	if !ok {
		panic(fmt.Errorf("interval join: a record without timestamp (assign them with AssignTimestampsAndWatermarks)"))
	}
	wm := op.timers.svc.wm
	return ts, ts >= wm
}

// addSat is a + b, saturated to the int64 range.
func addSat(a, b int64) int64 {
	s := a + b
	switch {
	case b > 0 && s < a:
		return math.MaxInt64
	case b < 0 && s > a:
		return math.MinInt64
	}
	return s
}

// keep buffers nothing when the record's cleanup time has passed already;
// otherwise it registers the timer that removes entry ts of side at
// cleanup and reports true.
func (op *intervalJoinOp[A, B, K, O]) keep(side byte, ts, cleanup int64) bool {
	if cleanup <= op.timers.svc.wm {
		return false
	}
	op.nsBuf = binary.BigEndian.AppendUint64(append(op.nsBuf[:0], side), uint64(ts))
	mustState("register interval join cleanup", op.timers.svc.ts.Register(state.EventTime, cleanup, op.nsBuf))
	return true
}

// processLeft joins a with the buffered right records of its key whose
// timestamp lies in [ts+lo, ts+hi] and buffers it until the watermark
// passes ts+hi: no right record still to come (none below the watermark)
// can match it then.
func (op *intervalJoinOp[A, B, K, O]) processLeft(a A, k K) {
	ts, ok := op.timestamp()
	if !ok {
		return
	}
	op.kb.setKey(k)
	op.ctx.key, op.ctx.left = k, ts
	from, to := addSat(ts, op.lo), addSat(ts, op.hi)
	mustState("read interval join buffer", op.right.Range(func(rt int64, bs []B) bool {
		if rt >= from && rt <= to {
			op.ctx.right = rt
			op.tc.SetTimestamp(max(ts, rt))
			for _, b := range bs {
				op.fn(&op.ctx, a, b, op.emit)
			}
		}
		return true
	}))
	if op.keep(leftSide, ts, addSat(to, 1)) {
		as, _, err := op.left.Get(ts)
		mustState("read interval join buffer", err)
		mustState("write interval join buffer", op.left.Put(ts, append(as, a)))
	}
}

// processRight is processLeft's mirror: b joins the buffered left records
// with a timestamp in [ts−hi, ts−lo] and waits until the watermark passes
// ts−lo.
func (op *intervalJoinOp[A, B, K, O]) processRight(b B, k K) {
	ts, ok := op.timestamp()
	if !ok {
		return
	}
	op.kb.setKey(k)
	op.ctx.key, op.ctx.right = k, ts
	from, to := addSat(ts, -op.hi), addSat(ts, -op.lo)
	mustState("read interval join buffer", op.left.Range(func(lt int64, as []A) bool {
		if lt >= from && lt <= to {
			op.ctx.left = lt
			op.tc.SetTimestamp(max(ts, lt))
			for _, a := range as {
				op.fn(&op.ctx, a, b, op.emit)
			}
		}
		return true
	}))
	if op.keep(rightSide, ts, addSat(to, 1)) {
		bs, _, err := op.right.Get(ts)
		mustState("read interval join buffer", err)
		mustState("write interval join buffer", op.right.Put(ts, append(bs, b)))
	}
}

// cleanup removes the buffer entry a timer names (the backend's current
// key is the timer's).
func (op *intervalJoinOp[A, B, K, O]) cleanup(t state.Timer) error {
	if len(t.Namespace) != 9 {
		return fmt.Errorf("interval join timer namespace of %d bytes", len(t.Namespace))
	}
	ts := int64(binary.BigEndian.Uint64(t.Namespace[1:]))
	switch t.Namespace[0] {
	case leftSide:
		return op.left.Remove(ts)
	case rightSide:
		return op.right.Remove(ts)
	}
	return fmt.Errorf("interval join timer of side %q", t.Namespace[0])
}

// advance handles the operator's input watermark: it removes what became
// unjoinable, then forwards wm.
func (op *intervalJoinOp[A, B, K, O]) advance(wm int64) {
	if err := op.timers.advanceWatermark(wm); err != nil {
		panic(err)
	}
	op.tc.EmitWatermark(wm)
}
