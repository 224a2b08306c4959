// Package job is the windows example's job: it reads lines
// "<eventTimeMillis> <key>" from text files, gives each record its event
// time, counts the records of every key in event-time windows (allowed
// lateness 0) and writes "<key> <windowStartMillis> <windowEndMillis>
// <count>" for every window through the exactly-once file sink, and the
// late records as "<eventTimeMillis> <key>" through a second one.
//
// The watermark of each source subtask is the largest timestamp it has
// read − the out-of-orderness − 1 ms, emitted after every record that
// raises it (not periodically), so that a job with one source subtask
// reading one file has exactly the lateness package windowscheck
// computes. At the end of the input the watermark becomes the maximum and
// every open window fires.
package job

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/floe-yarn/floe/stream"
)

// Event is one input record.
type Event struct {
	TS  int64
	Key string
}

// Options are the job's parameters (the command's flags).
type Options struct {
	Input, Output string
	// Window is tumbling:SIZE, sliding:SIZE:SLIDE or session:GAP.
	Window string
	// Rate is lines per second per source subtask (0: unlimited).
	Rate float64
	// OutOfOrderness bounds how late a record may be.
	OutOfOrderness time.Duration
}

// LateDir is the folder, under the output, of the late records.
const LateDir = "late"

// Build adds the windows job to env; a bad option is an error of env.
func Build(env *stream.Environment, o Options) error {
	a, err := stream.ParseWindowSpec(o.Window)
	if err != nil {
		return err
	}
	if o.OutOfOrderness < 0 {
		return fmt.Errorf("out-of-orderness %v: must not be negative", o.OutOfOrderness)
	}
	if o.Rate < 0 {
		return fmt.Errorf("rate %v: must not be negative", o.Rate)
	}
	bound := o.OutOfOrderness.Milliseconds()
	events := stream.FromSource[Event](env, &source{inner: stream.TextFileSource(o.Input), rate: o.Rate}, "Windows "+o.Input).UID("windows-source")
	timed := stream.AssignTimestampsAndWatermarks(events, stream.ForGenerator(func() stream.WatermarkGenerator[Event] {
		return &boundedPerEvent{bound: bound, max: minTS}
	}).WithTimestampAssigner(func(e Event, _ int64) int64 { return e.TS })).UID("windows-timestamps")
	lateTag := stream.NewOutputTag[Event]("late")
	ws := stream.Window(stream.KeyBy(timed, func(e Event) string { return e.Key }), a).SideOutputLateData(lateTag)
	counts := stream.WindowAggregateProcess(ws, stream.AggregateFunction[Event, int64, int64]{
		Create: func() int64 { return 0 },
		Add:    func(n int64, _ Event) int64 { return n + 1 },
		Result: func(n int64) int64 { return n },
		Merge:  func(a, b int64) int64 { return a + b },
	}, func(ctx *stream.WindowContext[string], n int64, out func(string)) {
		w := ctx.Window()
		out(ctx.Key() + " " + strconv.FormatInt(w.Start, 10) + " " + strconv.FormatInt(w.End, 10) + " " + strconv.FormatInt(n, 10))
	}).UID("windows-count")
	stream.WriteText(counts, o.Output).UID("windows-sink")
	late := stream.Map(stream.SideOutput(counts, lateTag), func(e Event) string { return strconv.FormatInt(e.TS, 10) + " " + e.Key })
	stream.WriteText(late, strings.TrimSuffix(o.Output, "/")+"/"+LateDir).UID("windows-late-sink")
	return env.Err()
}

const minTS = -1 << 63

// boundedPerEvent is bounded out-of-orderness emitting at every record
// that raises the largest timestamp (exact, where Flink's emits
// periodically).
type boundedPerEvent struct{ bound, max int64 }

func (g *boundedPerEvent) OnEvent(_ Event, ts int64, out stream.WatermarkOutput) {
	if ts > g.max {
		g.max = ts
		out.EmitWatermark(ts - g.bound - 1)
	}
}

func (g *boundedPerEvent) OnPeriodicEmit(stream.WatermarkOutput) {}

// ParseLine parses "<eventTimeMillis> <key>"; ok is false for a blank
// line.
func ParseLine(line string) (e Event, ok bool, err error) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return Event{}, false, nil
	}
	if len(f) != 2 {
		return Event{}, false, fmt.Errorf("line %q: want \"<eventTimeMillis> <key>\"", line)
	}
	ts, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return Event{}, false, fmt.Errorf("line %q: event time %q is not an integer (milliseconds)", line, f[0])
	}
	return Event{TS: ts, Key: f[1]}, true, nil
}

// source parses the lines of a text file source, at most rate per second
// per subtask; its splits and positions are the text source's.
type source struct {
	inner stream.Source[string]
	rate  float64
}

func (s *source) Info() stream.SourceInfo { return s.inner.Info() }

func (s *source) Splits(ctx context.Context, p int) ([]stream.SplitState, error) {
	return s.inner.Splits(ctx, p)
}

func (s *source) Reader(ctx context.Context, rc stream.ReaderContext) (stream.SplitReader[Event], error) {
	r, err := s.inner.Reader(ctx, rc)
	if err != nil {
		return nil, err
	}
	return &reader{SplitReader: r, rate: s.rate, idle: rc.Idle}, nil
}

// reader parses and paces one subtask's lines; while it waits it calls
// idle, which flushes output and lets checkpoints through.
type reader struct {
	stream.SplitReader[string]
	rate  float64
	idle  func()
	start time.Time
	n     int64
}

func (r *reader) Next(ctx context.Context) (Event, error) {
	for {
		if err := r.pace(ctx); err != nil {
			return Event{}, err
		}
		line, err := r.SplitReader.Next(ctx)
		if err != nil {
			return Event{}, err
		}
		r.n++
		e, ok, err := ParseLine(line)
		if err != nil {
			if lp, isLP := r.SplitReader.(stream.LinePositioner); isLP {
				path, off := lp.LastLine()
				return Event{}, fmt.Errorf("windows input %s at byte %d: %w", path, off, err)
			}
			return Event{}, err
		}
		if ok {
			return e, nil
		}
	}
}

func (r *reader) pace(ctx context.Context) error {
	if r.rate <= 0 {
		return nil
	}
	if r.start.IsZero() {
		r.start = time.Now()
	}
	due := r.start.Add(time.Duration(float64(r.n) / r.rate * float64(time.Second)))
	wait := time.Until(due)
	if wait <= 0 {
		return ctx.Err()
	}
	if r.idle != nil {
		r.idle()
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
