package job_test

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"testing"

	"github.com/floe-yarn/floe/examples/rules/job"
	"github.com/floe-yarn/floe/examples/rules/rulescheck"
)

// simulate runs the core the way the job drives it, in one sequence: every
// rule version from the broadcast side first (the rules input ends before
// the watermark moves), events buffered until the watermark
// (largest time − ooo − 1) passes them and evaluated by event-time timers,
// events behind the watermark handled as late, everything fired at the end.
func simulate(t *testing.T, eventLines, ruleLines []string, ooo int64) (out []string, late int) {
	t.Helper()
	versions := map[string][]job.Rule{}
	for _, l := range ruleLines {
		r, ok, err := job.ParseRule(l)
		if err != nil || !ok {
			t.Fatalf("rule %q: %v", l, err)
		}
		versions[r.ID] = job.AddVersion(versions[r.ID], r)
	}
	rules := job.SliceRules(versions)
	users := map[string]*job.User{}
	timers := map[job.Firing]bool{} // user and time
	wm, maxT := int64(math.MinInt64), int64(math.MinInt64)
	fire := func(upTo int64) {
		var due []job.Firing
		for k := range timers {
			if k.Time <= upTo {
				due = append(due, k)
			}
		}
		sort.Slice(due, func(i, j int) bool { return due[i].Time < due[j].Time })
		for _, k := range due {
			delete(timers, k)
			for _, f := range users[k.User].FiresAt(k.User, k.Time, rules) {
				out = append(out, f.String())
			}
		}
	}
	for _, l := range eventLines {
		e, _, err := job.ParseEvent(l)
		if err != nil {
			t.Fatal(err)
		}
		u := users[e.User]
		if u == nil {
			u = &job.User{}
			users[e.User] = u
		}
		if e.Time > wm {
			u.Add(e.Type, e.Time)
			timers[job.Firing{User: e.User, Time: e.Time}] = true
		} else {
			late++
			for _, f := range u.AddLate(e.User, e.Type, e.Time, wm, rules) {
				out = append(out, f.String())
			}
		}
		maxT = max(maxT, e.Time)
		if w := maxT - ooo - 1; w > wm {
			wm = w
			fire(wm)
		}
	}
	fire(math.MaxInt64)
	return out, late
}

// TestCoreMatchesReference: driven by watermarks and timers, the core
// writes exactly the reference's firings, once each — also when the
// out-of-orderness is smaller than the disorder and events come late.
func TestCoreMatchesReference(t *testing.T) {
	cases := []struct {
		name string
		gen  rulescheck.Options
		ooo  int64
	}{
		{"in order", rulescheck.Options{Events: 800, Users: 5, Types: 2, Rules: 12, Seed: 1}, 0},
		{"disorder within the bound", rulescheck.Options{Events: 1500, Users: 7, Types: 3, Disorder: 300, Rules: 20, Seed: 2}, 300},
		{"disorder beyond the bound: late events", rulescheck.Options{Events: 1500, Users: 4, Types: 2, Disorder: 500, Rules: 20, Seed: 3}, 50},
		{"no out-of-orderness, heavy disorder", rulescheck.Options{Events: 1000, Users: 3, Types: 2, Disorder: 800, Rules: 15, Seed: 4}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			events, rules := rulescheck.Generate(tc.gen)
			want, err := rulescheck.Reference(events, rules)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) < 20 {
				t.Fatalf("the generated input fires %d times: too few to test anything", len(want))
			}
			got, late := simulate(t, events, rules, tc.ooo)
			if err := rulescheck.Check(want, got); err != nil {
				t.Fatal(err)
			}
			if (tc.gen.Disorder > tc.ooo) != (late > 0) {
				t.Fatalf("%d late events with disorder %d and out-of-orderness %d", late, tc.gen.Disorder, tc.ooo)
			}
		})
	}
}

// TestRuleSemantics pins the contract on small hand-made cases.
func TestRuleSemantics(t *testing.T) {
	cases := []struct {
		name          string
		events, rules []string
		want          []string
	}{
		{"count reached within the window", []string{"10 u a", "20 u a", "30 u a"}, []string{"0 r a 2 15"},
			[]string{"u r 20", "u r 30"}},
		{"window is (t-W, t]", []string{"10 u a", "20 u a"}, []string{"0 r a 2 10"}, nil},
		{"two events at the same time fire once", []string{"10 u a", "10 u a"}, []string{"0 r a 2 5"}, []string{"u r 10"}},
		{"a change applies from its validFrom on", []string{"10 u a", "20 u a", "30 u b"}, []string{"0 r a 1 100", "25 r b 1 100"},
			[]string{"u r 10", "u r 20", "u r 30"}},
		{"count 0 deletes", []string{"10 u a", "20 u a"}, []string{"0 r a 1 100", "15 r a 0 100"}, []string{"u r 10"}},
		{"later line wins at equal validFrom", []string{"10 u a", "10 u b"}, []string{"0 r a 1 100", "0 r b 1 100"}, []string{"u r 10"}},
		{"a line read later applies from its own validFrom", []string{"10 u a", "30 u a"}, []string{"20 q b 1 100", "0 r a 1 100"}, []string{"u r 10", "u r 30"}},
		{"rule lines not sorted by validFrom", unsortedEvents, unsortedRules, unsortedWant},
		{"not yet valid", []string{"10 u a"}, []string{"11 r a 1 100"}, nil},
		{"events of other users do not count", []string{"10 u a", "11 v a"}, []string{"0 r a 2 100"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, err := rulescheck.Reference(tc.events, tc.rules)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(want, tc.want) {
				t.Fatalf("reference %q, want %q", want, tc.want)
			}
			for _, ooo := range []int64{0, 100} {
				got, _ := simulate(t, tc.events, tc.rules, ooo)
				if err := rulescheck.Check(want, got); err != nil {
					t.Fatal(fmt.Errorf("out-of-orderness %d: %w", ooo, err))
				}
			}
		})
	}
}

// The example of rule lines not sorted by validFrom: r2 (line 2)
// is in force from 1000 although line 1 starts at 5000, and r3's line at
// validFrom 0 applies until its two lines at 3000, of which the later
// (click) wins; the last event comes late.
var (
	unsortedEvents = []string{"1500 u click", "2000 u click", "3500 u view", "5200 u click", "5500 u click", "900 v click"}
	unsortedRules  = []string{"5000 r1 click 2 1000", "1000 r2 click 1 1000", "3000 r3 view 1 10", "0 r3 click 1 10", "3000 r3 click 1 10"}
	unsortedWant   = []string{
		"u r1 5500",
		"u r2 1500", "u r2 2000", "u r2 5200", "u r2 5500",
		"u r3 1500", "u r3 2000", "u r3 5200", "u r3 5500",
		"v r3 900",
	}
)
