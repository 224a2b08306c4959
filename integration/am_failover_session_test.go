package integration

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/floe-yarn/floe/client"
	"github.com/floe-yarn/floe/examples/ledger/ledgercheck"
	"github.com/floe-yarn/floe/jobmanager/api"
)

// sessionLedger submits a detached ledger job with checkpoints every second
// to the session and returns its id.
func (e *ycEnv) sessionLedger(t *testing.T, dir string, lines int, seed uint64) (string, []string) {
	t.Helper()
	input := ledgercheck.Generate(lines, 20, seed)
	e.writeLines(t, dir+"/in/tx.txt", input)
	out, err := e.floe(t, 3*time.Minute, "", "run", "-t", "yarn-session", "-d", e.props(), "-p", "1",
		"-Dexecution.checkpointing.interval=1s", "-Dstate.checkpoints.dir="+e.qualify(t, dir+"/chk"),
		e.bins+"/ledger", "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out"), "--rate", "100")
	if err != nil {
		t.Fatalf("run -t yarn-session -d: %v", err)
	}
	m := ycJobIDRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no job id in %q", out)
	}
	return m[1], input
}

// TestYarnAMFailoverSession: a detached session runs two checkpointing
// ledger jobs; kill -9 of the AM; attempt 2 resumes both from their latest
// checkpoints (exact output), floe list works against the new JobManager
// and says it failed over, and a third job submitted after the failover
// runs; stopping the session leaves no staging folder.
func TestYarnAMFailoverSession(t *testing.T) {
	e := newYC(t)
	out, err := e.floe(t, 3*time.Minute, "", "yarn-session", "-d", e.props(), "-Dyarn.tags="+e.tag,
		"-Dtaskmanager.numberOfTaskSlots=1", "-Dyarn.application-attempts=2")
	if err != nil {
		t.Fatalf("yarn-session -d: %v", err)
	}
	app := ycAppIDIn(t, out)
	e.killAtEnd(t, app)
	type job struct {
		id, dir string
		input   []string
	}
	var jobs []job
	for i := 0; i < 2; i++ {
		dir := e.testDir(t) + fmt.Sprintf("/job%d", i)
		id, input := e.sessionLedger(t, dir, 4000, uint64(200+i))
		jobs = append(jobs, job{id, dir, input})
	}
	cc := e.jobManager(t, app)
	for _, j := range jobs {
		e.waitCheckpointed(t, cc, j.id, 2)
	}
	pid := amProcess(t, app, 1)
	if pid == 0 {
		t.Fatalf("no ApplicationMaster process of %s on this host", app)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	t.Logf("SIGKILL to the ApplicationMaster process %d of %s", pid, app)
	// floe list waits through the failover and says so.
	listed, err := e.floe(t, 4*time.Minute, "", "list", "-t", "yarn-session", "-Dyarn.application.id="+app.String())
	if err != nil {
		t.Fatalf("list across the failover: %v\n%s", err, e.amLog(app))
	}
	if !strings.Contains(listed, "attempt 2") {
		t.Errorf("floe list after the failover does not name attempt 2:\n%s", listed)
	}
	for _, j := range jobs {
		if !regexp.MustCompile(regexp.QuoteMeta(j.id) + `\s+[A-Z]+`).MatchString(listed) {
			t.Errorf("floe list after the failover lacks job %s:\n%s", j.id, listed)
		}
	}
	cc = e.jobManagerOfAttempt(t, app, 2, 2*time.Minute)
	third := job{dir: e.testDir(t) + "/job2"}
	third.id, third.input = e.sessionLedger(t, third.dir, 500, 202)
	jobs = append(jobs, third)
	for _, j := range jobs {
		d := e.waitJobEnd(t, cc, j.id, 4*time.Minute)
		if d != api.JobFinished {
			t.Errorf("job %s ended %s", j.id, d)
			continue
		}
		if err := ledgercheck.Check(j.input, e.readLines(t, j.dir+"/out")); err != nil {
			t.Errorf("job %s: output not exactly once across the AM failover: %v", j.id, err)
		}
	}
	e.stopSession(t, app)
	e.waitAppEnd(t, app, time.Minute)
	e.waitStagingGone(t, app, 30*time.Second)
}

// waitJobEnd waits for a job to end and returns its final state.
func (e *ycEnv) waitJobEnd(t *testing.T, cc *client.ClusterClient, id string, bound time.Duration) api.JobState {
	t.Helper()
	var st api.JobState
	waitUntil(t, bound, "job "+id+" to end", func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		j, err := cc.Job(ctx, id)
		if err != nil {
			return false, nil
		}
		st = j.State
		return st.Terminal(), nil
	})
	return st
}

// TestYarnAMZombie: the AM is paused with SIGSTOP until the RM expires it
// (the test cluster's yarn.am.liveness-monitor.expiry-interval-ms is 20 s)
// and starts attempt 2, which resumes the job; then the first AM is resumed
// with SIGCONT. It must not commit anything nor corrupt the job store (the
// output stays exact) and must exit. In practice YARN stops the expired
// attempt's container (the NodeManager's SIGKILL ends even a stopped
// process), so the SIGCONT usually finds it gone; a zombie that survives
// (a partitioned host) is fenced by the job store, as am/jobstore's
// TestTakeoverAndFencing and am's TestAppMasterFailover show.
func TestYarnAMZombie(t *testing.T) {
	e := newYC(t)
	l, _ := e.startFailoverLedger(t, 9000, 300, 100)
	app, job := l.app, l.job
	pid := mustAMProcess(t, app, 1)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Logf("SIGSTOP to the ApplicationMaster process %d of %s", pid, app)
	resumed := false
	defer func() {
		if !resumed {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}()
	cc := e.jobManagerOfAttempt(t, app, 2, 3*time.Minute)
	e.waitCheckpointed(t, cc, job, 1)
	resumed = true
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Logf("SIGCONT to %d: %v (the NodeManager already killed the expired attempt's container)", pid, err)
	}
	waitUntil(t, time.Minute, fmt.Sprintf("the paused AM process %d to exit", pid), func() (bool, error) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		return err != nil || strings.Contains(string(b), ") Z "), nil
	})
	l.exact(t, e, "with a zombie AM")
}

// TestYarnApplicationAttemptsCapped: yarn.application-attempts above the
// ResourceManager's yarn.resourcemanager.am.max-attempts (Hadoop's default
// 2 in the test cluster) is capped, with a message.
func TestYarnApplicationAttemptsCapped(t *testing.T) {
	e := newYC(t)
	out, err := e.floe(t, 3*time.Minute, "", "yarn-session", "-d", e.props(), "-Dyarn.tags="+e.tag, "-Dyarn.application-attempts=5")
	if err != nil {
		t.Fatalf("yarn-session -d: %v", err)
	}
	app := ycAppIDIn(t, out)
	e.killAtEnd(t, app)
	want := "yarn.application-attempts=5 is above the ResourceManager's yarn.resourcemanager.am.max-attempts=2: the application gets 2 ApplicationMaster attempts"
	if !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	e.jobManager(t, app)
	e.stopSession(t, app)
	e.waitStagingGone(t, app, 30*time.Second)
}
