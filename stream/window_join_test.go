package stream

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// keyWindow is one key's window in the references.
type keyWindow struct {
	key string
	w   TimeWindow
}

// refCoWindows is a brute-force reference of the windows both inputs
// make, for inputs without late records: every key's windows with the
// records of each input in them. Sessions are the union of both inputs'
// session windows per key, merged while they overlap or touch.
func refCoWindows(as, bs []joinEv, a WindowAssigner) map[keyWindow][2][]joinEv {
	out := map[keyWindow][2][]joinEv{}
	add := func(kw keyWindow, side int, e joinEv) {
		g := out[kw]
		g[side] = append(g[side], e)
		out[kw] = g
	}
	if a.kind != session {
		for side, evs := range [][]joinEv{as, bs} {
			for _, e := range evs {
				for _, w := range a.assign(e.TS, nil) {
					add(keyWindow{e.Key, w}, side, e)
				}
			}
		}
		return out
	}
	type tagged struct {
		e    joinEv
		side int
	}
	byKey := map[string][]tagged{}
	for side, evs := range [][]joinEv{as, bs} {
		for _, e := range evs {
			byKey[e.Key] = append(byKey[e.Key], tagged{e, side})
		}
	}
	for k, evs := range byKey {
		sort.Slice(evs, func(i, j int) bool { return evs[i].e.TS < evs[j].e.TS })
		var cur []tagged
		w := TimeWindow{}
		flush := func() {
			for _, t := range cur {
				add(keyWindow{k, w}, t.side, t.e)
			}
			cur = nil
		}
		for _, t := range evs {
			if len(cur) > 0 && t.e.TS > w.End {
				flush()
			}
			if len(cur) == 0 {
				w = TimeWindow{Start: t.e.TS, End: t.e.TS + a.gap}
			}
			w.End = max(w.End, t.e.TS+a.gap)
			cur = append(cur, t)
		}
		flush()
	}
	return out
}

// refWindowJoin is the join of every key's window: "key aID bID @max".
func refWindowJoin(as, bs []joinEv, a WindowAssigner) []string {
	var out []string
	for kw, g := range refCoWindows(as, bs, a) {
		for _, x := range g[0] {
			for _, y := range g[1] {
				out = append(out, fmt.Sprintf("%s %d %d @%d", kw.key, x.ID, y.ID, kw.w.MaxTimestamp()))
			}
		}
	}
	sort.Strings(out)
	return out
}

// refCoGroup is one line per key's window: "key start end a:ids b:ids @max".
func refCoGroup(as, bs []joinEv, a WindowAssigner) []string {
	var out []string
	for kw, g := range refCoWindows(as, bs, a) {
		out = append(out, fmt.Sprintf("%s %d %d a:%s b:%s @%d", kw.key, kw.w.Start, kw.w.End, ids(g[0]), ids(g[1]), kw.w.MaxTimestamp()))
	}
	sort.Strings(out)
	return out
}

var joinAssigners = map[string]WindowAssigner{
	"tumbling": TumblingEventTimeWindows(100 * time.Millisecond),
	"sliding":  SlidingEventTimeWindows(100*time.Millisecond, 30*time.Millisecond),
	"session":  EventTimeSessionWindows(15 * time.Millisecond),
}

// TestWindowJoinAgainstReference joins two out-of-order inputs in
// tumbling, sliding and merging session windows at parallelism 1 and 3:
// every pair of a key's window once per window, nothing for a window with
// records of one input only, each result stamped with the window's max
// timestamp.
func TestWindowJoinAgainstReference(t *testing.T) {
	for name, a := range joinAssigners {
		for _, p := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/p%d", name, p), func(t *testing.T) {
				as := genJoinEvents(int64(10+p), 300, 4, 0, 40)
				bs := genJoinEvents(int64(20+p), 300, 4, 1000, 40)
				want := refWindowJoin(as, bs, a)
				if len(want) < 100 {
					t.Fatalf("test input: only %d pairs", len(want))
				}
				env := NewEnvironment(Options{Parallelism: p})
				ka, kb := joinInputs(env, as, bs, 50)
				out := WindowJoin(CoWindow(ka, kb, a), func(x, y joinEv) string {
					if x.Key != y.Key {
						return fmt.Sprintf("keys differ: %v %v", x, y)
					}
					return fmt.Sprintf("%s %d %d", x.Key, x.ID, y.ID)
				})
				sameLines(t, collect(t, env, stamped(out)), want)
			})
		}
	}
}

