package stream

import (
	"fmt"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/runtime"
)

// WatermarkOutput receives what a WatermarkGenerator decides.
type WatermarkOutput interface {
	// EmitWatermark says no record with a timestamp <= wm follows
	// (watermarks that do not advance are ignored).
	EmitWatermark(wm int64)
	// MarkIdle says the input has no records for now: it stops holding
	// back the watermark of the operators it feeds until it emits a
	// record or a watermark again.
	MarkIdle()
}

// WatermarkGenerator makes watermarks from the events it sees (Flink's
// WatermarkGenerator): OnEvent for every record (with its assigned
// timestamp) and OnPeriodicEmit every pipeline.auto-watermark-interval
// (Options.AutoWatermarkInterval). It may emit from either.
type WatermarkGenerator[T any] interface {
	OnEvent(v T, timestamp int64, out WatermarkOutput)
	OnPeriodicEmit(out WatermarkOutput)
}

// WatermarkStrategy says how a stream gets event timestamps and
// watermarks: a generator per input (per source split, or per parallel
// instance of AssignTimestampsAndWatermarks), an optional timestamp
// assigner and an optional idleness timeout. Build it with
// ForBoundedOutOfOrderness, ForMonotonousTimestamps or ForGenerator.
type WatermarkStrategy[T any] struct {
	gen      func() WatermarkGenerator[T]
	assigner func(v T, recordTimestamp int64) int64
	idleness time.Duration
	err      error
}

// ForBoundedOutOfOrderness expects records at most d later than the
// largest timestamp seen: the periodic watermark is that timestamp − d −
// 1 ms.
func ForBoundedOutOfOrderness[T any](d time.Duration) WatermarkStrategy[T] {
	if d < 0 {
		return WatermarkStrategy[T]{err: fmt.Errorf("bounded out-of-orderness %v: must not be negative", d)}
	}
	ms := d.Milliseconds()
	return WatermarkStrategy[T]{gen: func() WatermarkGenerator[T] { return &boundedOutOfOrderness[T]{bound: ms, max: runtime.MinWatermark} }}
}

// ForMonotonousTimestamps expects ascending timestamps: the watermark is
// the largest timestamp seen − 1 ms.
func ForMonotonousTimestamps[T any]() WatermarkStrategy[T] { return ForBoundedOutOfOrderness[T](0) }

// ForGenerator uses generators made by newGen.
func ForGenerator[T any](newGen func() WatermarkGenerator[T]) WatermarkStrategy[T] {
	if newGen == nil {
		return WatermarkStrategy[T]{err: fmt.Errorf("watermark strategy: nil generator")}
	}
	return WatermarkStrategy[T]{gen: newGen}
}

// WithTimestampAssigner sets the function that gives each record its
// event timestamp (Unix milliseconds); recordTimestamp is the timestamp
// it already has, runtime.MinWatermark when none.
func (s WatermarkStrategy[T]) WithTimestampAssigner(fn func(v T, recordTimestamp int64) int64) WatermarkStrategy[T] {
	s.assigner = fn
	return s
}

// WithIdleness marks an input idle when it had no record for d of
// processing time, so that it does not hold the watermark back.
func (s WatermarkStrategy[T]) WithIdleness(d time.Duration) WatermarkStrategy[T] {
	if d <= 0 {
		s.err = fmt.Errorf("idleness %v: must be positive", d)
	}
	s.idleness = d
	return s
}

func (s WatermarkStrategy[T]) check() error {
	if s.err != nil {
		return s.err
	}
	if s.gen == nil {
		return fmt.Errorf("zero WatermarkStrategy: build one with ForBoundedOutOfOrderness, ForMonotonousTimestamps or ForGenerator")
	}
	return nil
}

type boundedOutOfOrderness[T any] struct{ bound, max int64 }

func (g *boundedOutOfOrderness[T]) OnEvent(_ T, ts int64, _ WatermarkOutput) { g.max = max(g.max, ts) }

func (g *boundedOutOfOrderness[T]) OnPeriodicEmit(out WatermarkOutput) {
	if g.max != runtime.MinWatermark {
		out.EmitWatermark(g.max - g.bound - 1)
	}
}

// watermarkGen is one running generator with its output state: the
// watermark it emitted last, whether it is idle, and the idleness clock.
type watermarkGen[T any] struct {
	gen      WatermarkGenerator[T]
	wm       int64
	idle     bool
	changed  bool  // wm or idle changed since the owner last looked
	idleness int64 // ms; 0: none
	lastSeen int64 // processing time of the last record
	counter  int64 // records since the last periodic emit
}

func newWatermarkGen[T any](s WatermarkStrategy[T], now int64) *watermarkGen[T] {
	return &watermarkGen[T]{gen: s.gen(), wm: runtime.MinWatermark, idleness: s.idleness.Milliseconds(), lastSeen: now}
}

func (g *watermarkGen[T]) EmitWatermark(wm int64) {
	if g.idle {
		g.idle, g.changed = false, true
	}
	if wm > g.wm {
		g.wm, g.changed = wm, true
	}
}

func (g *watermarkGen[T]) MarkIdle() {
	if !g.idle {
		g.idle, g.changed = true, true
	}
}

func (g *watermarkGen[T]) onEvent(v T, ts int64) {
	g.counter++
	if g.idle {
		g.idle, g.changed = false, true
	}
	g.gen.OnEvent(v, ts, g)
}

// periodic runs OnPeriodicEmit, marking the input idle when it had no
// record for the idleness timeout.
func (g *watermarkGen[T]) periodic(now int64) {
	if g.counter > 0 {
		g.lastSeen, g.counter = now, 0
	}
	if g.idleness > 0 && now-g.lastSeen >= g.idleness {
		g.MarkIdle()
		return
	}
	g.gen.OnPeriodicEmit(g)
}

// DefaultAutoWatermarkInterval is pipeline.auto-watermark-interval's
// default.
const DefaultAutoWatermarkInterval = 200 * time.Millisecond

func (e *Environment) autoWatermarkInterval() time.Duration {
	if e.opts.AutoWatermarkInterval > 0 {
		return e.opts.AutoWatermarkInterval
	}
	if d := e.pipeline.Duration(conf.AutoWatermarkInterval); d > 0 {
		return d
	}
	return DefaultAutoWatermarkInterval
}

// everyInterval calls fn every interval of processing time on the task
// goroutine, from now on, until the task ends.
func everyInterval(tc *runtime.TimeContext, interval time.Duration, fn func(now int64)) {
	ms := max(interval.Milliseconds(), 1)
	var tick func(now int64)
	tick = func(now int64) {
		fn(now)
		tc.AtProcessingTime(now+ms, tick)
	}
	tc.AtProcessingTime(tc.ProcessingTime()+ms, tick)
}
