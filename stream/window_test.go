package stream

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"
)

// perEventBounded emits max timestamp − bound − 1 at every event, so the
// watermark a record meets is exactly determined by the records before it.
type perEventBounded struct{ bound, max int64 }

func (g *perEventBounded) OnEvent(_ tsEvent, ts int64, out WatermarkOutput) {
	if ts > g.max {
		g.max = ts
		out.EmitWatermark(ts - g.bound - 1)
	}
}
func (g *perEventBounded) OnPeriodicEmit(WatermarkOutput) {}

// refWindows is a brute-force reference: records in input order, the
// watermark a record meets is max timestamp before it − bound − 1, a
// window is late once its max timestamp <= the watermark; sessions are
// simulated (they fire, and leave, when the watermark passes them).
// Counts per key and window, and the late records.
func refWindows(events []tsEvent, a WindowAssigner, bound int64) (counts []string, late []string) {
	type kw struct {
		k string
		w TimeWindow
	}
	cnt := map[kw]int{}
	emit := func(k string, w TimeWindow, n int) {
		counts = append(counts, fmt.Sprintf("%s %d %d %d", k, w.Start, w.End, n))
	}
	sessions := map[string]map[TimeWindow]int{}
	wm := int64(-1 << 62)
	maxTS := int64(-1 << 62)
	for _, e := range events {
		assigned := false
		if a.kind == session {
			for k, ss := range sessions {
				for w, n := range ss {
					if w.MaxTimestamp() <= wm {
						emit(k, w, n)
						delete(ss, w)
					}
				}
			}
			ss := sessions[e.Key]
			if ss == nil {
				ss = map[TimeWindow]int{}
				sessions[e.Key] = ss
			}
			cover, n := TimeWindow{e.TS, e.TS + a.gap}, 1
			for changed := true; changed; {
				changed = false
				for w, c := range ss {
					if w.intersects(cover) && w != cover {
						cover = cover.cover(w)
						n += c
						delete(ss, w)
						changed = true
					}
				}
			}
			if c, ok := ss[cover]; ok {
				n += c
			}
			if cover.MaxTimestamp() > wm {
				assigned = true
				ss[cover] = n
			}
		} else {
			for _, w := range a.assign(e.TS, nil) {
				if w.MaxTimestamp() > wm {
					assigned = true
					cnt[kw{e.Key, w}]++
				}
			}
		}
		if !assigned {
			late = append(late, fmt.Sprintf("%d %s", e.TS, e.Key))
		}
		if e.TS > maxTS {
			maxTS = e.TS
			wm = maxTS - bound - 1
		}
	}
	for k, ss := range sessions {
		for w, n := range ss {
			emit(k, w, n)
		}
	}
	for k, n := range cnt {
		emit(k.k, k.w, n)
	}
	sort.Strings(counts)
	sort.Strings(late)
	return counts, late
}

// genEvents makes n events over keys with timestamps at most disorder
// behind the largest so far.
func genEvents(seed int64, n, keys int, disorder int64) []tsEvent {
	r := rand.New(rand.NewSource(seed))
	out := make([]tsEvent, n)
	var t int64 = -500 // negative timestamps too
	for i := range out {
		t += r.Int63n(40)
		ts := t - r.Int63n(disorder+1)
		out[i] = tsEvent{TS: ts, Key: fmt.Sprintf("k%d", r.Intn(keys))}
	}
	return out
}

func runCountWindows(t *testing.T, events []tsEvent, a WindowAssigner, bound int64, p int) (counts, late []string) {
	t.Helper()
	env := NewEnvironment(Options{Parallelism: p})
	src := FromSlice(env, events).Parallelism(1)
	// One generator sees every record in input order: the watermarks are
	// exactly those of the reference.
	ts := AssignTimestampsAndWatermarks(src, ForGenerator(func() WatermarkGenerator[tsEvent] {
		return &perEventBounded{bound: bound, max: -1 << 62}
	}).WithTimestampAssigner(func(e tsEvent, _ int64) int64 { return e.TS })).Parallelism(1)
	lateTag := NewOutputTag[tsEvent]("late")
	ws := Window(KeyBy(ts, func(e tsEvent) string { return e.Key }), a).SideOutputLateData(lateTag)
	res := WindowProcess(ws, func(ctx *WindowContext[string], els []tsEvent, out func(string)) {
		w := ctx.Window()
		for _, e := range els {
			if e.TS < w.Start || e.TS >= w.End || e.Key != ctx.Key() {
				out(fmt.Sprintf("bad element %v in %v", e, w))
			}
		}
		out(fmt.Sprintf("%s %d %d %d", ctx.Key(), w.Start, w.End, len(els)))
	})
	var col collector[string]
	var lateCol collector[string]
	ForEach(res, col.add)
	ForEach(SideOutput(res, lateTag), func(e tsEvent) { lateCol.add(fmt.Sprintf("%d %s", e.TS, e.Key)) })
	if err := env.Execute("windows"); err != nil {
		t.Fatal(err)
	}
	less := func(a, b string) bool { return a < b }
	return col.sorted(less), lateCol.sorted(less)
}

func TestWindowsAgainstReference(t *testing.T) {
	assigners := map[string]WindowAssigner{
		"tumbling": TumblingEventTimeWindows(100 * time.Millisecond),
		"sliding":  SlidingEventTimeWindows(100*time.Millisecond, 30*time.Millisecond),
		"session":  EventTimeSessionWindows(25 * time.Millisecond),
	}
	for name, a := range assigners {
		for _, tc := range []struct {
			name      string
			disorder  int64
			bound     int64
			p         int
			wantLate  bool
			seed      int64
			numEvents int
		}{
			{"in bound p1", 80, 80, 1, false, 1, 600},
			{"in bound p3", 80, 80, 3, false, 2, 600},
			{"late records p1", 200, 20, 1, true, 3, 600},
			{"late records p3", 200, 20, 3, true, 4, 600},
		} {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				events := genEvents(tc.seed, tc.numEvents, 5, tc.disorder)
				wantCounts, wantLate := refWindows(events, a, tc.bound)
				if tc.wantLate != (len(wantLate) > 0) {
					t.Fatalf("test input: %d late records, want late=%v", len(wantLate), tc.wantLate)
				}
				counts, late := runCountWindows(t, events, a, tc.bound, tc.p)
				if strings.Join(counts, "\n") != strings.Join(wantCounts, "\n") {
					t.Errorf("windows differ:\ngot  %v\nwant %v", counts, wantCounts)
				}
				if strings.Join(late, "\n") != strings.Join(wantLate, "\n") {
					t.Errorf("late records differ:\ngot  %v\nwant %v", late, wantLate)
				}
			})
		}
	}
}
