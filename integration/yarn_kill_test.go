package integration

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/floe-yarn/floe/client"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/yarnrpc"
)

// TestYarnExternalKill: forceKillApplication from a second client ends a
// per-job application, and a session, KILLED; the NodeManager SIGTERMs the
// AM, which deletes the staging folder (and logs that it did) before the
// SIGKILL that follows.
//
// In "attempt 1 of 2" the AM is not the application's last attempt, so a
// SIGTERM alone may just end the attempt (and the next one needs the
// folder): the AM asks the RM, which says the attempt was KILLED, and
// removes the folder then too.
//
// Merged from TestYarnExternalKill (per-job) and TestAMKilledRemovesStaging
// (a session, with the AM's log line as proof that the AM removed it).
func TestYarnExternalKill(t *testing.T) {
	for _, mode := range []string{"per-job", "session", "attempt 1 of 2"} {
		t.Run(mode, func(t *testing.T) {
			e := newYC(t)
			var out string
			var err error
			switch mode {
			case "per-job":
				out, err = e.floe(t, 3*time.Minute, "", "run", "-t", "yarn-per-job", "-d", "-Dyarn.tags="+e.tag, e.bins+"/clicks", "--rate", "5")
			case "attempt 1 of 2":
				out, err = e.floe(t, 3*time.Minute, "", "run", "-t", "yarn-per-job", "-d", "-Dyarn.tags="+e.tag, "-Dyarn.application-attempts=2",
					e.bins+"/clicks", "--rate", "5")
			default:
				out, err = e.floe(t, 3*time.Minute, "", "yarn-session", "-d", e.props(), "-Dyarn.tags="+e.tag)
			}
			if err != nil {
				t.Fatalf("%s -d: %v", mode, err)
			}
			app := ycAppIDIn(t, out)
			e.killAtEnd(t, app)
			if !e.exists(t, e.stagingDir(app)) {
				t.Fatalf("no staging folder while the application runs")
			}
			e.jobManager(t, app) // the AM is up, with its SIGTERM handler
			second := newRMClient(t, e.h, 30*time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if mode == "attempt 1 of 2" {
				// What the AM asks on SIGTERM: a live attempt is RUNNING
				// (so an AM its NodeManager stops keeps the folder).
				id := yarnrpc.ApplicationAttemptID{App: app, Attempt: 1}
				if rep, err := second.ApplicationAttemptReport(ctx, id); err != nil || rep.State != yarnrpc.AttemptRunning || rep.ID != id {
					t.Errorf("attempt report of %s: %+v (%v), want RUNNING", id, rep, err)
				}
			}
			if err := second.Kill(ctx, app, "integration test: external kill"); err != nil {
				t.Fatal(err)
			}
			rep := e.waitAppEnd(t, app, time.Minute)
			if rep.State != yarnrpc.StateKilled {
				t.Errorf("state %s, want KILLED", rep.State)
			}
			e.waitStagingGone(t, app, 30*time.Second)
			// The AM deleted it (and only then logged): nothing else
			// removes it while the test runs.
			log := e.amLog(app)
			if !strings.Contains(log, "killed (SIGTERM); removed the staging folder") {
				t.Errorf("the AM did not log the removal on SIGTERM:\n%s", log)
			}
			if mode == "attempt 1 of 2" && (!strings.Contains(log, `"attempts":2`) || !strings.Contains(log, `"attempt_state":"KILLED"`)) {
				t.Errorf("the AM of attempt 1 of 2 did not log the RM's KILLED attempt state:\n%s", log)
			}
		})
	}
}

// TestYarnPerJobCancelEndsApplication: cancelling the only job of a
// per-job cluster (by the id the client printed when it submitted) ends
// the application KILLED, with the cancellation in YARN's diagnostics, and
// removes the staging folder.
func TestYarnPerJobCancelEndsApplication(t *testing.T) {
	e := newYC(t)
	app, job := e.runDetached(t, e.bins+"/clicks", "--rate", "5")
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(job) {
		t.Errorf("job id %q: want the 32 hex digits the client chose", job)
	}
	if _, err := e.floe(t, 2*time.Minute, "", "cancel", "-t", "yarn-per-job", "-Dyarn.application.id="+app.String(), job); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	rep := e.waitAppEnd(t, app, time.Minute)
	if rep.FinalStatus != yarnrpc.FinalKilled || !strings.Contains(rep.Diagnostics, "canceled") {
		t.Errorf("final status %s (%s), want KILLED with the cancellation", rep.FinalStatus, rep.Diagnostics)
	}
	e.waitStagingGone(t, app, 30*time.Second)
}

// killTaskManagersToEnd is the exactly-once tests' failure injection:
// kills times, once the per-job application app runs job with every
// subtask and a completed checkpoint, and then a random moment of up to
// 2 s, one TaskManager container process gets SIGKILL. It then waits for
// the application to end, which must be SUCCEEDED, and fails t unless the
// job was seen restored from a completed checkpoint.
func (e *ycEnv) killTaskManagersToEnd(t *testing.T, app yarnrpc.ApplicationID, job string, kills int) {
	t.Helper()
	cc := e.jobManager(t, app)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	restoredSeen := false
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
}

// ycContainerPIDs finds this host's processes of app's containers that
// play role (FLOE_ROLE), by their environment, leaving out the
// NodeManager's shell wrappers: container id → pid.
func ycContainerPIDs(t *testing.T, app yarnrpc.ApplicationID, role string) map[string]int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	// Container ids carry the application's timestamp and sequence, with
	// or without an epoch.
	tag := "_" + strings.TrimPrefix(app.String(), "application_") + "_"
	pids := map[string]int{}
	for _, en := range ents {
		pid, err := strconv.Atoi(en.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", en.Name(), "environ"))
		if err != nil {
			continue
		}
		var cid string
		isRole := false
		for _, kv := range strings.Split(string(b), "\x00") {
			if v, ok := strings.CutPrefix(kv, yarnrpc.EnvContainerID+"="); ok && strings.Contains(v, tag) {
				cid = v
			}
			isRole = isRole || kv == contract.EnvRole+"="+role
		}
		if cid == "" || !isRole {
			continue
		}
		if exe, err := os.Readlink(filepath.Join("/proc", en.Name(), "exe")); err == nil && !shells[filepath.Base(exe)] {
			pids[cid] = pid
		}
	}
	return pids
}

// TestYarnTaskManagerKill: kill -9 on a TaskManager container process
// during a bounded per-job job (two TaskManagers of one slot each). YARN
// reports the container completed with exit status 137; the AM records
// that, with the container's id, in the job's exception history, asks for
// a replacement container, and the job restarts under YARN's default
// restart strategy (no restart-strategy option is given) and finishes with
// the correct output; the application SUCCEEDS. The job could not finish
// on one TaskManager, so finishing proves the replacement.
//
// Merged from TestYarnTaskManagerKill and TestAMReplacesLostContainer (its
// cancel-ends-KILLED part is in TestYarnPerJobCancelEndsApplication).
func TestYarnTaskManagerKill(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	want := e.writeWords(t, dir+"/in/words.txt", 600000, 5)
	app, job := e.runDetached(t, "-p", "2", "-Dtaskmanager.numberOfTaskSlots=1",
		e.bins+"/wordcount", "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out"))
	cc := e.jobManager(t, app)
	// Kill only once the job runs with every subtask deployed: a failure
	// "during a bounded job", not during TaskManager start-up.
	waitUntil(t, 2*time.Minute, "every subtask RUNNING", func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		j, err := cc.Job(ctx, job)
		if err != nil {
			return false, nil
		}
		if j.State.Terminal() {
			return false, fmt.Errorf("job ended (%s) before the kill; the input is too small", j.State)
		}
		return allRunning(j), nil
	})
	pids := ycContainerPIDs(t, app, "taskmanager")
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
	// The AM ends the application right after the job, so record the
	// exception history while the job runs and take the end from YARN. A
	// peer may notice the loss first; YARN's report of the container (exit
	// status 137) follows within a heartbeat and joins the history.
	var exceptions, lostExit string
	restarted := false
	var after *api.TaskManagerList // the TaskManagers once the job runs again
	waitUntil(t, 5*time.Minute, "the application to end", func() (bool, error) {
		jctx, jcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer jcancel()
		if j, err := cc.Job(jctx, job); err == nil && len(j.Exceptions) > 0 {
			exceptions = client.FormatExceptions(j.Exceptions)
			restarted = restarted || j.Attempt >= 1
			for _, ex := range j.Exceptions {
				if strings.Contains(ex.Cause, victim) {
					lostExit = ex.Cause
				}
			}
			if after == nil && j.Attempt >= 1 && allRunning(j) {
				if l, err := cc.JM.TaskManagers(jctx); err == nil {
					after = &l
				}
			}
		}
		r, err := e.rm.ApplicationReport(jctx, app)
		if err != nil || !r.State.Terminal() {
			return false, nil
		}
		if r.FinalStatus != yarnrpc.FinalSucceeded {
			t.Errorf("application ended %s: %s", r.FinalStatus, r.Diagnostics)
		}
		return true, nil
	})
	t.Logf("exception history: %s", exceptions)
	if !restarted {
		t.Errorf("the job never restarted after the kill")
	}
	for _, w := range []string{"exited with status 137", "killed by SIGKILL"} {
		if !strings.Contains(lostExit, w) {
			t.Errorf("the lost container's exception %q lacks %q (history: %s)", lostExit, w, exceptions)
		}
	}
	// Seen only when the restarted job ran long enough to be polled.
	if after != nil {
		if len(after.TaskManagers) != 2 {
			t.Errorf("TaskManagers after the replacement: %+v", after)
		}
		for _, tm := range after.TaskManagers {
			if strings.Contains(tm.Location, victim) {
				t.Errorf("lost container %s still listed: %+v", victim, tm)
			}
		}
	} else {
		t.Logf("the restarted job finished before its TaskManagers were listed")
	}
	ycSameCounts(t, e.readCounts(t, dir+"/out"), want)
}
