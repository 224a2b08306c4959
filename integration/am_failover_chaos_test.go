package integration

import (
	"context"
	"math/rand"
	"syscall"
	"testing"
	"time"

	"github.com/floe-yarn/floe/examples/ledger/ledgercheck"
	"github.com/floe-yarn/floe/yarnrpc"
)

// TestYarnChaos is issue 13's chaos run, the target the project holds
// itself to: during one ledger job of several minutes, 10 random
// TaskManager kills, 1 ApplicationMaster kill, 1 ResourceManager restart
// (scripts/minicluster.sh restart-rm) and 1 NodeManager stop/start, in a
// random order. The output is exact, and afterwards no application,
// container or staging folder is left.
//
// It restarts the RM and stops a NodeManager; the integration tests run
// one at a time (-p 1, no t.Parallel), and the cluster is whole again
// when it ends. It found two AM bugs: a SIGTERM from a stopping
// NodeManager removed the job store although YARN starts another attempt,
// and an attempt whose one adoptable container ended before adoption
// never sent the asks held back for it (TestDriverAdoptableEndsBeforeAdoption).
func TestYarnChaos(t *testing.T) {
	e := newYC(t)
	t.Cleanup(func() {
		// Whole again for the tests after this one, even when it failed
		// between a daemon's stop and start (no-ops when running).
		for _, args := range [][]string{{"start-rm"}, {"start-nm", "1"}, {"start-nm", "2"}} {
			e.c.Run(t, args...)
		}
	})
	dir := e.testDir(t)
	// 2 source subtasks at 100 lines/s: about 6 minutes of input.
	input := ledgercheck.Generate(72000, 60, 1300)
	e.writeLines(t, dir+"/in/tx.txt", input)
	app, job := e.runDetached(t, "-p", "2", "-Dtaskmanager.numberOfTaskSlots=1",
		"-Dexecution.checkpointing.interval=1s", "-Dstate.checkpoints.dir="+e.qualify(t, dir+"/chk"),
		e.bins+"/ledger", "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out"), "--rate", "100")
	events := []string{"am", "restart-rm", "nm"}
	for i := 0; i < 10; i++ {
		events = append(events, "tm")
	}
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	rng.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
	attempt := 1 // the least attempt that must serve (a lost NodeManager may start another)
	for k, ev := range events {
		cc := e.jobManagerOfAttempt(t, app, attempt, 4*time.Minute)
		attempt = e.currentAttempt(t, app)
		e.waitCheckpointed(t, cc, job, 1)
		time.Sleep(time.Duration(rng.Intn(3000)) * time.Millisecond)
		switch ev {
		case "tm":
			pids := ycContainerPIDs(t, app, "taskmanager")
			for cid, pid := range pids { // map order: a random TaskManager
				if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				t.Logf("event %d: SIGKILL to TaskManager %d of %s", k+1, pid, cid)
				break
			}
		case "am":
			pid := amProcess(t, app, attempt)
			if pid == 0 {
				t.Fatalf("event %d: no ApplicationMaster process of attempt %d", k+1, attempt)
			}
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			attempt++
			t.Logf("event %d: SIGKILL to the ApplicationMaster %d", k+1, pid)
		case "restart-rm":
			t.Logf("event %d: %s", k+1, e.c.Run(t, "restart-rm"))
		case "nm":
			t.Logf("event %d: %s", k+1, e.c.Run(t, "stop-nm", "2"))
			time.Sleep(5 * time.Second)
			t.Logf("event %d: %s", k+1, e.c.Run(t, "start-nm", "2"))
		}
	}
	rep := e.waitAppEnd(t, app, 15*time.Minute)
	if rep.FinalStatus != yarnrpc.FinalSucceeded {
		t.Fatalf("application ended %s: %s\n%s", rep.FinalStatus, rep.Diagnostics, e.amLog(app))
	}
	if err := ledgercheck.Check(input, e.readLines(t, dir+"/out")); err != nil {
		t.Fatalf("output not exactly once under chaos: %v", err)
	}
	e.waitStagingGone(t, app, time.Minute)
	waitUntil(t, time.Minute, "no container of "+app.String()+" left", func() (bool, error) {
		return len(ycContainerPIDs(t, app, "taskmanager")) == 0 && amProcess(t, app, e.currentAttempt(t, app)) == 0, nil
	})
	for _, a := range e.appsTagged(t) {
		if !a.State.Terminal() {
			t.Errorf("application %s still %s", a.ID, a.State)
		}
	}
}

// currentAttempt is app's current ApplicationMaster attempt.
func (e *ycEnv) currentAttempt(t *testing.T, app yarnrpc.ApplicationID) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := e.rm.ApplicationReport(ctx, app)
	if err != nil {
		t.Fatalf("report of %s: %v", app, err)
	}
	return int(r.Attempt.Attempt)
}
