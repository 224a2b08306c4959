package stream

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"
)

// TimeWindow is a window of event or processing time: [Start, End), End
// exclusive (Flink's TimeWindow). The global window (GlobalWindows, count
// windows) spans all time.
type TimeWindow struct {
	Start, End int64
}

// globalWindow is the one window of GlobalWindows.
var globalWindow = TimeWindow{Start: math.MinInt64, End: math.MaxInt64}

// MaxTimestamp is the largest timestamp in the window: End − 1 (the
// global window's is math.MaxInt64).
func (w TimeWindow) MaxTimestamp() int64 {
	if w == globalWindow {
		return math.MaxInt64
	}
	return w.End - 1
}

// intersects reports whether w and o overlap or touch (session windows
// that do merge).
func (w TimeWindow) intersects(o TimeWindow) bool { return w.Start <= o.End && w.End >= o.Start }

// cover is the smallest window holding w and o.
func (w TimeWindow) cover(o TimeWindow) TimeWindow {
	return TimeWindow{Start: min(w.Start, o.Start), End: max(w.End, o.End)}
}

// windowBytes is a window as a state namespace: start and end, 8 bytes
// big-endian each.
func windowBytes(dst []byte, w TimeWindow) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(w.Start))
	return binary.BigEndian.AppendUint64(dst, uint64(w.End))
}

func parseWindowBytes(b []byte) (TimeWindow, error) {
	if len(b) < 16 {
		return TimeWindow{}, fmt.Errorf("window namespace of %d bytes", len(b))
	}
	return TimeWindow{Start: int64(binary.BigEndian.Uint64(b)), End: int64(binary.BigEndian.Uint64(b[8:]))}, nil
}

// WindowStart is the start of the window of size containing ts, windows
// aligned to the epoch (Flink's TimeWindow.getWindowStartWithOffset with
// offset 0; right for negative timestamps too).
func WindowStart(ts, size int64) int64 {
	return ts - ((ts%size)+size)%size
}

type assignerKind uint8

const (
	tumbling assignerKind = iota + 1
	sliding
	session
	global
)

// WindowAssigner puts records into windows (Flink's WindowAssigner):
// tumbling, sliding and session windows in event or processing time, and
// the global window. Build one with the functions below; a bad parameter
// is reported when the window is built.
type WindowAssigner struct {
	kind      assignerKind
	eventTime bool
	size      int64 // ms
	slide     int64
	gap       int64
	err       error
}

func positive(what string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%s %v: must be positive", what, d)
	}
	if d%time.Millisecond != 0 {
		return fmt.Errorf("%s %v: must be whole milliseconds", what, d)
	}
	return nil
}

func tumblingWindows(size time.Duration, eventTime bool) WindowAssigner {
	return WindowAssigner{kind: tumbling, eventTime: eventTime, size: size.Milliseconds(), err: positive("tumbling window size", size)}
}

func slidingWindows(size, slide time.Duration, eventTime bool) WindowAssigner {
	a := WindowAssigner{kind: sliding, eventTime: eventTime, size: size.Milliseconds(), slide: slide.Milliseconds()}
	if a.err = positive("sliding window size", size); a.err == nil {
		a.err = positive("sliding window slide", slide)
	}
	if a.err == nil && slide > size {
		a.err = fmt.Errorf("sliding window slide %v is larger than its size %v: records between windows would be lost (use a slide <= size)", slide, size)
	}
	return a
}

func sessionWindows(gap time.Duration, eventTime bool) WindowAssigner {
	return WindowAssigner{kind: session, eventTime: eventTime, gap: gap.Milliseconds(), err: positive("session window gap", gap)}
}

// TumblingEventTimeWindows are consecutive event-time windows of size.
func TumblingEventTimeWindows(size time.Duration) WindowAssigner { return tumblingWindows(size, true) }

// SlidingEventTimeWindows are event-time windows of size starting every
// slide.
func SlidingEventTimeWindows(size, slide time.Duration) WindowAssigner {
	return slidingWindows(size, slide, true)
}

