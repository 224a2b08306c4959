package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/examples/rules/job"
	"github.com/floe-yarn/floe/examples/rules/rulescheck"
	"github.com/floe-yarn/floe/internal/jobtest"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/stream"
)

// TestRulesMatchReference runs the job locally on generated out-of-order
// events and rule changes (deletions and equal validFroms included) at
// parallelism 1 and 3: the output equals the brute-force reference — also
// when the out-of-orderness is smaller than the disorder (late events).
func TestRulesMatchReference(t *testing.T) {
	cases := []struct {
		name string
		gen  rulescheck.Options
		ooo  time.Duration
		rate float64
	}{
		{"disorder within the bound", rulescheck.Options{Events: 3000, Users: 9, Types: 3, Disorder: 200, Rules: 25, Seed: 11}, 200 * time.Millisecond, 0},
		{"paced sources", rulescheck.Options{Events: 1500, Users: 5, Types: 2, Disorder: 100, Rules: 15, Seed: 12}, 100 * time.Millisecond, 3000},
		{"disorder beyond the bound", rulescheck.Options{Events: 3000, Users: 6, Types: 2, Disorder: 400, Rules: 25, Seed: 13}, 10 * time.Millisecond, 0},
	}
	for _, tc := range cases {
		events, rules := rulescheck.Generate(tc.gen)
		want, err := rulescheck.Reference(events, rules)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s parallelism %d", tc.name, p), func(t *testing.T) {
				got := runRules(t, events, rules, p, tc.rate, tc.ooo)
				if len(want) < 50 {
					t.Fatalf("the reference has %d firings: too few to test anything", len(want))
				}
				if err := rulescheck.Check(want, got); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestRulesUnsortedRules runs the job on the example of rule lines
// not sorted by validFrom: "1000 r2" after "5000 r1" is in force from
// 1000, not from 5000; r3's line at 0 applies until its two lines at 3000,
// of which the later wins. The events wait for the rules input to end, so
// this holds whatever the pace of the sources and the parallelism.
func TestRulesUnsortedRules(t *testing.T) {
	events := []string{"1500 u click", "2000 u click", "3500 u view", "5200 u click", "5500 u click", "900 v click"}
	rules := []string{"5000 r1 click 2 1000", "1000 r2 click 1 1000", "3000 r3 view 1 10", "0 r3 click 1 10", "3000 r3 click 1 10"}
	want := []string{
		"u r1 5500",
		"u r2 1500", "u r2 2000", "u r2 5200", "u r2 5500",
		"u r3 1500", "u r3 2000", "u r3 5200", "u r3 5500",
		"v r3 900",
	}
	for _, rate := range []float64{0, 20} {
		for _, p := range []int{1, 3} {
			t.Run(fmt.Sprintf("rate %v parallelism %d", rate, p), func(t *testing.T) {
				if err := rulescheck.Check(want, runRules(t, events, rules, p, rate, 0)); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestRulesRescaleRestore restores the rules job twice from a checkpoint
// taken mid-run, at another parallelism each time (2 → 3 → 1): keyed
// events and timers move with their key groups, every new instance starts
// with all rule versions (broadcast state), sources resume their splits and
// the sink commits the checkpoint's output once — the output equals the
// reference, without duplicates.
func TestRulesRescaleRestore(t *testing.T) {
	for _, backend := range []string{"hashmap", "pebble"} {
		t.Run(backend, func(t *testing.T) {
			events, rules := rulescheck.Generate(rulescheck.Options{Events: 3000, Users: 8, Types: 2, Disorder: 150, Rules: 20, Seed: 21})
			want, err := rulescheck.Reference(events, rules)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			o := job.Options{Events: filepath.Join(dir, "events.txt"), Rules: filepath.Join(dir, "rules.txt"),
				Output: filepath.Join(dir, "out"), Rate: 400, OutOfOrderness: 150 * time.Millisecond}
			jobtest.WriteLines(t, o.Events, events)
			jobtest.WriteLines(t, o.Rules, rules)
			c := jobtest.NewCoordinator()
			ckp := jobtest.Checkpointing(t, jobID, backend)

			jobtest.Rescale(c, o.Output, func(p, attempt int, last bool, from *jobtest.Restore) *jobtest.Phase {
				if last {
					o.Rate = 0
				}
				return startPhase(t, c, p, attempt, o, ckp, from)
			})
			got, err := rulescheck.ReadLines(o.Output)
			if err != nil {
				t.Fatal(err)
			}
			if err := rulescheck.Check(want, got); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRulesStopAndResume stops the rules job mid-run with a savepoint
// without drain (sources end after the barrier, event time does not end,
// no timer fires after the barrier) and resumes from it at another
// parallelism (2 → 3): buffered events and their timers move with their
// key groups, the new instances start with every rule version, the
// finished rules source stays finished, and the sink commits what the
// savepoint covers once. The output equals the reference, without
// duplicates, for every state backend — also with events later than the
// out-of-orderness, which the resumed run must not evaluate twice.
func TestRulesStopAndResume(t *testing.T) {
	cases := []struct {
		name string
		gen  rulescheck.Options
		ooo  time.Duration
	}{
		{"disorder within the bound", rulescheck.Options{Events: 3000, Users: 8, Types: 2, Disorder: 150, Rules: 20, Seed: 41}, 150 * time.Millisecond},
		{"disorder beyond the bound", rulescheck.Options{Events: 3000, Users: 8, Types: 2, Disorder: 400, Rules: 20, Seed: 42}, 20 * time.Millisecond},
	}
	for _, tc := range cases {
		for _, backend := range jobtest.Backends {
			t.Run(tc.name+" "+backend, func(t *testing.T) {
				events, rules := rulescheck.Generate(tc.gen)
				want, err := rulescheck.Reference(events, rules)
				if err != nil {
					t.Fatal(err)
				}
				dir := t.TempDir()
				o := job.Options{Events: filepath.Join(dir, "events.txt"), Rules: filepath.Join(dir, "rules.txt"),
					Output: filepath.Join(dir, "out"), Rate: 250, OutOfOrderness: tc.ooo}
				jobtest.WriteLines(t, o.Events, events)
				jobtest.WriteLines(t, o.Rules, rules)
				c := jobtest.NewCoordinator()
				ckp := jobtest.Checkpointing(t, jobID, backend)

				ph := startPhase(t, c, 2, 1, o, ckp, nil)
				// Stop once about half the output was written (or an
				// events reader finished: only the rules reader may have),
				// so that late events follow the savepoint.
				half := int64(len(strings.Join(want, "\n"))) / 2
				for v, h := jobtest.OutputBytes(o.Output); v+h < half && c.Count(1, api.Finished) <= 1; v, h = jobtest.OutputBytes(o.Output) {
					ph.Progress(o.Output)
				}
				id := c.NextID()
				acks := ph.StopWithSavepoint(id, filepath.Join(dir, "sp"))
				got, err := rulescheck.ReadLines(o.Output)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) == 0 || len(got) >= len(want) {
					t.Fatalf("after the stop: %d firings, want some but fewer than the %d of the reference", len(got), len(want))
				}
				o.Rate = 0
				ph2 := startPhase(t, c, 3, 2, o, ckp, &jobtest.Restore{ID: id, Acks: acks})
				ph2.Finish()
				if got, err = rulescheck.ReadLines(o.Output); err != nil {
					t.Fatal(err)
				}
				if err := rulescheck.Check(want, got); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// runRules runs the job locally at parallelism p over the event and rule
// lines and returns its output lines.
func runRules(t *testing.T, events, rules []string, p int, rate float64, ooo time.Duration) []string {
	t.Helper()
	dir := t.TempDir()
	o := job.Options{Events: filepath.Join(dir, "events.txt"), Rules: filepath.Join(dir, "rules.txt"),
		Output: filepath.Join(dir, "out"), Rate: rate, OutOfOrderness: ooo}
	jobtest.WriteLines(t, o.Events, events)
	jobtest.WriteLines(t, o.Rules, rules)
	env := stream.NewEnvironment(stream.Options{Parallelism: p})
	job.Build(env, o)
	if err := env.Execute("rules"); err != nil {
		t.Fatal(err)
	}
	got, err := rulescheck.ReadLines(o.Output)
	if err != nil {
		t.Fatal(err)
	}
	return got
}
