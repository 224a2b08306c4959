package stream

import (
	"fmt"
	"math"

	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/runtime/state"
)

// TriggerContext is what a Trigger sees: the time, timers of the current
// key and window, and small per-window state (int64 values by name).
type TriggerContext struct {
	op     windowHooks
	w      TimeWindow
	merged []TimeWindow
}

// windowHooks is the untyped part of the window operator that triggers
// use.
type windowHooks interface {
	watermark() int64
	now() int64
	register(kind state.TimerKind, t int64, w TimeWindow)
	remove(kind state.TimerKind, t int64, w TimeWindow)
	state(w TimeWindow, name string) (int64, bool)
	setState(w TimeWindow, name string, v int64)
	clearState(w TimeWindow, name string)
}

// CurrentWatermark is the operator's input watermark.
func (c *TriggerContext) CurrentWatermark() int64 { return c.op.watermark() }

// CurrentProcessingTime is the wall clock in Unix milliseconds.
func (c *TriggerContext) CurrentProcessingTime() int64 { return c.op.now() }

// RegisterEventTimeTimer calls OnEventTime for the window at t.
func (c *TriggerContext) RegisterEventTimeTimer(t int64) { c.op.register(state.EventTime, t, c.w) }

// DeleteEventTimeTimer removes the window's event-time timer at t.
func (c *TriggerContext) DeleteEventTimeTimer(t int64) { c.op.remove(state.EventTime, t, c.w) }

// RegisterProcessingTimeTimer calls OnProcessingTime for the window at t.
func (c *TriggerContext) RegisterProcessingTimeTimer(t int64) {
	c.op.register(state.ProcessingTime, t, c.w)
}

// DeleteProcessingTimeTimer removes the window's processing-time timer.
func (c *TriggerContext) DeleteProcessingTimeTimer(t int64) {
	c.op.remove(state.ProcessingTime, t, c.w)
}

// State returns the window's trigger value called name.
func (c *TriggerContext) State(name string) (int64, bool) { return c.op.state(c.w, name) }

// SetState sets the window's trigger value called name.
func (c *TriggerContext) SetState(name string, v int64) { c.op.setState(c.w, name, v) }

// ClearState removes the window's trigger value called name.
func (c *TriggerContext) ClearState(name string) { c.op.clearState(c.w, name) }

// MergedWindows are, in OnMerge, the windows merged into the current one.
func (c *TriggerContext) MergedWindows() []TimeWindow { return c.merged }

func (c *TriggerContext) stateOf(w TimeWindow, name string) (int64, bool) { return c.op.state(w, name) }

// WindowContext is what a window function sees when a window fires: the
// key, the window, the time, and side outputs (Output).
type WindowContext[K comparable] struct {
	key K
	w   TimeWindow
	op  windowHooks
	sideOutputs
}

// Key is the window's key.
func (c *WindowContext[K]) Key() K { return c.key }

// Window is the firing window.
func (c *WindowContext[K]) Window() TimeWindow { return c.w }

// CurrentWatermark is the operator's input watermark.
func (c *WindowContext[K]) CurrentWatermark() int64 { return c.op.watermark() }

// CurrentProcessingTime is the wall clock in Unix milliseconds.
func (c *WindowContext[K]) CurrentProcessingTime() int64 { return c.op.now() }

// windowOp is one subtask of a window operator (Flink's WindowOperator):
// window contents, trigger state, the session windows of each key and
// the timers are keyed state, so they are checkpointed, restored and
// rescaled like any other.
type windowOp[T any, K comparable, ACC, O any] struct {
	kb       *keyedBackend[K]
	tc       *runtime.TimeContext
	assigner WindowAssigner
	trigger  Trigger
	lateness int64
	lateOut  func(T)
	contents windowContents[T, ACC]
	result   func(ctx *WindowContext[K], acc ACC, out func(O))
	emit     func(O)
	timers   *timerDriver
	trig     *state.ValueState[int64]
	sessions *state.ValueState[[]TimeWindow]
	tctx     TriggerContext
	wctx     WindowContext[K]
	nsBuf    []byte
	wins     []TimeWindow
	trigKeys map[string]bool
}

func (op *windowOp[T, K, ACC, O]) watermark() int64 { return op.timers.svc.wm }
func (op *windowOp[T, K, ACC, O]) now() int64       { return op.tc.ProcessingTime() }

