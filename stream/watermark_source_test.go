package stream

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/floe-yarn/floe/runtime"
)

// fakeSplitReader reports a current split and the live splits.
type fakeSplitReader struct {
	cur  string
	live []string
}

func (r *fakeSplitReader) AddSplits([]SplitState) error        { return nil }
func (r *fakeSplitReader) Next(context.Context) (int64, error) { return 0, nil }
func (r *fakeSplitReader) Close() error                        { return nil }
func (r *fakeSplitReader) CurrentSplit() string                { return r.cur }
func (r *fakeSplitReader) Snapshot() []SplitState {
	var out []SplitState
	for _, id := range r.live {
		out = append(out, SplitState{ID: id})
	}
	return out
}

// TestSplitWatermarks: a source subtask's watermark is the minimum over
// its started, unfinished, non-idle splits.
func TestSplitWatermarks(t *testing.T) {
	type step struct {
		split string   // record of split (ts below), or "" for a periodic emit
		ts    int64    // the record's timestamp
		live  []string // splits not finished
		adv   time.Duration
	}
	cases := []struct {
		name  string
		idle  time.Duration
		steps []step
		want  string // watermarks emitted after each step
	}{
		{"min over splits", 0, []step{
			{split: "a", ts: 100, live: []string{"a", "b"}},
			{split: "", live: []string{"a", "b"}},
			{split: "b", ts: 50, live: []string{"a", "b"}},
			{split: "", live: []string{"a", "b"}},
			{split: "b", ts: 200, live: []string{"a", "b"}},
			{split: "", live: []string{"a", "b"}},
		}, "[- 89 - - - -]"}, // b@50 holds it at 89, b@200 does not raise it
		{"a finished split stops holding back", 0, []step{
			{split: "a", ts: 100, live: []string{"a", "b"}},
			{split: "b", ts: 300, live: []string{"a", "b"}},
			{split: "", live: []string{"a", "b"}},
			{split: "", live: []string{"b"}},
		}, "[- - 89 289]"},
		{"an idle split stops holding back", 50 * time.Millisecond, []step{
			{split: "a", ts: 100, live: []string{"a", "b"}},
			{split: "b", ts: 300, live: []string{"a", "b"}},
			{split: "", live: []string{"a", "b"}},
			{split: "b", ts: 400, live: []string{"a", "b"}, adv: 60 * time.Millisecond},
			{split: "", live: []string{"a", "b"}},
		}, "[- - 89 - 389]"},
		{"every split idle: idle", 50 * time.Millisecond, []step{
			{split: "a", ts: 100, live: []string{"a"}},
			{split: "", live: []string{"a"}},
			{split: "", live: []string{"a"}, adv: 60 * time.Millisecond},
			{split: "", live: []string{"a"}, adv: 60 * time.Millisecond},
		}, "[- 89 idle -]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := time.UnixMilli(1_000_000)
			var got []string
			var last []string
			tcx := runtime.NewTestTimeContext(func(wm int64) {
				if wm == runtime.IdleWatermark {
					last = append(last, "idle")
				} else {
					last = append(last, fmt.Sprint(wm))
				}
			}, func() time.Time { return now })
			s := ForBoundedOutOfOrderness[int64](10 * time.Millisecond).WithTimestampAssigner(func(v int64, _ int64) int64 { return v })
			if tc.idle > 0 {
				s = s.WithIdleness(tc.idle)
			}
			m := newSplitWatermarks(s, tcx)
			r := &fakeSplitReader{}
			m.setReader(r)
			emit := m.wrap(func(int64) {})
			for _, st := range tc.steps {
				now = now.Add(st.adv)
				r.live = st.live
				last = nil
				if st.split == "" {
					m.periodic(now.UnixMilli())
				} else {
					r.cur = st.split
					emit(st.ts)
				}
				switch len(last) {
				case 0:
					got = append(got, "-")
				case 1:
					got = append(got, last[0])
				default:
					t.Fatalf("several watermarks in one step: %v", last)
				}
			}
			if fmt.Sprint(got) != tc.want {
				t.Fatalf("got %v, want %s", got, tc.want)
			}
		})
	}
}

// TestFromSourceWithWatermarks runs a source with a strategy into event-time
// windows end to end.
func TestFromSourceWithWatermarks(t *testing.T) {
	env := NewEnvironment(Options{Parallelism: 2})
	src := &strideSource[int64]{name: "gen", end: 100, bounded: true, at: func(i int64) int64 { return i }}
	s := FromSourceWithWatermarks[int64](env, src, ForBoundedOutOfOrderness[int64](5*time.Millisecond).
		WithTimestampAssigner(func(v int64, _ int64) int64 { return v }), "gen")
	ws := WindowAll(s, TumblingEventTimeWindows(10*time.Millisecond))
	out := WindowProcess(ws, func(c *WindowContext[int], els []int64, emit func(string)) {
		emit(fmt.Sprintf("%d:%d", c.Window().Start, len(els)))
	})
	var col collector[string]
	ForEach(out, col.add)
	if err := env.Execute("src-wm"); err != nil {
		t.Fatal(err)
	}
	if got := col.sorted(func(a, b string) bool { return a < b }); len(got) != 10 || got[0] != "0:10" {
		t.Fatalf("windows %v, want 10 of 10 records", got)
	}
	env2 := NewEnvironment(Options{})
	FromSourceWithWatermarks[int64](env2, src, ForMonotonousTimestamps[int64](), "gen").Discard()
	if err := env2.Err(); err == nil {
		t.Fatal("a strategy without timestamp assigner on a Source was accepted")
	}
}
