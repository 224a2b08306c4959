package state

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/floe-yarn/floe/runtime"
)

// fired collects timers as "key/kind/time/ns".
func fireAll(t *testing.T, ts *TimerService, kind TimerKind, upTo int64) []string {
	t.Helper()
	var out []string
	if err := ts.Advance(kind, upTo, func(tm Timer) error {
		out = append(out, fmt.Sprintf("%s/%s/%d/%s", tm.Key, tm.Kind, tm.Time, tm.Namespace))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTimerServiceFiresOnceInOrder(t *testing.T) {
	for _, bc := range backendCases() {
		t.Run(bc.name, func(t *testing.T) {
			b := bc.make(t, Options{Range: KeyGroupRange{Start: 0, End: 127}})
			ts, err := NewTimerService(b, "op")
			if err != nil {
				t.Fatal(err)
			}
			reg := func(k string, kind TimerKind, tm int64, ns string) {
				setKey(b, k)
				if err := ts.Register(kind, tm, []byte(ns)); err != nil {
					t.Fatal(err)
				}
			}
			reg("a", EventTime, 10, "")
			reg("a", EventTime, 10, "") // duplicate: one timer
			reg("b", EventTime, 5, "w1")
			reg("b", EventTime, 5, "w2")
			reg("c", EventTime, 20, "")
			reg("c", ProcessingTime, 7, "")
			reg("d", EventTime, 8, "")
			setKey(b, "d")
			if err := ts.Delete(EventTime, 8, nil); err != nil {
				t.Fatal(err)
			}
			if n, ok := ts.Next(EventTime); !ok || n != 5 {
				t.Fatalf("Next = %d, %v; want 5", n, ok)
			}
			got := fireAll(t, ts, EventTime, 10)
			want := []string{"b/event-time/5/w1", "b/event-time/5/w2", "a/event-time/10/"}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("fired %v, want %v", got, want)
			}
			if again := fireAll(t, ts, EventTime, 10); len(again) != 0 {
				t.Fatalf("fired again: %v", again)
			}
			if got := fireAll(t, ts, ProcessingTime, 100); fmt.Sprint(got) != "[c/processing-time/7/]" {
				t.Fatalf("processing-time fired %v", got)
			}
			if ts.Len() != 1 {
				t.Fatalf("Len = %d, want 1 (c at 20)", ts.Len())
			}
		})
	}
}

func TestTimerServiceRegisterWhileFiring(t *testing.T) {
	b := openBackend(t, TypeHashMap, Options{Range: KeyGroupRange{Start: 0, End: 127}})
	ts, err := NewTimerService(b, "op")
	if err != nil {
		t.Fatal(err)
	}
	setKey(b, "k")
	if err := ts.Register(EventTime, 1, nil); err != nil {
		t.Fatal(err)
	}
	var got []int64
	err = ts.Advance(EventTime, 3, func(tm Timer) error {
		got = append(got, tm.Time)
		if !bytes.Equal(b.CurrentKey(), []byte("k")) {
			t.Errorf("current key %q during fire", b.CurrentKey())
		}
		if tm.Time < 5 {
			return ts.Register(EventTime, tm.Time+2, nil) // 3 fires now, 5 later
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[1 3]" {
		t.Fatalf("fired %v, want [1 3]", got)
	}
	if n, ok := ts.Next(EventTime); !ok || n != 5 {
		t.Fatalf("Next = %d %v, want 5", n, ok)
	}
}

// TestTimerServiceRestoreAndRescale registers timers on two subtasks,
// restores their savepoints into one backend and into three, and checks
// that every live timer fires exactly once and deleted ones never.
func TestTimerServiceRestoreAndRescale(t *testing.T) {
	const maxP = 128
	keys := make([]string, 40)
	for i := range keys {
		keys[i] = "key" + itoa(i)
	}
	for _, from := range backendCases() {
		for _, to := range backendCases() {
			t.Run(from.name+"-to-"+to.name, func(t *testing.T) {
				var snaps [][]byte
				want := map[string]bool{}
				for sub := 0; sub < 2; sub++ {
					rng, _ := RangeForSubtask(maxP, 2, sub)
					b := from.make(t, Options{MaxParallelism: maxP, Range: rng})
					ts, err := NewTimerService(b, "op")
					if err != nil {
						t.Fatal(err)
					}
					for i, k := range keys {
						kg := KeyGroupOf(runtime.HashString(k), maxP)
						if !rng.Contains(kg) {
							continue
						}
						setKey(b, k)
						if err := ts.Register(EventTime, int64(100+i), []byte("ns")); err != nil {
							t.Fatal(err)
						}
						if err := ts.Register(ProcessingTime, int64(i), nil); err != nil {
							t.Fatal(err)
						}
						if i%5 == 0 {
							if err := ts.Delete(EventTime, int64(100+i), []byte("ns")); err != nil {
								t.Fatal(err)
							}
						} else {
							want[fmt.Sprintf("%s/event-time/%d/ns", k, 100+i)] = true
						}
						want[fmt.Sprintf("%s/processing-time/%d/", k, i)] = true
					}
					snaps = append(snaps, savepointBytes(t, b))
				}
				for _, p := range []int{1, 3} {
					got := map[string]bool{}
					for sub := 0; sub < p; sub++ {
						rng, _ := RangeForSubtask(maxP, p, sub)
						b := to.make(t, Options{MaxParallelism: maxP, Range: rng})
						if err := b.RestoreSavepoint(context.Background(), bytes.NewReader(snaps[0]), bytes.NewReader(snaps[1])); err != nil {
							t.Fatal(err)
						}
						ts, err := NewTimerService(b, "op")
						if err != nil {
							t.Fatal(err)
						}
						for _, kind := range []TimerKind{EventTime, ProcessingTime} {
							for _, f := range fireAll(t, ts, kind, 1<<40) {
								if got[f] {
									t.Fatalf("p=%d: %s fired twice", p, f)
								}
								got[f] = true
							}
						}
					}
					if fmt.Sprint(sortedSet(got)) != fmt.Sprint(sortedSet(want)) {
						t.Fatalf("p=%d: fired %v\nwant %v", p, sortedSet(got), sortedSet(want))
					}
				}
			})
		}
	}
}

func sortedSet(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
