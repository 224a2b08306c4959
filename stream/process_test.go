package stream

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

type tsEvent struct {
	TS  int64
	Key string
}

// timerJob: each event registers an event-time timer at TS+10 for its
// key; an event with key suffix "-del" registers one at TS+100 and deletes
// it again, so it never fires.
// OnTimer emits "key@time(ts)" where ts is the context timestamp; events
// with TS%7==0 also go to a side output.
func timerJob(env *Environment, events []tsEvent, col *collector[string], side *collector[int64]) {
	src := FromSlice(env, events)
	ts := AssignTimestampsAndWatermarks(src, ForBoundedOutOfOrderness[tsEvent](5*time.Millisecond).
		WithTimestampAssigner(func(e tsEvent, _ int64) int64 { return e.TS }))
	tag := NewOutputTag[int64]("sevens")
	out := KeyedProcess(KeyBy(ts, func(e tsEvent) string { return strings.TrimSuffix(e.Key, "-del") }),
		KeyedProcessFuncs[string, tsEvent, int, string]{
			Element: func(ctx *ProcessContext[string, int], e tsEvent, emit func(string)) {
				got, ok := ctx.Timestamp()
				if !ok || got != e.TS {
					emit(fmt.Sprintf("bad timestamp %d %v for %d", got, ok, e.TS))
				}
				n, _ := ctx.Value()
				ctx.Update(n + 1)
				if strings.HasSuffix(e.Key, "-del") {
					ctx.TimerService().RegisterEventTimeTimer(e.TS + 100)
					ctx.TimerService().DeleteEventTimeTimer(e.TS + 100)
				} else {
					ctx.TimerService().RegisterEventTimeTimer(e.TS + 10)
				}
				if e.TS%7 == 0 {
					Output(ctx, tag, e.TS)
				}
			},
			Timer: func(ctx *ProcessContext[string, int], t int64, emit func(string)) {
				ts, _ := ctx.Timestamp()
				n, _ := ctx.Value()
				if ctx.TimerService().CurrentWatermark() < t {
					emit(fmt.Sprintf("timer %d fired before the watermark %d", t, ctx.TimerService().CurrentWatermark()))
				}
				emit(fmt.Sprintf("%s@%d(%d) n=%d", ctx.Key(), t, ts, n))
			},
		})
	ForEach(out, col.add)
	ForEach(SideOutput(out, tag), side.add)
}

func TestKeyedProcessEventTimeTimers(t *testing.T) {
	events := []tsEvent{{1, "a"}, {3, "b"}, {2, "a"}, {14, "a"}, {5, "b-del"}, {21, "b"}, {1, "a"}}
	// a@11 is registered twice and fires once; b@105 never fires.
	want := []string{"a@11(11) n=4", "a@12(12) n=4", "a@24(24) n=4", "b@13(13) n=3", "b@31(31) n=3"}
	for _, p := range []int{1, 3} {
		t.Run(fmt.Sprintf("p%d", p), func(t *testing.T) {
			env := NewEnvironment(Options{Parallelism: p, AutoWatermarkInterval: time.Millisecond})
			var col collector[string]
			var side collector[int64]
			timerJob(env, events, &col, &side)
			if err := env.Execute("timers"); err != nil {
				t.Fatal(err)
			}
			got := col.sorted(func(a, b string) bool { return a < b })
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("got %v\nwant %v", got, want)
			}
			if s := side.sorted(func(a, b int64) bool { return a < b }); fmt.Sprint(s) != "[14 21]" {
				t.Fatalf("side output %v, want [14 21]", s)
			}
		})
	}
}

