package jobmanager

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/metrics"
)

// goldenView is a fixed job: two vertices (source op0 ×1 → hash → op1 ×2),
// running on two TaskManagers after one failover, with metric reports.
func goldenView(t *testing.T) flinkJobView {
	g := testGraph(t, "golden", []int{1, 2})
	st := api.JobStatus{Version: api.Version, ID: "0123456789abcdef0123456789abcdef", Name: "golden", State: api.JobRunning, Attempt: 1, Restarts: 1,
		Subtasks: []api.SubtaskStatus{
			{Vertex: 0, Subtask: 0, State: api.Running, TaskManager: "tm-1"},
			{Vertex: 1, Subtask: 0, State: api.Running, TaskManager: "tm-1"},
			{Vertex: 1, Subtask: 1, State: api.Running, TaskManager: "tm-2"},
		},
		Exceptions: []api.Exception{{TimeMillis: 1_000_500, Attempt: 0, Cause: "TaskManager tm-0 lost: container exited with 137\nkilled"}}}
	info := JobInfo{Graph: g, Times: map[api.JobState]int64{api.JobCreated: 1_000_000, api.JobRunning: 1_001_000, api.JobRestarting: 1_000_600},
		LastChange: 1_001_000}
	task := func(v, s int, in, out, bp, idle float64) subtaskMetrics {
		return subtaskMetrics{tm: "tm-1", at: 1_009_000, metrics: api.TaskMetrics{Job: st.ID, Attempt: 1, Vertex: v, Subtask: s,
			Metrics: map[string]float64{metrics.NumRecordsIn: in, metrics.NumRecordsOut: out, metrics.NumBytesIn: in * 10, metrics.NumBytesOut: out * 10,
				metrics.BackPressuredTimeMsPerSecond: bp, metrics.IdleTimeMsPerSecond: idle, metrics.BusyTimeMsPerSecond: 1000 - bp - idle,
				metrics.AccumulatedBackPressuredTimeMs: bp * 8, metrics.AccumulatedIdleTimeMs: idle * 8, metrics.AccumulatedBusyTimeMs: (1000 - bp - idle) * 8,
				metrics.CurrentInputWatermark: float64(metrics.NoWatermark)},
			Operators: []api.OperatorMetrics{{ID: g.Operators[g.Vertices[v].Operators[0]].ID, Name: g.Operators[g.Vertices[v].Operators[0]].Node.Name,
				Metrics: map[string]float64{metrics.NumRecordsIn: in, "myCounter": 7}}}}}
	}
	return flinkJobView{status: st, info: info, now: 1_010_000,
		subtasks: []subtaskMetrics{task(0, 0, 0, 1000, 600, 0), task(1, 0, 480, 0, 0, 200), task(1, 1, 520, 0, 0, 900)}}
}

// TestFlinkRESTGolden renders every Flink shape of a fixed job and compares
// it with testdata/flink_rest (go test -update rewrites them).
func TestFlinkRESTGolden(t *testing.T) {
	v := goldenView(t)
	op1 := v.info.Graph.Vertices[1]
	tm := api.TaskManagerInfo{ID: "tm-1", Pool: "p", Slots: 2, FreeSlots: 0, DataAddress: "10.0.0.5:41000"}
	rep := api.MetricReport{TaskManager: "tm-1", TimeMillis: 1_009_000, PrometheusHost: "10.0.0.5", PrometheusPort: 9251,
		Metrics: map[string]float64{metrics.StatusMemoryHeapUsed: 5 << 20, metrics.StatusMemoryHeapCommitted: 8 << 20,
			metrics.StatusMemoryNonHeapUsed: 3 << 20, metrics.StatusGarbageCollectorCount: 12, metrics.StatusGarbageCollectorTime: 4}}
	metricsReq := func(get string) *http.Request {
		r, _ := http.NewRequest("GET", "/x?get="+get, nil)
		return r
	}
	tests := []struct {
		name string
		v    any
	}{
		{"jobs_overview", api.FlinkJobsOverview{Jobs: []api.FlinkJobOverview{v.overview()}}},
		{"job", v.details()},
		{"job_plan", api.FlinkPlanResponse{Plan: v.plan()}},
		{"job_exceptions", v.exceptions()},
		{"vertex", v.vertexDetails(op1, map[string]string{"tm-1": "10.0.0.5", "tm-2": "10.0.0.6"})},
		{"vertex_backpressure", v.backPressure(op1)},
		{"vertex_watermarks", v.watermarks(op1)},
		{"vertex_metrics", metricQuery(metricsReq("0.numRecordsIn,1.numRecordsIn,0.op1.myCounter,0.nope"), v.vertexMetrics(op1))},
		{"taskmanagers", api.FlinkTaskManagers{TaskManagers: []api.FlinkTaskManager{flinkTaskManager(tm, rep, true, 1_010_000, false)}}},
		{"taskmanager", flinkTaskManager(tm, rep, true, 1_010_000, true)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.MarshalIndent(tc.v, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "flink_rest", tc.name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s:\n%s", tc.name, path, got)
			}
		})
	}
}

