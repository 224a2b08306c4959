package integration

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/yarnrpc"
)

// containerPIDs finds the processes of an application's containers that
// play role (FLOE_ROLE) by reading /proc/*/environ: container id → pid.
func containerPIDs(t *testing.T, app yarnrpc.ApplicationID, role string) map[string]int {
	t.Helper()
	envs, _ := filepath.Glob("/proc/[0-9]*/environ")
	// container ids carry the app's timestamp and sequence, with or without an epoch
	tag := "_" + strconv.FormatInt(app.ClusterTimestamp, 10) + "_" + strings.TrimPrefix(app.String(), "application_"+strconv.FormatInt(app.ClusterTimestamp, 10)+"_") + "_"
	out := map[string]int{}
	for _, f := range envs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var cid string
		isRole := false
		for _, kv := range bytes.Split(b, []byte{0}) {
			s := string(kv)
			if v, ok := strings.CutPrefix(s, "CONTAINER_ID="); ok && strings.Contains(v, tag) {
				cid = v
			}
			if s == "FLOE_ROLE="+role {
				isRole = true
			}
		}
		if cid != "" && isRole {
			if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(f))); err == nil {
				out[cid] = pid
			}
		}
	}
	return out
}

// waitJob polls the application's single job until cond holds.
func waitJob(t *testing.T, e *amEnv, c *api.Client, app amApp, what string, cond func(api.JobStatus) bool) api.JobStatus {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var st api.JobStatus
		l, err := c.Jobs(e.ctx)
		if err == nil && len(l.Jobs) == 1 {
			if st, err = c.Job(e.ctx, l.Jobs[0].ID); err == nil && cond(st) {
				return st
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("job not %s within 2m: %+v %v\n%s", what, st, err, e.amLog(app.id))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestAMReplacesLostContainer kills a TaskManager's process: YARN reports
// its container completed with exit status 137, the AM records that in the
// job's exception history, asks for a replacement container, and the job
// restarts by the default YARN restart strategy. Cancelling the per-job
// application's job then ends the application KILLED, staging removed.
func TestAMReplacesLostContainer(t *testing.T) {
	e := newAMEnv(t)
	app := e.submit(t, amSubmission{mode: "per-job", job: "testjob", par: 2, jobArgs: []string{"--mode", "unbounded"},
		conf: map[string]string{"taskmanager.numberOfTaskSlots": "1"}})
	c, _ := e.client(t, app)
	waitJob(t, e, c, app, "RUNNING", func(st api.JobStatus) bool {
		if st.State != api.JobRunning {
			return false
		}
		for _, s := range st.Subtasks {
			if s.State != api.Running {
				return false
			}
		}
		return true
	})
	pids := containerPIDs(t, app.id, "taskmanager")
	if len(pids) != 2 {
		t.Fatalf("TaskManager processes %v, want 2", pids)
	}
	var victim string
	for cid, pid := range pids {
		victim = cid
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		t.Logf("killed TaskManager process %d of %s", pid, cid)
		break
	}
	// A peer may notice the loss first; YARN's report of the container
	// (exit status 137) follows within a heartbeat and joins the history.
	lostExit := func(st api.JobStatus) string {
		for _, ex := range st.Exceptions {
			if strings.Contains(ex.Cause, victim) {
				return ex.Cause
			}
		}
		return ""
	}
	st := waitJob(t, e, c, app, "restarted, RUNNING, with the container exit recorded", func(st api.JobStatus) bool {
		if st.State != api.JobRunning || st.Attempt < 1 || lostExit(st) == "" {
			return false
		}
		for _, s := range st.Subtasks {
			if s.State != api.Running {
				return false
			}
		}
		return true
	})
	t.Logf("exceptions: %+v", st.Exceptions)
	cause := lostExit(st)
	for _, w := range []string{"exited with status 137", "killed by SIGKILL"} {
		if !strings.Contains(cause, w) {
			t.Errorf("exception %q lacks %q", cause, w)
		}
	}
	tms, err := c.TaskManagers(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tms.TaskManagers) != 2 {
		t.Errorf("TaskManagers after the replacement: %+v", tms)
	}
	for _, tm := range tms.TaskManagers {
		if strings.Contains(tm.Location, victim) {
			t.Errorf("lost container %s still listed: %+v", victim, tm)
		}
	}
	if _, err := c.Cancel(e.ctx, st.ID); err != nil {
		t.Fatal(err)
	}
	r := e.amWait(t, app.id, time.Minute, "FINISHED", func(r yarnrpc.ApplicationReport) bool { return r.State.Terminal() && r.State != yarnrpc.StateRunning })
	if r.FinalStatus != yarnrpc.FinalKilled || !strings.Contains(r.Diagnostics, "canceled") {
		t.Fatalf("final %s/%s: %s", r.State, r.FinalStatus, r.Diagnostics)
	}
	if _, err := e.store.Stat(e.ctx, app.staging); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("staging folder %s after the end: %v", app.staging, err)
	}
}

// TestAMKilledRemovesStaging kills a session application through the RM:
// the NodeManager SIGTERMs the AM, which deletes the staging folder before
// the SIGKILL that follows.
func TestAMKilledRemovesStaging(t *testing.T) {
	e := newAMEnv(t)
	app := e.submit(t, amSubmission{mode: "session"})
	e.client(t, app)
	if err := e.rm.Kill(e.ctx, app.id, "killed by the AM test"); err != nil {
		t.Fatal(err)
	}
	r := e.amWait(t, app.id, time.Minute, "KILLED", func(r yarnrpc.ApplicationReport) bool { return r.State == yarnrpc.StateKilled })
	t.Logf("killed: %s", r.Diagnostics)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := e.store.Stat(e.ctx, app.staging)
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("staging folder %s still there 30 s after the kill (%v)\n%s", app.staging, err, e.amLog(app.id))
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The AM deleted it (and only then logged): nothing else removes it
	// while the test runs.
	if log := e.amLog(app.id); !strings.Contains(log, "killed (SIGTERM); removed the staging folder") {
		t.Errorf("the AM did not log the removal on SIGTERM:\n%s", log)
	}
}
