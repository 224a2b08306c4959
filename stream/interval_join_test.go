package stream

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// intervalCase is a pair of interval join bounds.
type intervalCase struct {
	name           string
	lower, upper   time.Duration
	lowerExclusive bool
	upperExclusive bool
}

func (c intervalCase) join(a, b KeyedStream[joinEv, string]) IntervalJoinedStreams[joinEv, joinEv, string] {
	j := IntervalJoin(a, b, c.lower, c.upper)
	if c.lowerExclusive {
		j = j.LowerBoundExclusive()
	}
	if c.upperExclusive {
		j = j.UpperBoundExclusive()
	}
	return j
}

var intervalCases = []intervalCase{
	{name: "inclusive", lower: -20 * time.Millisecond, upper: 30 * time.Millisecond},
	{name: "exclusive", lower: -20 * time.Millisecond, upper: 30 * time.Millisecond, lowerExclusive: true, upperExclusive: true},
	{name: "lower exclusive", lower: 0, upper: 25 * time.Millisecond, lowerExclusive: true},
	{name: "upper exclusive", lower: -25 * time.Millisecond, upper: 0, upperExclusive: true},
	{name: "negative", lower: -60 * time.Millisecond, upper: -10 * time.Millisecond},
	{name: "point", lower: 5 * time.Millisecond, upper: 5 * time.Millisecond},
}

// refIntervalJoin is the brute-force interval join of inputs without
// late records: "key aID bID aTS bTS @max(aTS, bTS)".
func refIntervalJoin(as, bs []joinEv, c intervalCase) []string {
	lo, hi := c.lower.Milliseconds(), c.upper.Milliseconds()
	var out []string
	for _, a := range as {
		for _, b := range bs {
			d := b.TS - a.TS
			if a.Key != b.Key || d < lo || d > hi || c.lowerExclusive && d == lo || c.upperExclusive && d == hi {
				continue
			}
			out = append(out, fmt.Sprintf("%s %d %d %d %d @%d", a.Key, a.ID, b.ID, a.TS, b.TS, max(a.TS, b.TS)))
		}
	}
	sort.Strings(out)
	return out
}

// intervalLine is what the tests' join function emits for a pair.
func intervalLine(ctx *IntervalJoinContext[string], a, b joinEv) string {
	if a.Key != ctx.Key() || b.Key != ctx.Key() || a.TS != ctx.LeftTimestamp() || b.TS != ctx.RightTimestamp() || ctx.Timestamp() != max(a.TS, b.TS) {
		return fmt.Sprintf("bad context %s %d %d %d for %v %v", ctx.Key(), ctx.LeftTimestamp(), ctx.RightTimestamp(), ctx.Timestamp(), a, b)
	}
	return fmt.Sprintf("%s %d %d %d %d", a.Key, a.ID, b.ID, a.TS, b.TS)
}

// TestIntervalJoinAgainstReference joins two out-of-order inputs with
// inclusive, exclusive, negative and single-point bounds at parallelism 1
// and 3: every pair once (the buffers are cleaned up only once no pair
// can follow), the context's timestamps right, the result stamped with
// the larger one.
func TestIntervalJoinAgainstReference(t *testing.T) {
	for _, c := range intervalCases {
		for _, p := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/p%d", c.name, p), func(t *testing.T) {
				as := genJoinEvents(int64(50+p), 400, 4, 0, 40)
				bs := genJoinEvents(int64(60+p), 400, 4, 1000, 40)
				want := refIntervalJoin(as, bs, c)
				if len(want) < 10 {
					t.Fatalf("test input: only %d pairs", len(want))
				}
				env := NewEnvironment(Options{Parallelism: p})
				ka, kb := joinInputs(env, as, bs, 50)
				out := IntervalJoinProcess(c.join(ka, kb), func(ctx *IntervalJoinContext[string], a, b joinEv, out func(string)) {
					out(intervalLine(ctx, a, b))
				})
				sameLines(t, collect(t, env, stamped(out)), want)
			})
		}
	}
}

// TestIntervalJoinBuildErrors: bounds that match nothing and inputs
// without timestamps are refused when the job is built.
func TestIntervalJoinBuildErrors(t *testing.T) {
	key := func(i int) int { return i }
	timed := func(env *Environment) KeyedStream[int, int] {
		return KeyBy(AssignTimestampsAndWatermarks(FromSlice(env, []int{1}), ForMonotonousTimestamps[int]().WithTimestampAssigner(func(i int, _ int64) int64 { return int64(i) })), key)
	}
	sum := func(_ *IntervalJoinContext[int], a, b int, out func(int)) { out(a + b) }
	cases := []struct {
		name  string
		build func(env *Environment)
		want  string
	}{
		{"lower above upper", func(env *Environment) {
			IntervalJoinProcess(IntervalJoin(timed(env), timed(env), time.Second, -time.Second), sum).Discard()
		}, "IntervalJoin: lower bound 1s is above upper bound -1s"},
		{"empty exclusive interval", func(env *Environment) {
			IntervalJoinProcess(IntervalJoin(timed(env), timed(env), time.Second, time.Second).UpperBoundExclusive(), sum).Discard()
		}, "with an exclusive end hold no timestamp"},
		{"sub-millisecond bound", func(env *Environment) {
			IntervalJoinProcess(IntervalJoin(timed(env), timed(env), 0, time.Microsecond), sum).Discard()
		}, "bound 1µs: must be whole milliseconds"},
		{"first input without timestamps", func(env *Environment) {
			IntervalJoinProcess(IntervalJoin(KeyBy(FromSlice(env, []int{1}), key), timed(env), 0, time.Second), sum).Discard()
		}, "IntervalJoin: an interval join is in event time and needs timestamps on both inputs: call AssignTimestampsAndWatermarks"},
		{"second input without timestamps", func(env *Environment) {
			IntervalJoinProcess(IntervalJoin(timed(env), KeyBy(FromSlice(env, []int{1}), key), 0, time.Second), sum).Discard()
		}, "needs timestamps on both inputs"},
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
