package jobmanager

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// Savepoint and stop-with-savepoint over REST. Flink's paths are
// asynchronous: POST /jobs/{id}/savepoints and POST /jobs/{id}/stop answer
// a request id at once and GET /jobs/{id}/savepoints/{triggerid} reports
// the operation until it completes; the /v1 paths answer when it is done.
// Mutations are signed like every other; the status is a read.

// savepointOpBound bounds one asynchronous operation: a savepoint is
// bounded by execution.checkpointing.timeout, a stop also by the job's
// end, so this only guards against a job that never ends.
const savepointOpBound = 30 * time.Minute

// maxSavepointOps is how many operations are remembered; the oldest
// completed ones are forgotten first.
const maxSavepointOps = 256

// savepointOps are the asynchronous operations of a Server, by trigger id.
type savepointOps struct {
	mu    sync.Mutex
	ops   map[string]*savepointOp
	order []string // trigger ids, oldest first
}

type savepointOp struct {
	job      string
	done     bool
	location string
	err      error
}

// routeSavepoints adds the savepoint and stop endpoints to mux.
func (s *Server) routeSavepoints(mux *http.ServeMux, read func(handler) http.HandlerFunc) {
	mux.HandleFunc("POST /v1/jobs/{id}/savepoints", s.auth(s.savepoint))
	mux.HandleFunc("POST /v1/jobs/{id}/stop", s.auth(s.stop))
	mux.HandleFunc("POST /jobs/{id}/savepoints", s.auth(s.triggerSavepoint))
	mux.HandleFunc("POST /jobs/{id}/stop", s.auth(s.triggerStop))
	mux.HandleFunc("GET /jobs/{id}/savepoints/{trigger}", read(s.savepointStatus))
}

// stop serves POST /v1/jobs/{id}/stop (signed): it stops the job with a
// savepoint and answers with the savepoint's folder once the job finished,
// within api.SavepointWait.
func (s *Server) stop(_ http.ResponseWriter, r *http.Request, body []byte) (any, error) {
	id := r.PathValue("id")
	req, err := decodeStop(id, body)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), api.SavepointWait)
	defer cancel()
	dir, err := s.jm.StopWithSavepoint(ctx, id, req.TargetDirectory, req.Drain)
	if err != nil {
		return nil, savepointHTTPError(err)
	}
	return api.SavepointResponse{Location: dir}, nil
}

// triggerSavepoint serves Flink's POST /jobs/{id}/savepoints (signed).
func (s *Server) triggerSavepoint(_ http.ResponseWriter, r *http.Request, body []byte) (any, error) {
	id := r.PathValue("id")
	var req api.SavepointRequest
	if len(body) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			return nil, &httpError{http.StatusBadRequest, fmt.Errorf("savepoint of job %s: decode request: %w", id, err)}
		}
	}
	if req.CancelJob {
		return s.startOp(id, req.TargetDirectory, func(ctx context.Context) (string, error) {
			return s.jm.StopWithSavepoint(ctx, id, req.TargetDirectory, false)
		})
	}
	return s.startOp(id, req.TargetDirectory, func(ctx context.Context) (string, error) {
		return s.jm.TriggerSavepoint(ctx, id, req.TargetDirectory)
	})
}

// triggerStop serves Flink's POST /jobs/{id}/stop (signed).
func (s *Server) triggerStop(_ http.ResponseWriter, r *http.Request, body []byte) (any, error) {
	id := r.PathValue("id")
	req, err := decodeStop(id, body)
	if err != nil {
		return nil, err
	}
	return s.startOp(id, req.TargetDirectory, func(ctx context.Context) (string, error) {
		return s.jm.StopWithSavepoint(ctx, id, req.TargetDirectory, req.Drain)
	})
}

// savepointStatus serves GET /jobs/{id}/savepoints/{trigger}.
func (s *Server) savepointStatus(_ http.ResponseWriter, r *http.Request, _ []byte) (any, error) {
	id, trigger := r.PathValue("id"), r.PathValue("trigger")
	s.spOps.mu.Lock()
	op, ok := s.spOps.ops[trigger]
	var cp savepointOp
	if ok {
		cp = *op
	}
	s.spOps.mu.Unlock()
	if !ok || cp.job != id {
		return nil, &httpError{http.StatusNotFound, fmt.Errorf("job %s has no savepoint operation %s", id, trigger)}
	}
	if !cp.done {
		return api.SavepointStatus{Status: api.QueueStatus{ID: api.OperationInProgress}}, nil
	}
	out := api.SavepointStatus{Status: api.QueueStatus{ID: api.OperationCompleted}, Operation: &api.SavepointOperation{Location: cp.location}}
	if cp.err != nil {
		out.Operation = &api.SavepointOperation{FailureCause: &api.FailureCause{Class: "floe.SavepointException", StackTrace: cp.err.Error()}}
	}
	return out, nil
}

func decodeStop(id string, body []byte) (api.StopRequest, error) {
	var req api.StopRequest
	if len(body) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			return req, &httpError{http.StatusBadRequest, fmt.Errorf("stop job %s: decode request: %w", id, err)}
		}
	}
	return req, nil
}

func savepointHTTPError(err error) error {
	switch {
	case errors.Is(err, ErrJobNotFound):
		return &httpError{http.StatusNotFound, err}
	case errors.Is(err, ErrNoSavepointTarget):
		return &httpError{http.StatusBadRequest, err}
	}
	return err
}

// startOp checks what can be checked at once (the job, the target) and
// runs fn in a goroutine of the server, remembered under a new trigger id.
func (s *Server) startOp(id, target string, fn func(ctx context.Context) (string, error)) (any, error) {
	if _, err := s.jm.Status(id); err != nil {
		return nil, savepointHTTPError(err)
	}
	if target == "" {
		return nil, &httpError{http.StatusBadRequest, fmt.Errorf("savepoint of job %s: %w", id, ErrNoSavepointTarget)}
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	trigger := hex.EncodeToString(b[:])
	op := &savepointOp{job: id}
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		return nil, &httpError{http.StatusServiceUnavailable, errors.New("the JobManager is shutting down")}
	}
	s.sessions.Add(1)
	base := s.ctx
	s.mu.Unlock()
	s.spOps.add(trigger, op)
	go func() {
		defer s.sessions.Done()
		ctx, cancel := context.WithTimeout(base, savepointOpBound)
		defer cancel()
		loc, err := fn(ctx)
		s.spOps.mu.Lock()
		op.done, op.location, op.err = true, loc, err
		s.spOps.mu.Unlock()
	}()
	return api.TriggerResponse{RequestID: trigger}, nil
}

func (o *savepointOps) add(trigger string, op *savepointOp) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ops == nil {
		o.ops = map[string]*savepointOp{}
	}
	for i := 0; len(o.order) >= maxSavepointOps && i < len(o.order); i++ {
		if old := o.order[i]; o.ops[old].done {
			delete(o.ops, old)
			o.order = append(o.order[:i], o.order[i+1:]...)
			break
		}
	}
	o.ops[trigger] = op
	o.order = append(o.order, trigger)
}
