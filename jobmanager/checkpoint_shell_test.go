package jobmanager

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/jobmanager/api"
)

func mapLookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// ckptTM is a fake TaskManager's side of checkpoints: it answers a
// trigger by writing its subtask's state file under the checkpoint folder
// and acknowledging it with that handle.
func ckptAck(t *testing.T, tm *fakeTM, d api.DeployTask) (api.TriggerCheckpoint, string) {
	t.Helper()
	var tr api.TriggerCheckpoint
	if err := tm.next(t, api.MsgTriggerCheckpoint).Decode(&tr); err != nil {
		t.Fatal(err)
	}
	if tr.Job != d.Job || tr.Attempt != d.Attempt || len(tr.Subtasks) != 1 || tr.Subtasks[0] != (api.SubtaskRef{Vertex: d.Vertex, Subtask: d.Subtask}) {
		t.Fatalf("trigger %+v does not name the deployed source %s#%d v%d/%d", tr, d.Job, d.Attempt, d.Vertex, d.Subtask)
	}
	file := fmt.Sprintf("%s/chk-%d/src-%d-%d-op", d.Checkpointing.Dir, tr.Checkpoint, d.Vertex, d.Subtask)
	if tr.Savepoint { // as a TaskManager writes a savepoint's state: into its folder
		file = fmt.Sprintf("%s/src-%d-%d-op", tr.SavepointDir, d.Vertex, d.Subtask)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("state"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := tm.ch.Send(api.MsgAcknowledgeCheckpoint, api.AcknowledgeCheckpoint{Job: d.Job, Attempt: d.Attempt, Vertex: d.Vertex,
		Subtask: d.Subtask, Checkpoint: tr.Checkpoint, Handles: []api.StateHandle{{Operator: "src", Path: file, Size: 5}}}); err != nil {
		t.Fatal(err)
	}
	return tr, file
}

func sendState(t *testing.T, tm *fakeTM, d api.DeployTask, s api.ExecutionState, cause string) {
	t.Helper()
	if err := tm.ch.Send(api.MsgTaskUpdate, api.TaskUpdate{Version: api.Version, Job: d.Job, Attempt: d.Attempt,
		Vertex: d.Vertex, Subtask: d.Subtask, State: s, Cause: cause}); err != nil {
		t.Fatal(err)
	}
}

// TestCheckpointShellEndToEnd drives the JobManager's checkpoint wiring
// with a fake TaskManager on the control channel: deploys carry the
// checkpoint folder, triggers reach the source's TaskManager, its
// acknowledgement leads to _metadata on disk and a notification, the next
// checkpoint subsumes the first (its folder is deleted), a failover
// redeploys with the latest checkpoint's handles, REST shows the figures,
// and canceling deletes the job's folder (Flink's default retention).
func TestCheckpointShellEndToEnd(t *testing.T) {
	root := t.TempDir()
	cfg := map[string]string{conf.CheckpointingInterval: "50ms", conf.CheckpointsDir: root}
	ts := startTestServer(t, ServerOptions{Heartbeat: fastHeartbeat, Config: mapLookup(cfg),
		DefaultRestart: api.RestartStrategy{Type: api.RestartFixedDelay, Attempts: 3, DelayMillis: 10}},
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
	jobDir := root + "/" + st.ID
	if d.Checkpointing == nil || d.Checkpointing.Dir != jobDir || d.Checkpointing.Mode != "EXACTLY_ONCE" || d.Checkpointing.Backend != "hashmap" || d.Restore != nil {
		t.Fatalf("deploy checkpointing %+v restore %+v, want dir %s, EXACTLY_ONCE, hashmap, no restore", d.Checkpointing, d.Restore, jobDir)
	}
	sendState(t, tm, d, api.Running, "")

	var files []string
	var last int64
	for i := 0; i < 2; i++ {
		tr, file := ckptAck(t, tm, d)
		var n api.NotifyCheckpoint
		if err := tm.next(t, api.MsgNotifyCheckpoint).Decode(&n); err != nil {
			t.Fatal(err)
		}
		if n.Checkpoint != tr.Checkpoint || n.Aborted || n.Job != d.Job {
			t.Fatalf("notification %+v, want chk-%d complete", n, tr.Checkpoint)
		}
		raw, err := os.ReadFile(fmt.Sprintf("%s/chk-%d/_metadata", jobDir, tr.Checkpoint))
		if err != nil {
			t.Fatalf("_metadata of a notified checkpoint: %v", err)
		}
		m, err := DecodeCheckpointMetadata(raw)
		if err != nil {
			t.Fatal(err)
		}
		if hs := m.Handles(); m.ID != tr.Checkpoint || len(hs) != 1 || hs[0].Path != file || hs[0].Operator != "src" {
			t.Fatalf("_metadata %+v, want chk-%d holding %s of operator src", m, tr.Checkpoint, file)
		}
		files = append(files, file)
		last = tr.Checkpoint
	}
	first := filepath.Dir(files[0])
	testutil.WaitFor(t, 10*time.Second, "subsumed "+first+" deleted", func() bool { return !exists(first) })

	var cs api.CheckpointingStats
	testutil.WaitFor(t, 10*time.Second, "checkpoint stats", func() bool {
		cs, err = ts.client.Checkpoints(context.Background(), st.ID)
		return err == nil && cs.Counts.Completed >= 2
	})
	if c := cs.Latest.Completed; c == nil || c.ExternalPath != jobDir+fmt.Sprintf("/chk-%d", c.ID) || c.StateSize != 5 || c.ID < last {
		t.Fatalf("latest completed %+v", c)
	}
	if !strings.HasPrefix(cs.Line(), "latest checkpoint ") {
		t.Fatalf("line %q", cs.Line())
	}
	// Flink's path and field names.
	var raw struct {
		Counts, Latest map[string]any
		History        []map[string]any
	}
	if err := ts.client.Do(context.Background(), "GET", "/jobs/"+st.ID+"/checkpoints", nil, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.History) < 2 || raw.History[0]["status"] != "COMPLETED" || raw.History[0]["external_path"] == nil {
		t.Fatalf("Flink path: history %v, want the completed checkpoints, newest first", raw.History)
	}
	if _, ok := raw.Counts["completed"]; !ok {
		t.Fatalf("Flink path: %v, want counts.completed", raw)
	}
	if l, ok := raw.Latest["completed"].(map[string]any); !ok || l["external_path"] == nil || l["end_to_end_duration"] == nil {
		t.Fatalf("Flink path: %v, want latest.completed.{external_path,end_to_end_duration}", raw)
	}
	if err := ts.client.Do(context.Background(), "GET", "/v1/jobs/nope/checkpoints", nil, &cs); err == nil {
		t.Fatal("checkpoints of an unknown job: no error")
	}

	// Failover: the restarted attempt is deployed from the latest
	// completed checkpoint, with the source's handle.
	sendState(t, tm, d, api.Failed, "boom")
	var d2 api.DeployTask
	if err := tm.next(t, api.MsgDeploy).Decode(&d2); err != nil {
		t.Fatal(err)
	}
	if d2.Attempt != 1 || d2.Restore == nil || d2.Restore.Checkpoint < last || len(d2.Restore.Handles) != 1 || d2.Restore.Handles[0].Operator != "src" {
		t.Fatalf("redeploy %+v restore %+v, want attempt 1 restoring chk-%d or later", d2, d2.Restore, last)
	}
	if !exists(d2.Restore.Handles[0].Path) {
		t.Fatalf("restore handle %s is gone", d2.Restore.Handles[0].Path)
	}
	sendState(t, tm, d2, api.Running, "")
	ckptAck(t, tm, d2)
	tm.next(t, api.MsgNotifyCheckpoint)
	testutil.WaitFor(t, 10*time.Second, "restored count", func() bool {
		cs, err = ts.client.Checkpoints(context.Background(), st.ID)
		return err == nil && cs.Counts.Restored == 1 && cs.Latest.Restored != nil
	})

	// Cancel: NO_EXTERNALIZED_CHECKPOINTS deletes the job's folder.
	if _, err := ts.client.Cancel(context.Background(), st.ID); err != nil {
		t.Fatal(err)
	}
	tm.next(t, api.MsgCancel)
	sendState(t, tm, d2, api.Canceled, "")
	testutil.WaitFor(t, 10*time.Second, "job folder deleted", func() bool {
		_, err := os.Stat(jobDir)
		return errors.Is(err, fs.ErrNotExist)
	})
}

// TestCheckpointSubmissionRefused: checkpointing on without a folder, or
// with a backend Floe does not have, is refused at submission with a
// message naming the key.
func TestCheckpointSubmissionRefused(t *testing.T) {
	cases := []struct {
		name string
		cfg  map[string]string
		want string
	}{
		{"no dir", map[string]string{conf.CheckpointingInterval: "1s"}, "state.checkpoints.dir is not"},
		{"rocksdb", map[string]string{conf.CheckpointingInterval: "1s", conf.CheckpointsDir: "/tmp/x", conf.StateBackendType: "rocksdb"}, "use pebble"},
		{"bad mode", map[string]string{conf.CheckpointingInterval: "1s", conf.CheckpointsDir: "/tmp/x", conf.CheckpointingMode: "twice"}, "EXACTLY_ONCE or AT_LEAST_ONCE"},
		{"bad retention", map[string]string{conf.CheckpointRetention: "KEEP"}, "NO_EXTERNALIZED_CHECKPOINTS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := startTestServer(t, ServerOptions{Heartbeat: fastHeartbeat}, CoreOptions{SlotsPerTaskManager: 1})
			g, err := testGraph(t, "j", []int{1}).Marshal()
			if err != nil {
				t.Fatal(err)
			}
			_, err = ts.client.Submit(context.Background(), api.SubmitJob{Name: "j", Graph: g, Binary: "/bin/job", Config: tc.cfg})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("submit: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// recStorage records the storage work it is given.
type recStorage struct {
	mu  sync.Mutex
	ops []string
}

func (r *recStorage) WriteAtomic(_ context.Context, p string, _ []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, "write "+p)
	return nil
}

func (r *recStorage) RemoveAll(_ context.Context, p string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, "remove "+p)
	return nil
}

// TestStorageWorkerDrainsAtShutdown: work queued when the JobManager stops
// (a per-job cluster stops right after its job ended) is still done, in
// order, before the worker returns.
func TestStorageWorkerDrainsAtShutdown(t *testing.T) {
	jm, err := New(context.Background(), Options{Driver: &idleDriver{}})
	if err != nil {
		t.Fatal(err)
	}
	w := &storageWorker{jm: jm, wake: make(chan struct{}, 1)}
	m := &CheckpointMetadata{Job: "j", ID: 3, MaxParallelism: 128}
	w.add(WriteCheckpointMetadata{Job: "j", ID: 3, Path: "/ck/j/chk-3/_metadata", Metadata: m})
	w.add(DeleteCheckpointFiles{Job: "j", Paths: []string{"/ck/j"}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st := &recStorage{}
	w.run(ctx, st)
	if got := strings.Join(st.ops, "; "); got != "write /ck/j/chk-3/_metadata; remove /ck/j" {
		t.Fatalf("ops %q", got)
	}
}