// TestWindowCoGroupAgainstReference co-groups the same inputs: one call
// per key's window with records of either input, each input's records of
// that window and key, also when the other input has none.
func TestWindowCoGroupAgainstReference(t *testing.T) {
	for _, name := range []string{"tumbling", "session"} {
		a := joinAssigners[name]
		for _, p := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/p%d", name, p), func(t *testing.T) {
				as := genJoinEvents(int64(30+p), 300, 4, 0, 40)
				bs := genJoinEvents(int64(40+p), 150, 6, 1000, 40) // keys k4, k5 only here
				want := refCoGroup(as, bs, a)
				oneSided := 0
				for _, l := range want {
					if strings.Contains(l, "a: ") || strings.Contains(l, " b: ") {
						oneSided++
					}
				}
				if oneSided == 0 {
					t.Fatal("test input: every window has records of both inputs")
				}
				env := NewEnvironment(Options{Parallelism: p})
				ka, kb := joinInputs(env, as, bs, 50)
				out := WindowCoGroup(CoWindow(ka, kb, a), func(ctx *WindowContext[string], xs, ys []joinEv, out func(string)) {
					w := ctx.Window()
					for _, e := range append(append([]joinEv(nil), xs...), ys...) {
						if e.Key != ctx.Key() || e.TS < w.Start || e.TS >= w.End {
							out(fmt.Sprintf("bad record %v in %s %v", e, ctx.Key(), w))
						}
					}
					out(fmt.Sprintf("%s %d %d a:%s b:%s", ctx.Key(), w.Start, w.End, ids(xs), ids(ys)))
				})
				sameLines(t, collect(t, env, stamped(out)), want)
			})
		}
	}
}

// TestWindowJoinBuildErrors: bad windows are refused when the job is built.
func TestWindowJoinBuildErrors(t *testing.T) {
	join := func(x, y int) int { return x + y }
	key := func(i int) int { return i }
	timed := func(env *Environment) Stream[int] {
		return AssignTimestampsAndWatermarks(FromSlice(env, []int{1}), ForMonotonousTimestamps[int]().WithTimestampAssigner(func(i int, _ int64) int64 { return int64(i) }))
	}
	cases := []struct {
		name  string
		build func(env *Environment)
		want  string
	}{
		{"size 0", func(env *Environment) {
			WindowJoin(CoWindow(KeyBy(timed(env), key), KeyBy(timed(env), key), TumblingEventTimeWindows(0)), join).Discard()
		}, "WindowJoin: tumbling window size 0s: must be positive"},
		{"zero assigner", func(env *Environment) {
			WindowJoin(CoWindow(KeyBy(timed(env), key), KeyBy(timed(env), key), WindowAssigner{}), join).Discard()
		}, "zero WindowAssigner"},
		{"second input without timestamps", func(env *Environment) {
			WindowJoin(CoWindow(KeyBy(timed(env), key), KeyBy(FromSlice(env, []int{1}), key), TumblingEventTimeWindows(time.Second)), join).Discard()
		}, "WindowJoin: event-time windows on a stream that has no timestamps: call AssignTimestampsAndWatermarks"},
		{"negative lateness", func(env *Environment) {
			cw := CoWindow(KeyBy(timed(env), key), KeyBy(timed(env), key), TumblingEventTimeWindows(time.Second)).AllowedLateness(-time.Second)
			WindowCoGroup(cw, func(_ *WindowContext[int], _, _ []int, _ func(int)) {}).Discard()
		}, "WindowCoGroup: allowed lateness -1s must not be negative"},
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
	// Processing-time windows need no timestamps.
	env := NewEnvironment(Options{})
	WindowJoin(CoWindow(KeyBy(FromSlice(env, []int{1}), key), KeyBy(FromSlice(env, []int{1}), key), TumblingProcessingTimeWindows(time.Second)), join).Discard()
	if err := env.Err(); err != nil {
		t.Fatal(err)
	}
}
