package stream

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestCoProcessRoutesEachInput connects streams of two types at several
// parallelisms and partitionings: every record reaches the function of its
// own input exactly once, decoded with its own codec.
func TestCoProcessRoutesEachInput(t *testing.T) {
	cases := []struct {
		name    string
		p       int
		prepare func(a Stream[int], b Stream[string]) (Stream[int], Stream[string])
	}{
		{"parallelism 1", 1, func(a Stream[int], b Stream[string]) (Stream[int], Stream[string]) { return a, b }},
		{"parallelism 3 forward", 3, func(a Stream[int], b Stream[string]) (Stream[int], Stream[string]) { return a, b }},
		{"parallelism 3 rebalance and broadcast", 3, func(a Stream[int], b Stream[string]) (Stream[int], Stream[string]) {
			return a.Rebalance(), b.Broadcast()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := NewEnvironment(Options{Parallelism: tc.p})
			a := FromSlice(env, ints(200))
			words := make([]string, 50)
			for i := range words {
				words[i] = "w" + strconv.Itoa(i)
			}
			b := FromSlice(env, words)
			a, b = tc.prepare(a, b)
			var c collector[string]
			out := CoProcess(Connect(a, b), CoProcessFuncs[int, string, string]{
				Element1: func(_ *CoContext, v int, emit func(string)) { emit("1:" + strconv.Itoa(v)) },
				Element2: func(_ *CoContext, v string, emit func(string)) { emit("2:" + v) },
			})
			ForEach(out, c.add)
			if err := env.Execute("t"); err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, i := range ints(200) {
				want = append(want, "1:"+strconv.Itoa(i))
			}
			copies := 1
			if strings.Contains(tc.name, "broadcast") {
				copies = tc.p
			}
			for range copies {
				for _, w := range words {
					want = append(want, "2:"+w)
				}
			}
			got := c.sorted(func(x, y string) bool { return x < y })
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("got %d records, want %d", len(got), len(want))
			}
		})
	}
}

// TestKeyedCoProcessSharesKeyState keys both inputs by the same key: a
// key's records of both inputs meet on one subtask and share its state,
// so the largest running count per key is the key's total over both
// inputs, whatever their interleaving.
func TestKeyedCoProcessSharesKeyState(t *testing.T) {
	type out struct {
		Key, Count, Sub int
	}
	for _, p := range []int{1, 3} {
		t.Run(fmt.Sprint("parallelism ", p), func(t *testing.T) {
			env := NewEnvironment(Options{Parallelism: p})
			a := KeyBy(FromSlice(env, ints(300)), func(i int) int { return i % 7 })
			b := KeyBy(FromSlice(env, []string{"x", "yy", "zzz", "x", "yy", "x"}), func(s string) int { return len(s) })
			var c collector[out]
			count := func(ctx *ProcessContext[int, int], emit func(out)) {
				n, _ := ctx.Value()
				n++
				ctx.Update(n)
				emit(out{Key: ctx.Key(), Count: n, Sub: ctx.Subtask()})
			}
			res := KeyedCoProcess(ConnectKeyed(a, b), KeyedCoProcessFuncs[int, int, string, int, out]{
				Element1: func(ctx *ProcessContext[int, int], _ int, emit func(out)) { count(ctx, emit) },
				Element2: func(ctx *ProcessContext[int, int], _ string, emit func(out)) { count(ctx, emit) },
			})
			ForEach(res, c.add)
			if err := env.Execute("t"); err != nil {
				t.Fatal(err)
			}
			want := map[int]int{}
			for i := range 300 {
				want[i%7]++
			}
			for _, s := range []string{"x", "yy", "zzz", "x", "yy", "x"} {
				want[len(s)]++
			}
			maxCount, sub := map[int]int{}, map[int]int{}
			for _, o := range c.sorted(func(x, y out) bool { return x.Count < y.Count }) {
				maxCount[o.Key] = max(maxCount[o.Key], o.Count)
				if s, ok := sub[o.Key]; ok && s != o.Sub {
					t.Fatalf("key %d on subtasks %d and %d", o.Key, s, o.Sub)
				}
				sub[o.Key] = o.Sub
			}
			if fmt.Sprint(maxCount) != fmt.Sprint(want) {
				t.Fatalf("counts per key %v, want %v", maxCount, want)
			}
		})
	}
}

