package metrics

import (
	"math"
	"sync/atomic"
	"time"
)

// TaskIO is a task's input/output figures. The task goroutine adds to the
// plain fields on its per-record and per-buffer paths and calls Publish
// between batches; reporters read the published values only.
type TaskIO struct {
	// Task goroutine only.
	RecordsIn, BytesIn   int64
	RecordsOut, BytesOut int64
	// IdleNanos is time spent waiting for input, BackPressuredNanos time
	// spent blocked handing buffers downstream.
	IdleNanos, BackPressuredNanos int64

	pub struct {
		recordsIn, bytesIn, recordsOut, bytesOut, idle, bp atomic.Int64
	}
	inWatermark, outWatermark atomic.Int64
	start                     time.Time
}

// NewTaskIO starts a task's figures at now.
func NewTaskIO(now time.Time) *TaskIO {
	t := &TaskIO{start: now}
	t.inWatermark.Store(NoWatermark)
	t.outWatermark.Store(NoWatermark)
	return t
}

// Publish makes the plain fields visible to reporters.
func (t *TaskIO) Publish() {
	t.pub.recordsIn.Store(t.RecordsIn)
	t.pub.bytesIn.Store(t.BytesIn)
	t.pub.recordsOut.Store(t.RecordsOut)
	t.pub.bytesOut.Store(t.BytesOut)
	t.pub.idle.Store(t.IdleNanos)
	t.pub.bp.Store(t.BackPressuredNanos)
}

// SetInputWatermark records the task's current input watermark (any
// goroutine; called per watermark, not per record).
func (t *TaskIO) SetInputWatermark(ts int64) { t.inWatermark.Store(ts) }

// SetOutputWatermark records the watermark the task last emitted.
func (t *TaskIO) SetOutputWatermark(ts int64) { t.outWatermark.Store(ts) }

// Published returns the published counts: records and bytes in and out.
func (t *TaskIO) Published() (recordsIn, bytesIn, recordsOut, bytesOut int64) {
	return t.pub.recordsIn.Load(), t.pub.bytesIn.Load(), t.pub.recordsOut.Load(), t.pub.bytesOut.Load()
}

// Register adds Flink's task I/O metrics to g (a task group): the counts,
// their per-second meters, the time shares and the watermarks.
func (t *TaskIO) Register(g *Group) {
	load := func(a *atomic.Int64) func() float64 { return func() float64 { return float64(a.Load()) } }
	g.Gauge(NumRecordsIn, load(&t.pub.recordsIn))
	g.Gauge(NumRecordsOut, load(&t.pub.recordsOut))
	g.Gauge(NumBytesIn, load(&t.pub.bytesIn))
	g.Gauge(NumBytesOut, load(&t.pub.bytesOut))
	g.Meter(NumRecordsInPerSecond, load(&t.pub.recordsIn))
	g.Meter(NumRecordsOutPerSecond, load(&t.pub.recordsOut))
	g.Meter(NumBytesInPerSecond, load(&t.pub.bytesIn))
	g.Meter(NumBytesOutPerSecond, load(&t.pub.bytesOut))
	ms := func(a *atomic.Int64) func() float64 { return func() float64 { return float64(a.Load()) / 1e6 } }
	idle := g.Meter(IdleTimeMsPerSecond, ms(&t.pub.idle))
	bp := g.Meter(BackPressuredTimeMsPerSecond, ms(&t.pub.bp))
	g.Gauge(BusyTimeMsPerSecond, func() float64 { return BusyTime(idle.Rate(), bp.Rate()) })
	g.Gauge(AccumulatedIdleTimeMs, ms(&t.pub.idle))
	g.Gauge(AccumulatedBackPressuredTimeMs, ms(&t.pub.bp))
	g.Gauge(AccumulatedBusyTimeMs, func() float64 {
		wall := float64(time.Since(t.start).Nanoseconds())
		return max(0, wall-float64(t.pub.idle.Load())-float64(t.pub.bp.Load())) / 1e6
	})
	t.RegisterWatermarks(g)
}

// RegisterWatermarks adds the watermark gauges to g (a task or operator
// group); NoWatermark until the task sees one.
func (t *TaskIO) RegisterWatermarks(g *Group) {
	g.Gauge(CurrentInputWatermark, func() float64 { return float64(t.inWatermark.Load()) })
	g.Gauge(CurrentOutputWatermark, func() float64 { return float64(t.outWatermark.Load()) })
}

// BusyTime is the milliseconds per second neither idle nor backpressured,
// within [0, 1000].
func BusyTime(idleMs, backPressuredMs float64) float64 {
	return math.Max(0, math.Min(1000, 1000-idleMs-backPressuredMs))
}
