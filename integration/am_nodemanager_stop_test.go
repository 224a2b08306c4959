package integration

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/floe-yarn/floe/yarnrpc"
)

// TestYarnAMNodeManagerStop: a per-job ledger job of two attempts loses
// its first AM (kill -9), then the NodeManager hosting the second, last,
// AM stops. The application does not end: the AM container's exit
// (ABORTED) does not count against the attempts, and YARN starts attempt
// 3, which resumes the job from its latest checkpoint; the output is
// exact. The stopping NodeManager either SIGTERMs the AM, as yarn
// application -kill does (then the AM asks the RM, which does not say
// KILLED, and keeps the staging folder and the job store), or the RM ends
// the attempt first and the AM exits on that; which one comes first is the
// NodeManager's timing, and the test logs it. Before, the last attempt
// removed both on SIGTERM and attempt 3 ran the job again from nothing
// (seen in TestYarnChaos).
func TestYarnAMNodeManagerStop(t *testing.T) {
	e := newYC(t)
	l, _ := e.startFailoverLedger(t, 12000, 4242, 100, "-Dyarn.application-attempts=2")
	app, job := l.app, l.job
	if err := syscall.Kill(mustAMProcess(t, app, 1), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cc := e.jobManagerOfAttempt(t, app, 2, 2*time.Minute)
	e.waitCheckpointed(t, cc, job, 1)
	nm := amNodeManager(t, app, 2)
	stopped := true
	t.Cleanup(func() {
		if stopped {
			e.c.Run(t, "start-nm", nm)
		}
	})
	t.Logf("%s", e.c.Run(t, "stop-nm", nm))
	cc = e.jobManagerOfAttempt(t, app, 3, 3*time.Minute)
	// Read before the NodeManager starts again: it deletes the logs of
	// the applications it ran before. Attempt 2's AM either got SIGTERM
	// and kept the folder (the RM said RUNNING), or the RM ended the
	// attempt first (the NodeManager unregistered) and the AM exited on
	// that; it never removed the folder.
	log := e.amLog(app)
	if strings.Contains(log, "killed (SIGTERM); removed the staging folder") {
		t.Errorf("an AM removed the staging folder on the NodeManager's stop:\n%s", log)
	}
	if strings.Contains(log, "the ResourceManager does not say the application was killed; kept the staging folder") {
		t.Log("attempt 2's AM got SIGTERM and kept the staging folder: the RM said its attempt was not KILLED")
	} else {
		t.Log("attempt 2's AM did not get SIGTERM before the RM ended its attempt")
	}
	t.Logf("%s", e.c.Run(t, "start-nm", nm))
	stopped = false
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	j, err := cc.Job(ctx, job)
	cancel()
	if err != nil {
		t.Fatalf("job %s under attempt 3: %v", job, err)
	}
	resumed := false
	for _, x := range j.Exceptions {
		resumed = resumed || strings.Contains(x.Cause, "JobManager failover: ApplicationMaster attempt 3 took over from attempt 2") &&
			strings.Contains(x.Cause, "resumed from checkpoint")
	}
	if !resumed {
		t.Errorf("exception history %+v: want attempt 3 to resume the job from a checkpoint", j.Exceptions)
	}
	l.exact(t, e, "across the NodeManager stop")
}

// amNodeManager returns the minicluster's number ("1", "2") of the
// NodeManager whose container runs app's AM of the given attempt, from
// the process's working folder (.minicluster/data/nm<N>/local/…).
func amNodeManager(t *testing.T, app yarnrpc.ApplicationID, attempt int) string {
	t.Helper()
	pid := amProcess(t, app, attempt)
	if pid == 0 {
		t.Fatalf("no ApplicationMaster process of %s attempt %d on this host", app, attempt)
	}
	cwd, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "cwd"))
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range strings.Split(cwd, string(filepath.Separator)) {
		if n, ok := strings.CutPrefix(part, "nm"); ok {
			if _, err := strconv.Atoi(n); err == nil {
				return n
			}
		}
	}
	t.Fatalf("AM %d works in %s: no NodeManager folder in it", pid, cwd)
	return ""
}
