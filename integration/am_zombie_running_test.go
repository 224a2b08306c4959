package integration

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestYarnAMZombieRunning: a zombie AM that keeps running. The AM of a
// per-job ledger job is paused with SIGSTOP and its NodeManager is killed
// with SIGKILL (a host cut off): nothing can stop the AM's container now.
// The RM marks the node LOST, starts attempt 2 on the other NodeManager,
// and attempt 2 resumes the job from its latest checkpoint. Then the
// first AM, still alive, is resumed with SIGCONT: it must not commit
// anything nor corrupt the job store (the output stays exact) and must
// exit on its own, once the RM tells it its attempt is gone. TestYarnAMZombie
// covers the paused AM that YARN does kill.
func TestYarnAMZombieRunning(t *testing.T) {
	e := newYC(t)
	l, _ := e.startFailoverLedger(t, 15000, 301, 100, "-Dyarn.application-attempts=2")
	app := l.app
	pid := mustAMProcess(t, app, 1)
	nm := amNodeManager(t, app, 1)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(pid, syscall.SIGCONT)
		// stop-nm of a dead NodeManager kills the containers it left
		// (the zombie and TaskManagers), then it starts afresh.
		t.Log(strings.TrimSpace(e.c.Run(t, "stop-nm", nm)))
		t.Log(strings.TrimSpace(e.c.Run(t, "start-nm", nm)))
	})
	t.Logf("SIGSTOP to the ApplicationMaster process %d of %s", pid, app)
	t.Log(strings.TrimSpace(e.c.Run(t, "kill-nm", nm)))
	cc := e.jobManagerOfAttempt(t, app, 2, 3*time.Minute)
	e.waitCheckpointed(t, cc, l.job, 1)
	alive := func() bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		return err == nil && !strings.Contains(string(b), ") Z ")
	}
	if !alive() {
		t.Fatalf("the paused AM process %d is gone before SIGCONT: no zombie to test", pid)
	}
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	t.Logf("SIGCONT to the zombie ApplicationMaster %d while attempt 2 runs the job", pid)
	waitUntil(t, 2*time.Minute, fmt.Sprintf("the zombie AM process %d to exit", pid), func() (bool, error) { return !alive(), nil })
	// Its own log (still on the dead NodeManager's disk): it learned from
	// the RM that its attempt is over, and removed nothing.
	var zombie string
	for cid, data := range e.containerLogs(app, "jobmanager.log") {
		if strings.HasSuffix(cid, "_01_000001") {
			zombie = data
		}
	}
	if !strings.Contains(zombie, "the ResourceManager ended this application attempt") {
		t.Errorf("the zombie's log does not say the RM ended its attempt:\n%s", tail(zombie, 4000))
	}
	if strings.Contains(zombie, "removed the staging folder") {
		t.Errorf("the zombie removed the staging folder:\n%s", tail(zombie, 4000))
	}
	l.exact(t, e, "with a running zombie AM")
}

// tail is the last n bytes of s.
func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
