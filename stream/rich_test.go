package stream_test

import (
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floe-yarn/floe/stream"
)

type richRow struct{ Subtask, Parallelism, Attempt, N int }

// TestMapWithFreshInstancePerSubtaskAndAttempt: each parallel subtask gets
// its own function instance, a new one after a restart, and its close. In
// the failing attempt a subtask may be cancelled before it opened (the
// failure races its start), so only the second attempt opens all three.
func TestMapWithFreshInstancePerSubtaskAndAttempt(t *testing.T) {
	var opens, closes [2]atomic.Int64 // by attempt
	var shared atomic.Int64           // captured by open itself: shared, as documented
	var mu sync.Mutex
	var rows []richRow
	env := stream.NewEnvironment(stream.Options{Parallelism: 3, Progress: io.Discard,
		Restart: stream.RestartStrategy{Attempts: 1, Delay: 10 * time.Millisecond}})
	nums := make([]int, 300)
	for i := range nums {
		nums[i] = i
	}
	src := stream.FromSlice(env, nums).Rebalance()
	mapped := stream.MapWith(src, func(rc *stream.RuntimeContext) (func(int) richRow, error) {
		opens[rc.Attempt].Add(1)
		rc.OnClose(func() error { closes[rc.Attempt].Add(1); return nil })
		n := 0
		return func(v int) richRow {
			n++
			shared.Add(1)
			if rc.Attempt == 0 && v == 150 {
				panic("fail the first attempt")
			}
			return richRow{rc.Subtask, rc.Parallelism, rc.Attempt, n}
		}, nil
	})
	stream.ForEach(mapped, func(r richRow) { mu.Lock(); rows = append(rows, r); mu.Unlock() })
	if err := env.Execute("rich"); err != nil {
		t.Fatal(err)
	}
	o0, c0, o1, c1 := opens[0].Load(), closes[0].Load(), opens[1].Load(), closes[1].Load()
	if o0 < 1 || o0 > 3 || c0 != o0 || o1 != 3 || c1 != 3 {
		t.Fatalf("attempt 0: opens %d closes %d (want 1 to 3, each closed); attempt 1: opens %d closes %d (want 3 each)", o0, c0, o1, c1)
	}
	counts := map[int][]int{}
	for _, r := range rows {
		if r.Parallelism != 3 {
			t.Fatalf("row %+v: want parallelism 3", r)
		}
		if r.Attempt == 1 {
			counts[r.Subtask] = append(counts[r.Subtask], r.N)
		}
	}
	total := 0
	for sub := 0; sub < 3; sub++ {
		ns := counts[sub]
		sort.Ints(ns)
		for i, n := range ns {
			if n != i+1 {
				t.Fatalf("subtask %d attempt 1 counts %v: want 1…%d (a fresh instance)", sub, ns, len(ns))
			}
		}
		total += len(ns)
	}
	if total != 300 {
		t.Fatalf("attempt 1 mapped %d records, want 300", total)
	}
	if shared.Load() <= 300 {
		t.Fatalf("a value captured outside the instance counted %d: want it shared across attempts (> 300)", shared.Load())
	}
}

func TestMapWithOpenError(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{Parallelism: 2, Progress: io.Discard})
	closed := atomic.Int64{}
	m := stream.FilterWith(stream.FromSlice(env, []int{1, 2, 3}), func(rc *stream.RuntimeContext) (func(int) bool, error) {
		rc.OnClose(func() error { closed.Add(1); return nil })
		return nil, io.ErrUnexpectedEOF
	}).Name("picky")
	stream.ForEach(m, func(int) {})
	err := env.Execute("open-error")
	if err == nil || !strings.Contains(err.Error(), `Filter "picky"`) || !strings.Contains(err.Error(), "open: unexpected EOF") {
		t.Fatalf("err %v: want the open error naming the operator", err)
	}
	if closed.Load() == 0 {
		t.Fatal("OnClose functions registered before a failed open did not run")
	}
}
