package stream

import (
	"fmt"
	"time"
)

// TriggerResult is what a trigger decides for a window (Flink's
// TriggerResult): fire (emit the window's result), purge (drop its
// contents), both, or nothing.
type TriggerResult uint8

// The trigger results.
const (
	Continue TriggerResult = iota
	Fire
	Purge
	FireAndPurge
)

func (r TriggerResult) fire() bool  { return r == Fire || r == FireAndPurge }
func (r TriggerResult) purge() bool { return r == Purge || r == FireAndPurge }

// Trigger decides when a window fires (Flink's Trigger). Its methods run
// for one key and window, with c giving timers and small per-window state.
type Trigger interface {
	OnElement(ts int64, w TimeWindow, c *TriggerContext) TriggerResult
	OnEventTime(t int64, w TimeWindow, c *TriggerContext) TriggerResult
	OnProcessingTime(t int64, w TimeWindow, c *TriggerContext) TriggerResult
	// OnMerge runs when session windows merged into w
	// (c.MergedWindows); it re-registers timers and folds state.
	OnMerge(w TimeWindow, c *TriggerContext)
	// Clear removes the trigger's timers and state of w.
	Clear(w TimeWindow, c *TriggerContext)
}

type eventTimeTrigger struct{}

// EventTimeTrigger fires a window once the watermark passes its end (the
// default of event-time windows); with allowed lateness every late record
// fires it again.
func EventTimeTrigger() Trigger { return eventTimeTrigger{} }

func (eventTimeTrigger) OnElement(_ int64, w TimeWindow, c *TriggerContext) TriggerResult {
	if w.MaxTimestamp() <= c.CurrentWatermark() {
		return Fire // a late record within the allowed lateness
	}
	c.RegisterEventTimeTimer(w.MaxTimestamp())
	return Continue
}

func (eventTimeTrigger) OnEventTime(t int64, w TimeWindow, _ *TriggerContext) TriggerResult {
	if t == w.MaxTimestamp() {
		return Fire
	}
	return Continue
}

func (eventTimeTrigger) OnProcessingTime(int64, TimeWindow, *TriggerContext) TriggerResult {
	return Continue
}

func (eventTimeTrigger) OnMerge(w TimeWindow, c *TriggerContext) {
	if w.MaxTimestamp() > c.CurrentWatermark() {
		c.RegisterEventTimeTimer(w.MaxTimestamp())
	}
}

func (eventTimeTrigger) Clear(w TimeWindow, c *TriggerContext) {
	c.DeleteEventTimeTimer(w.MaxTimestamp())
}

type processingTimeTrigger struct{}

// ProcessingTimeTrigger fires a window when the wall clock passes its end
// (the default of processing-time windows).
func ProcessingTimeTrigger() Trigger { return processingTimeTrigger{} }

func (processingTimeTrigger) OnElement(_ int64, w TimeWindow, c *TriggerContext) TriggerResult {
	c.RegisterProcessingTimeTimer(w.MaxTimestamp())
	return Continue
}

func (processingTimeTrigger) OnEventTime(int64, TimeWindow, *TriggerContext) TriggerResult {
	return Continue
}

func (processingTimeTrigger) OnProcessingTime(t int64, w TimeWindow, _ *TriggerContext) TriggerResult {
	if t == w.MaxTimestamp() {
		return Fire
	}
	return Continue
}

func (processingTimeTrigger) OnMerge(w TimeWindow, c *TriggerContext) {
	c.RegisterProcessingTimeTimer(w.MaxTimestamp())
}

func (processingTimeTrigger) Clear(w TimeWindow, c *TriggerContext) {
	c.DeleteProcessingTimeTimer(w.MaxTimestamp())
}

type countTrigger struct{ n int64 }

// CountTrigger fires a window every n records.
func CountTrigger(n int64) Trigger { return countTrigger{n: n} }

const countState = "count"

