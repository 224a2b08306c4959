package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/yarnrpc"
)

// ClusterClient talks to the JobManager of a running Floe application.
type ClusterClient struct {
	App    yarnrpc.ApplicationID
	Report yarnrpc.ApplicationReport
	// Addr is the JobManager's REST address (AM host:rpc port).
	Addr string
	JM   *api.Client

	// Set by YarnDescriptor.Follow: how to find a new attempt's
	// JobManager, where to say so, and the last attempt announced.
	report    reporter
	out       io.Writer
	announced int
}

// JobDetails is a job's status with its exception history (the AM adds
// YARN container exit statuses and diagnostics there).
type JobDetails = api.JobStatus

// Connect returns a client for a RUNNING application's JobManager.
func Connect(rep yarnrpc.ApplicationReport, secret []byte) (*ClusterClient, error) {
	if rep.State != yarnrpc.StateRunning {
		return nil, fmt.Errorf("application %s is %s, not RUNNING", rep.ID, rep.State)
	}
	if rep.Host == "" || rep.Host == "N/A" || rep.RPCPort <= 0 {
		return nil, fmt.Errorf("application %s: the AM registered no JobManager address (host %q, port %d)", rep.ID, rep.Host, rep.RPCPort)
	}
	addr := net.JoinHostPort(rep.Host, strconv.Itoa(int(rep.RPCPort)))
	jm := api.NewClient(addr, secret)
	jm.HTTP = &http.Client{Timeout: 30 * time.Second}
	return &ClusterClient{App: rep.ID, Report: rep, Addr: addr, JM: jm}, nil
}

// Retrieve connects to a running application: it must be RUNNING, and its
// secret is read from its staging folder.
func (d *YarnDescriptor) Retrieve(ctx context.Context, app yarnrpc.ApplicationID) (*ClusterClient, error) {
	rep, err := d.waitFailover(ctx, app)
	if err != nil {
		return nil, err
	}
	if rep.State != yarnrpc.StateRunning {
		msg := fmt.Sprintf("application %s is %s, not RUNNING", app, rep.State)
		if rep.Diagnostics != "" {
			msg += ": " + firstLine(rep.Diagnostics)
		}
		return nil, fmt.Errorf("%s", msg)
	}
	secret, err := d.staging.ReadSecret(ctx, app)
	if err != nil {
		return nil, err
	}
	cc, err := Connect(rep, secret)
	if err != nil {
		return nil, err
	}
	d.Follow(cc, nil)
	// An AM that just died is still RUNNING in the report until the
	// ResourceManager notices: follow it to the next attempt.
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, perr := cc.Overview(pctx)
	cancel()
	if perr != nil && isUnreachable(perr) {
		if ok, ferr := cc.reresolve(ctx); !ok {
			if ferr != nil {
				return nil, fmt.Errorf("application %s: JobManager at %s unreachable (%v): %w", app, cc.Addr, perr, ferr)
			}
			return nil, fmt.Errorf("application %s: JobManager at %s unreachable: %w", app, cc.Addr, perr)
		}
	}
	return cc, nil
}

// isUnreachable reports whether err means nobody answered (no HTTP reply).
func isUnreachable(err error) bool {
	var re *api.RemoteError
	return !errors.As(err, &re)
}

// WebAddress is the JobManager's web address (http://host:port/).
func (c *ClusterClient) WebAddress() string { return "http://" + c.Addr + "/" }

// Jobs lists the cluster's jobs, in submission order.
func (c *ClusterClient) Jobs(ctx context.Context) ([]api.JobSummary, error) {
	var l api.JobList
	if err := c.JM.Do(ctx, http.MethodGet, "/v1/jobs", nil, &l); err != nil {
		return nil, fmt.Errorf("list jobs of %s: %w", c.App, err)
	}
	return l.Jobs, nil
}

// Job returns one job with its exception history.
func (c *ClusterClient) Job(ctx context.Context, id string) (JobDetails, error) {
	var j JobDetails
	err := c.JM.Do(ctx, http.MethodGet, "/v1/jobs/"+id, nil, &j)
	return j, err
}

// Checkpoints returns a job's checkpoint figures.
func (c *ClusterClient) Checkpoints(ctx context.Context, id string) (api.CheckpointingStats, error) {
	return c.JM.Checkpoints(ctx, id)
}

// Submit submits a job to a session.
func (c *ClusterClient) Submit(ctx context.Context, s api.SubmitJob) (api.JobStatus, error) {
	return c.JM.Submit(ctx, s)
}

// Cancel cancels a job. For an id the cluster does not have, the error is
// an UnknownJobError naming the jobs it has.
func (c *ClusterClient) Cancel(ctx context.Context, id string) (api.JobStatus, error) {
	st, err := c.JM.Cancel(ctx, id)
	if err != nil {
		return st, c.explainUnknownJob(ctx, id, err)
	}
	return st, nil
}

