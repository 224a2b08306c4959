package client

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/yarnrpc"
)

// TestWatchJobFollowsFailover: the JobManager of attempt 1 goes away while
// the job runs; the application report still shows attempt 1 (the
// ResourceManager has not noticed), then attempt 2 starting, then RUNNING
// at a new address; WatchJob follows it, says so once, and returns
// the job's end as the new JobManager reports it.
func TestWatchJobFollowsFailover(t *testing.T) {
	jobSrv := func(state api.JobState) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/v1/jobs/j1" {
				http.NotFound(w, r)
				return
			}
			_ = json.NewEncoder(w).Encode(api.JobStatus{Version: api.Version, ID: "j1", State: state})
		}))
	}
	first, second := jobSrv(api.JobRunning), jobSrv(api.JobFinished)
	defer second.Close()
	hostPort := func(s *httptest.Server) (string, int32) {
		h, p, _ := net.SplitHostPort(strings.TrimPrefix(s.URL, "http://"))
		n, _ := strconv.Atoi(p)
		return h, int32(n)
	}
	app := yarnrpc.ApplicationID{ClusterTimestamp: 1700000000000, ID: 7}
	h1, p1 := hostPort(first)
	rep1 := yarnrpc.ApplicationReport{ID: app, Attempt: yarnrpc.ApplicationAttemptID{App: app, Attempt: 1}, State: yarnrpc.StateRunning, Host: h1, RPCPort: p1}
	cc, err := Connect(rep1, []byte("0123456789abcdef0123"))
	if err != nil {
		t.Fatal(err)
	}
	var reports atomic.Int32
	h2, p2 := hostPort(second)
	cc.report = func(context.Context, yarnrpc.ApplicationID) (yarnrpc.ApplicationReport, error) {
		n := reports.Add(1)
		if n == 1 { // the ResourceManager has not noticed the AM's death yet
			return rep1, nil
		}
		r := yarnrpc.ApplicationReport{ID: app, Attempt: yarnrpc.ApplicationAttemptID{App: app, Attempt: 2}, State: yarnrpc.StateAccepted, Host: "N/A"}
		if n > 2 {
			r.State, r.Host, r.RPCPort = yarnrpc.StateRunning, h2, p2
		}
		return r, nil
	}
	var out strings.Builder
	cc.out = &out
	first.Close() // attempt 1's JobManager is gone
	j, err := cc.WatchJob(context.Background(), "j1", time.Millisecond, &out)
	if err != nil || j.State != api.JobFinished {
		t.Fatalf("watch: %+v %v\n%s", j, err, out.String())
	}
	got := out.String()
	if strings.Count(got, "JobManager failed over to attempt 2") != 1 || !strings.Contains(got, "failing over to attempt 2; waiting") {
		t.Errorf("output %q, want the wait and the failover said once", got)
	}
	if cc.Attempt() != 2 || !strings.HasSuffix(cc.Addr, ":"+strconv.Itoa(int(p2))) {
		t.Errorf("client on attempt %d at %s, want attempt 2 at port %d", cc.Attempt(), cc.Addr, p2)
	}
}

// TestWatchJobWithoutFollowFails: a client that cannot follow (no report
// source) still fails when its JobManager is unreachable.
func TestWatchJobWithoutFollowFails(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := strings.TrimPrefix(srv.URL, "http://")
	srv.Close()
	cc := &ClusterClient{Addr: addr, JM: api.NewClient(addr, []byte("0123456789abcdef0123"))}
	if _, err := cc.WatchJob(context.Background(), "j1", time.Millisecond, &strings.Builder{}); err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("watch: %v, want unreachable", err)
	}
}
