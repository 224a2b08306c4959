package stream

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// collector gathers a sink's records from every subtask.
type collector[T any] struct {
	mu   sync.Mutex
	recs []T
}

func (c *collector[T]) add(v T) { c.mu.Lock(); c.recs = append(c.recs, v); c.mu.Unlock() }

func (c *collector[T]) sorted(less func(a, b T) bool) []T {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]T(nil), c.recs...)
	sort.Slice(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out
}

func ints(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func TestChainingTasks(t *testing.T) {
	cases := []struct {
		name  string
		build func(env *Environment)
		tasks int
	}{
		{"source-map-filter chains into one task", func(env *Environment) {
			Map(FromSlice(env, ints(10)), func(i int) int { return i * 2 }).Filter(func(i int) bool { return i > 3 }).Discard()
		}, 1},
		{"keyBy makes two tasks", func(env *Environment) {
			s := Map(FromSlice(env, ints(10)), func(i int) int { return i * 2 })
			Reduce(KeyBy(s, func(i int) int { return i % 3 }), func(a, b int) int { return a + b }).Discard()
		}, 2},
		{"disabled chaining is one task per operator", func(env *Environment) {
			env.DisableChaining()
			Map(FromSlice(env, ints(10)), func(i int) int { return i * 2 }).Filter(func(i int) bool { return i > 3 }).Discard()
		}, 4},
		{"one operator unchained", func(env *Environment) {
			Map(FromSlice(env, ints(10)), func(i int) int { return i * 2 }).DisableChaining().Filter(func(i int) bool { return i > 3 }).Discard()
		}, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := NewEnvironment(Options{Parallelism: 2})
			tc.build(env)
			g, err := env.JobGraph("t")
			if err != nil {
				t.Fatal(err)
			}
			if len(g.Vertices) != tc.tasks {
				t.Fatalf("tasks = %d, want %d: %+v", len(g.Vertices), tc.tasks, g.Vertices)
			}
			if err := env.Execute("t"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

type noCodec struct {
	Name string
	Done chan bool
}

func TestNoCodecIsABuildError(t *testing.T) {
	env := NewEnvironment(Options{})
	s := Map(FromSlice(env, ints(3)), func(i int) noCodec { return noCodec{} })
	s.Discard()
	err := env.Err()
	if err == nil {
		t.Fatal("no error for a record type with a channel")
	}
	if !strings.Contains(err.Error(), "noCodec") || !strings.Contains(err.Error(), "Map") {
		t.Fatalf("error does not name the type and operator: %v", err)
	}
	if err := env.Execute("t"); err == nil {
		t.Fatal("Execute ran a job with no codec")
	}
}

func TestMapFlatMapFilterResults(t *testing.T) {
	env := NewEnvironment(Options{Parallelism: 3})
	var c collector[string]
	words := FlatMap(FromSlice(env, []string{"a b", "c", "d e f"}), func(l string, emit func(string)) {
		for _, w := range strings.Fields(l) {
			emit(w)
		}
	})
	ForEach(Map(words.Filter(func(w string) bool { return w != "c" }), strings.ToUpper), c.add)
	if err := env.Execute("t"); err != nil {
		t.Fatal(err)
	}
	got := c.sorted(func(a, b string) bool { return a < b })
	if fmt.Sprint(got) != "[A B D E F]" {
		t.Fatalf("got %v", got)
	}
}

func TestPartitioners(t *testing.T) {
	type rec struct{ V, Sub int }
	cases := []struct {
		name  string
		part  func(Stream[int]) Stream[int]
		count int
		check func(t *testing.T, recs []rec)
	}{
		{"rebalance spreads", func(s Stream[int]) Stream[int] { return s.Rebalance() }, 100, func(t *testing.T, recs []rec) {
			per := map[int]int{}
			for _, r := range recs {
				per[r.Sub]++
			}
			if len(per) != 4 || per[0] != 25 {
				t.Fatalf("rebalance: per subtask %v", per)
			}
		}},
		{"broadcast copies to all", func(s Stream[int]) Stream[int] { return s.Broadcast() }, 400, nil},
		{"auto rebalances across parallelism", func(s Stream[int]) Stream[int] { return s }, 100, nil},
		{"hash keeps a key on one subtask", func(s Stream[int]) Stream[int] {
			return KeyBy(s, func(i int) int { return i % 7 }).Stream()
		}, 100, func(t *testing.T, recs []rec) {
			where := map[int]int{}
			for _, r := range recs {
				if s, ok := where[r.V%7]; ok && s != r.Sub {
					t.Fatalf("key %d on subtasks %d and %d", r.V%7, s, r.Sub)
				}
				where[r.V%7] = r.Sub
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := NewEnvironment(Options{Parallelism: 4})
			var c collector[rec]
			src := FromSlice(env, ints(100)).Parallelism(1)
			ForEachSubtask(tc.part(src), func(sub int, v int) { c.add(rec{V: v, Sub: sub}) })
			if err := env.Execute("t"); err != nil {
				t.Fatal(err)
			}
			recs := c.sorted(func(a, b rec) bool { return a.V < b.V || a.V == b.V && a.Sub < b.Sub })
			if len(recs) != tc.count {
				t.Fatalf("%d records, want %d", len(recs), tc.count)
			}
			if tc.check != nil {
				tc.check(t, recs)
			}
		})
	}
}

func TestUnionAndRollingReduce(t *testing.T) {
	env := NewEnvironment(Options{Parallelism: 2})
	a := FromSlice(env, []string{"x", "y", "x"})
	b := FromSlice(env, []string{"x", "z"}).Parallelism(1)
	type kv struct {
		K string
		N int
	}
	ones := Map(a.Union(b), func(s string) kv { return kv{s, 1} })
	var c collector[kv]
	ForEach(Reduce(KeyBy(ones, func(r kv) string { return r.K }), func(x, y kv) kv { x.N += y.N; return x }), c.add)
	if err := env.Execute("t"); err != nil {
		t.Fatal(err)
	}
	highest := map[string]int{}
	for _, r := range c.sorted(func(a, b kv) bool { return a.K < b.K }) {
		highest[r.K] = max(highest[r.K], r.N)
	}
	if fmt.Sprint(highest) != "map[x:3 y:1 z:1]" {
		t.Fatalf("rolling counts %v", highest)
	}
	if len(c.recs) != 5 {
		t.Fatalf("rolling reduce emitted %d records, want 5", len(c.recs))
	}
}

func TestPrintAndTextSink(t *testing.T) {
	var out bytes.Buffer
	env := NewEnvironment(Options{Parallelism: 2, Stdout: &out})
	src := FromSlice(env, []string{"a", "b", "c"})
	src.Print()
	dir := filepath.Join(t.TempDir(), "out")
	WriteText(src, dir)
	if err := env.Execute("t"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	sort.Strings(lines)
	if fmt.Sprint(lines) != "[1> a 1> c 2> b]" {
		t.Fatalf("print: %q", lines)
	}
	var all []string
	files, _ := filepath.Glob(filepath.Join(dir, "part-*"))
	if len(files) != 2 {
		t.Fatalf("part files %q, want one per subtask", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, strings.Fields(string(b))...)
	}
	sort.Strings(all)
	if fmt.Sprint(all) != "[a b c]" {
		t.Fatalf("files: %v", all)
	}
}

func TestTextFileSplits(t *testing.T) {
	dir := t.TempDir()
	var want []string
	var sb strings.Builder
	for i := 0; i < 1000; i++ {
		l := strings.Repeat("w", i%37) + fmt.Sprint(i)
		want = append(want, l)
		sb.WriteString(l + "\n")
	}
	for name, text := range map[string]string{"a.txt": sb.String(), "b.txt": "last line without newline", ".hidden": "skip me\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want = append(want, "last line without newline")
	for _, p := range []int{1, 3, 7} {
		env := NewEnvironment(Options{Parallelism: p})
		var c collector[string]
		ForEach(ReadTextFile(env, dir), c.add)
		if err := env.Execute("t"); err != nil {
			t.Fatal(err)
		}
		got := c.sorted(func(a, b string) bool { return a < b })
		w := append([]string(nil), want...)
		sort.Strings(w)
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Fatalf("p=%d: %d lines, want %d", p, len(got), len(w))
		}
	}
}

func TestSocketSource(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		_, _ = conn.Write([]byte("one\ntwo\r\nthree")) // the test reads what arrived
		_ = conn.Close()
	}()
	env := NewEnvironment(Options{Parallelism: 3})
	var c collector[string]
	ForEach(SocketTextStream(env, ln.Addr().String()), c.add)
	if err := env.Execute("t"); err != nil {
		t.Fatal(err)
	}
	if got := c.sorted(func(a, b string) bool { return a < b }); fmt.Sprint(got) != "[one three two]" {
		t.Fatalf("got %q", got)
	}
}

func TestPanicFailsJobWithMessageAndStack(t *testing.T) {
	env := NewEnvironment(Options{Parallelism: 1})
	src := Generate(env, func(i int64) int64 { return i }, GeneratorOptions{Count: 2_000_000})
	Map(src, func(i int64) int64 {
		if i == 999_999 {
			panic("boom at the millionth record")
		}
		return i
	}).Discard()
	err := env.Execute("panics")
	var je *JobError
	if !errors.As(err, &je) || je.Status.State != api.JobFailed {
		t.Fatalf("err = %v, want a failed job", err)
	}
	for _, want := range []string{"boom at the millionth record", "goroutine", "stream_test.go"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("failure cause lacks %q: %v", want, err)
		}
	}
}

func TestRestartStrategy(t *testing.T) {
	env := NewEnvironment(Options{Parallelism: 2, Restart: RestartStrategy{Attempts: 2, Delay: 10_000_000}})
	var failures atomic.Int32
	src := Generate(env, func(i int64) int64 { return i }, GeneratorOptions{Count: 10_000})
	Map(src, func(i int64) int64 {
		if i == 5000 {
			failures.Add(1)
			panic("always fails")
		}
		return i
	}).Discard()
	err := env.Execute("restarts")
	var je *JobError
	if !errors.As(err, &je) || je.Status.State != api.JobFailed || je.Status.Restarts != 2 {
		t.Fatalf("err = %v (%+v), want failed after 2 restarts", err, je)
	}
	if n := failures.Load(); n != 3 {
		t.Fatalf("function failed %d times, want 3 (1 + 2 restarts)", n)
	}
	if !strings.Contains(err.Error(), "always fails") || !strings.Contains(err.Error(), "after 2 restarts") {
		t.Fatalf("cause: %v", err)
	}
}

func TestRestartRecovers(t *testing.T) {
	env := NewEnvironment(Options{Parallelism: 2, Restart: RestartStrategy{Attempts: 3}})
	var failed atomic.Bool
	var c collector[int64]
	src := Generate(env, func(i int64) int64 { return i }, GeneratorOptions{Count: 1000})
	ForEach(Map(src, func(i int64) int64 {
		if i == 500 && failed.CompareAndSwap(false, true) {
			panic("transient")
		}
		return i
	}).Parallelism(1), c.add)
	if err := env.Execute("recovers"); err != nil {
		t.Fatal(err)
	}
	if failed.Load() != true {
		t.Fatal("no failure happened")
	}
}
