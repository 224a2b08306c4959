package client

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// SessionSubmission is a job for a running session.
type SessionSubmission struct {
	Job Job
	// Restart overrides the session's restart strategy (nil: its default).
	Restart *api.RestartStrategy
	// Config holds the checkpoint options the client sets (they override
	// the session's).
	Config map[string]string
	// PlanOut receives the job binary's standard output while it plans
	// (nil: captured into the error on failure).
	PlanOut io.Writer
	// Check, when set, vets the planned job before anything is uploaded
	// or submitted; its error ends the submission.
	Check func(ctx context.Context, graph []byte) error
}

// Submitted is a job accepted by a session.
type Submitted struct {
	api.JobStatus
	// Uploaded is how many bytes of the job binary this submission sent
	// (0 when the content-addressed cache already held it).
	Uploaded int64
}

// SubmitToSession submits a job to the session cc: it checks the job binary,
// plans it on this machine, puts the binary into the content-addressed
// cache under the staging root (sent once per content) and submits the job
// graph with the binary's HDFS URI.
func (d *YarnDescriptor) SubmitToSession(ctx context.Context, cc *ClusterClient, s SessionSubmission) (Submitted, error) {
	job := s.Job
	if isRemote(job.Binary) {
		return Submitted{}, fmt.Errorf("%w: job binary %s: the client plans the job for a session, so give a local job binary", ErrBadInput, job.Binary)
	}
	if err := CheckJobBinary(job.Binary, d.opts.Platform); err != nil {
		return Submitted{}, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	g, err := job.Plan(ctx, s.PlanOut)
	if err != nil {
		return Submitted{}, err
	}
	if s.Check != nil {
		if err := s.Check(ctx, g); err != nil {
			return Submitted{}, err
		}
	}
	cache := &Cache{Store: d.opts.Store, Root: d.staging.Root}
	staged, err := cache.Put(ctx, job.Binary, nil)
	if err != nil {
		return Submitted{}, fmt.Errorf("stage %s: %w", job.Binary, err)
	}
	uri, err := d.opts.Store.Qualify(staged.Path)
	if err != nil {
		return Submitted{}, err
	}
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	st, err := cc.Submit(sctx, api.SubmitJob{Graph: g, Binary: uri, Args: job.Args, Env: job.Env(), Restart: s.Restart, Config: s.Config})
	if err != nil {
		return Submitted{}, fmt.Errorf("submit to session %s: %w", cc.App, err)
	}
	return Submitted{JobStatus: st, Uploaded: staged.Uploaded}, nil
}
