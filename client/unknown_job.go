package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// ErrUnknownJob matches (errors.Is) an error for a job id the cluster does
// not have.
var ErrUnknownJob = errors.New("no such job")

// UnknownJobError says that a cluster has no job ID and which jobs it has,
// instead of the JobManager's bare "HTTP 404: job not found".
type UnknownJobError struct {
	ID      string
	Cluster string           // the application id, or the JobManager's address
	Jobs    []api.JobSummary // the cluster's jobs; nil when listing failed
	ListErr error            // why the jobs could not be listed
	Cause   error            // the JobManager's answer
}

func (e *UnknownJobError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s has no job %s", e.Cluster, e.ID)
	switch {
	case e.ListErr != nil:
		fmt.Fprintf(&b, " (listing its jobs failed: %v)", e.ListErr)
	case len(e.Jobs) == 0:
		b.WriteString("; it has no jobs")
	default:
		b.WriteString("; its jobs: ")
		for i, j := range e.Jobs {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %q %s", j.ID, j.Name, j.State)
		}
	}
	return b.String()
}

// Unwrap lets errors.Is match ErrUnknownJob and the JobManager's answer.
func (e *UnknownJobError) Unwrap() []error { return []error{ErrUnknownJob, e.Cause} }

// explainUnknownJob turns the JobManager's 404 for job id into an
// UnknownJobError listing the cluster's jobs; other errors pass unchanged.
func (c *ClusterClient) explainUnknownJob(ctx context.Context, id string, err error) error {
	var re *api.RemoteError
	if !errors.As(err, &re) || re.Status != http.StatusNotFound {
		return err
	}
	name := c.Addr
	if c.App.ClusterTimestamp != 0 {
		name = c.App.String()
	}
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var l api.JobList
	lerr := c.JM.Do(lctx, http.MethodGet, "/v1/jobs", nil, &l)
	return &UnknownJobError{ID: id, Cluster: name, Jobs: l.Jobs, ListErr: lerr, Cause: err}
}
