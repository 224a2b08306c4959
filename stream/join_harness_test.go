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
	"github.com/floe-yarn/floe/runtime/state"
	"github.com/rs/zerolog"
)

// coHarness runs the subtasks of one keyed two-input operator of a job
// by hand (Flink's KeyedTwoInputStreamOperatorTestHarness): the test
// decides the exact order of records and watermarks, routes each record
// to the subtask owning its key group, takes checkpoints with the real
// state backends and restores them at another parallelism.
type coHarness struct {
	t    *testing.T
	env  *Environment
	node int
	p    int
	maxP int
	ckp  *runtime.CheckpointSettings
	subs []harnessSub
	hash func(string) uint64
	ec   runtime.Codec[joinEv]
	out  []string
	done bool
}

type harnessSub struct {
	op  runtime.Operator
	tc  *runtime.TimeContext
	rng state.KeyGroupRange
}

// harnessStep is one input record (side 0 or 1) or, when wm is set, a
// watermark for every subtask.
type harnessStep struct {
	side int
	e    joinEv
	wm   *int64
}

// newCoHarness opens p subtasks of out's operator, restored from
// handles when there are any. Results are collected as "line @ts".
func newCoHarness(t *testing.T, env *Environment, out Stream[string], p int, ckp *runtime.CheckpointSettings, restore []runtime.StateHandle) *coHarness {
	t.Helper()
	if err := env.Err(); err != nil {
		t.Fatal(err)
	}
	ec, err := runtime.CodecFor[joinEv](env.codecs)
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := runtime.CodecFor[string](env.codecs)
	hash, err := runtime.KeyHasher[string](sc)
	if err != nil {
		t.Fatal(err)
	}
	h := &coHarness{t: t, env: env, node: out.node, p: p, maxP: 128, ckp: ckp, hash: hash, ec: ec}
	f := env.nodes[out.node].factory
	for i := 0; i < p; i++ {
		rng, err := state.RangeForSubtask(h.maxP, p, i)
		if err != nil {
			t.Fatal(err)
		}
		tc := runtime.NewTestTimeContext(func(int64) {}, time.Now)
		emit := func(s string) {
			ts, ok := tc.Timestamp()
			if !ok {
				h.out = append(h.out, s+" @none")
				return
			}
			h.out = append(h.out, fmt.Sprintf("%s @%d", s, ts))
		}
		o, err := f.NewOutput(runtime.Outputs{Chained: []any{emit}})
		if err != nil {
			t.Fatal(err)
		}
		oc := runtime.OperatorContext{Job: "j", Operator: graph.Operator{ID: "join-uid", Node: graph.Node{Name: "join"}},
			Subtask: i, Parallelism: p, MaxParallelism: h.maxP, Vertex: 1, Logger: zerolog.Nop(), Checkpointing: ckp, Time: tc}
		if restore != nil {
			oc.Restore = &runtime.OperatorRestore{Checkpoint: 1, Handles: restore}
		}
		op, err := f.Open(oc, o)
		if err != nil {
			t.Fatal(err)
		}
		h.subs = append(h.subs, harnessSub{op: op, tc: tc, rng: rng})
	}
	t.Cleanup(h.close)
	return h
}

// run feeds steps in order.
func (h *coHarness) run(steps []harnessStep) {
	h.t.Helper()
	for _, s := range steps {
		if s.wm != nil {
			for _, sub := range h.subs {
				sub.op.(runtime.WatermarkHandler).ProcessWatermark(*s.wm)
			}
			continue
		}
		kg := state.KeyGroupOf(h.hash(s.e.Key), h.maxP)
		for _, sub := range h.subs {
			if !sub.rng.Contains(kg) {
				continue
			}
			sub.tc.SetTimestamp(s.e.TS)
			rec := h.ec.Append(nil, s.e)
			var err error
			if s.side == 0 {
				err = sub.op.PushRecord(rec)
			} else {
				err = sub.op.(runtime.TwoInputOperator).PushRecord2(rec)
			}
			if err != nil {
				h.t.Fatal(err)
			}
		}
	}
}

