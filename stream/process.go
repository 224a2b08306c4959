package stream

import (
	"context"
	"errors"
	"fmt"

	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/runtime/state"
)

// KeyedProcessFunction is Flink's KeyedProcessFunction: ProcessElement
// runs for every record, OnTimer when a timer of the current key fires
// (the event-time ones when the watermark reaches them, the
// processing-time ones when the wall clock does). Both see the key, the
// timer service and the key's value state (one S) in ctx, and emit any
// number of results with out.
type KeyedProcessFunction[K comparable, T, S, O any] interface {
	ProcessElement(ctx *ProcessContext[K, S], v T, out func(O))
	OnTimer(ctx *ProcessContext[K, S], timestamp int64, out func(O))
}

// KeyedProcessFuncs makes a KeyedProcessFunction of two functions; Timer
// may be nil.
type KeyedProcessFuncs[K comparable, T, S, O any] struct {
	Element func(ctx *ProcessContext[K, S], v T, out func(O))
	Timer   func(ctx *ProcessContext[K, S], timestamp int64, out func(O))
}

// ProcessElement calls f.Element.
func (f KeyedProcessFuncs[K, T, S, O]) ProcessElement(ctx *ProcessContext[K, S], v T, out func(O)) {
	f.Element(ctx, v, out)
}

// OnTimer calls f.Timer, if set.
func (f KeyedProcessFuncs[K, T, S, O]) OnTimer(ctx *ProcessContext[K, S], ts int64, out func(O)) {
	if f.Timer != nil {
		f.Timer(ctx, ts, out)
	}
}

// ProcessContext is what a keyed process function sees: the current key,
// the record's (or firing timer's) timestamp, the timer service, the key's
// value state and the side outputs (Output).
type ProcessContext[K comparable, S any] struct {
	key    K
	sub    int
	tc     *runtime.TimeContext
	timers *TimerService
	value  *state.ValueState[S]
	sideOutputs
	timeDomain state.TimerKind // of the firing timer; 0 in ProcessElement
}

// Key is the current key.
func (c *ProcessContext[K, S]) Key() K { return c.key }

// Timestamp is the event timestamp of the record being processed, or the
// time of the firing event-time timer; false when there is none.
func (c *ProcessContext[K, S]) Timestamp() (int64, bool) { return c.tc.Timestamp() }

// TimerService registers and deletes the current key's timers.
func (c *ProcessContext[K, S]) TimerService() *TimerService { return c.timers }

// TimeDomain tells, in OnTimer, which kind of timer fires.
func (c *ProcessContext[K, S]) TimeDomain() state.TimerKind { return c.timeDomain }

// Subtask is the index of the parallel instance.
func (c *ProcessContext[K, S]) Subtask() int { return c.sub }

// Value returns the current key's state and whether it is set.
func (c *ProcessContext[K, S]) Value() (S, bool) {
	v, ok, err := c.value.Value()
	mustState("read keyed state", err)
	return v, ok
}

// Update sets the current key's state.
func (c *ProcessContext[K, S]) Update(v S) { mustState("write keyed state", c.value.Update(v)) }

// Clear removes the current key's state.
func (c *ProcessContext[K, S]) Clear() { mustState("clear keyed state", c.value.Clear()) }

// TimerService is Flink's TimerService for the current key: timers are
// kept in the keyed state backend (checkpointed, restored and rescaled
// with the key's state); one fires once per key, namespace and time, and a
// deleted one never fires.
type TimerService struct {
	ts    *state.TimerService
	tc    *runtime.TimeContext
	wm    int64
	ns    []byte
	sched func(at int64) // makes sure a processing-time callback is due by at
}

// CurrentWatermark is the operator's input watermark.
func (s *TimerService) CurrentWatermark() int64 { return s.wm }

// CurrentProcessingTime is the wall clock in Unix milliseconds.
func (s *TimerService) CurrentProcessingTime() int64 { return s.tc.ProcessingTime() }

// RegisterEventTimeTimer fires OnTimer once the watermark reaches t.
func (s *TimerService) RegisterEventTimeTimer(t int64) {
	mustState("register event-time timer", s.ts.Register(state.EventTime, t, s.ns))
}

// DeleteEventTimeTimer removes the event-time timer at t.
func (s *TimerService) DeleteEventTimeTimer(t int64) {
	mustState("delete event-time timer", s.ts.Delete(state.EventTime, t, s.ns))
}

// RegisterProcessingTimeTimer fires OnTimer once the wall clock reaches t.
func (s *TimerService) RegisterProcessingTimeTimer(t int64) {
	mustState("register processing-time timer", s.ts.Register(state.ProcessingTime, t, s.ns))
	s.sched(t)
}

