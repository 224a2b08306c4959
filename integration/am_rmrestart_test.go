package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/yarnrpc"
)

// TestAMSurvivesRMRestart restarts the ResourceManager (work-preserving
// recovery is on in the minicluster) under a running per-job application:
// the AM registers again, the job keeps running on the same TaskManagers
// (no restart), and cancelling it still ends the application KILLED.
//
// It restarts the RM; `make test` runs the integration tests one at a time,
// so nothing else is using the cluster then.
func TestAMSurvivesRMRestart(t *testing.T) {
	e := newYC(t)
	app, job := e.runDetached(t, "-p", "2", "-Dtaskmanager.numberOfTaskSlots=1", e.bins+"/testjob", "--mode", "unbounded")
	cc := e.jobManager(t, app)
	before := e.waitJob(t, cc, job, "RUNNING", allRunning)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tmsBefore, err := cc.JM.TaskManagers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.c.Run(t, "restart-rm")
	// The AM re-registers on its next heartbeat (at most 5 s); the
	// application stays RUNNING through it.
	waitUntil(t, 2*time.Minute, "RUNNING after the RM restart", func() (bool, error) {
		rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
		defer rcancel()
		r, err := e.rm.ApplicationReport(rctx, app)
		return err == nil && r.State == yarnrpc.StateRunning, nil
	})
	testutil.WaitFor(t, time.Minute, "registered again", func() bool {
		return strings.Contains(e.amLog(app), "registered again, TaskManagers kept")
	})
	after := e.waitJob(t, cc, job, "RUNNING", allRunning)
	if after.Attempt != before.Attempt || after.Restarts != 0 {
		t.Fatalf("the job restarted across the RM restart: before %+v after %+v", before, after)
	}
	tmsAfter, err := cc.JM.TaskManagers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tmsAfter.TaskManagers) != len(tmsBefore.TaskManagers) {
		t.Fatalf("TaskManagers before %+v after %+v", tmsBefore, tmsAfter)
	}
	for i := range tmsAfter.TaskManagers {
		if tmsAfter.TaskManagers[i].Location != tmsBefore.TaskManagers[i].Location {
			t.Errorf("TaskManager %d moved: %q → %q", i, tmsBefore.TaskManagers[i].Location, tmsAfter.TaskManagers[i].Location)
		}
	}
	if _, err := cc.Cancel(ctx, job); err != nil {
		t.Fatal(err)
	}
	r := e.waitAppEnd(t, app, time.Minute)
	if r.FinalStatus != yarnrpc.FinalKilled {
		t.Fatalf("final %s/%s: %s", r.State, r.FinalStatus, r.Diagnostics)
	}
}
