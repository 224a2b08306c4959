package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ErrRemote wraps an error the JobManager answered with.
var ErrRemote = errors.New("JobManager error")

// RemoteError is a non-2xx answer of the control API.
type RemoteError struct {
	Status  int
	Message string
}

func (e *RemoteError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message) }

// Unwrap lets errors.Is(err, ErrRemote) and ErrUnauthenticated (401) match.
func (e *RemoteError) Unwrap() []error {
	if e.Status == http.StatusUnauthorized {
		return []error{ErrRemote, ErrUnauthenticated}
	}
	return []error{ErrRemote}
}

// Client calls a JobManager's control API.
type Client struct {
	// Addr is the JobManager's host:port.
	Addr   string
	Secret []byte
	HTTP   *http.Client
}

// NewClient returns a client for addr.
func NewClient(addr string, secret []byte) *Client {
	return &Client{Addr: addr, Secret: secret, HTTP: &http.Client{Timeout: 2 * time.Minute}}
}

// Do sends in (JSON, nil for none) with method to path and decodes the
// reply into out (nil to discard).
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+c.Addr+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if err := Sign(req, c.Secret, body, time.Now()); err != nil {
		return err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("JobManager at %s: %w", c.Addr, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read reply: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e Error
		msg := string(b)
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return fmt.Errorf("%s %s: %w", method, path, &RemoteError{Status: resp.StatusCode, Message: msg})
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode reply: %w", method, path, err)
		}
	}
	return nil
}

// Submit submits a job.
func (c *Client) Submit(ctx context.Context, s SubmitJob) (JobStatus, error) {
	s.Version = Version
	var st JobStatus
	err := c.Do(ctx, http.MethodPost, "/v1/jobs", s, &st)
	return st, err
}

// Job returns a job's status.
func (c *Client) Job(ctx context.Context, id string) (JobStatus, error) {
	var st JobStatus
	err := c.Do(ctx, http.MethodGet, "/v1/jobs/"+id, nil, &st)
	return st, err
}

// Checkpoints returns a job's checkpoint figures.
func (c *Client) Checkpoints(ctx context.Context, id string) (CheckpointingStats, error) {
	var st CheckpointingStats
	err := c.Do(ctx, http.MethodGet, "/v1/jobs/"+id+"/checkpoints", nil, &st)
	return st, err
}

// Cancel cancels a job.
func (c *Client) Cancel(ctx context.Context, id string) (JobStatus, error) {
	var st JobStatus
	err := c.Do(ctx, http.MethodPost, "/v1/jobs/"+id+"/cancel", struct{}{}, &st)
	return st, err
}

// Wait polls a job until it is in a terminal state or ctx ends.
func (c *Client) Wait(ctx context.Context, id string, every time.Duration) (JobStatus, error) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		st, err := c.Job(ctx, id)
		if err == nil && st.State.Terminal() {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, context.Cause(ctx)
		case <-t.C:
		}
	}
}

// Overview returns the cluster overview.
func (c *Client) Overview(ctx context.Context) (Overview, error) {
	var o Overview
	err := c.Do(ctx, http.MethodGet, "/v1/overview", nil, &o)
	return o, err
}

// Jobs lists the jobs.
func (c *Client) Jobs(ctx context.Context) (JobList, error) {
	var l JobList
	err := c.Do(ctx, http.MethodGet, "/v1/jobs", nil, &l)
	return l, err
}

// TaskManagers lists the registered TaskManagers.
func (c *Client) TaskManagers(ctx context.Context) (TaskManagerList, error) {
	var l TaskManagerList
	err := c.Do(ctx, http.MethodGet, "/v1/taskmanagers", nil, &l)
	return l, err
}

// Shutdown asks the cluster (a YARN session) to cancel its jobs and end.
func (c *Client) Shutdown(ctx context.Context, reason string) error {
	return c.Do(ctx, http.MethodPost, "/v1/cluster/shutdown", ShutdownRequest{Version: Version, Reason: reason}, nil)
}

// Savepoint takes a savepoint of a running job under target and returns
// its folder once it is complete (the JobManager answers synchronously,
// within SavepointWait).
func (c *Client) Savepoint(ctx context.Context, id, target string) (string, error) {
	var r SavepointResponse
	if err := c.Do(ctx, http.MethodPost, "/v1/jobs/"+id+"/savepoints", SavepointRequest{TargetDirectory: target}, &r); err != nil {
		return "", err
	}
	return r.Location, nil
}

// SavepointWait bounds how long POST /v1/jobs/{id}/savepoints waits for
// the savepoint before answering with an error (under the server's write
// timeout); the savepoint itself may still complete.
const SavepointWait = 100 * time.Second

// StopWithSavepoint stops a running job with a savepoint under target
// (POST /v1/jobs/{id}/stop, synchronous within SavepointWait) and returns
// the savepoint's folder once the job has finished.
func (c *Client) StopWithSavepoint(ctx context.Context, id, target string, drain bool) (string, error) {
	var r SavepointResponse
	if err := c.Do(ctx, http.MethodPost, "/v1/jobs/"+id+"/stop", StopRequest{TargetDirectory: target, Drain: drain}, &r); err != nil {
		return "", err
	}
	return r.Location, nil
}

// TriggerStop starts Flink's stop-with-savepoint operation
// (POST /jobs/{id}/stop) and returns its trigger id.
func (c *Client) TriggerStop(ctx context.Context, id, target string, drain bool) (string, error) {
	var r TriggerResponse
	if err := c.Do(ctx, http.MethodPost, "/jobs/"+id+"/stop", StopRequest{TargetDirectory: target, Drain: drain}, &r); err != nil {
		return "", err
	}
	return r.RequestID, nil
}

// SavepointOperationStatus reads a savepoint or stop operation
// (GET /jobs/{id}/savepoints/{triggerid}).
func (c *Client) SavepointOperationStatus(ctx context.Context, id, trigger string) (SavepointStatus, error) {
	var st SavepointStatus
	err := c.Do(ctx, http.MethodGet, "/jobs/"+id+"/savepoints/"+trigger, nil, &st)
	return st, err
}

// AwaitSavepointOperation polls a savepoint or stop operation every
// interval until it completes or ctx ends, and returns the savepoint's
// folder or its failure.
func (c *Client) AwaitSavepointOperation(ctx context.Context, id, trigger string, every time.Duration) (string, error) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		st, err := c.SavepointOperationStatus(ctx, id, trigger)
		if err != nil {
			return "", err
		}
		if st.Status.ID == OperationCompleted && st.Operation != nil {
			if fc := st.Operation.FailureCause; fc != nil {
				return "", fmt.Errorf("%s: %s", fc.Class, fc.StackTrace)
			}
			return st.Operation.Location, nil
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return "", fmt.Errorf("savepoint operation %s of job %s: %w", trigger, id, context.Cause(ctx))
		}
	}
}
