package stream

import (
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"
)

// Shared by the window join and interval join tests: two inputs of
// joinEv, each with its own watermark generator, and brute-force
// references.

// joinEv is a record of either input of a join test; ID tells records
// apart in the output.
type joinEv struct {
	ID  int
	TS  int64
	Key string
}

// joinBounded emits largest timestamp − bound − 1 at every event.
type joinBounded struct{ bound, max int64 }

func (g *joinBounded) OnEvent(_ joinEv, ts int64, out WatermarkOutput) {
	if ts > g.max {
		g.max = ts
		out.EmitWatermark(ts - g.bound - 1)
	}
}
func (g *joinBounded) OnPeriodicEmit(WatermarkOutput) {}

// genJoinEvents makes n events over keys, ids from firstID, timestamps at
// most disorder behind the largest so far (negative timestamps too).
func genJoinEvents(seed int64, n, keys, firstID int, disorder int64) []joinEv {
	r := rand.New(rand.NewSource(seed))
	out := make([]joinEv, n)
	var t int64 = -300
	for i := range out {
		t += r.Int63n(10)
		out[i] = joinEv{ID: firstID + i, TS: t - r.Int63n(disorder+1), Key: fmt.Sprintf("k%d", r.Intn(keys))}
	}
	return out
}

// joinInputs makes the two keyed inputs of a join job: each a source of
// parallelism 1 whose one generator sees its records in order. With a
// disorder below bound no record is ever late, whatever the interleaving
// of the inputs at the join: the output is the reference's.
func joinInputs(env *Environment, as, bs []joinEv, bound int64) (KeyedStream[joinEv, string], KeyedStream[joinEv, string]) {
	in := func(evs []joinEv) KeyedStream[joinEv, string] {
		src := FromSlice(env, evs).Parallelism(1)
		ts := AssignTimestampsAndWatermarks(src, ForGenerator(func() WatermarkGenerator[joinEv] {
			return &joinBounded{bound: bound, max: -1 << 62}
		}).WithTimestampAssigner(func(e joinEv, _ int64) int64 { return e.TS })).Parallelism(1)
		return KeyBy(ts, func(e joinEv) string { return e.Key })
	}
	return in(as), in(bs)
}

// stamped appends each result's event timestamp to it ("… @ts").
func stamped(s Stream[string]) Stream[string] {
	return KeyedProcess(KeyBy(s, func(v string) string { return v }), KeyedProcessFuncs[string, string, int, string]{
		Element: func(ctx *ProcessContext[string, int], v string, out func(string)) {
			ts, ok := ctx.Timestamp()
			if !ok {
				out(v + " @none")
				return
			}
			out(fmt.Sprintf("%s @%d", v, ts))
		},
	})
}

// collect runs the job and returns the sorted lines of out.
func collect(t *testing.T, env *Environment, out Stream[string]) []string {
	t.Helper()
	var c collector[string]
	ForEach(out, c.add)
	if err := env.Execute("join"); err != nil {
		t.Fatal(err)
	}
	return c.sorted(func(a, b string) bool { return a < b })
}

// sameLines fails the test with the first differences when got and want
// (sorted) differ.
func sameLines(t *testing.T, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	missing, extra := diffLines(got, want)
	t.Fatalf("%d lines, want %d; missing %d (first %v), unexpected %d (first %v)",
		len(got), len(want), len(missing), first(missing, 5), len(extra), first(extra, 5))
}

// diffLines returns the lines of want not in got and those of got not in
// want, as multisets.
func diffLines(got, want []string) (missing, extra []string) {
	n := map[string]int{}
	for _, l := range want {
		n[l]++
	}
	for _, l := range got {
		n[l]--
	}
	for l, c := range n {
		for ; c > 0; c-- {
			missing = append(missing, l)
		}
		for ; c < 0; c++ {
			extra = append(extra, l)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return missing, extra
}

func first(s []string, n int) []string { return s[:min(n, len(s))] }

// ids lists the events' ids, sorted.
func ids(evs []joinEv) string {
	var s []string
	for _, e := range evs {
		s = append(s, fmt.Sprint(e.ID))
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}
