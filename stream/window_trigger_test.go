package stream

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/runtime"
	"github.com/rs/zerolog"
)

// clockHarness runs one subtask of a one-input operator by hand on a
// clock the test moves (Flink's OneInputStreamOperatorTestHarness with
// its processing-time service): records go in at the current time, and
// advance runs the processing-time timers millisecond by millisecond, so
// every firing sees the exact time it was due. Results are collected in
// order.
type clockHarness[T any] struct {
	t    *testing.T
	op   runtime.Operator
	tc   *runtime.TimeContext
	in   runtime.Codec[T]
	now  int64
	out  []string
	done bool
}

// newClockHarness opens out's operator (its input of type T) at time
// now, restored from handles when there are any.
func newClockHarness[T any](t *testing.T, env *Environment, out Stream[string], now int64, ckp *runtime.CheckpointSettings, restore []runtime.StateHandle) *clockHarness[T] {
	t.Helper()
	if err := env.Err(); err != nil {
		t.Fatal(err)
	}
	in, err := runtime.CodecFor[T](env.codecs)
	if err != nil {
		t.Fatal(err)
	}
	h := &clockHarness[T]{t: t, in: in, now: now}
	h.tc = runtime.NewTestTimeContext(func(int64) {}, func() time.Time { return time.UnixMilli(h.now) })
	f := env.nodes[out.node].factory
	o, err := f.NewOutput(runtime.Outputs{Chained: []any{func(s string) { h.out = append(h.out, s) }}})
	if err != nil {
		t.Fatal(err)
	}
	oc := runtime.OperatorContext{Job: "j", Operator: graph.Operator{ID: "op-uid", Node: graph.Node{Name: "op"}},
		Parallelism: 1, MaxParallelism: 128, Vertex: 1, Logger: zerolog.Nop(), Checkpointing: ckp, Time: h.tc}
	if restore != nil {
		oc.Restore = &runtime.OperatorRestore{Checkpoint: 1, Handles: restore}
	}
	if h.op, err = f.Open(oc, o); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.close)
	return h
}

// close closes the subtask (once).
func (h *clockHarness[T]) close() {
	if h.done {
		return
	}
	h.done = true
	if err := h.op.Close(); err != nil {
		h.t.Error(err)
	}
}

// push processes v at the current time.
func (h *clockHarness[T]) push(vs ...T) {
	h.t.Helper()
	for _, v := range vs {
		if err := h.op.PushRecord(h.in.Append(nil, v)); err != nil {
			h.t.Fatal(err)
		}
	}
}

// advance moves the clock to to, running the timers due at each
// millisecond on the way.
func (h *clockHarness[T]) advance(to int64) {
	for h.now < to {
		h.now++
		h.tc.FireProcessingTimers()
	}
}

// arriveAt moves the clock to t running the timers due before t, not
// those due at t: records pushed then come before the timers of their
// millisecond (which the next advance runs).
func (h *clockHarness[T]) arriveAt(t int64) {
	if t > h.now {
		h.tc.FireProcessingTimers() // due at now, left by an earlier arriveAt
		h.advance(t - 1)
		h.now = t
	}
}

// take returns the results so far, sorted, and forgets them.
func (h *clockHarness[T]) take() []string {
	out := h.out
	h.out = nil
	sort.Strings(out)
	return out
}

