package rulescheck

import (
	"fmt"
	"strings"
	"testing"
)

// TestCheck: the output must hold each reference line exactly once and
// nothing else.
func TestCheck(t *testing.T) {
	want := []string{"u r 10", "u r 20", "v q 5"}
	cases := []struct {
		name    string
		output  []string
		problem string
	}{
		{"equal in another order", []string{"v q 5", "u r 20", "u r 10"}, ""},
		{"a duplicate", []string{"u r 10", "u r 20", "v q 5", "u r 20"}, `"u r 20" written more than once`},
		{"a missing line", []string{"u r 10", "v q 5"}, `"u r 20" missing`},
		{"an extra line", []string{"u r 10", "u r 20", "v q 5", "w r 1"}, `"w r 1" not a firing`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(want, tc.output)
			switch {
			case tc.problem == "" && err != nil:
				t.Fatal(err)
			case tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)):
				t.Fatalf("error %v, want one naming %s", err, tc.problem)
			}
		})
	}
}

// TestGenerateDisorderBound: every generated event is at most Disorder ms
// before the largest time before it, and rules come in validFrom order.
func TestGenerateDisorderBound(t *testing.T) {
	events, rules := Generate(Options{Events: 2000, Users: 4, Types: 2, Disorder: 77, Rules: 30, Seed: 5})
	var maxT, late int64
	for i, l := range events {
		var ts int64
		var u, typ string
		if _, err := fmt.Sscan(l, &ts, &u, &typ); err != nil {
			t.Fatal(err)
		}
		if i > 0 && ts < maxT-77 {
			t.Fatalf("event %d at %d, %d ms before the largest earlier time %d", i, ts, maxT-ts, maxT)
		}
		if ts < maxT {
			late++
		}
		maxT = max(maxT, ts)
	}
	if late == 0 {
		t.Fatal("no event out of order")
	}
	var last int64
	for _, l := range rules {
		var from int64
		var rest string
		if _, err := fmt.Sscan(l, &from, &rest); err != nil {
			t.Fatal(err)
		}
		if from < last {
			t.Fatalf("rule %q before an earlier validFrom %d", l, last)
		}
		last = from
	}
}
