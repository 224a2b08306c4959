package stream

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/floe-yarn/floe/runtime"
)

// TestProcessStream runs a non-keyed process function behind a source
// (with and without timestamps) at parallelism 1 and 3: even records go
// to the main output with the timestamp and watermark the function saw,
// odd ones to a side output of another type. Instance s of the source
// reads the records v with v % p == s in order and the per-event
// generator emits the last timestamp − 1 after each record, so each
// record's watermark is exact: that of the record p before it.
func TestProcessStream(t *testing.T) {
	const n = 60
	odd := NewOutputTag[fiveRec]("odd")
	for _, timestamps := range []bool{false, true} {
		for _, p := range []int{1, 3} {
			t.Run(fmt.Sprintf("timestamps=%v/p%d", timestamps, p), func(t *testing.T) {
				var wantMain, wantSide []string
				for v := 0; v < n; v++ {
					if v%2 == 1 {
						wantSide = append(wantSide, fmt.Sprint(fiveRec{v % p, v}))
						continue
					}
					ts, wm := "none", runtime.MinWatermark
					if timestamps {
						ts = fmt.Sprint(10 * v)
						if v >= p {
							wm = int64(10*(v-p) - 1)
						}
					}
					wantMain = append(wantMain, fmt.Sprintf("%d @%s wm %d", v, ts, wm))
				}
				sort.Strings(wantMain)
				sort.Strings(wantSide)

				env := NewEnvironment(Options{Parallelism: p})
				src := FromSlice(env, ints(n))
				if timestamps {
					src = AssignTimestampsAndWatermarks(src, ForGenerator(func() WatermarkGenerator[int] {
						return &perEventInts{max: runtime.MinWatermark}
					}).WithTimestampAssigner(func(v int, _ int64) int64 { return int64(10 * v) }))
				}
				start := time.Now().UnixMilli()
				out := ProcessStream(src, func(ctx *ProcessStreamContext, v int, emit func(string)) {
					if now := ctx.CurrentProcessingTime(); now < start || now > time.Now().UnixMilli() {
						emit(fmt.Sprintf("processing time %d outside the run", now))
					}
					if v%2 == 1 {
						Output(ctx, odd, fiveRec{ctx.Subtask(), v})
						return
					}
					ts := "none"
					if t, ok := ctx.Timestamp(); ok {
						ts = fmt.Sprint(t)
					}
					emit(fmt.Sprintf("%d @%s wm %d", v, ts, ctx.CurrentWatermark()))
				})
				var main, side collector[string]
				ForEach(out, main.add)
				ForEach(SideOutput(out, odd), func(r fiveRec) { side.add(fmt.Sprint(r)) })
				if err := env.Execute("process-stream"); err != nil {
					t.Fatal(err)
				}
				less := func(a, b string) bool { return a < b }
				if got := main.sorted(less); fmt.Sprint(got) != fmt.Sprint(wantMain) {
					t.Errorf("main output:\ngot  %v\nwant %v", got, wantMain)
				}
				if got := side.sorted(less); fmt.Sprint(got) != fmt.Sprint(wantSide) {
					t.Errorf("side output:\ngot  %v\nwant %v", got, wantSide)
				}
			})
		}
	}
}

// perEventInts emits the largest timestamp so far − 1 after every
// record that raises it.
type perEventInts struct{ max int64 }

func (g *perEventInts) OnEvent(_ int, ts int64, out WatermarkOutput) {
	if ts > g.max {
		g.max = ts
		out.EmitWatermark(ts - 1)
	}
}
func (g *perEventInts) OnPeriodicEmit(WatermarkOutput) {}

// TestProcessStreamChains: ProcessStream after a Map at the same
// parallelism runs in the Map's task, its side output's reader too, and
// it counts what it emits on its main output (a FlatMap's counts).
func TestProcessStreamChains(t *testing.T) {
	env := NewEnvironment(Options{Parallelism: 1})
	src := FromSlice(env, []int64{1, 2, 3}).Name("numbers")
	m := Map(src, func(v int64) int64 { return v * 2 }).Name("double")
	tag := NewOutputTag[string]("side")
	out := ProcessStream(m, func(ctx *ProcessStreamContext, v int64, emit func(int64)) {
		emit(v)
		emit(v + 1)
		Output(ctx, tag, fmt.Sprint(v))
	}).Name("op")
	var got, side collector[int64]
	ForEach(out, got.add).Name("each")
	ForEach(Map(SideOutput(out, tag), func(s string) int64 { return int64(len(s)) }), side.add)
	vals := chainedOperatorCounts(t, env)
	for k, w := range map[string]float64{"op.numRecordsIn": 3, "op.numRecordsOut": 6, "each.numRecordsIn": 6} {
		if v, ok := vals[k]; !ok || v != w {
			t.Errorf("%s = %v (present %v), want %v", k, v, ok, w)
		}
	}
	less := func(a, b int64) bool { return a < b }
	if g, s := got.sorted(less), side.sorted(less); fmt.Sprint(g) != "[2 3 4 5 6 7]" || fmt.Sprint(s) != "[1 1 1]" {
		t.Errorf("main %v, side %v", g, s)
	}
}
