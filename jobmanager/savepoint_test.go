package jobmanager

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/jobmanager/api"
)

// TestSavepointREST: POST /v1/jobs/{id}/savepoints triggers a checkpoint
// flagged as a savepoint, writes its _metadata into
// target/savepoint-<short id>-<random>/, notifies the tasks and answers
// with that folder; errors name the job and the cause.
func TestSavepointREST(t *testing.T) {
	// No checkpointing configured at all (no interval, no
	// state.checkpoints.dir): as in Flink, any job takes savepoints.
	target := t.TempDir()
	ts := startTestServer(t, ServerOptions{Heartbeat: fastHeartbeat, Config: mapLookup(map[string]string{})},
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
	if c := d.Checkpointing; c == nil || !c.SavepointsOnly || c.Dir != "" {
		t.Fatalf("deployed with checkpointing %+v, want savepoints only and no checkpoint folder", c)
	}
	sendState(t, tm, d, api.Running, "")
	// Every subtask RUNNING, not only the job: the coordinator takes
	// savepoints from then on (before, it refuses them).
	testutil.WaitFor(t, 10*time.Second, "the job's subtasks running", func() bool {
		js, err := ts.client.Job(context.Background(), st.ID)
		return err == nil && subtasksRunning(js)
	})

	type result struct {
		dir string
		err error
	}
	done := make(chan result, 1)
	go func() {
		dir, err := ts.client.Savepoint(context.Background(), st.ID, target)
		done <- result{dir, err}
	}()
	tr, file := ckptAck(t, tm, d)
	if !tr.Savepoint {
		t.Fatalf("trigger %+v: not flagged as a savepoint", tr)
	}
	var n api.NotifyCheckpoint
	if err := tm.next(t, api.MsgNotifyCheckpoint).Decode(&n); err != nil {
		t.Fatal(err)
	}
	if n.Checkpoint != tr.Checkpoint || n.Aborted {
		t.Fatalf("notification %+v, want chk-%d complete", n, tr.Checkpoint)
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("no answer to the savepoint request")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	if want := target + "/savepoint-" + st.ID[:6] + "-"; !strings.HasPrefix(r.dir, want) {
		t.Fatalf("savepoint folder %s, want prefix %s", r.dir, want)
	}
	raw, err := os.ReadFile(r.dir + "/_metadata")
	if err != nil {
		t.Fatalf("savepoint _metadata: %v", err)
	}
	m, err := DecodeCheckpointMetadata(raw)
	if err != nil {
		t.Fatal(err)
	}
	if hs := m.Handles(); m.ID != tr.Checkpoint || len(hs) != 1 || hs[0].Path != file {
		t.Fatalf("savepoint _metadata %+v, want chk-%d holding %s", m, tr.Checkpoint, file)
	}

	// Starting a job from it: errors name the path and the cause.
	corrupt := t.TempDir()
	if err := os.WriteFile(corrupt+"/_metadata", []byte("not metadata"), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := testGraph(t, "j2", []int{1}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, ignore, want string
	}{
		{name: "missing savepoint", path: target + "/nope", want: target + "/nope/_metadata"},
		{name: "corrupt metadata", path: corrupt, want: corrupt},
		{name: "state of an unknown operator", path: r.dir, want: `operator "src"`},
		{name: "unknown operator allowed", path: r.dir, ignore: "true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ts.client.Submit(context.Background(), api.SubmitJob{Name: "j2", Graph: g, Binary: "/bin/job",
				Config: map[string]string{conf.SavepointPath: tc.path, conf.SavepointIgnoreUnclaimed: tc.ignore}})
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %q", err, tc.want)
			}
		})
	}

	for _, tc := range []struct {
		name, job, target, want string
	}{
		{"unknown job", "nope", target, "nope"},
		{"no target", st.ID, "", "state.savepoints.dir"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ts.client.Savepoint(context.Background(), tc.job, tc.target)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
}

// subtasksRunning tells whether the job and every one of its subtasks
// run: a job is RUNNING once deployed, its subtasks once they report so.
func subtasksRunning(js api.JobStatus) bool {
	if js.State != api.JobRunning || len(js.Subtasks) == 0 {
		return false
	}
	for _, s := range js.Subtasks {
		if s.State != api.Running {
			return false
		}
	}
	return true
}