// TestConnectBuildsOneTwoInputVertex checks the job graph: the connected
// operator heads a vertex of its own fed by both streams, each edge naming
// its input.
func TestConnectBuildsOneTwoInputVertex(t *testing.T) {
	env := NewEnvironment(Options{Parallelism: 2})
	a, b := FromSlice(env, ints(3)), FromSlice(env, []string{"a"})
	CoProcess(Connect(a, b), CoProcessFuncs[int, string, int]{
		Element1: func(_ *CoContext, v int, emit func(int)) { emit(v) },
		Element2: func(_ *CoContext, v string, emit func(int)) { emit(len(v)) },
	}).Discard()
	g, err := env.JobGraph("t")
	if err != nil {
		t.Fatal(err)
	}
	co := -1
	for _, v := range g.Vertices {
		if g.Operators[v.Operators[0]].Node.Kind == "coprocess" {
			co = v.Index
		}
	}
	if co < 0 {
		t.Fatalf("no vertex headed by the co-process operator: %+v", g.Vertices)
	}
	var inputs []int
	for _, e := range g.Inputs(co) {
		inputs = append(inputs, e.Input)
	}
	slices.Sort(inputs)
	if fmt.Sprint(inputs) != "[0 1]" {
		t.Fatalf("inputs of the co-process vertex %v, want [0 1]", inputs)
	}
}

// TestKeyedCoProcessTimersWaitForBothInputs: both inputs carry ascending
// timestamps (monotonous watermarks), the second one four times slower. A timer at t
// fires only when the operator's watermark — the minimum of both inputs'
// — reached t, so by then every record with a timestamp ≤ t of both inputs
// has been counted, and each timer fires once.
func TestKeyedCoProcessTimersWaitForBothInputs(t *testing.T) {
	const n = 1000
	type rec struct{ TS, Key int64 }
	env := NewEnvironment(Options{Parallelism: 2})
	gen := func(i int64) rec { return rec{TS: i, Key: i % 3} }
	strategy := ForMonotonousTimestamps[rec]().WithTimestampAssigner(func(r rec, _ int64) int64 { return r.TS })
	a := AssignTimestampsAndWatermarks(Generate(env, gen, GeneratorOptions{Count: n, RatePerSecond: 2000}).Parallelism(1), strategy)
	b := AssignTimestampsAndWatermarks(Generate(env, gen, GeneratorOptions{Count: n, RatePerSecond: 500}).Parallelism(1), strategy)
	key := func(r rec) int64 { return r.Key }
	var c collector[string]
	count := func(ctx *ProcessContext[int64, int64], r rec) {
		m, _ := ctx.Value()
		ctx.Update(m + 1)
		ctx.TimerService().RegisterEventTimeTimer(r.TS)
	}
	out := KeyedCoProcess(ConnectKeyed(KeyBy(a, key), KeyBy(b, key)), KeyedCoProcessFuncs[int64, rec, rec, int64, string]{
		Element1: func(ctx *ProcessContext[int64, int64], r rec, _ func(string)) { count(ctx, r) },
		Element2: func(ctx *ProcessContext[int64, int64], r rec, _ func(string)) { count(ctx, r) },
		Timer: func(ctx *ProcessContext[int64, int64], ts int64, emit func(string)) {
			m, _ := ctx.Value()
			// Records of the key with a timestamp ≤ ts: two per such time.
			if want := 2 * (ts/3 + 1); m < want {
				emit(fmt.Sprintf("timer %d of key %d fired after %d records, %d have a timestamp ≤ it", ts, ctx.Key(), m, want))
				return
			}
			emit(fmt.Sprint(ts))
		},
	})
	ForEach(out, c.add)
	if err := env.Execute("t"); err != nil {
		t.Fatal(err)
	}
	got := c.sorted(func(x, y string) bool { return x < y })
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprint(i)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		for _, l := range got {
			if strings.HasPrefix(l, "timer") {
				t.Fatal(l)
			}
		}
		t.Fatalf("%d timers fired, want %d once each", len(got), n)
	}
}
