package stream

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"
)

// ptRec is a record of the processing-time window tests; the harness
// pushes it at time At.
type ptRec struct {
	ID  int
	Key string
	At  int64
}

// genArrivals makes n records over keys arriving at nondecreasing times
// from 1000 on, several in the same millisecond at times, with pauses
// longer than a session gap now and then.
func genArrivals(seed int64, n, keys int) []ptRec {
	r := rand.New(rand.NewSource(seed))
	out := make([]ptRec, n)
	at := int64(1000)
	for i := range out {
		switch r.Intn(10) {
		case 0:
			at += 40 + r.Int63n(60)
		case 1, 2:
		default:
			at += r.Int63n(12)
		}
		out[i] = ptRec{ID: i, Key: fmt.Sprintf("k%d", r.Intn(keys)), At: at}
	}
	return out
}

// runProcessingWindows pushes recs at their times through a keyed window
// of a on one subtask with a hand-moved clock (a record before the timers
// of its millisecond, so it is in time for a window ending then), then
// moves the clock past every window. Each firing is "key start end ids…".
func runProcessingWindows(t *testing.T, recs []ptRec, a WindowAssigner) []string {
	t.Helper()
	env := NewEnvironment(Options{})
	ws := Window(KeyBy(FromSlice(env, []ptRec(nil)), func(r ptRec) string { return r.Key }), a)
	out := WindowProcess(ws, func(ctx *WindowContext[string], els []ptRec, emit func(string)) {
		w := ctx.Window()
		ids := make([]int, len(els))
		for i, e := range els {
			ids[i] = e.ID
		}
		sort.Ints(ids)
		emit(fmt.Sprintf("%s %d %d %v", ctx.Key(), w.Start, w.End, ids))
	})
	h := newClockHarness[ptRec](t, env, out, 0, nil, nil)
	for _, r := range recs {
		h.arriveAt(r.At)
		h.push(r)
	}
	h.advance(recs[len(recs)-1].At + time.Hour.Milliseconds())
	return h.take()
}

// refSliding: a record at t is in every window [s, s+size) with s a
// multiple of slide and s <= t < s+size.
func refSliding(recs []ptRec, size, slide int64) []string {
	type kw struct {
		k    string
		s, e int64
	}
	ids := map[kw][]int{}
	for _, r := range recs {
		for s := WindowStart(r.At, slide); s > r.At-size; s -= slide {
			w := kw{r.Key, s, s + size}
			ids[w] = append(ids[w], r.ID)
		}
	}
	var out []string
	for w, is := range ids {
		sort.Ints(is)
		out = append(out, fmt.Sprintf("%s %d %d %v", w.k, w.s, w.e, is))
	}
	sort.Strings(out)
	return out
}

// refSessions: a key's record at t joins its open session [s, e) when
// t < e (the session fires, and closes, at e−1, after the records of
// that millisecond; one at e touches it), and stretches it to t+gap;
// otherwise it starts a new one.
func refSessions(recs []ptRec, gap int64) []string {
	type session struct {
		s, e int64
		ids  []int
	}
	open := map[string]*session{}
	var out []string
	emit := func(k string, s *session) {
		sort.Ints(s.ids)
		out = append(out, fmt.Sprintf("%s %d %d %v", k, s.s, s.e, s.ids))
	}
	for _, r := range recs {
		if s := open[r.Key]; s != nil && r.At <= s.e-1 {
			s.e = max(s.e, r.At+gap)
			s.ids = append(s.ids, r.ID)
			continue
		} else if s != nil {
			emit(r.Key, s)
		}
		open[r.Key] = &session{s: r.At, e: r.At + gap, ids: []int{r.ID}}
	}
	for k, s := range open {
		emit(k, s)
	}
	sort.Strings(out)
	return out
}

