package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-yarn/floe/client"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/yarnrpc"
)

var ycJobIDRE = regexp.MustCompile(`with id (\S+)`)

// getJSON GETs url without a signature and decodes the reply.
func getJSON(t *testing.T, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK && out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("GET %s: %v: %s", url, err, b)
		}
	}
	return resp.StatusCode
}

// stopSession runs `echo stop | floe yarn-session -id` and checks what it
// says: the JobManager accepted the shutdown and the session ended
// SUCCEEDED.
func (e *ycEnv) stopSession(t *testing.T, app yarnrpc.ApplicationID) {
	t.Helper()
	out, err := e.floe(t, 2*time.Minute, "stop\n", "yarn-session", "-id", app.String(), e.props())
	if err != nil {
		t.Fatalf("echo stop | yarn-session -id: %v", err)
	}
	for _, w := range []string{"Stopping Floe session " + app.String(), "Session " + app.String() + " stopped: FINISHED (SUCCEEDED)"} {
		if !strings.Contains(out, w) {
			t.Errorf("stop output lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "did not accept the shutdown") {
		t.Errorf("the JobManager refused the shutdown; the session was killed:\n%s", out)
	}
}

// TestYarnSession starts a detached session, which holds no TaskManagers
// until a job comes; its JobManager serves GETs unsigned, directly and
// through YARN's web proxy (the tracking URL), and refuses unsigned
// mutations. It runs the same job twice in sequence (the second reuses the
// first one's idle TaskManager: the pool is binary + arguments), then two
// at once (all correct), sees the idle TaskManagers released after
// resourcemanager.taskmanager-timeout (YARN's running-container count of
// the application falls to 1, the AM), and stops the session with `echo
// stop | floe yarn-session -id`: the application SUCCEEDS with the reason
// in its diagnostics, the properties file and the staging folder are gone.
//
// Merged with TestAMSession.
func TestYarnSession(t *testing.T) {
	e := newYC(t)
	out, err := e.floe(t, 3*time.Minute, "", "yarn-session", "-d", "-nm", "floe-it-session", "-s", "2",
		e.props(), "-Dyarn.tags="+e.tag, "-Dresourcemanager.taskmanager-timeout=8 s")
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

	cc := e.jobManager(t, app)
	base := "http://" + cc.Addr
	var ov api.Overview
	if code := getJSON(t, base+"/v1/overview", &ov); code != http.StatusOK || ov.TaskManagers != 0 || ov.Mode != "session" {
		t.Fatalf("overview %d %+v", code, ov)
	}
	// Through the RM's web proxy (the tracking URL users see).
	if !strings.Contains(cc.Report.TrackingURL, "/proxy/") {
		t.Fatalf("tracking URL %q is not the proxy", cc.Report.TrackingURL)
	}
	var pov api.Overview
	if code := getJSON(t, strings.TrimSuffix(cc.Report.TrackingURL, "/")+"/v1/overview", &pov); code != http.StatusOK || pov.Mode != "session" {
		t.Fatalf("overview through the proxy: %d %+v", code, pov)
	}
	// Unsigned mutations are refused.
	resp, err := http.Post(base+"/v1/cluster/shutdown", "application/json", strings.NewReader(`{"version":1}`))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned shutdown: %d, want 401", resp.StatusCode)
	}

	dir := e.testDir(t)
	type job struct {
		name string
		want map[string]int64
		args []string // floe run's arguments
	}
	newJob := func(name string, seed int64, extra ...string) job {
		want := e.writeWords(t, dir+"/"+name+"/in.txt", 800, seed)
		args := append([]string{"run", "-p", "2"}, extra...)
		args = append(args, e.props(), e.bins+"/wordcount", "--input", e.qualify(t, dir+"/"+name+"/in.txt"), "--output", e.qualify(t, dir+"/"+name+"/out"))
		return job{name, want, args}
	}
	// run submits j attached and returns its job id; it only reports
	// errors, so that it may run in a goroutine.
	run := func(j job) (string, error) {
		out, err := e.floe(t, 3*time.Minute, "", j.args...)
		if err != nil {
			return "", fmt.Errorf("job %s: %w", j.name, err)
		}
		m := ycJobIDRE.FindStringSubmatch(out)
		if m == nil {
			return "", fmt.Errorf("job %s: no job id in %q", j.name, out)
		}
		return m[1], nil
	}
	subtaskTM := func(id string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		d, err := cc.Job(ctx, id)
		if err != nil || len(d.Subtasks) == 0 {
			t.Fatalf("job %s: %+v, %v", id, d, err)
		}
		return d.Subtasks[0].TaskManager
	}
	// In sequence, the same job twice: explicitly, then through the
	// properties file alone.
	seq := newJob("seq", 11, "-t", "yarn-session")
	first, err := run(seq)
	if err != nil {
		t.Fatal(err)
	}
	ycSameCounts(t, e.readCounts(t, dir+"/seq/out"), seq.want)
	var tms api.TaskManagerList
	if code := getJSON(t, base+"/v1/taskmanagers", &tms); code != http.StatusOK || len(tms.TaskManagers) != 1 ||
		!strings.Contains(tms.TaskManagers[0].Location, "container_") {
		t.Fatalf("taskmanagers %d %+v", code, tms)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err = e.st.RemoveAll(ctx, dir+"/seq/out")
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	seq.args = slices.DeleteFunc(slices.Clone(seq.args), func(a string) bool { return a == "-t" || a == "yarn-session" })
	second, err := run(seq)
	if err != nil {
		t.Fatal(err)
	}
	ycSameCounts(t, e.readCounts(t, dir+"/seq/out"), seq.want)
	if a, b := subtaskTM(first), subtaskTM(second); a != b {
		t.Errorf("second job ran on %s, not on the idle %s", b, a)
	}
	// At once: the goroutines only run floe and report errors.
	par := []job{newJob("par1", 20, "-t", "yarn-session"), newJob("par2", 21, "-t", "yarn-session")}
	errs := make(chan error, len(par))
	var wg sync.WaitGroup
	for _, j := range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := run(j)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for _, j := range par {
		ycSameCounts(t, e.readCounts(t, dir+"/"+j.name+"/out"), j.want)
	}

	out, err = e.floe(t, time.Minute, "", "list", "-t", "yarn-session", e.props())
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	// One line per job (id, state, name); the vertex lines under it
	// carry their own states.
	if n := len(regexp.MustCompile(`(?m)^[0-9a-f]{32}\s+FINISHED\s`).FindAllString(out, -1)); n != 4 {
		t.Errorf("list shows %d FINISHED jobs, want 4", n)
	}
	var list api.JobList
	if code := getJSON(t, base+"/v1/jobs", &list); code != http.StatusOK || len(list.Jobs) != 4 {
		t.Fatalf("jobs %d %+v", code, list)
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
	if code := getJSON(t, base+"/v1/overview", &ov); code != http.StatusOK || ov.TaskManagers != 0 || ov.Jobs[api.JobFinished] != 4 {
		t.Fatalf("overview after idle release %d %+v", code, ov)
	}

	e.stopSession(t, app)
	rep := e.waitAppEnd(t, app, time.Minute)
	if rep.FinalStatus != yarnrpc.FinalSucceeded || !strings.Contains(rep.Diagnostics, "stopped by floe yarn-session") {
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
	e.stopSession(t, app)
	e.waitAppEnd(t, app, time.Minute)
	e.waitStagingGone(t, app, 30*time.Second)
	for _, a := range e.appsTagged(t) {
		if !a.State.Terminal() {
			t.Errorf("application %s still %s", a.ID, a.State)
		}
	}
}
