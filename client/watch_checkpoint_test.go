package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// TestWatchJobPrintsLatestCheckpoint: the attached run's status prints the
// latest completed checkpoint of a running job.
func TestWatchJobPrintsLatestCheckpoint(t *testing.T) {
	var polls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v any
		switch r.URL.Path {
		case "/v1/jobs/j1":
			st := api.JobStatus{Version: api.Version, ID: "j1", State: api.JobRunning}
			if polls.Add(1) > 2 {
				st.State = api.JobFinished
			}
			v = st
		case "/v1/jobs/j1/checkpoints":
			v = api.CheckpointingStats{Counts: api.CheckpointCounts{Completed: 3, Total: 3},
				Latest: api.CheckpointLatest{Completed: &api.CompletedCheckpoint{ID: 3, StateSize: 2048, EndToEndDuration: 12}}}
		default:
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(v)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	cc := &ClusterClient{Addr: addr, JM: api.NewClient(addr, []byte("0123456789abcdef0123"))}
	var out strings.Builder
	j, err := cc.WatchJob(context.Background(), "j1", time.Millisecond, &out)
	if err != nil || j.State != api.JobFinished {
		t.Fatalf("watch: %+v %v", j, err)
	}
	if got := out.String(); strings.Count(got, "latest checkpoint 3 (2.0 KiB, 12ms)") != 1 {
		t.Fatalf("output %q, want the latest checkpoint once", got)
	}
}