func keys(v any) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestFlinkRESTPaths serves every Flink path from a JobManager with a
// submitted job and checks each answer's top-level fields against the
// golden shape (or Flink's documented fields for the paths without one);
// PATCH /jobs/:jobid cancels only when signed.
func TestFlinkRESTPaths(t *testing.T) {
	ts := startTestServer(t, ServerOptions{OpenReads: true, ConfigEntries: [][2]string{{"parallelism.default", "2"}}}, CoreOptions{SlotsPerTaskManager: 2})
	c := ts.client
	g := testGraph(t, "paths", []int{1, 2})
	gb, err := g.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Submit(context.Background(), api.SubmitJob{Name: "paths", Graph: gb, Binary: "/bin/job"})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.ID) != 32 {
		t.Fatalf("job id %q is not 32 hex digits", st.ID)
	}
	vid := flinkVertexID(g.Vertices[1].ID)
	base := "http://" + c.Addr
	golden := func(name string) []string {
		b, err := os.ReadFile(filepath.Join("testdata", "flink_rest", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		return keys(v)
	}
	tests := []struct {
		path string
		want []string // top-level fields; nil for an array
	}{
		{"/config", []string{"features", "flink-revision", "flink-version", "refresh-interval", "timezone-name", "timezone-offset"}},
		{"/overview", []string{"flink-commit", "flink-version", "jobs-cancelled", "jobs-failed", "jobs-finished", "jobs-running", "slots-available", "slots-total", "taskmanagers"}},
		{"/jobs", []string{"jobs"}},
		{"/jobs/overview", golden("jobs_overview")},
		{"/jobs/" + st.ID, golden("job")},
		{"/jobs/" + st.ID + "/plan", golden("job_plan")},
		{"/jobs/" + st.ID + "/exceptions", []string{"all-exceptions", "exceptionHistory", "root-exception", "timestamp", "truncated"}},
		{"/jobs/" + st.ID + "/checkpoints", []string{"counts", "history", "latest"}},
		{"/jobs/" + st.ID + "/metrics?get=numRestarts", nil},
		{"/jobs/" + st.ID + "/vertices/" + vid, golden("vertex")},
		{"/jobs/" + st.ID + "/vertices/" + vid + "/backpressure", golden("vertex_backpressure")},
		{"/jobs/" + st.ID + "/vertices/" + vid + "/watermarks", nil},
		{"/jobs/" + st.ID + "/vertices/" + vid + "/metrics", nil},
		{"/taskmanagers", golden("taskmanagers")},
		{"/jobmanager/config", nil},
		{"/jobmanager/metrics?get=" + metrics.NumRegisteredTaskManagers, nil},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := http.Get(base + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d %s", tc.path, resp.StatusCode, b)
			}
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatalf("GET %s: %v: %s", tc.path, err, b)
			}
			if tc.want == nil {
				if _, ok := v.([]any); !ok {
					t.Fatalf("GET %s: want an array, got %s", tc.path, b)
				}
				return
			}
			if got := keys(v); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("GET %s fields %v, want %v", tc.path, got, tc.want)
			}
		})
	}
	t.Run("jobmanager config lists the options", func(t *testing.T) {
		var entries []api.FlinkConfigEntry
		if err := c.Do(context.Background(), "GET", "/jobmanager/config", nil, &entries); err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0] != (api.FlinkConfigEntry{Key: "parallelism.default", Value: "2"}) {
			t.Errorf("config %+v", entries)
		}
	})
	t.Run("unknown job and vertex are 404 with Flink's error body", func(t *testing.T) {
		for _, p := range []string{"/jobs/ffffffffffffffffffffffffffffffff", "/jobs/" + st.ID + "/vertices/nope"} {
			resp, err := http.Get(base + p)
			if err != nil {
				t.Fatal(err)
			}
			var e api.FlinkErrors
			_ = json.NewDecoder(resp.Body).Decode(&e)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound || len(e.Errors) != 1 {
				t.Errorf("GET %s: %d %+v", p, resp.StatusCode, e)
			}
		}
	})

	// PATCH /jobs/:jobid: refused unsigned (the job stays), accepted signed.
	req, _ := http.NewRequest(http.MethodPatch, base+"/jobs/"+st.ID+"?mode=cancel", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned PATCH: %d, want 401", resp.StatusCode)
	}
	if s, _ := c.Job(context.Background(), st.ID); s.State.Terminal() {
		t.Fatalf("unsigned PATCH ended the job: %s", s.State)
	}
	var re *api.RemoteError
	if err := c.Do(context.Background(), http.MethodPatch, "/jobs/"+st.ID+"?mode=stop", nil, nil); !errors.As(err, &re) || re.Status != http.StatusBadRequest {
		t.Fatalf("PATCH mode=stop: %v, want 400", err)
	}
	if err := c.Do(context.Background(), http.MethodPatch, "/jobs/"+st.ID+"?mode=cancel", nil, nil); err != nil {
		t.Fatalf("signed PATCH: %v", err)
	}
	testutil.WaitFor(t, 10*time.Second, "job canceled", func() bool {
		s, err := c.Job(context.Background(), st.ID)
		return err == nil && s.State == api.JobCanceled
	})
}

