package integration

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-yarn/floe/client"
)

var ycJobIDRE = regexp.MustCompile(`with id (\S+)`)

// TestYarnSession starts a detached session, runs two jobs in sequence and
// two at once (all correct), sees the idle TaskManagers released after
// resourcemanager.taskmanager-timeout (YARN's running-container count of
// the application falls to 1, the AM), and stops the session with `echo
// stop | floe yarn-session -id`: the application SUCCEEDS, the properties
// file and the staging folder are gone.
func TestYarnSession(t *testing.T) {
	e := newYC(t)
	out, err := e.floe(t, 3*time.Minute, "", "yarn-session", "-d", "-nm", "floe-it-session", "-s", "2",
		e.props(), "-Dyarn.tags="+e.tag, "-Dresourcemanager.taskmanager-timeout=5 s")
	if err != nil {
		t.Fatalf("yarn-session -d: %v", err)
	}
	app := ycAppIDIn(t, out)
	e.killAtEnd(t, app)
	propsFile := filepath.Join(e.propsDir, ".yarn-properties-"+e.user)
	props, err := client.ReadProperties(propsFile)
	if err != nil || props.AppID != app.String() {
		t.Fatalf("properties file: %+v, %v", props, err)
	}
	if !strings.Contains(out, "JobManager web interface: http://") || !strings.Contains(out, "YARN tracking URL: http://") {
		t.Errorf("yarn-session printed no web address or tracking URL")
	}

	dir := e.testDir(t)
	runJob := func(t *testing.T, name string, seed int64, extra ...string) {
		want := e.writeWords(t, dir+"/"+name+"/in.txt", 800, seed)
		args := append([]string{"run"}, extra...)
		args = append(args, e.props(), e.bins+"/wordcount", "--input", e.qualify(t, dir+"/"+name+"/in.txt"), "--output", e.qualify(t, dir+"/"+name+"/out"))
		if _, err := e.floe(t, 3*time.Minute, "", args...); err != nil {
			t.Errorf("job %s: %v", name, err)
			return
		}
		ycSameCounts(t, e.readCounts(t, dir+"/"+name+"/out"), want)
	}
	// In sequence: explicitly, then through the properties file alone.
	runJob(t, "seq1", 11, "-t", "yarn-session")
	runJob(t, "seq2", 12)
	// At once.
	var wg sync.WaitGroup
	for i, n := range []string{"par1", "par2"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runJob(t, n, int64(20+i), "-t", "yarn-session")
		}()
	}
	wg.Wait()

	out, err = e.floe(t, time.Minute, "", "list", "-t", "yarn-session", e.props())
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if n := strings.Count(out, "FINISHED"); n != 4 {
		t.Errorf("list shows %d FINISHED jobs, want 4", n)
	}

	// Idle TaskManagers are released after the timeout: only the AM's
	// container stays.
	waitUntil(t, 90*time.Second, "the session's TaskManagers to be released", func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r, err := e.rm.ApplicationReport(ctx, app)
		if err != nil {
			return false, nil
		}
		return r.Usage.UsedContainers == 1, nil
	})

	out, err = e.floe(t, 2*time.Minute, "stop\n", "yarn-session", "-id", app.String(), e.props())
	if err != nil {
		t.Fatalf("echo stop | yarn-session -id: %v", err)
	}
	rep := e.waitAppEnd(t, app, time.Minute)
	if rep.FinalStatus.String() != "SUCCEEDED" {
		t.Errorf("session ended %s/%s: %s", rep.State, rep.FinalStatus, rep.Diagnostics)
	}
	if _, err := os.Stat(propsFile); !os.IsNotExist(err) {
		t.Errorf("properties file still there (%v)", err)
	}
	e.waitStagingGone(t, app, 30*time.Second)
}

// TestYarnSessionDetachedListCancel: detached session → a detached
// unbounded job → floe list shows it RUNNING → floe cancel → CANCELED →
// `echo stop | floe yarn-session -id`; no application or staging folder is
// left.
func TestYarnSessionDetachedListCancel(t *testing.T) {
	e := newYC(t)
	out, err := e.floe(t, 3*time.Minute, "", "yarn-session", "-d", e.props(), "-Dyarn.tags="+e.tag)
	if err != nil {
		t.Fatalf("yarn-session -d: %v", err)
	}
	app := ycAppIDIn(t, out)
	e.killAtEnd(t, app)
	out, err = e.floe(t, 3*time.Minute, "", "run", "-t", "yarn-session", "-d", e.props(), e.bins+"/clicks", "--rate", "5")
	if err != nil {
		t.Fatalf("run -d: %v", err)
	}
	m := ycJobIDRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no job id in %q", out)
	}
	job := m[1]
	waitUntil(t, 2*time.Minute, "the job to be RUNNING in floe list", func() (bool, error) {
		o, err := e.floe(t, time.Minute, "", "list", "-t", "yarn-session", "-Dyarn.application.id="+app.String())
		return err == nil && regexp.MustCompile(regexp.QuoteMeta(job)+`\s+RUNNING`).MatchString(o), nil
	})
	// floe logs reads the running containers' logs from the NodeManagers.
	logs, err := e.floe(t, time.Minute, "", "logs", "-Dyarn.application.id="+app.String(), "--tail", "3")
	if err != nil {
		t.Fatalf("logs: %v", err)
	}
	for _, s := range []string{"_000001 on ", ": jobmanager.log (", ": taskmanager.log (", `"level":`} {
		if !strings.Contains(logs, s) {
			t.Errorf("floe logs output lacks %q", s)
		}
	}
	if _, err := e.floe(t, 2*time.Minute, "", "cancel", "-t", "yarn-session", e.props(), job); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	out, err = e.floe(t, time.Minute, "", "list", "-t", "yarn-session", e.props())
	if err != nil || !regexp.MustCompile(regexp.QuoteMeta(job)+`\s+CANCELED`).MatchString(out) {
		t.Errorf("after cancel, list = %v\n%s", err, out)
	}
	if _, err := e.floe(t, 2*time.Minute, "stop\n", "yarn-session", "-id", app.String(), e.props()); err != nil {
		t.Fatalf("stop: %v", err)
	}
	e.waitAppEnd(t, app, time.Minute)
	e.waitStagingGone(t, app, 30*time.Second)
	for _, a := range e.appsTagged(t) {
		if !a.State.Terminal() {
			t.Errorf("application %s still %s", a.ID, a.State)
		}
	}
}