// DeleteProcessingTimeTimer removes the processing-time timer at t.
func (s *TimerService) DeleteProcessingTimeTimer(t int64) {
	mustState("delete processing-time timer", s.ts.Delete(state.ProcessingTime, t, s.ns))
}

// timerDriver fires the timers of one operator subtask: event-time ones
// from ProcessWatermark, processing-time ones from task callbacks, with
// at most one callback pending (for the earliest timer).
type timerDriver struct {
	svc       *TimerService
	scheduled int64 // time of the pending callback; 0: none
	fire      func(t state.Timer) error
}

func newTimerDriver(b state.KeyedBackend, tc *runtime.TimeContext, name string) (*timerDriver, error) {
	ts, err := state.NewTimerService(b, name)
	if err != nil {
		return nil, err
	}
	d := &timerDriver{svc: &TimerService{ts: ts, tc: tc, wm: runtime.MinWatermark}}
	d.svc.sched = d.schedule
	if t, ok := ts.Next(state.ProcessingTime); ok {
		d.schedule(t) // restored timers
	}
	return d, nil
}

func (d *timerDriver) schedule(at int64) {
	if d.scheduled != 0 && d.scheduled <= at {
		return
	}
	d.scheduled = at
	d.svc.tc.AtProcessingTime(at, func(now int64) {
		if d.scheduled != at {
			return // superseded by an earlier one
		}
		d.scheduled = 0
		if err := d.svc.ts.Advance(state.ProcessingTime, now, d.fire); err != nil {
			panic(err)
		}
		if t, ok := d.svc.ts.Next(state.ProcessingTime); ok {
			d.schedule(t)
		}
	})
}

// advanceWatermark fires the event-time timers up to wm.
func (d *timerDriver) advanceWatermark(wm int64) error {
	if wm == runtime.IdleWatermark {
		return nil
	}
	d.svc.wm = wm
	return d.svc.ts.Advance(state.EventTime, wm, d.fire)
}

// KeyedProcess runs fn on a keyed stream (Flink's KeyedProcessFunction),
// with per-key value state of type S, timers and side outputs. Its state
// and timers live in the keyed state backend: hashmap without
// checkpointing, state.backend.type with it.
func KeyedProcess[T any, K comparable, S, O any](ks KeyedStream[T, K], fn KeyedProcessFunction[K, T, S, O]) Stream[O] {
	in := ks.s
	env := in.env
	oc := codecFor[O](env, "KeyedProcess")
	sc := codecFor[S](env, "KeyedProcess state")
	n := env.addNode("process", "KeyedProcess", typeName[O]())
	env.nodes[n].factory = &factory[T, O]{env: env, node: n, in: in.codec, out: oc,
		openSide: func(rc runtime.OperatorContext, emit func(O), sides sideOutputs) (*instance[T], error) {
			emit = countedEmit(rc, emit)
			kb, err := openKeyedBackend[K](context.Background(), env, rc, "KeyedProcess")
			if err != nil {
				return nil, err
			}
			ctx := &ProcessContext[K, S]{sub: rc.Subtask, tc: rc.Time, sideOutputs: sides}
			if ctx.value, err = state.NewValueState(kb.b, state.ValueDescriptor[S]{Name: "value", Codec: sc}); err != nil {
				return nil, errors.Join(fmt.Errorf("KeyedProcess: %w", err), kb.close())
			}
			d, err := newTimerDriver(kb.b, rc.Time, "process")
			if err != nil {
				return nil, errors.Join(fmt.Errorf("KeyedProcess: %w", err), kb.close())
			}
			ctx.timers = d.svc
			d.fire = func(t state.Timer) error {
				k, err := kb.currentKey()
				if err != nil {
					return err
				}
				ctx.key, ctx.timeDomain = k, t.Kind
				if t.Kind == state.EventTime {
					rc.Time.SetTimestamp(t.Time)
				} else {
					rc.Time.ClearTimestamp()
				}
				fn.OnTimer(ctx, t.Time, emit)
				ctx.timeDomain = 0
				return nil
			}
			key := ks.key
			inst := &instance[T]{in: func(v T) {
				k := key(v)
				kb.setKey(k)
				ctx.key = k
				fn.ProcessElement(ctx, v, emit)
			}, snapshot: kb.snapshot, close: kb.close}
			inst.watermark = func(wm int64) {
				if err := d.advanceWatermark(wm); err != nil {
					panic(err)
				}
				rc.Time.EmitWatermark(wm)
			}
			return inst, nil
		}}
	in.connect(n)
	return newStream(env, n, oc)
}