// TestCheckpointHistoryShape: the history entries of /jobs/:id/checkpoints
// carry Flink's CheckpointStatistics fields and type tags: a checkpoint in
// progress (its duration runs to now), a completed savepoint of a stop
// (SYNC_SAVEPOINT) with its folder, a failed checkpoint with its reason.
func TestCheckpointHistoryShape(t *testing.T) {
	t0 := time.UnixMilli(1_000_000)
	st := CheckpointStats{Completed: 1, Failed: 1, InProgress: 1, History: []CheckpointHistory{
		{ID: 3, Status: CheckpointInProgress, Triggered: t0.Add(3 * time.Second), Subtasks: 4, Acked: 1, LatestAck: t0.Add(3100 * time.Millisecond)},
		{ID: 2, Status: CheckpointCompleted, Savepoint: true, Stop: true, Triggered: t0.Add(2 * time.Second), LatestAck: t0.Add(2200 * time.Millisecond),
			Ended: t0.Add(2300 * time.Millisecond), Size: 900, Uploaded: 900, Subtasks: 4, Acked: 4, Path: "hdfs:///sp/savepoint-1"},
		{ID: 1, Status: CheckpointFailed, Triggered: t0.Add(time.Second), Ended: t0.Add(1500 * time.Millisecond), Subtasks: 4, Failure: "declined by v1/0: disk full"},
	}}
	b, err := json.Marshal(checkpointingStatsOf(st, t0.Add(3500*time.Millisecond)))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		History []map[string]any `json:"history"`
	}
	if err := json.Unmarshal(b, &v); err != nil || len(v.History) != 3 {
		t.Fatalf("history of %s: %v", b, err)
	}
	common := []string{"alignment_buffered", "checkpoint_type", "checkpointed_size", "className", "end_to_end_duration", "id", "is_savepoint",
		"latest_ack_timestamp", "num_acknowledged_subtasks", "num_subtasks", "state_size", "status", "trigger_timestamp"}
	wantKeys := [][]string{common, append([]string{"external_path"}, common...), append([]string{"failure_message", "failure_timestamp"}, common...)}
	want := []map[string]any{
		{"className": "in_progress", "id": 3.0, "status": "IN_PROGRESS", "checkpoint_type": "CHECKPOINT", "end_to_end_duration": 500.0,
			"num_acknowledged_subtasks": 1.0, "latest_ack_timestamp": 1_003_100.0},
		{"className": "completed", "status": "COMPLETED", "is_savepoint": true, "checkpoint_type": "SYNC_SAVEPOINT", "end_to_end_duration": 300.0,
			"state_size": 900.0, "external_path": "hdfs:///sp/savepoint-1", "trigger_timestamp": 1_002_000.0},
		{"className": "failed", "status": "FAILED", "failure_timestamp": 1_001_500.0, "failure_message": "declined by v1/0: disk full",
			"end_to_end_duration": 500.0, "latest_ack_timestamp": 0.0},
	}
	for i, h := range v.History {
		got := keys(h)
		sort.Strings(wantKeys[i])
		if strings.Join(got, ",") != strings.Join(wantKeys[i], ",") {
			t.Errorf("history[%d] fields %v, want %v", i, got, wantKeys[i])
		}
		for k, w := range want[i] {
			if h[k] != w {
				t.Errorf("history[%d].%s = %v, want %v", i, k, h[k], w)
			}
		}
	}
}