func (h *clockHarness[T]) checkpoint() []runtime.StateHandle {
	h.t.Helper()
	ctx := context.Background()
	s, err := h.op.(runtime.Checkpointer).SnapshotState(ctx, runtime.CheckpointMeta{ID: 1, Timestamp: h.now})
	if err != nil {
		h.t.Fatal(err)
	}
	hs, err := s.Upload(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	return hs
}

// firings is a window job whose result is "key [start,end) n=<records> at
// <processing time>" every time a window fires.
func firings(env *Environment, a WindowAssigner, tr Trigger) Stream[string] {
	ws := Window(KeyBy(FromSlice(env, []string{"a"}), func(s string) string { return s }), a).Trigger(tr)
	return WindowProcess(ws, func(ctx *WindowContext[string], els []string, out func(string)) {
		w := ctx.Window()
		out(fmt.Sprintf("%s [%d,%d) n=%d at %d", ctx.Key(), w.Start, w.End, len(els), ctx.CurrentProcessingTime()))
	})
}

// TestContinuousProcessingTimeTrigger moves the clock by hand: a window
// fires at every interval boundary (aligned to the epoch, the first after
// its first record) and at its end, with what it holds then; nothing
// fires between.
func TestContinuousProcessingTimeTrigger(t *testing.T) {
	type step struct {
		at   int64    // move the clock here first
		push []string // then process these
		want []string // firings on the way to at
	}
	cases := []struct {
		name  string
		a     WindowAssigner
		tr    Trigger
		steps []step
	}{
		{"tumbling", TumblingProcessingTimeWindows(100 * time.Millisecond), ContinuousProcessingTimeTrigger(30 * time.Millisecond), []step{
			{at: 1005, push: []string{"a"}},
			{at: 1010, push: []string{"b"}},
			{at: 1019},
			{at: 1030, push: []string{"a"}, want: []string{"a [1000,1100) n=1 at 1020", "b [1000,1100) n=1 at 1020"}},
			{at: 1060, push: []string{"a"}, want: []string{"a [1000,1100) n=2 at 1050", "b [1000,1100) n=1 at 1050"}},
			{at: 1150, push: []string{"a"}, want: []string{
				"a [1000,1100) n=3 at 1080", "b [1000,1100) n=1 at 1080",
				"a [1000,1100) n=3 at 1099", "b [1000,1100) n=1 at 1099"}},
			// The new window's first boundary follows its first record;
			// the one at 1200 is after its end.
			{at: 1300, want: []string{"a [1100,1200) n=1 at 1170", "a [1100,1200) n=1 at 1199"}},
		}},
		{"boundary at the end fires once", TumblingProcessingTimeWindows(100 * time.Millisecond), ContinuousProcessingTimeTrigger(33 * time.Millisecond), []step{
			{at: 1, push: []string{"a"}},
			{at: 200, want: []string{"a [0,100) n=1 at 33", "a [0,100) n=1 at 66", "a [0,100) n=1 at 99"}},
		}},
		{"global purging", GlobalWindows(), PurgingTrigger(ContinuousProcessingTimeTrigger(50 * time.Millisecond)), []step{
			{at: 10, push: []string{"a", "a"}},
			{at: 60, push: []string{"a"}, want: []string{fmt.Sprintf("a [%d,%d) n=2 at 50", globalWindow.Start, globalWindow.End)}},
			// Purged windows stay quiet at 150; the trigger keeps firing.
			{at: 160, push: []string{"a"}, want: []string{fmt.Sprintf("a [%d,%d) n=1 at 100", globalWindow.Start, globalWindow.End)}},
			{at: 210, want: []string{fmt.Sprintf("a [%d,%d) n=1 at 200", globalWindow.Start, globalWindow.End)}},
		}},
		{"sessions merge", ProcessingTimeSessionWindows(40 * time.Millisecond), ContinuousProcessingTimeTrigger(50 * time.Millisecond), []step{
			{at: 10, push: []string{"a"}},                                        // [10,50), boundary 50 after its end
			{at: 45, push: []string{"a"}},                                        // merged: [10,85), boundary 50 kept
			{at: 70, push: []string{"a"}, want: []string{"a [10,85) n=2 at 50"}}, // [10,110)
			{at: 120, push: []string{"a"}, want: []string{"a [10,110) n=3 at 100", "a [10,110) n=3 at 109"}},
			{at: 200, want: []string{"a [120,160) n=1 at 150", "a [120,160) n=1 at 159"}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := NewEnvironment(Options{})
			h := newClockHarness[string](t, env, firings(env, tc.a, tc.tr), 0, nil, nil)
			for _, s := range tc.steps {
				h.advance(s.at)
				sort.Strings(s.want)
				if got := h.take(); fmt.Sprint(got) != fmt.Sprint(s.want) {
					t.Fatalf("on the way to %d: fired %q, want %q", s.at, got, s.want)
				}
				h.push(s.push...)
			}
		})
	}
}

// TestContinuousProcessingTimeTriggerRestore checkpoints a window between
// two firings and restores it: the next firing time is keyed state, so
// the restored window goes on firing at the same boundaries.
func TestContinuousProcessingTimeTriggerRestore(t *testing.T) {
	for _, backend := range []string{"hashmap", "pebble"} {
		t.Run(backend, func(t *testing.T) {
			ckp := &runtime.CheckpointSettings{Dir: filepath.Join(t.TempDir(), "chk"), Backend: backend, LocalDir: t.TempDir(), Storage: dirStorage{}}
			open := func(now int64, restore []runtime.StateHandle) *clockHarness[string] {
				env := NewEnvironment(Options{})
				return newClockHarness[string](t, env, firings(env, TumblingProcessingTimeWindows(100*time.Millisecond),
					ContinuousProcessingTimeTrigger(30*time.Millisecond)), now, ckp, restore)
			}
			h1 := open(1005, nil)
			h1.push("a")
			h1.advance(1025)
			h1.push("a")
			hs := h1.checkpoint()
			if got := h1.take(); fmt.Sprint(got) != "[a [1000,1100) n=1 at 1020]" {
				t.Fatalf("before the checkpoint: %q", got)
			}
			h1.close()

			h2 := open(1025, hs)
			h2.advance(1200)
			want := []string{"a [1000,1100) n=2 at 1050", "a [1000,1100) n=2 at 1080", "a [1000,1100) n=2 at 1099"}
			if got := h2.take(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("after the restore: fired %q, want %q", got, want)
			}
		})
	}
}

// TestContinuousProcessingTimeTriggerJob runs a job on the wall clock: a
// global window fires every 20 ms while the source produces, each time
// with every record so far.
func TestContinuousProcessingTimeTriggerJob(t *testing.T) {
	env := NewEnvironment(Options{Parallelism: 1})
	src := Generate(env, func(i int64) int64 { return 1 }, GeneratorOptions{Count: 60, RatePerSecond: 300})
	ws := WindowAll(src, GlobalWindows()).Trigger(ContinuousProcessingTimeTrigger(20 * time.Millisecond))
	var col collector[int64]
	ForEach(ws.Reduce(func(a, b int64) int64 { return a + b }), col.add)
	if err := env.Execute("continuous"); err != nil {
		t.Fatal(err)
	}
	col.mu.Lock()
	got := append([]int64(nil), col.recs...)
	col.mu.Unlock()
	// 60 records over 200 ms: about ten firings; a loaded machine may
	// stall, but not for the whole run.
	if len(got) < 2 {
		t.Fatalf("fired %d times (%v), want periodic firings", len(got), got)
	}
	for i, n := range got {
		if n < 1 || n > 60 || (i > 0 && n < got[i-1]) {
			t.Fatalf("counts %v: want a running count of at most 60", got)
		}
	}
}