func (op *windowOp[T, K, ACC, O]) ns(w TimeWindow) []byte {
	op.nsBuf = windowBytes(op.nsBuf[:0], w)
	return op.nsBuf
}

func (op *windowOp[T, K, ACC, O]) register(kind state.TimerKind, t int64, w TimeWindow) {
	mustState("register window timer", op.timers.svc.ts.Register(kind, t, op.ns(w)))
	if kind == state.ProcessingTime {
		op.timers.schedule(t)
	}
}

func (op *windowOp[T, K, ACC, O]) remove(kind state.TimerKind, t int64, w TimeWindow) {
	mustState("delete window timer", op.timers.svc.ts.Delete(kind, t, op.ns(w)))
}

func (op *windowOp[T, K, ACC, O]) trigNS(w TimeWindow, name string) {
	op.trigKeys[name] = true
	op.trig.SetNamespace(append(op.ns(w), name...))
}

func (op *windowOp[T, K, ACC, O]) state(w TimeWindow, name string) (int64, bool) {
	op.trigNS(w, name)
	v, ok, err := op.trig.Value()
	mustState("read trigger state", err)
	return v, ok
}

func (op *windowOp[T, K, ACC, O]) setState(w TimeWindow, name string, v int64) {
	op.trigNS(w, name)
	mustState("write trigger state", op.trig.Update(v))
}

func (op *windowOp[T, K, ACC, O]) clearState(w TimeWindow, name string) {
	op.trigNS(w, name)
	mustState("clear trigger state", op.trig.Clear())
}

// cleanupTime is when a window's state goes: the end of its allowed
// lateness (event time) or its end (processing time).
func (op *windowOp[T, K, ACC, O]) cleanupTime(w TimeWindow) int64 {
	t := w.MaxTimestamp()
	if op.assigner.eventTime {
		if t > math.MaxInt64-op.lateness {
			return math.MaxInt64
		}
		t += op.lateness
	}
	return t
}

// late reports whether window w is past its allowed lateness: its max
// timestamp + allowed lateness <= the watermark.
func (op *windowOp[T, K, ACC, O]) late(w TimeWindow) bool {
	return op.assigner.eventTime && op.cleanupTime(w) <= op.watermark()
}

func (op *windowOp[T, K, ACC, O]) registerCleanup(w TimeWindow) {
	if w == globalWindow {
		return
	}
	if op.assigner.eventTime {
		op.register(state.EventTime, op.cleanupTime(w), w)
	} else {
		op.register(state.ProcessingTime, op.cleanupTime(w), w)
	}
}

// processElement assigns v (of key k) to its windows.
func (op *windowOp[T, K, ACC, O]) processElement(v T, k K) {
	op.kb.setKey(k)
	op.wctx.key = k
	var ts int64
	if op.assigner.eventTime {
		t, ok := op.tc.Timestamp()
		if !ok {
			panic(fmt.Errorf("event-time window: a record without timestamp (assign them with AssignTimestampsAndWatermarks)"))
		}
		ts = t
	} else {
		ts = op.tc.ProcessingTime()
	}
	op.wins = op.assigner.assign(ts, op.wins[:0])
	skipped := true
	for _, w := range op.wins {
		if op.assigner.merging() {
			var ok bool
			if w, ok = op.mergeWindow(w); !ok {
				continue
			}
		} else if op.late(w) {
			continue
		}
		skipped = false
		op.contents.setWindow(op.ns(w))
		mustState("add to window", op.contents.add(v))
		op.tctx.w, op.tctx.merged = w, nil
		res := op.trigger.OnElement(ts, w, &op.tctx)
		op.apply(res, w)
		op.registerCleanup(w)
	}
	if skipped && op.assigner.eventTime && op.lateOut != nil && ts+op.lateness <= op.watermark() {
		op.lateOut(v) // late: every window it belongs to is gone
	}
}

// apply fires and/or purges window w as the trigger decided.
func (op *windowOp[T, K, ACC, O]) apply(res TriggerResult, w TimeWindow) {
	if res.fire() {
		op.contents.setWindow(op.ns(w))
		acc, ok, err := op.contents.get()
		mustState("read window", err)
		if ok {
			op.tc.SetTimestamp(w.MaxTimestamp())
			op.wctx.w = w
			op.result(&op.wctx, acc, op.emit)
		}
	}
	if res.purge() {
		op.contents.setWindow(op.ns(w))
		mustState("purge window", op.contents.clear())
	}
}