// EventTimeSessionWindows are per-key event-time sessions: windows of gap
// after each record that merge when they overlap or touch.
func EventTimeSessionWindows(gap time.Duration) WindowAssigner { return sessionWindows(gap, true) }

// TumblingProcessingTimeWindows are tumbling windows of processing time.
func TumblingProcessingTimeWindows(size time.Duration) WindowAssigner {
	return tumblingWindows(size, false)
}

// SlidingProcessingTimeWindows are sliding windows of processing time.
func SlidingProcessingTimeWindows(size, slide time.Duration) WindowAssigner {
	return slidingWindows(size, slide, false)
}

// ProcessingTimeSessionWindows are sessions of processing time.
func ProcessingTimeSessionWindows(gap time.Duration) WindowAssigner {
	return sessionWindows(gap, false)
}

// GlobalWindows puts every record of a key into one window, which only a
// trigger fires (CountWindow uses it).
func GlobalWindows() WindowAssigner { return WindowAssigner{kind: global} }

// IsEventTime reports whether the assigner works in event time.
func (a WindowAssigner) IsEventTime() bool { return a.eventTime }

func (a WindowAssigner) merging() bool { return a.kind == session }

// assign returns the windows of a record at ts (event time, or the
// processing time for processing-time assigners).
func (a WindowAssigner) assign(ts int64, dst []TimeWindow) []TimeWindow {
	switch a.kind {
	case tumbling:
		s := WindowStart(ts, a.size)
		return append(dst, TimeWindow{Start: s, End: s + a.size})
	case sliding:
		for s := WindowStart(ts, a.slide); s > ts-a.size; s -= a.slide {
			dst = append(dst, TimeWindow{Start: s, End: s + a.size})
		}
		return dst
	case session:
		return append(dst, TimeWindow{Start: ts, End: ts + a.gap})
	}
	return append(dst, globalWindow)
}

// defaultTrigger is the assigner's trigger unless the user sets one.
func (a WindowAssigner) defaultTrigger() Trigger {
	switch {
	case a.kind == global:
		return neverTrigger{}
	case a.eventTime:
		return EventTimeTrigger()
	}
	return ProcessingTimeTrigger()
}

func (a WindowAssigner) check() error {
	if a.kind == 0 {
		return fmt.Errorf("zero WindowAssigner: build one with TumblingEventTimeWindows, SlidingEventTimeWindows, EventTimeSessionWindows, their processing-time variants or GlobalWindows")
	}
	return a.err
}

// ParseWindowSpec reads a window spec of the form tumbling:SIZE,
// sliding:SIZE:SLIDE or session:GAP (Go durations, e.g. 5s, 100ms) into
// an event-time assigner.
func ParseWindowSpec(spec string) (WindowAssigner, error) {
	kind, rest, _ := strings.Cut(spec, ":")
	durs := func(n int) ([]time.Duration, error) {
		parts := strings.Split(rest, ":")
		if len(parts) != n || rest == "" {
			return nil, fmt.Errorf("window %q: want %s", spec, specForms)
		}
		out := make([]time.Duration, n)
		for i, p := range parts {
			d, err := time.ParseDuration(p)
			if err != nil {
				return nil, fmt.Errorf("window %q: malformed duration %q (write a Go duration such as 5s or 100ms): %w", spec, p, err)
			}
			out[i] = d
		}
		return out, nil
	}
	var a WindowAssigner
	switch kind {
	case "tumbling":
		d, err := durs(1)
		if err != nil {
			return a, err
		}
		a = TumblingEventTimeWindows(d[0])
	case "sliding":
		d, err := durs(2)
		if err != nil {
			return a, err
		}
		a = SlidingEventTimeWindows(d[0], d[1])
	case "session":
		d, err := durs(1)
		if err != nil {
			return a, err
		}
		a = EventTimeSessionWindows(d[0])
	default:
		return a, fmt.Errorf("window %q: unknown kind %q: want %s", spec, kind, specForms)
	}
	if a.err != nil {
		return a, fmt.Errorf("window %q: %w", spec, a.err)
	}
	return a, nil
}

const specForms = "tumbling:SIZE, sliding:SIZE:SLIDE or session:GAP"