// TestProcessingTimeWindowsAgainstReference: with the clock moved by
// hand, every record lands in each sliding window that holds its arrival
// time (3 or 4 of them for a size of 100 ms sliding by 30 ms), and a
// key's records within the gap of each other merge into one session.
func TestProcessingTimeWindowsAgainstReference(t *testing.T) {
	recs := genArrivals(5, 400, 3)
	cases := []struct {
		name string
		a    WindowAssigner
		want []string
	}{
		{"sliding", SlidingProcessingTimeWindows(100*time.Millisecond, 30*time.Millisecond), refSliding(recs, 100, 30)},
		{"session", ProcessingTimeSessionWindows(25 * time.Millisecond), refSessions(recs, 25)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := runProcessingWindows(t, recs, tc.a)
			sameLines(t, got, tc.want)
			// Per record, the number of windows: from the output alone.
			per := map[string]int{}
			for _, l := range got {
				for _, id := range strings.Fields(strings.Trim(l[strings.Index(l, "["):], "[]")) {
					per[id]++
				}
			}
			for _, r := range recs {
				n := per[fmt.Sprint(r.ID)]
				if tc.name == "session" && n != 1 || tc.name == "sliding" && n != 3 && n != 4 {
					t.Fatalf("record %d (at %d) is in %d windows", r.ID, r.At, n)
				}
			}
		})
	}
	// The input exercises what it should: sessions of several records
	// and single ones.
	multi := 0
	for _, l := range cases[1].want {
		if len(strings.Fields(l)) > 4 {
			multi++
		}
	}
	if multi < 10 || len(cases[1].want)-multi < 10 {
		t.Fatalf("test input makes %d sessions of several records and %d of one", multi, len(cases[1].want)-multi)
	}
}

// sessionAgg counts a session's records and keeps their smallest and
// largest timestamps; Merge must combine all three.
type sessionAgg struct{ N, Min, Max int64 }

// TestWindowAllSessionAggregate: WindowAll with event-time sessions and
// an AggregateFunction, at default parallelism 3 (WindowAll runs one
// instance), against the brute-force reference with every record under
// one key: each session's count, and its first and last timestamps,
// which are its start and its end − gap.
func TestWindowAllSessionAggregate(t *testing.T) {
	const gap = 25
	for _, tc := range []struct {
		name            string
		disorder, bound int64
		seed            int64
	}{
		{"in bound", 80, 80, 11},
		{"late records", 200, 20, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events := genEvents(tc.seed, 600, 1, tc.disorder)
			for i := range events {
				events[i].Key = "all"
			}
			ref, _ := refWindows(events, EventTimeSessionWindows(gap*time.Millisecond), tc.bound)
			var want []string
			for _, l := range ref {
				var k string
				var s, e, n int64
				if _, err := fmt.Sscanf(l, "%s %d %d %d", &k, &s, &e, &n); err != nil {
					t.Fatal(err)
				}
				want = append(want, fmt.Sprintf("%d %d n=%d min=%d max=%d", s, e, n, s, e-gap))
			}
			sort.Strings(want)

			env := NewEnvironment(Options{Parallelism: 3})
			src := FromSlice(env, events).Parallelism(1)
			ts := AssignTimestampsAndWatermarks(src, ForGenerator(func() WatermarkGenerator[tsEvent] {
				return &perEventBounded{bound: tc.bound, max: -1 << 62}
			}).WithTimestampAssigner(func(e tsEvent, _ int64) int64 { return e.TS })).Parallelism(1)
			agg := AggregateFunction[tsEvent, sessionAgg, sessionAgg]{
				Create: func() sessionAgg { return sessionAgg{Min: 1 << 62, Max: -1 << 62} },
				Add: func(a sessionAgg, e tsEvent) sessionAgg {
					return sessionAgg{a.N + 1, min(a.Min, e.TS), max(a.Max, e.TS)}
				},
				Result: func(a sessionAgg) sessionAgg { return a },
				Merge: func(a, b sessionAgg) sessionAgg {
					return sessionAgg{a.N + b.N, min(a.Min, b.Min), max(a.Max, b.Max)}
				},
			}
			out := WindowAggregateProcess(WindowAll(ts, EventTimeSessionWindows(gap*time.Millisecond)), agg,
				func(ctx *WindowContext[int], a sessionAgg, emit func(string)) {
					w := ctx.Window()
					emit(fmt.Sprintf("%d %d n=%d min=%d max=%d", w.Start, w.End, a.N, a.Min, a.Max))
				})
			var col collector[string]
			ForEach(out, col.add)
			if err := env.Execute("windowall-sessions"); err != nil {
				t.Fatal(err)
			}
			sameLines(t, col.sorted(func(a, b string) bool { return a < b }), want)
		})
	}
}