// mergeWindow adds session window w to the key's sessions, merging the
// ones it overlaps or touches, and returns the resulting window; false
// when that window is already late (nothing changes then).
func (op *windowOp[T, K, ACC, O]) mergeWindow(w TimeWindow) (TimeWindow, bool) {
	set, _, err := op.sessions.Value()
	mustState("read session windows", err)
	cover := w
	merged := make([]bool, len(set))
	for changed := true; changed; {
		changed = false
		for i, s := range set {
			if !merged[i] && s.intersects(cover) {
				merged[i], changed = true, true
				cover = cover.cover(s)
			}
		}
	}
	if op.late(cover) {
		return cover, false
	}
	var keep, gone []TimeWindow
	inSet := false
	for i, s := range set {
		switch {
		case !merged[i]:
			keep = append(keep, s)
		case s == cover:
			inSet = true
		default:
			gone = append(gone, s)
		}
	}
	if len(gone) > 0 {
		froms := make([][]byte, len(gone))
		for i, g := range gone {
			froms[i] = windowBytes(nil, g)
		}
		mustState("merge windows", op.contents.merge(windowBytes(nil, cover), froms))
		op.tctx.w, op.tctx.merged = cover, gone
		op.trigger.OnMerge(cover, &op.tctx)
		for _, g := range gone {
			op.tctx.w, op.tctx.merged = g, nil
			op.trigger.Clear(g, &op.tctx)
			for name := range op.trigKeys {
				op.clearState(g, name)
			}
			op.remove(state.EventTime, op.cleanupTime(g), g)
			op.remove(state.ProcessingTime, op.cleanupTime(g), g)
		}
	}
	if len(gone) > 0 || !inSet {
		mustState("write session windows", op.sessions.Update(append(keep, cover)))
	}
	return cover, true
}

// onTimer runs a window timer (the backend's current key is the timer's).
func (op *windowOp[T, K, ACC, O]) onTimer(t state.Timer) error {
	w, err := parseWindowBytes(t.Namespace)
	if err != nil {
		return err
	}
	k, err := op.kb.currentKey()
	if err != nil {
		return err
	}
	op.wctx.key = k
	if op.assigner.merging() {
		set, _, err := op.sessions.Value()
		if err != nil {
			return err
		}
		found := false
		for _, s := range set {
			found = found || s == w
		}
		if !found {
			return nil // merged away
		}
	}
	op.tctx.w, op.tctx.merged = w, nil
	var res TriggerResult
	if t.Kind == state.EventTime {
		res = op.trigger.OnEventTime(t.Time, w, &op.tctx)
	} else {
		res = op.trigger.OnProcessingTime(t.Time, w, &op.tctx)
	}
	op.apply(res, w)
	cleanupKind := state.ProcessingTime
	if op.assigner.eventTime {
		cleanupKind = state.EventTime
	}
	if w != globalWindow && t.Kind == cleanupKind && t.Time == op.cleanupTime(w) {
		op.clearAll(w)
	}
	return nil
}

// clearAll drops everything of window w.
func (op *windowOp[T, K, ACC, O]) clearAll(w TimeWindow) {
	op.contents.setWindow(op.ns(w))
	mustState("clear window", op.contents.clear())
	op.tctx.w, op.tctx.merged = w, nil
	op.trigger.Clear(w, &op.tctx)
	for name := range op.trigKeys {
		op.clearState(w, name)
	}
	if op.assigner.merging() {
		set, _, err := op.sessions.Value()
		mustState("read session windows", err)
		keep := set[:0]
		for _, s := range set {
			if s != w {
				keep = append(keep, s)
			}
		}
		if len(keep) == 0 {
			mustState("clear session windows", op.sessions.Clear())
		} else {
			mustState("write session windows", op.sessions.Update(keep))
		}
	}
}

// advance handles the operator's input watermark: it fires the event-time
// timers up to wm, then forwards wm.
func (op *windowOp[T, K, ACC, O]) advance(wm int64) {
	if err := op.timers.advanceWatermark(wm); err != nil {
		panic(err)
	}
	op.tc.EmitWatermark(wm)
}
