package integration

import (
	"testing"

	"github.com/floe-yarn/floe/examples/rules/rulescheck"
)

// TestYarnRulesExactlyOnce is issue 10's rules test on YARN:
// examples/rules per-job with parallelism 2, a checkpoint every second,
// while a TaskManager container process is killed with SIGKILL twice at
// random moments. Events are out of order within the out-of-orderness and
// rules change (deletions included) along the way; the rules file is long
// enough to be read for as long as the events (a finished subtask stops
// checkpointing). The output must equal the brute-force reference, without
// duplicates, after a restore from a completed checkpoint: keyed events
// and timers, every instance's rule versions (broadcast state), source
// positions and the sink's pending files all restored.
func TestYarnRulesExactlyOnce(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	// 2 event readers at 150 lines/s: about 25 s of events; one rules
	// reader at 150 lines/s for as long.
	events, rules := rulescheck.Generate(rulescheck.Options{Events: 7500, Users: 20, Types: 3, Disorder: 40, Rules: 3750, Seed: 31})
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
