package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/jobmanager/api"
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
	e := newAMEnv(t)
	app := e.submit(t, amSubmission{mode: "per-job", job: "testjob", par: 2, jobArgs: []string{"--mode", "unbounded"},
		conf: map[string]string{"taskmanager.numberOfTaskSlots": "1"}})
	c, _ := e.client(t, app)
	running := func(st api.JobStatus) bool {
		if st.State != api.JobRunning {
			return false
		}
		for _, s := range st.Subtasks {
			if s.State != api.Running {
				return false
			}
		}
		return true
	}
	before := waitJob(t, e, c, app, "RUNNING", running)
	tmsBefore, err := c.TaskManagers(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.c.Run(t, "restart-rm")
	// The AM re-registers on its next heartbeat (at most 5 s); the
	// application stays RUNNING through it.
	e.amWait(t, app.id, 2*time.Minute, "RUNNING after the RM restart", func(r yarnrpc.ApplicationReport) bool {
		return r.State == yarnrpc.StateRunning
	})
	testutil.WaitFor(t, time.Minute, "registered again", func() bool {
		return strings.Contains(e.amLog(app.id), "registered again, TaskManagers kept")
	})
	after := waitJob(t, e, c, app, "RUNNING", running)
	if after.Attempt != before.Attempt || after.Restarts != 0 {
		t.Fatalf("the job restarted across the RM restart: before %+v after %+v", before, after)
	}
	tmsAfter, err := c.TaskManagers(e.ctx)
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
	if _, err := c.Cancel(e.ctx, after.ID); err != nil {
		t.Fatal(err)
	}
	r := e.amWait(t, app.id, time.Minute, "ended", func(r yarnrpc.ApplicationReport) bool { return r.State.Terminal() })
	if r.FinalStatus != yarnrpc.FinalKilled {
		t.Fatalf("final %s/%s: %s", r.State, r.FinalStatus, r.Diagnostics)
	}
}
