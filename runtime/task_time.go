package runtime

import (
	"time"
)

// taskWatermarks is a task's part in event time: the time its operators
// share, the valve over its input channels, and where each operator's
// watermarks go (chained operators, network outputs).
type taskWatermarks struct {
	time     *taskTime
	valve    *WatermarkValve // nil in a source task
	tsEdge   []bool          // by job edge index: records carry timestamps
	chainOut map[int][]int
	netOut   map[int][]*RecordOutput
	timer    *time.Timer
	timerAt  time.Time
}

func (t *task) initTime() {
	t.tm.time = &taskTime{now: time.Now, forward: t.forwardWatermark}
	t.tm.chainOut = map[int][]int{}
	t.tm.netOut = map[int][]*RecordOutput{}
	for _, e := range t.g.Inputs(t.v.Index) {
		for len(t.tm.tsEdge) <= e.Index {
			t.tm.tsEdge = append(t.tm.tsEdge, false)
		}
		t.tm.tsEdge[e.Index] = e.Timestamps
	}
}

// valveOut forwards what the input valve decided to the chain head.
func (t *task) valveOut(o ValveOutput) {
	head := t.v.Operators[0]
	if o.Idle {
		t.watermarkTo(head, IdleWatermark)
	}
	if o.Advanced {
		t.watermarkTo(head, o.Watermark)
	}
}

// watermarkTo hands wm to operator node: its ProcessWatermark, or
// straight on when it has none.
func (t *task) watermarkTo(node int, wm int64) {
	if h, ok := t.ops[node].(WatermarkHandler); ok {
		prev := t.current
		t.current = t.g.Operators[node].Node.Name
		h.ProcessWatermark(wm)
		t.current = prev
		return
	}
	t.forwardWatermark(node, wm)
}

// forwardWatermark sends wm from operator node to its chained operators
// and, in-band after the records emitted before it, to its outputs with
// timestamps. A watermark not newer than the last sent on an output is
// dropped; IdleWatermark is sent once until a watermark follows.
func (t *task) forwardWatermark(node int, wm int64) {
	for _, to := range t.tm.chainOut[node] {
		t.watermarkTo(to, wm)
	}
	for _, o := range t.tm.netOut[node] {
		if !o.Edge.Timestamps {
			continue
		}
		if wm == IdleWatermark {
			if o.idleSent {
				continue
			}
			o.idleSent = true
		} else {
			if wm <= o.lastWM {
				continue
			}
			o.lastWM, o.idleSent = wm, false
		}
		if err := o.Broadcast(Event{Kind: Watermark, Timestamp: wm}); err != nil {
			panic(abort{err})
		}
	}
}

// timerC is the channel of the task's processing-time timer, armed for
// the earliest callback; nil when none is pending.
func (tm *taskWatermarks) timerC() <-chan time.Time {
	at, ok := tm.time.nextDue()
	if !ok {
		return nil
	}
	if tm.timer == nil {
		tm.timer = time.NewTimer(time.Until(at))
		tm.timerAt = at
	} else if !at.Equal(tm.timerAt) {
		tm.timer.Stop()
		tm.timer.Reset(time.Until(at))
		tm.timerAt = at
	}
	return tm.timer.C
}