// Savepoint takes a savepoint of a running job under target and returns
// its folder once complete. For an id the cluster does not have, the error
// is an UnknownJobError naming the jobs it has.
func (c *ClusterClient) Savepoint(ctx context.Context, id, target string) (string, error) {
	dir, err := c.JM.Savepoint(ctx, id, target)
	if err != nil {
		return "", c.explainUnknownJob(ctx, id, err)
	}
	return dir, nil
}

// Shutdown asks the cluster to stop, cancelling running jobs (session:
// the application ends SUCCEEDED).
func (c *ClusterClient) Shutdown(ctx context.Context, reason string) error {
	return c.JM.Do(ctx, http.MethodPost, "/v1/cluster/shutdown", api.ShutdownRequest{Version: api.Version, Reason: reason}, nil)
}

// Overview returns the cluster at a glance (TaskManagers, slots, jobs).
func (c *ClusterClient) Overview(ctx context.Context) (api.Overview, error) {
	var o api.Overview
	err := c.JM.Do(ctx, http.MethodGet, "/v1/overview", nil, &o)
	return o, err
}

// WatchJob polls a job until it ends, printing each state change to out,
// and returns its final details. A job the JobManager does not know yet is
// waited for (a per-job or application cluster submits its job, under the
// id the client chose, once its AM has started or planned it). Transient
// REST errors are retried until ctx ends; when the JobManager goes away
// for good (the application ended) the caller should consult YARN.
func (c *ClusterClient) WatchJob(ctx context.Context, id string, every time.Duration, out io.Writer) (JobDetails, error) {
	var last api.JobState
	var lastErr error
	fails := 0
	var lastChk int64
	var lastChkAt, lastWaitAt time.Time
	for {
		j, err := c.Job(ctx, id)
		if err == nil && j.State == api.JobRunning {
			// The latest checkpoint, when a new one completed, at most
			// every 10 s (an older JobManager without the endpoint answers
			// with an error: skip).
			if st, cerr := c.Checkpoints(ctx, id); cerr == nil && st.Latest.Completed != nil && st.Latest.Completed.ID != lastChk &&
				time.Since(lastChkAt) >= 10*time.Second {
				lastChk, lastChkAt = st.Latest.Completed.ID, time.Now()
				fmt.Fprintf(out, "%s Job %s %s\n", time.Now().Format("15:04:05"), id, st.Line())
			}
		}
		if err == nil {
			fails = 0
			if j.State != last {
				line := fmt.Sprintf("%s Job %s is %s", time.Now().Format("15:04:05"), id, j.State)
				if j.Restarts > 0 {
					line += fmt.Sprintf(" (restarts: %d)", j.Restarts)
				}
				fmt.Fprintln(out, line)
				last = j.State
			}
			// Why a job waits for its slots, every 5 s while it does.
			if j.State == api.JobCreated && j.Waiting != "" && time.Since(lastWaitAt) >= 5*time.Second {
				lastWaitAt = time.Now()
				fmt.Fprintf(out, "%s Job %s %s\n", time.Now().Format("15:04:05"), id, j.Waiting)
			}
			if j.State.Terminal() {
				return j, nil
			}
		} else if re := (*api.RemoteError)(nil); errors.As(err, &re) && re.Status == http.StatusNotFound {
			fails = 0 // not submitted yet
		} else {
			lastErr = err
			fails++
			if fails >= 4 {
				// An ApplicationMaster failover: follow the new attempt.
				if ok, ferr := c.reresolve(ctx); ok {
					fails = 0
					continue
				} else if ferr != nil {
					return j, fmt.Errorf("job %s: JobManager at %s unreachable (%v): %w", id, c.Addr, lastErr, ferr)
				}
				return j, fmt.Errorf("job %s: JobManager at %s unreachable: %w", id, c.Addr, lastErr)
			}
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return j, context.Cause(ctx)
		case <-t.C:
		}
	}
}

// FormatExceptions renders the exception history for a terminal message,
// one line per entry.
func FormatExceptions(ex []api.Exception) string {
	var b strings.Builder
	for _, e := range ex {
		fmt.Fprintf(&b, "  %s (attempt %d) %s\n", time.UnixMilli(e.TimeMillis).Format("15:04:05.000"), e.Attempt, e.Cause)
	}
	return b.String()
}

// StopWithSavepoint stops a running job with a savepoint under target
// (Flink's stop, POST /v1/jobs/{id}/stop) and returns the savepoint's
// folder once the job finished. The answer is synchronous, so that it
// arrives even from a per-job cluster, which ends with its job. For an id
// the cluster does not have, the error is an UnknownJobError naming the
// jobs it has.
func (c *ClusterClient) StopWithSavepoint(ctx context.Context, id, target string, drain bool) (string, error) {
	dir, err := c.JM.StopWithSavepoint(ctx, id, target, drain)
	if err != nil {
		return "", c.explainUnknownJob(ctx, id, err)
	}
	return dir, nil
}
