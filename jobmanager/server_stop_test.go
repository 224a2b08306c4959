package jobmanager

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/jobmanager/api"
)

// TestStopWithSavepointREST: Flink's asynchronous POST /jobs/{id}/stop
// answers a trigger id whose status is IN_PROGRESS until the savepoint
// ends; a declined one completes with its failure cause, leaves the job
// running and removes the savepoint's folder. The synchronous
// POST /v1/jobs/{id}/stop then stops the job: its trigger asks the sources
// to stop (with drain) and names the savepoint's folder, and the answer,
// the folder, comes once the job finished.
func TestStopWithSavepointREST(t *testing.T) {
	root, target := t.TempDir(), t.TempDir()
	cfg := map[string]string{conf.CheckpointingInterval: "1h", conf.CheckpointsDir: root}
	ts := startTestServer(t, ServerOptions{Heartbeat: fastHeartbeat, Config: mapLookup(cfg)},
		CoreOptions{SlotsPerTaskManager: 1, IdleTimeout: time.Hour})
	st, ids := submitFor(t, ts, 1, 1)
	tm, err := dialTM(t, ts.srv.Addr(), ids[0], 1, false, true)
	if err != nil {
		t.Fatal(err)
	}
	var d api.DeployTask
	if err := tm.next(t, api.MsgDeploy).Decode(&d); err != nil {
		t.Fatal(err)
	}
	sendState(t, tm, d, api.Running, "")
	ctx := context.Background()
	state := func() api.JobState {
		js, err := ts.client.Job(ctx, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		return js.State
	}
	// Every subtask RUNNING, not only the job: the coordinator takes
	// savepoints from then on (before, it refuses them).
	testutil.WaitFor(t, 10*time.Second, "the job's subtasks running", func() bool {
		js, err := ts.client.Job(ctx, st.ID)
		return err == nil && subtasksRunning(js)
	})

	// Asynchronous, declined.
	trigger, err := ts.client.TriggerStop(ctx, st.ID, target, true)
	if err != nil {
		t.Fatal(err)
	}
	var tr api.TriggerCheckpoint
	if err := tm.next(t, api.MsgTriggerCheckpoint).Decode(&tr); err != nil {
		t.Fatal(err)
	}
	if !tr.Savepoint || !tr.Stop || !tr.Drain || !strings.HasPrefix(tr.SavepointDir, target+"/savepoint-"+st.ID[:6]+"-") {
		t.Fatalf("trigger %+v: want a stop-with-savepoint with drain into a folder under %s", tr, target)
	}
	if s, err := ts.client.SavepointOperationStatus(ctx, st.ID, trigger); err != nil || s.Status.ID != api.OperationInProgress {
		t.Fatalf("status %+v, %v; want %s", s, err, api.OperationInProgress)
	}
	if err := os.MkdirAll(tr.SavepointDir, 0o755); err != nil { // as a task writing its state there
		t.Fatal(err)
	}
	if err := tm.ch.Send(api.MsgDeclineCheckpoint, api.DeclineCheckpoint{Job: d.Job, Attempt: d.Attempt, Vertex: d.Vertex,
		Subtask: d.Subtask, Checkpoint: tr.Checkpoint, Cause: "disk full"}); err != nil {
		t.Fatal(err)
	}
	actx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := ts.client.AwaitSavepointOperation(actx, st.ID, trigger, 10*time.Millisecond); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("declined stop: %v, want an error naming the decline", err)
	}
	if s := state(); s != api.JobRunning {
		t.Fatalf("job %s after a failed stop, want RUNNING", s)
	}
	testutil.WaitFor(t, 10*time.Second, "the failed savepoint's folder removed", func() bool {
		_, err := os.Stat(tr.SavepointDir)
		return errors.Is(err, os.ErrNotExist)
	})
	if _, err := ts.client.SavepointOperationStatus(ctx, st.ID, "nope"); err == nil || !strings.Contains(err.Error(), "no savepoint operation nope") {
		t.Fatalf("unknown trigger: %v", err)
	}

	// Synchronous, completed.
	type result struct {
		dir string
		err error
	}
	done := make(chan result, 1)
	go func() {
		dir, err := ts.client.StopWithSavepoint(ctx, st.ID, target, false)
		done <- result{dir, err}
	}()
	tr, _ = ckptAck(t, tm, d)
	if !tr.Stop || tr.Drain || tr.SavepointDir == "" {
		t.Fatalf("trigger %+v: want a stop-with-savepoint without drain", tr)
	}
	var n api.NotifyCheckpoint
	if err := tm.next(t, api.MsgNotifyCheckpoint).Decode(&n); err != nil {
		t.Fatal(err)
	}
	if n.Checkpoint != tr.Checkpoint || n.Aborted {
		t.Fatalf("notification %+v, want chk-%d complete", n, tr.Checkpoint)
	}
	select {
	case r := <-done:
		t.Fatalf("answer %+v before the job finished", r)
	default:
	}
	sendState(t, tm, d, api.Finished, "")
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("no answer to the stop request")
	}
	if r.err != nil || r.dir != tr.SavepointDir {
		t.Fatalf("stop: %q, %v; want %s", r.dir, r.err, tr.SavepointDir)
	}
	if _, err := os.Stat(r.dir + "/_metadata"); err != nil {
		t.Fatalf("savepoint _metadata: %v", err)
	}
	if s := state(); s != api.JobFinished {
		t.Fatalf("job %s after stop, want FINISHED", s)
	}
}