func (t countTrigger) OnElement(_ int64, _ TimeWindow, c *TriggerContext) TriggerResult {
	n, _ := c.State(countState)
	n++
	if n >= t.n {
		c.ClearState(countState)
		return Fire
	}
	c.SetState(countState, n)
	return Continue
}

func (countTrigger) OnEventTime(int64, TimeWindow, *TriggerContext) TriggerResult { return Continue }
func (countTrigger) OnProcessingTime(int64, TimeWindow, *TriggerContext) TriggerResult {
	return Continue
}

func (t countTrigger) OnMerge(_ TimeWindow, c *TriggerContext) {
	var sum int64
	for _, m := range c.MergedWindows() {
		n, _ := c.stateOf(m, countState)
		sum += n
	}
	if sum > 0 {
		c.SetState(countState, sum)
	}
}

func (countTrigger) Clear(_ TimeWindow, c *TriggerContext) { c.ClearState(countState) }

type purgingTrigger struct{ t Trigger }

// PurgingTrigger turns every Fire of t into FireAndPurge.
func PurgingTrigger(t Trigger) Trigger { return purgingTrigger{t: t} }

func purge(r TriggerResult) TriggerResult {
	if r.fire() {
		return FireAndPurge
	}
	return r
}

func (p purgingTrigger) OnElement(ts int64, w TimeWindow, c *TriggerContext) TriggerResult {
	return purge(p.t.OnElement(ts, w, c))
}

func (p purgingTrigger) OnEventTime(t int64, w TimeWindow, c *TriggerContext) TriggerResult {
	return purge(p.t.OnEventTime(t, w, c))
}

func (p purgingTrigger) OnProcessingTime(t int64, w TimeWindow, c *TriggerContext) TriggerResult {
	return purge(p.t.OnProcessingTime(t, w, c))
}

func (p purgingTrigger) OnMerge(w TimeWindow, c *TriggerContext) { p.t.OnMerge(w, c) }
func (p purgingTrigger) Clear(w TimeWindow, c *TriggerContext)   { p.t.Clear(w, c) }

type continuousEventTimeTrigger struct{ interval int64 }

// ContinuousEventTimeTrigger fires a window every interval of event time
// (aligned to the epoch) and at its end.
func ContinuousEventTimeTrigger(interval time.Duration) Trigger {
	return continuousEventTimeTrigger{interval: max(interval.Milliseconds(), 1)}
}

const fireState = "next-fire"

func (t continuousEventTimeTrigger) OnElement(ts int64, w TimeWindow, c *TriggerContext) TriggerResult {
	if w.MaxTimestamp() <= c.CurrentWatermark() {
		return Fire
	}
	c.RegisterEventTimeTimer(w.MaxTimestamp())
	if _, ok := c.State(fireState); !ok {
		next := WindowStart(ts, t.interval) + t.interval
		c.RegisterEventTimeTimer(next)
		c.SetState(fireState, next)
	}
	return Continue
}

func (t continuousEventTimeTrigger) OnEventTime(at int64, w TimeWindow, c *TriggerContext) TriggerResult {
	if at == w.MaxTimestamp() {
		return Fire
	}
	if next, ok := c.State(fireState); ok && next == at {
		c.ClearState(fireState)
		c.RegisterEventTimeTimer(at + t.interval)
		c.SetState(fireState, at+t.interval)
		return Fire
	}
	return Continue
}

func (continuousEventTimeTrigger) OnProcessingTime(int64, TimeWindow, *TriggerContext) TriggerResult {
	return Continue
}

func (t continuousEventTimeTrigger) OnMerge(w TimeWindow, c *TriggerContext) {
	var next int64
	found := false
	for _, m := range c.MergedWindows() {
		if n, ok := c.stateOf(m, fireState); ok && (!found || n < next) {
			next, found = n, true
		}
	}
	if found {
		c.SetState(fireState, next)
		c.RegisterEventTimeTimer(next)
	}
	if w.MaxTimestamp() > c.CurrentWatermark() {
		c.RegisterEventTimeTimer(w.MaxTimestamp())
	}
}

