package integration

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/yarnrpc"
)

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

// TestAMSession runs a session: it starts with no TaskManagers, runs two
// jobs of the same binary (the second reuses the first one's idle
// TaskManagers), serves GETs unsigned and through the YARN web proxy,
// refuses unsigned mutations, releases idle TaskManagers (the running
// container count falls back to 1) and ends SUCCEEDED on shutdown with its
// staging folder gone.
func TestAMSession(t *testing.T) {
	e := newAMEnv(t)
	dir := e.testDir(t)
	want := e.writeInput(t, dir, 100)
	q, err := e.store.Qualify(dir)
	if err != nil {
		t.Fatal(err)
	}
	app := e.submit(t, amSubmission{mode: "session",
		conf: map[string]string{"taskmanager.numberOfTaskSlots": "2", "resourcemanager.taskmanager-timeout": "8 s"}})
	c, r := e.client(t, app)
	base := "http://" + c.Addr

	var ov api.Overview
	if code := getJSON(t, base+"/v1/overview", &ov); code != http.StatusOK || ov.TaskManagers != 0 || ov.Mode != "session" {
		t.Fatalf("overview %d %+v", code, ov)
	}
	// Through the RM's web proxy (the tracking URL users see).
	if !strings.Contains(r.TrackingURL, "/proxy/") {
		t.Fatalf("tracking URL %q is not the proxy", r.TrackingURL)
	}
	var pov api.Overview
	if code := getJSON(t, strings.TrimSuffix(r.TrackingURL, "/")+"/v1/overview", &pov); code != http.StatusOK || pov.Mode != "session" {
		t.Fatalf("overview through the proxy: %d %+v", code, pov)
	}
	// Unsigned mutations are refused.
	resp, err := http.Post(base+"/v1/cluster/shutdown", "application/json", strings.NewReader(`{"version":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned shutdown: %d, want 401", resp.StatusCode)
	}

	// The job binary, as the client caches it.
	bin := e.upload(t, filepath.Join(e.bins, "wordcount"), "/user/"+e.store.User()+"/.floe/cache/am-test-"+filepath.Base(dir)+"/wordcount")
	t.Cleanup(func() { _ = e.store.RemoveAll(e.ctx, filepath.Dir(strings.TrimPrefix(bin.Path, "hdfs://"))) })
	// TaskManagers rebuild the graph from the binary and its arguments,
	// so the pool is binary + arguments: the same job again reuses them.
	args := []string{"--input", q + "/input.txt", "--output", q + "/out"}
	run := func() api.JobStatus {
		if err := e.store.RemoveAll(e.ctx, dir+"/out"); err != nil {
			t.Fatal(err)
		}
		st, err := c.Submit(e.ctx, api.SubmitJob{Name: "wordcount", Graph: e.planGraph(t, "wordcount", args, 2), Binary: bin.Path, Args: args,
			Env: []string{"FLOE_PARALLELISM=2"}})
		if err != nil {
			t.Fatal(err)
		}
		st, err = c.Wait(e.ctx, st.ID, 200*time.Millisecond)
		if err != nil || st.State != api.JobFinished {
			t.Fatalf("job %s: %v %+v\n%s", st.ID, err, st, e.amLog(app.id))
		}
		if got := e.readCounts(t, dir+"/out"); !maps.Equal(got, want) {
			t.Errorf("counts %v, want %v", got, want)
		}
		return st
	}
	first := run()
	var tms api.TaskManagerList
	if code := getJSON(t, base+"/v1/taskmanagers", &tms); code != http.StatusOK || len(tms.TaskManagers) != 1 ||
		!strings.Contains(tms.TaskManagers[0].Location, "container_") {
		t.Fatalf("taskmanagers %d %+v", code, tms)
	}
	second := run()
	if first.Subtasks[0].TaskManager != second.Subtasks[0].TaskManager {
		t.Errorf("second job ran on %s, not on the idle %s", second.Subtasks[0].TaskManager, first.Subtasks[0].TaskManager)
	}
	var list api.JobList
	if code := getJSON(t, base+"/v1/jobs", &list); code != http.StatusOK || len(list.Jobs) != 2 {
		t.Fatalf("jobs %d %+v", code, list)
	}
	// Idle TaskManagers go: only the AM's container is left.
	e.amWait(t, app.id, time.Minute, "down to the AM container", func(r yarnrpc.ApplicationReport) bool {
		return r.Usage.UsedContainers == 1
	})
	if code := getJSON(t, base+"/v1/overview", &ov); code != http.StatusOK || ov.TaskManagers != 0 || ov.Jobs[api.JobFinished] != 2 {
		t.Fatalf("overview after idle release %d %+v", code, ov)
	}

	if err := c.Shutdown(e.ctx, "test done"); err != nil {
		t.Fatal(err)
	}
	r = e.amWait(t, app.id, time.Minute, "FINISHED", func(r yarnrpc.ApplicationReport) bool { return r.State == yarnrpc.StateFinished })
	if r.FinalStatus != yarnrpc.FinalSucceeded || !strings.Contains(r.Diagnostics, "test done") {
		t.Fatalf("final %s: %s", r.FinalStatus, r.Diagnostics)
	}
	if _, err := e.store.Stat(e.ctx, app.staging); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("staging folder %s after the end: %v", app.staging, err)
	}
}
