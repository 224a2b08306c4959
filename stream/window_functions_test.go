package stream

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// timed is events with timestamps from a single assigner with per-event
// watermarks (bound ms of out-of-orderness).
func timed(env *Environment, events []tsEvent, bound int64) Stream[tsEvent] {
	src := FromSlice(env, events).Parallelism(1)
	return AssignTimestampsAndWatermarks(src, ForGenerator(func() WatermarkGenerator[tsEvent] {
		return &perEventBounded{bound: bound, max: -1 << 62}
	}).WithTimestampAssigner(func(e tsEvent, _ int64) int64 { return e.TS })).Parallelism(1)
}

func byKey(e tsEvent) string { return e.Key }

func TestWindowFunctions(t *testing.T) {
	events := []tsEvent{{1, "a"}, {2, "b"}, {5, "a"}, {12, "a"}, {11, "b"}, {13, "a"}, {25, "a"}}
	sum := func(a, b tsEvent) tsEvent { return tsEvent{TS: a.TS + b.TS, Key: a.Key} }
	cases := []struct {
		name  string
		build func(env *Environment) Stream[string]
		want  string
	}{
		{"reduce", func(env *Environment) Stream[string] {
			r := Window(KeyBy(timed(env, events, 100), byKey), TumblingEventTimeWindows(10*time.Millisecond)).Reduce(sum)
			return Map(r, func(e tsEvent) string { return fmt.Sprintf("%s:%d", e.Key, e.TS) })
		}, "[a:25 a:25 a:6 b:11 b:2]"},
		{"aggregate: average", func(env *Environment) Stream[string] {
			agg := AggregateFunction[tsEvent, [2]int64, string]{
				Create: func() [2]int64 { return [2]int64{} },
				Add:    func(a [2]int64, e tsEvent) [2]int64 { return [2]int64{a[0] + e.TS, a[1] + 1} },
				Result: func(a [2]int64) string { return fmt.Sprintf("%d/%d", a[0], a[1]) },
				Merge:  func(a, b [2]int64) [2]int64 { return [2]int64{a[0] + b[0], a[1] + b[1]} },
			}
			return WindowAggregate(Window(KeyBy(timed(env, events, 100), byKey), EventTimeSessionWindows(5*time.Millisecond)), agg)
		}, "[11/1 2/1 25/1 25/2 6/2]"},
		{"process with window metadata", func(env *Environment) Stream[string] {
			ws := Window(KeyBy(timed(env, events, 100), byKey), SlidingEventTimeWindows(10*time.Millisecond, 5*time.Millisecond))
			return WindowProcess(ws, func(c *WindowContext[string], els []tsEvent, out func(string)) {
				if c.Key() == "b" {
					out(fmt.Sprintf("%d-%d:%d", c.Window().Start, c.Window().End, len(els)))
				}
			})
		}, "[-5-5:1 0-10:1 10-20:1 5-15:1]"},
		{"window all", func(env *Environment) Stream[string] {
			r := WindowAll(timed(env, events, 100), TumblingEventTimeWindows(10*time.Millisecond)).Reduce(sum)
			return Map(r, func(e tsEvent) string { return fmt.Sprint(e.TS) })
		}, "[25 36 8]"},
		{"count window", func(env *Environment) Stream[string] {
			ws := CountWindow(KeyBy(timed(env, events, 100), byKey), 2)
			return WindowProcess(ws, func(c *WindowContext[string], els []tsEvent, out func(string)) {
				out(fmt.Sprintf("%s%d", c.Key(), len(els)))
			})
		}, "[a2 a2 b2]"},
		{"sliding count window", func(env *Environment) Stream[string] {
			ws := CountWindowSlide(KeyBy(timed(env, events, 100), byKey), 3, 2)
			return Map(ws.Reduce(sum), func(e tsEvent) string { return fmt.Sprintf("%s:%d", e.Key, e.TS) })
		}, "[a:30 a:6 b:13]"}, // a: 1+5, then 5+12+13
		{"allowed lateness fires again", func(env *Environment) Stream[string] {
			evs := []tsEvent{{1, "a"}, {12, "a"}, {3, "a"}, {30, "a"}, {4, "a"}}
			ws := Window(KeyBy(timed(env, evs, 0), byKey), TumblingEventTimeWindows(10*time.Millisecond)).AllowedLateness(10 * time.Millisecond)
			return WindowProcess(ws, func(c *WindowContext[string], els []tsEvent, out func(string)) {
				out(fmt.Sprintf("%d:%d", c.Window().Start, len(els)))
			})
		}, "[0:1 0:2 10:1 30:1]"},
		{"continuous event-time trigger", func(env *Environment) Stream[string] {
			evs := []tsEvent{{1, "a"}, {6, "a"}, {12, "a"}, {25, "a"}}
			ws := Window(KeyBy(timed(env, evs, 0), byKey), TumblingEventTimeWindows(20*time.Millisecond)).Trigger(ContinuousEventTimeTrigger(5 * time.Millisecond))
			return WindowProcess(ws, func(c *WindowContext[string], els []tsEvent, out func(string)) {
				out(fmt.Sprintf("%d:%d", c.Window().Start, len(els)))
			})
		}, "[0:2 0:3 0:3 0:3 20:1 20:1 20:1]"},
	}
	for _, tc := range cases {
		for _, p := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/p%d", tc.name, p), func(t *testing.T) {
				env := NewEnvironment(Options{Parallelism: p})
				var col collector[string]
				ForEach(tc.build(env), col.add)
				if err := env.Execute("w"); err != nil {
					t.Fatal(err)
				}
				if got := fmt.Sprint(col.sorted(func(a, b string) bool { return a < b })); got != tc.want {
					t.Fatalf("got %s, want %s", got, tc.want)
				}
			})
		}
	}
}

