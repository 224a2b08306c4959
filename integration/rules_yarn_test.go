package integration

import (
	"context"
	"fmt"
	"math/rand"
	"syscall"
	"testing"
	"time"

	"github.com/floe-yarn/floe/examples/rules/rulescheck"
	"github.com/floe-yarn/floe/yarnrpc"
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
	cc := e.jobManager(t, app)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	restoredSeen := false
	const kills = 2
	for k := 0; k < kills; k++ {
		waitUntil(t, 2*time.Minute, fmt.Sprintf("kill %d: job running with a completed checkpoint", k+1), func() (bool, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			j, err := cc.Job(ctx, job)
			if err != nil {
				return false, nil
			}
			if j.State.Terminal() {
				return false, fmt.Errorf("job ended (%s) after %d kills; the input is too short", j.State, k)
			}
			st, err := cc.JM.Checkpoints(ctx, job)
			if err != nil || st.Counts.Completed == 0 || !allRunning(j) {
				return false, nil
			}
			if st.Latest.Restored != nil {
				restoredSeen = true
			}
			return true, nil
		})
		time.Sleep(time.Duration(rng.Intn(2000)) * time.Millisecond)
		pids := ycContainerPIDs(t, app, "taskmanager")
		if len(pids) == 0 {
			t.Fatalf("kill %d: no TaskManager process", k+1)
		}
		for cid, pid := range pids { // map order: a random TaskManager
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			t.Logf("kill %d: SIGKILL to TaskManager process %d of %s", k+1, pid, cid)
			break
		}
	}
	waitUntil(t, 5*time.Minute, "the application to end", func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if st, err := cc.JM.Checkpoints(ctx, job); err == nil && st.Latest.Restored != nil {
			restoredSeen = true
		}
		r, err := e.rm.ApplicationReport(ctx, app)
		if err != nil || !r.State.Terminal() {
			return false, nil
		}
		if r.FinalStatus != yarnrpc.FinalSucceeded {
			t.Errorf("application ended %s: %s", r.FinalStatus, r.Diagnostics)
		}
		return true, nil
	})
	if !restoredSeen {
		t.Errorf("no restore from a completed checkpoint was seen after %d kills", kills)
	}
	if err := rulescheck.Check(want, e.readLines(t, dir+"/out")); err != nil {
		t.Fatalf("output not the reference: %v", err)
	}
}
