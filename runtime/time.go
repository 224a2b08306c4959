package runtime

import (
	"container/heap"
	"encoding/binary"
	"fmt"
	"time"
)

// taskTime is a task's time: the event timestamp of the record being
// processed (the slot every operator of the chain shares, like Flink's
// StreamRecord timestamp), how watermarks leave an operator, and the
// processing-time callbacks that the task goroutine runs when due.
type taskTime struct {
	ts    int64
	hasTS bool
	// forward sends a watermark (or IdleWatermark) downstream of node.
	forward func(node int, wm int64)
	now     func() time.Time
	timers  procHeap
	seq     int64
}

// TimeContext is one operator's view of its task's time. It is used on
// the task goroutine only: from the operator's input function, its
// ProcessWatermark and the callbacks it registered.
type TimeContext struct {
	t    *taskTime
	node int
}

// Timestamp returns the event timestamp of the current record and whether
// it has one.
func (c *TimeContext) Timestamp() (int64, bool) { return c.t.ts, c.t.hasTS }

// SetTimestamp gives the records emitted from now on (until the next
// input record) event timestamp ts.
func (c *TimeContext) SetTimestamp(ts int64) { c.t.ts, c.t.hasTS = ts, true }

// ClearTimestamp makes the records emitted from now on carry none.
func (c *TimeContext) ClearTimestamp() { c.t.hasTS = false }

// EmitWatermark sends wm (or IdleWatermark) to the operators after this
// one: chained operators at once, other tasks in-band after the records
// emitted before it.
func (c *TimeContext) EmitWatermark(wm int64) { c.t.forward(c.node, wm) }

// ProcessingTime is the current wall-clock time in Unix milliseconds.
func (c *TimeContext) ProcessingTime() int64 { return c.t.now().UnixMilli() }

// AtProcessingTime calls fn(now) on the task goroutine once the wall
// clock reaches at (Unix milliseconds), between records. Registrations
// do not replace each other; an operator keeps at most a few pending.
func (c *TimeContext) AtProcessingTime(at int64, fn func(now int64)) {
	c.t.seq++
	heap.Push(&c.t.timers, procTimer{at: at, seq: c.t.seq, fn: fn})
}

// NewTestTimeContext returns a TimeContext for testing an operator alone:
// its watermarks go to forward, its clock is now, and FireProcessingTimers
// runs its due callbacks.
func NewTestTimeContext(forward func(wm int64), now func() time.Time) *TimeContext {
	return &TimeContext{t: &taskTime{forward: func(_ int, wm int64) { forward(wm) }, now: now}}
}

// FireProcessingTimers runs the callbacks due at the context's clock (for
// tests; tasks do it themselves).
func (c *TimeContext) FireProcessingTimers() { c.t.fireDue() }

// fireDue runs every callback due now, in time order.
func (t *taskTime) fireDue() {
	if len(t.timers) == 0 {
		return
	}
	now := t.now().UnixMilli()
	for len(t.timers) > 0 && t.timers[0].at <= now {
		pt := heap.Pop(&t.timers).(procTimer)
		pt.fn(now)
	}
}

// nextDue is the earliest callback time.
func (t *taskTime) nextDue() (time.Time, bool) {
	if len(t.timers) == 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(t.timers[0].at), true
}

type procTimer struct {
	at, seq int64
	fn      func(now int64)
}

type procHeap []procTimer

func (h procHeap) Len() int { return len(h) }
func (h procHeap) Less(i, j int) bool {
	return h[i].at < h[j].at || (h[i].at == h[j].at && h[i].seq < h[j].seq)
}
func (h procHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *procHeap) Push(x any)   { *h = append(*h, x.(procTimer)) }
func (h *procHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	*h = old[:len(old)-1]
	return p
}

// WatermarkHandler is implemented by operators that take part in event
// time (timers, windows, watermark assigners): the task calls
// ProcessWatermark, on its goroutine, when the operator's input watermark
// advances (or IdleWatermark when its input went idle), and the operator
// forwards what it wants with TimeContext.EmitWatermark. Operators without
// it forward every watermark unchanged.
type WatermarkHandler interface {
	ProcessWatermark(wm int64)
}

// Records on an edge with timestamps (graph.JobEdge.Timestamps) carry
// their event timestamp in front of the codec bytes:
//
//	+----------------------------+--------------+
//	| timestamp, 8 B little-end. | record bytes |
//	| (MinInt64: none)           |              |
//	+----------------------------+--------------+
const timestampSize = 8

// timestampCodec wraps a record codec for an edge with timestamps.
type timestampCodec[T any] struct {
	c Codec[T]
	t *taskTime
}

func (tc timestampCodec[T]) Append(dst []byte, v T) []byte {
	ts := MinWatermark
	if tc.t.hasTS {
		ts = tc.t.ts
	}
	return tc.c.Append(binary.LittleEndian.AppendUint64(dst, uint64(ts)), v)
}

func (tc timestampCodec[T]) Decode(src []byte) (T, int, error) {
	var zero T
	if len(src) < timestampSize {
		return zero, 0, fmt.Errorf("%w: record of %d bytes has no timestamp", ErrCorruptRecord, len(src))
	}
	v, n, err := tc.c.Decode(src[timestampSize:])
	return v, n + timestampSize, err
}

// splitTimestamp reads the timestamp in front of a record of an edge with
// timestamps into t and returns the record bytes.
func (t *taskTime) splitTimestamp(rec []byte) ([]byte, error) {
	if len(rec) < timestampSize {
		return nil, fmt.Errorf("%w: record of %d bytes has no timestamp", ErrCorruptRecord, len(rec))
	}
	ts := int64(binary.LittleEndian.Uint64(rec))
	t.ts, t.hasTS = ts, ts != MinWatermark
	return rec[timestampSize:], nil
}
