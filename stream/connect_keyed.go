package stream

import (
	"context"
	"errors"
	"fmt"

	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/runtime/state"
)

// KeyedConnectedStreams are two keyed streams with the same key type, read
// by one keyed two-input operator: records of both with the same key reach
// the same parallel instance and share that key's state and timers.
type KeyedConnectedStreams[A, B any, K comparable] struct {
	a KeyedStream[A, K]
	b KeyedStream[B, K]
}

// ConnectKeyed connects two streams keyed by the same key type (Flink's
// connect followed by keyBy on both sides).
func ConnectKeyed[A, B any, K comparable](a KeyedStream[A, K], b KeyedStream[B, K]) KeyedConnectedStreams[A, B, K] {
	if a.s.env != b.s.env {
		a.s.env.fail(fmt.Errorf("connect streams from different environments"))
	}
	return KeyedConnectedStreams[A, B, K]{a: a, b: b}
}

// KeyedCoProcessFunction processes the records of two connected keyed
// streams (Flink's KeyedCoProcessFunction) with the key's value state (one
// S), its timers and side outputs in ctx; OnTimer runs when a timer of the
// key fires.
type KeyedCoProcessFunction[K comparable, A, B, S, O any] interface {
	ProcessElement1(ctx *ProcessContext[K, S], v A, out func(O))
	ProcessElement2(ctx *ProcessContext[K, S], v B, out func(O))
	OnTimer(ctx *ProcessContext[K, S], timestamp int64, out func(O))
}

// KeyedCoProcessFuncs is a KeyedCoProcessFunction made of functions; Timer
// may be nil.
type KeyedCoProcessFuncs[K comparable, A, B, S, O any] struct {
	Element1 func(ctx *ProcessContext[K, S], v A, out func(O))
	Element2 func(ctx *ProcessContext[K, S], v B, out func(O))
	Timer    func(ctx *ProcessContext[K, S], timestamp int64, out func(O))
}

// ProcessElement1 calls Element1.
func (f KeyedCoProcessFuncs[K, A, B, S, O]) ProcessElement1(ctx *ProcessContext[K, S], v A, out func(O)) {
	f.Element1(ctx, v, out)
}

// ProcessElement2 calls Element2.
func (f KeyedCoProcessFuncs[K, A, B, S, O]) ProcessElement2(ctx *ProcessContext[K, S], v B, out func(O)) {
	f.Element2(ctx, v, out)
}

// OnTimer calls Timer, if set.
func (f KeyedCoProcessFuncs[K, A, B, S, O]) OnTimer(ctx *ProcessContext[K, S], ts int64, out func(O)) {
	if f.Timer != nil {
		f.Timer(ctx, ts, out)
	}
}

// KeyedCoProcess runs fn over the records of both keyed streams. The key's
// state and timers, which both inputs share, live in the keyed state
// backend like KeyedProcess's: checkpointed, restored and rescaled by key
// group. Event-time timers fire when the operator's watermark — the
// minimum of both inputs' — reaches them.
func KeyedCoProcess[A, B any, K comparable, S, O any](c KeyedConnectedStreams[A, B, K], fn KeyedCoProcessFunction[K, A, B, S, O]) Stream[O] {
	env := c.a.s.env
	oc := codecFor[O](env, "KeyedCoProcess")
	sc := codecFor[S](env, "KeyedCoProcess state")
	n := addCoOperator(c.a.s, c.b.s, "coprocess", "KeyedCoProcess", oc, func(rc runtime.OperatorContext, emit func(O), sides sideOutputs) (*coInstance[A, B], error) {
		emit = countedEmit(rc, emit)
		kc, err := openKeyedCore[K](env, rc, sides, sc, "KeyedCoProcess")
		if err != nil {
			return nil, err
		}
		kc.onTimer = func(ts int64) { fn.OnTimer(kc.ctx, ts, emit) }
		ka, kb := c.a.key, c.b.key
		return &coInstance[A, B]{
			instance: &instance[A]{in: func(v A) {
				kc.setKey(ka(v))
				fn.ProcessElement1(kc.ctx, v, emit)
			}, snapshot: kc.kb.snapshot, close: kc.kb.close, watermark: kc.advance},
			in2: func(v B) {
				kc.setKey(kb(v))
				fn.ProcessElement2(kc.ctx, v, emit)
			},
		}, nil
	})
	return newStream(env, n, oc)
}

// keyedCore is the keyed part of a keyed two-input operator subtask: its
// backend, the value state and timers, and the ProcessContext its
// functions see.
type keyedCore[K comparable, S any] struct {
	kb      *keyedBackend[K]
	ctx     *ProcessContext[K, S]
	d       *timerDriver
	tc      *runtime.TimeContext
	onTimer func(ts int64)
}

// openKeyedCore opens (and restores) the keyed part of an operator subtask.
func openKeyedCore[K comparable, S any](env *Environment, rc runtime.OperatorContext, sides sideOutputs, sc runtime.Codec[S], name string) (*keyedCore[K, S], error) {
	kb, err := openKeyedBackend[K](context.Background(), env, rc, name)
	if err != nil {
		return nil, err
	}
	c := &keyedCore[K, S]{kb: kb, tc: rc.Time, ctx: &ProcessContext[K, S]{sub: rc.Subtask, tc: rc.Time, sideOutputs: sides}}
	if c.ctx.value, err = state.NewValueState(kb.b, state.ValueDescriptor[S]{Name: "value", Codec: sc}); err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", name, err), kb.close())
	}
	if c.d, err = newTimerDriver(kb.b, rc.Time, "timers"); err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", name, err), kb.close())
	}
	c.ctx.timers = c.d.svc
	c.d.fire = c.fire
	return c, nil
}

// setKey makes k the current key of the backend and the context.
func (c *keyedCore[K, S]) setKey(k K) {
	c.kb.setKey(k)
	c.ctx.key = k
}

// fire runs the function's OnTimer for a firing timer (the backend's
// current key is the timer's).
func (c *keyedCore[K, S]) fire(t state.Timer) error {
	k, err := c.kb.currentKey()
	if err != nil {
		return err
	}
	c.ctx.key, c.ctx.timeDomain = k, t.Kind
	if c.tc != nil {
		if t.Kind == state.EventTime {
			c.tc.SetTimestamp(t.Time)
		} else {
			c.tc.ClearTimestamp()
		}
	}
	if c.onTimer != nil {
		c.onTimer(t.Time)
	}
	c.ctx.timeDomain = 0
	return nil
}

// advance handles the operator's input watermark: it fires the event-time
// timers up to wm, then forwards wm.
func (c *keyedCore[K, S]) advance(wm int64) {
	if err := c.d.advanceWatermark(wm); err != nil {
		panic(err)
	}
	if c.tc != nil {
		c.tc.EmitWatermark(wm)
	}
}
