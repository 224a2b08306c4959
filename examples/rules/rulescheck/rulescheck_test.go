package rulescheck

import (
	"fmt"
	"slices"
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
// before the largest time before it, and some rule line comes after one
// with a larger validFrom.
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
	unsorted := false
	for _, l := range rules {
		var from int64
		var rest string
		if _, err := fmt.Sscan(l, &from, &rest); err != nil {
			t.Fatal(err)
		}
		unsorted = unsorted || from < last
		last = max(last, from)
	}
	if !unsorted {
		t.Fatalf("rule lines sorted by validFrom: %q", rules)
	}
}

// TestReferenceUnsortedRules: the rule in force at t is the line with the
// greatest validFrom ≤ t, whatever the order of the lines; among equal
// validFroms the later line in the file.
func TestReferenceUnsortedRules(t *testing.T) {
	events := []string{"1500 u click", "2000 u click", "3500 u view", "5200 u click", "5500 u click", "900 v click"}
	rules := []string{"5000 r1 click 2 1000", "1000 r2 click 1 1000", "3000 r3 view 1 10", "0 r3 click 1 10", "3000 r3 click 1 10"}
	want := []string{
		"u r1 5500",
		"u r2 1500", "u r2 2000", "u r2 5200", "u r2 5500",
		"u r3 1500", "u r3 2000", "u r3 5200", "u r3 5500",
		"v r3 900",
	}
	got, err := Reference(events, rules)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("reference %q, want %q", got, want)
	}
}
