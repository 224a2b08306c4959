package state

import (
	"slices"
	"testing"

	"github.com/floe-yarn/floe/runtime"
)

func TestRangeForSubtaskMatchesSubtaskForKeyGroup(t *testing.T) {
	for _, maxP := range []int{1, 2, 3, 7, 10, 128, 129, 1000, 4096, MaxKeyGroups} {
		for _, p := range []int{1, 2, 3, 5, 7, 16, 100, 127, 128} {
			if p > maxP {
				continue
			}
			next := 0
			for i := 0; i < p; i++ {
				r, err := RangeForSubtask(maxP, p, i)
				if err != nil {
					t.Fatal(err)
				}
				if r.Start != next || r.Empty() {
					t.Fatalf("maxP %d p %d subtask %d: %v, want start %d and non-empty", maxP, p, i, r, next)
				}
				next = r.End + 1
			}
			if next != maxP {
				t.Fatalf("maxP %d p %d: ranges end at %d", maxP, p, next)
			}
			for kg := 0; kg < maxP; kg++ {
				owner := runtime.SubtaskForKeyGroup(kg, maxP, p)
				r, _ := RangeForSubtask(maxP, p, owner)
				if !r.Contains(kg) {
					t.Fatalf("maxP %d p %d: key group %d owned by %d whose range is %v", maxP, p, kg, owner, r)
				}
			}
		}
	}
}

func TestRangeForSubtaskErrors(t *testing.T) {
	for _, tc := range []struct {
		name       string
		maxP, p, i int
	}{
		{"zero max", 0, 1, 0},
		{"max too big", MaxKeyGroups + 1, 1, 0},
		{"p above max", 4, 5, 0},
		{"index out of range", 4, 2, 2},
		{"negative index", 4, 2, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := RangeForSubtask(tc.maxP, tc.p, tc.i); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestRescaleSources(t *testing.T) {
	for _, tc := range []struct {
		name             string
		maxP, oldP, newP int
		newIndex         int
		want             []int
	}{
		{"same parallelism", 128, 2, 2, 1, []int{1}},
		{"scale in", 128, 4, 1, 0, []int{0, 1, 2, 3}},
		{"scale out", 128, 2, 3, 1, []int{0, 1}},
		{"scale out edge", 128, 2, 4, 3, []int{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target, err := RangeForSubtask(tc.maxP, tc.newP, tc.newIndex)
			if err != nil {
				t.Fatal(err)
			}
			got, err := RescaleSources(tc.maxP, tc.oldP, target)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	// Every key group of the new range is covered by exactly one source.
	for _, oldP := range []int{1, 2, 3, 5, 8} {
		for _, newP := range []int{1, 2, 3, 5, 8} {
			for j := 0; j < newP; j++ {
				target, _ := RangeForSubtask(128, newP, j)
				src, _ := RescaleSources(128, oldP, target)
				for kg := target.Start; kg <= target.End; kg++ {
					n := 0
					for _, i := range src {
						if r, _ := RangeForSubtask(128, oldP, i); r.Contains(kg) {
							n++
						}
					}
					if n != 1 {
						t.Fatalf("old %d new %d: key group %d in %d sources", oldP, newP, kg, n)
					}
				}
			}
		}
	}
}
