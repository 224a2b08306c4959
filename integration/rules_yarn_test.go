package integration

import (
	"testing"
	"time"

	"github.com/floe-yarn/floe/examples/rules/rulescheck"
	"github.com/floe-yarn/floe/yarnrpc"
)

// TestYarnRulesExactlyOnce is issue 10's rules test on YARN:
// examples/rules per-job with parallelism 2, a checkpoint every second,
// while a TaskManager container process is killed with SIGKILL twice at
// random moments. Events are out of order within the out-of-orderness and
// rules change (deletions included) along the way. Events wait in keyed
// state until the rules file has been read whole (a few seconds here), so
// most kills hit the job while it evaluates; the finished rules source is
// restored finished (FLIP-147). The output must equal the brute-force
// reference, without duplicates, after a restore from a completed
// checkpoint: keyed events
// and timers, every instance's rule versions (broadcast state), source
// positions and the sink's pending files all restored.
func TestYarnRulesExactlyOnce(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	// 2 event readers at 150 lines/s: about 25 s of events; one rules
	// reader at 150 lines/s for about 3 s.
	events, rules := rulescheck.Generate(rulescheck.Options{Events: 7500, Users: 20, Types: 3, Disorder: 40, Rules: 450, Seed: 31})
	want, err := rulescheck.Reference(events, rules)
	if err != nil {
		t.Fatal(err)
	}
	e.writeLines(t, dir+"/events/events.txt", events)
	e.writeLines(t, dir+"/rules/rules.txt", rules)
	app, job := e.runDetached(t, "-p", "2", "-Dtaskmanager.numberOfTaskSlots=1",
		"-Dexecution.checkpointing.interval=1s", "-Dstate.checkpoints.dir="+e.qualify(t, dir+"/chk"),
		e.bins+"/rules", "--events", e.qualify(t, dir+"/events"), "--rules", e.qualify(t, dir+"/rules"),
		"--output", e.qualify(t, dir+"/out"), "--out-of-orderness", "50ms", "--rate", "150")
	e.killTaskManagersToEnd(t, app, job, 2)
	if err := rulescheck.Check(want, e.readLines(t, dir+"/out")); err != nil {
		t.Fatalf("output not the reference: %v", err)
	}
}

// TestYarnRulesStopAndResume is issue 10's "stop-with-savepoint + resume
// at another parallelism" for the rules job on YARN: examples/rules
// per-job at -p 2, a checkpoint every second, is stopped mid-input with
// `floe stop --savepointPath` (no drain: event time does not end, buffered
// events and their timers stay in the savepoint); a run at -p 3 resumes
// from it into the same output folder and reads to the end. The rules
// file is short and its lines are not sorted by validFrom (the events wait
// for it to end); the events' disorder is beyond the out-of-orderness, so
// late events come after the resume too. The combined output equals the
// reference: every firing once.
func TestYarnRulesStopAndResume(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	// 2 event readers at 100 lines/s: about 30 s of events.
	events, rules := rulescheck.Generate(rulescheck.Options{Events: 6000, Users: 12, Types: 2, Disorder: 200, Rules: 40, Seed: 37})
	want, err := rulescheck.Reference(events, rules)
	if err != nil {
		t.Fatal(err)
	}
	e.writeLines(t, dir+"/events/events.txt", events)
	e.writeLines(t, dir+"/rules/rules.txt", rules)
	run := func(rate string, args ...string) (yarnrpc.ApplicationID, string) {
		// The pipeline options reach the plan and the TaskManagers alike
		// (a graph built with other key groups would not be deployed).
		args = append(args, "-Dtaskmanager.numberOfTaskSlots=1", "-Dexecution.checkpointing.interval=1s",
			"-Dstate.checkpoints.dir="+e.qualify(t, dir+"/chk"),
			"-Dpipeline.max-parallelism=64", "-Dpipeline.auto-watermark-interval=50ms",
			e.bins+"/rules", "--events", e.qualify(t, dir+"/events"), "--rules", e.qualify(t, dir+"/rules"),
			"--output", e.qualify(t, dir+"/out"), "--out-of-orderness", "50ms", "--rate", rate)
		return e.runDetached(t, args...)
	}
	app1, id1 := run("100", "-p", "2")
	sp1 := e.stopWithSavepoint(t, app1, id1, e.qualify(t, dir+"/sp"), true)
	if n := len(e.readLines(t, dir+"/out")); n == 0 || n >= len(want) {
		t.Fatalf("after the stop: %d firings committed, want some but fewer than the %d of the reference", n, len(want))
	}
	app2, _ := run("0", "-p", "3", "-s", sp1)
	if rep := e.waitAppEnd(t, app2, 3*time.Minute); rep.FinalStatus != yarnrpc.FinalSucceeded {
		t.Fatalf("resumed run ended %s (%s): %s", rep.State, rep.FinalStatus, rep.Diagnostics)
	}
	if err := rulescheck.Check(want, e.readLines(t, dir+"/out")); err != nil {
		t.Fatalf("output across the stop and the resume at -p 3 not the reference: %v", err)
	}
}