func (continuousEventTimeTrigger) Clear(w TimeWindow, c *TriggerContext) {
	if next, ok := c.State(fireState); ok {
		c.DeleteEventTimeTimer(next)
	}
	c.ClearState(fireState)
	c.DeleteEventTimeTimer(w.MaxTimestamp())
}

type continuousProcessingTimeTrigger struct{ interval int64 }

// ContinuousProcessingTimeTrigger fires a window every interval of
// processing time and when the wall clock passes its end (Flink's
// ContinuousProcessingTimeTrigger). Firings are aligned to the epoch: the
// first is at the interval boundary after the processing time of the
// window's first record, then one every interval. The next firing time
// is keyed state of the window, so it survives checkpoints and restores.
func ContinuousProcessingTimeTrigger(interval time.Duration) Trigger {
	return continuousProcessingTimeTrigger{interval: max(interval.Milliseconds(), 1)}
}

func (t continuousProcessingTimeTrigger) OnElement(_ int64, w TimeWindow, c *TriggerContext) TriggerResult {
	// The record's timestamp is event time on an event-time window; the
	// firings follow the clock whatever the window.
	c.RegisterProcessingTimeTimer(w.MaxTimestamp())
	if _, ok := c.State(fireState); !ok {
		next := WindowStart(c.CurrentProcessingTime(), t.interval) + t.interval
		c.RegisterProcessingTimeTimer(next)
		c.SetState(fireState, next)
	}
	return Continue
}

func (continuousProcessingTimeTrigger) OnEventTime(int64, TimeWindow, *TriggerContext) TriggerResult {
	return Continue
}

func (t continuousProcessingTimeTrigger) OnProcessingTime(at int64, w TimeWindow, c *TriggerContext) TriggerResult {
	res := Continue
	if at == w.MaxTimestamp() {
		res = Fire
	}
	// A boundary at the window's end fires it once, not twice.
	if next, ok := c.State(fireState); ok && next == at {
		c.RegisterProcessingTimeTimer(at + t.interval)
		c.SetState(fireState, at+t.interval)
		res = Fire
	}
	return res
}

func (t continuousProcessingTimeTrigger) OnMerge(w TimeWindow, c *TriggerContext) {
	// w may be one of the sessions merged (its own firing time counts).
	next, found := c.State(fireState)
	for _, m := range c.MergedWindows() {
		if n, ok := c.stateOf(m, fireState); ok && (!found || n < next) {
			next, found = n, true
		}
	}
	if found {
		c.SetState(fireState, next)
		c.RegisterProcessingTimeTimer(next)
	}
	c.RegisterProcessingTimeTimer(w.MaxTimestamp())
}

func (continuousProcessingTimeTrigger) Clear(w TimeWindow, c *TriggerContext) {
	if next, ok := c.State(fireState); ok {
		c.DeleteProcessingTimeTimer(next)
	}
	c.ClearState(fireState)
	c.DeleteProcessingTimeTimer(w.MaxTimestamp())
}

// neverTrigger never fires (GlobalWindows without a trigger).
type neverTrigger struct{}

func (neverTrigger) OnElement(int64, TimeWindow, *TriggerContext) TriggerResult   { return Continue }
func (neverTrigger) OnEventTime(int64, TimeWindow, *TriggerContext) TriggerResult { return Continue }
func (neverTrigger) OnProcessingTime(int64, TimeWindow, *TriggerContext) TriggerResult {
	return Continue
}
func (neverTrigger) OnMerge(TimeWindow, *TriggerContext) {}
func (neverTrigger) Clear(TimeWindow, *TriggerContext)   {}

func (r TriggerResult) String() string {
	switch r {
	case Continue:
		return "CONTINUE"
	case Fire:
		return "FIRE"
	case Purge:
		return "PURGE"
	case FireAndPurge:
		return "FIRE_AND_PURGE"
	}
	return fmt.Sprintf("TriggerResult(%d)", uint8(r))
}