func TestWindowBuildErrors(t *testing.T) {
	sum := func(a, b int) int { return a + b }
	cases := []struct {
		name  string
		build func(env *Environment)
		want  string
	}{
		{"size 0", func(env *Environment) {
			ts := AssignTimestampsAndWatermarks(FromSlice(env, []int{1}), ForMonotonousTimestamps[int]().WithTimestampAssigner(func(i int, _ int64) int64 { return int64(i) }))
			Window(KeyBy(ts, func(i int) int { return i }), TumblingEventTimeWindows(0)).Reduce(sum).Discard()
		}, "tumbling window size 0s: must be positive"},
		{"slide larger than size", func(env *Environment) {
			Window(KeyBy(FromSlice(env, []int{1}), func(i int) int { return i }), SlidingProcessingTimeWindows(time.Second, 2*time.Second)).Reduce(sum).Discard()
		}, "slide 2s is larger than its size 1s"},
		{"event time without timestamps", func(env *Environment) {
			Window(KeyBy(FromSlice(env, []int{1}), func(i int) int { return i }), TumblingEventTimeWindows(time.Second)).Reduce(sum).Discard()
		}, "has no timestamps: call AssignTimestampsAndWatermarks or give the source a WatermarkStrategy"},
		{"count window of 0", func(env *Environment) {
			CountWindow(KeyBy(FromSlice(env, []int{1}), func(i int) int { return i }), 0).Reduce(sum).Discard()
		}, "count window of 0 records"},
		{"count window slide larger than size", func(env *Environment) {
			CountWindowSlide(KeyBy(FromSlice(env, []int{1}), func(i int) int { return i }), 2, 3).Reduce(sum).Discard()
		}, "slide 3 is larger than its size 2"},
		{"session aggregate without merge", func(env *Environment) {
			ws := Window(KeyBy(FromSlice(env, []int{1}), func(i int) int { return i }), ProcessingTimeSessionWindows(time.Second))
			WindowAggregate(ws, AggregateFunction[int, int, int]{Create: func() int { return 0 }, Add: sum, Result: func(i int) int { return i }}).Discard()
		}, "needs Merge"},
		{"malformed spec", func(env *Environment) {
			if _, err := ParseWindowSpec("tumbling:five"); err != nil {
				env.fail(err)
			}
		}, "malformed duration"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := NewEnvironment(Options{})
			tc.build(env)
			if err := env.Err(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Err() = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestProcessingTimeWindows(t *testing.T) {
	env := NewEnvironment(Options{Parallelism: 2})
	src := Generate(env, func(i int64) int64 { return i }, GeneratorOptions{Count: 60, RatePerSecond: 300})
	ws := Window(KeyBy(src, func(i int64) int64 { return i % 2 }), TumblingProcessingTimeWindows(20*time.Millisecond))
	out := WindowProcess(ws, func(c *WindowContext[int64], els []int64, emit func(string)) {
		for _, e := range els {
			emit(fmt.Sprintf("%d", e))
		}
	})
	var col collector[string]
	ForEach(out, col.add)
	if err := env.Execute("ptw"); err != nil {
		t.Fatal(err)
	}
	got := col.sorted(func(a, b string) bool { return a < b })
	seen := map[string]bool{}
	for _, g := range got {
		if seen[g] {
			t.Fatalf("record %s in two tumbling windows", g)
		}
		seen[g] = true
	}
	// Windows still open when the bounded input ends do not fire (as in
	// Flink); the ones that closed before did.
	if len(got) == 0 {
		t.Fatal("no processing-time window fired")
	}
}