// checkpoint snapshots every subtask as checkpoint id and returns the
// uploaded handles.
func (h *coHarness) checkpoint(id int64) []runtime.StateHandle {
	h.t.Helper()
	ctx := context.Background()
	var hs []runtime.StateHandle
	for _, sub := range h.subs {
		s, err := sub.op.(runtime.Checkpointer).SnapshotState(ctx, runtime.CheckpointMeta{ID: id, Timestamp: time.Now().UnixMilli()})
		if err != nil {
			h.t.Fatal(err)
		}
		got, err := s.Upload(ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		hs = append(hs, got...)
	}
	return hs
}

// close closes every subtask (once).
func (h *coHarness) close() {
	if h.done {
		return
	}
	h.done = true
	for _, sub := range h.subs {
		if err := sub.op.Close(); err != nil {
			h.t.Error(err)
		}
	}
}

// interleave merges as (side 0) and bs (side 1) into one arrival order,
// alternating in runs; after every record comes the watermark the
// operator would have: the smaller of both inputs' largest timestamp −
// bound − 1.
func interleave(as, bs []joinEv, bound int64) []harnessStep {
	var steps []harnessStep
	maxTS := [2]int64{runtime.MinWatermark + bound + 1, runtime.MinWatermark + bound + 1}
	sent := runtime.MinWatermark
	add := func(side int, e joinEv) {
		steps = append(steps, harnessStep{side: side, e: e})
		maxTS[side] = max(maxTS[side], e.TS)
		if wm := min(maxTS[0], maxTS[1]) - bound - 1; wm > sent {
			sent = wm
			steps = append(steps, harnessStep{wm: &wm})
		}
	}
	for i, j := 0, 0; i < len(as) || j < len(bs); {
		for n := 0; n < 3 && i < len(as); n++ {
			add(0, as[i])
			i++
		}
		for n := 0; n < 2 && j < len(bs); n++ {
			add(1, bs[j])
			j++
		}
	}
	end := runtime.MaxWatermark
	return append(steps, harnessStep{wm: &end})
}

// TestJoinsRestoreAndRescale runs a window join and an interval join
// through two failures: checkpoint mid-run at parallelism 2, go on (that
// output is lost with the failure), restore at 3 and replay from the
// checkpoint, checkpoint again, go on, restore at 1 and finish. Buffers,
// windows, session sets and timers must come back in the right key
// groups: the committed output (before each checkpoint, then the last
// run) equals the reference, each line once, for every state backend.
func TestJoinsRestoreAndRescale(t *testing.T) {
	as := genJoinEvents(71, 400, 6, 0, 40)
	bs := genJoinEvents(72, 400, 6, 1000, 40)
	steps := interleave(as, bs, 50)
	ic := intervalCase{name: "interval", lower: -20 * time.Millisecond, upper: 30 * time.Millisecond, upperExclusive: true}
	jobs := []struct {
		name  string
		build func(env *Environment) Stream[string]
		want  []string
	}{
		{"window join", func(env *Environment) Stream[string] {
			ka, kb := harnessInputs(env)
			return WindowJoin(CoWindow(ka, kb, joinAssigners["session"]), func(x, y joinEv) string {
				return fmt.Sprintf("%s %d %d", x.Key, x.ID, y.ID)
			})
		}, refWindowJoin(as, bs, joinAssigners["session"])},
		{"interval join", func(env *Environment) Stream[string] {
			ka, kb := harnessInputs(env)
			return IntervalJoinProcess(ic.join(ka, kb), func(ctx *IntervalJoinContext[string], a, b joinEv, out func(string)) {
				out(intervalLine(ctx, a, b))
			})
		}, refIntervalJoin(as, bs, ic)},
	}
	for _, job := range jobs {
		for _, backend := range []string{"hashmap", "pebble"} {
			t.Run(job.name+"/"+backend, func(t *testing.T) {
				ckp := &runtime.CheckpointSettings{Dir: filepath.Join(t.TempDir(), "chk"), Backend: backend, LocalDir: t.TempDir(), Storage: dirStorage{}}
				open := func(p int, restore []runtime.StateHandle) *coHarness {
					env := NewEnvironment(Options{})
					return newCoHarness(t, env, job.build(env), p, ckp, restore)
				}
				c1, c2 := len(steps)/3, 2*len(steps)/3
				h1 := open(2, nil)
				h1.run(steps[:c1])
				hs1 := h1.checkpoint(1)
				committed := append([]string(nil), h1.out...)
				h1.run(steps[c1 : c1+100]) // lost with the failure
				h1.close()

				h2 := open(3, hs1)
				h2.run(steps[c1:c2])
				hs2 := h2.checkpoint(2)
				committed = append(committed, h2.out...)
				h2.run(steps[c2 : c2+100])
				h2.close()

				h3 := open(1, hs2)
				h3.run(steps[c2:])
				h3.close()
				got := append(committed, h3.out...)
				sort.Strings(got)
				sameLines(t, got, job.want)
			})
		}
	}
}

// harnessInputs are two keyed inputs with timestamps; the harness feeds
// the join directly, so the sources never run.
func harnessInputs(env *Environment) (KeyedStream[joinEv, string], KeyedStream[joinEv, string]) {
	return joinInputs(env, nil, nil, 0)
}

// TestIntervalJoinDropsLateRecords feeds one subtask in a fixed order: a
// record behind the watermark is dropped on either side, one at the
// watermark is not, and a buffered record stays joinable until the
// watermark passes its last possible partner.
func TestIntervalJoinDropsLateRecords(t *testing.T) {
	env := NewEnvironment(Options{})
	ka, kb := harnessInputs(env)
	out := IntervalJoinProcess(IntervalJoin(ka, kb, -10*time.Millisecond, 10*time.Millisecond), func(ctx *IntervalJoinContext[string], a, b joinEv, out func(string)) {
		out(fmt.Sprintf("%d-%d", a.ID, b.ID))
	})
	h := newCoHarness(t, env, out, 1, nil, nil)
	wm := func(w int64) harnessStep { return harnessStep{wm: &w} }
	a := func(id int, ts int64) harnessStep { return harnessStep{side: 0, e: joinEv{ID: id, TS: ts, Key: "k"}} }
	b := func(id int, ts int64) harnessStep { return harnessStep{side: 1, e: joinEv{ID: id, TS: ts, Key: "k"}} }
	h.run([]harnessStep{
		a(1, 100), // joinable by right records up to 110
		wm(95),
		b(2, 94),  // late: dropped, although record 1 would match
		b(3, 95),  // at the watermark: joins 1
		wm(110),   // record 1 still joinable by a right record at 110
		b(4, 110), // joins 1
		a(5, 109), // late: dropped, although 3 and 4 are buffered
		wm(111),   // now record 1 is gone
		b(6, 111), // nothing left to join
		a(7, 111), // joins 4 and 6 (right records in [101, 121])
		wm(runtime.MaxWatermark),
	})
	got := append([]string(nil), h.out...)
	sort.Strings(got)
	sameLines(t, got, []string{"1-3 @100", "1-4 @110", "7-4 @111", "7-6 @111"})
}