func TestAssignTimestampsBuildErrors(t *testing.T) {
	cases := []struct {
		name  string
		build func(env *Environment)
		want  string
	}{
		{"no assigner on a stream without timestamps", func(env *Environment) {
			AssignTimestampsAndWatermarks(FromSlice(env, []int{1}), ForMonotonousTimestamps[int]()).Discard()
		}, "has no timestamps"},
		{"zero strategy", func(env *Environment) {
			AssignTimestampsAndWatermarks(FromSlice(env, []int{1}), WatermarkStrategy[int]{}).Discard()
		}, "zero WatermarkStrategy"},
		{"negative out-of-orderness", func(env *Environment) {
			AssignTimestampsAndWatermarks(FromSlice(env, []int{1}), ForBoundedOutOfOrderness[int](-time.Second)).Discard()
		}, "must not be negative"},
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

func TestKeyedProcessProcessingTimeTimers(t *testing.T) {
	env := NewEnvironment(Options{Parallelism: 2})
	var col collector[string]
	src := Generate(env, func(i int64) int64 { return i }, GeneratorOptions{Count: 40, RatePerSecond: 200})
	out := KeyedProcess(KeyBy(src, func(i int64) int64 { return i % 4 }),
		KeyedProcessFuncs[int64, int64, int64, string]{
			Element: func(ctx *ProcessContext[int64, int64], i int64, emit func(string)) {
				if i < 4 { // one timer per key, registered twice
					at := ctx.TimerService().CurrentProcessingTime() + 10
					ctx.TimerService().RegisterProcessingTimeTimer(at)
					ctx.TimerService().RegisterProcessingTimeTimer(at)
					ctx.Update(at)
				}
				if i == 1 { // key 1's timer is deleted
					at, _ := ctx.Value()
					ctx.TimerService().DeleteProcessingTimeTimer(at)
				}
			},
			Timer: func(ctx *ProcessContext[int64, int64], at int64, emit func(string)) {
				if ctx.TimerService().CurrentProcessingTime() < at {
					emit("early")
				}
				if _, ok := ctx.Timestamp(); ok {
					emit("processing-time timer with a timestamp")
				}
				emit(fmt.Sprintf("key%d", ctx.Key()))
			},
		})
	ForEach(out, col.add)
	if err := env.Execute("proctimers"); err != nil {
		t.Fatal(err)
	}
	got := col.sorted(func(a, b string) bool { return a < b })
	if fmt.Sprint(got) != "[key0 key2 key3]" {
		t.Fatalf("fired %v, want each of key0, key2, key3 once", got)
	}
}

// fiveRec is a side-output record of another type than the main output.
type fiveRec struct {
	Key, V int
}

// TestProcessSideOutputs: Process routes multiples of 5 to a side output
// of another type and the rest to its main output; ProcessWithEndContext's
// end function emits every key's count to a second side output. The
// three streams are exact whatever the parallelism.
func TestProcessSideOutputs(t *testing.T) {
	const n = 100
	fives := NewOutputTag[fiveRec]("fives")
	ends := NewOutputTag[int64]("ends")
	var wantMain, wantFives, wantEnds []string
	counts := map[int]int{}
	for i := 0; i < n; i++ {
		counts[i%4]++
		if i%5 == 0 {
			wantFives = append(wantFives, fmt.Sprint(fiveRec{i % 4, i}))
		} else {
			wantMain = append(wantMain, fmt.Sprintf("%d:%d", i%4, i))
		}
	}
	for k, c := range counts {
		wantMain = append(wantMain, fmt.Sprintf("end %d", k))
		wantEnds = append(wantEnds, fmt.Sprint(int64(k*1000+c)))
	}
	for _, p := range []int{1, 3} {
		t.Run(fmt.Sprintf("p%d", p), func(t *testing.T) {
			env := NewEnvironment(Options{Parallelism: p})
			ks := KeyBy(FromSlice(env, ints(n)), func(i int) int { return i % 4 })
			out := ProcessWithEndContext(ks, func(c *KeyedContext[int, int], i int, emit func(string)) {
				cnt, _ := c.Value()
				c.Update(cnt + 1)
				if i%5 == 0 {
					Output(c, fives, fiveRec{c.Key(), i})
					return
				}
				emit(fmt.Sprintf("%d:%d", c.Key(), i))
			}, func(c *KeyedContext[int, int], cnt int, emit func(string)) {
				emit(fmt.Sprintf("end %d", c.Key()))
				Output(c, ends, int64(c.Key()*1000+cnt))
			})
			var main, side, end collector[string]
			ForEach(out, main.add)
			ForEach(SideOutput(out, fives), func(r fiveRec) { side.add(fmt.Sprint(r)) })
			ForEach(SideOutput(out, ends), func(v int64) { end.add(fmt.Sprint(v)) })
			if err := env.Execute("process-side"); err != nil {
				t.Fatal(err)
			}
			less := func(a, b string) bool { return a < b }
			for _, c := range []struct {
				name      string
				got, want []string
			}{{"main", main.sorted(less), wantMain}, {"fives", side.sorted(less), wantFives}, {"ends", end.sorted(less), wantEnds}} {
				sort.Strings(c.want)
				if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
					t.Errorf("%s output:\ngot  %v\nwant %v", c.name, c.got, c.want)
				}
			}
		})
	}
}
