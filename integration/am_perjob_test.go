package integration

import (
	"errors"
	"io/fs"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/yarnrpc"
)

// TestAMPerJobWordCount runs wordcount as a per-job application (the AM
// reads job.graph) and as an application-mode one (the AM runs the job
// binary's plan role itself): the AM asks for TaskManager containers, runs
// the job, removes the staging folder and unregisters SUCCEEDED.
func TestAMPerJobWordCount(t *testing.T) {
	for _, mode := range []string{"per-job", "application"} {
		t.Run(mode, func(t *testing.T) { testAMJobMode(t, mode) })
	}
}

func testAMJobMode(t *testing.T, mode string) {
	e := newAMEnv(t)
	dir := e.testDir(t)
	want := e.writeInput(t, dir, 200)
	q, err := e.store.Qualify(dir)
	if err != nil {
		t.Fatal(err)
	}
	app := e.submit(t, amSubmission{mode: mode, par: 2,
		jobArgs: []string{"--input", q + "/input.txt", "--output", q + "/out"},
		conf:    map[string]string{"taskmanager.numberOfTaskSlots": "1"}})
	r := e.amWait(t, app.id, 3*time.Minute, "FINISHED", func(r yarnrpc.ApplicationReport) bool { return r.State == yarnrpc.StateFinished })
	if r.FinalStatus != yarnrpc.FinalSucceeded {
		t.Fatalf("final status %s: %s\n%s", r.FinalStatus, r.Diagnostics, e.amLog(app.id))
	}
	t.Logf("diagnostics: %s", r.Diagnostics)
	if got := e.readCounts(t, dir+"/out"); !maps.Equal(got, want) {
		t.Errorf("counts %v, want %v", got, want)
	}
	if _, err := e.store.Stat(e.ctx, app.staging); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("staging folder %s after the end: %v", app.staging, err)
	}
	// Two TaskManagers (parallelism 2, one slot each), each logging to its
	// container's taskmanager.log.
	if logs := e.containerLogs(app.id, "taskmanager.log"); len(logs) != 2 {
		t.Errorf("%d TaskManager logs, want 2", len(logs))
	}
}

// TestAMTaskManagerTooLarge asks for TaskManager containers larger than
// the cluster's maximum: the AM ends the application FAILED at once with a
// diagnostics line naming the option to lower.
func TestAMTaskManagerTooLarge(t *testing.T) {
	e := newAMEnv(t)
	app := e.submit(t, amSubmission{mode: "per-job", jobArgs: []string{"--input", "/nope", "--output", "/nope-out"},
		conf: map[string]string{"taskmanager.memory.process.size": "64g"}})
	r := e.amWait(t, app.id, 2*time.Minute, "FINISHED", func(r yarnrpc.ApplicationReport) bool { return r.State == yarnrpc.StateFinished })
	if r.FinalStatus != yarnrpc.FinalFailed || !strings.Contains(r.Diagnostics, "taskmanager.memory.process.size") ||
		!strings.Contains(r.Diagnostics, "maximum container size") {
		t.Fatalf("final %s: %s", r.FinalStatus, r.Diagnostics)
	}
	if _, err := e.store.Stat(e.ctx, app.staging); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("staging folder %s after the end: %v", app.staging, err)
	}
}
