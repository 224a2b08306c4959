package jobstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// JobRecord is a submitted job: everything a new attempt needs to run it
// again.
type JobRecord struct {
	Version int `json:"version"`
	// Attempt wrote the record (a takeover copies records unchanged).
	Attempt int    `json:"attempt"`
	ID      string `json:"id"`
	Name    string `json:"name"`
	// Seq orders the jobs of a session (submission order).
	Seq int64 `json:"seq"`
	// Graph is the job graph's JSON (graph.JobGraph.Marshal).
	Graph json.RawMessage `json:"graph"`
	// Pool, Binary, Args and Env say which TaskManagers run it: the job
	// binary's HDFS path with its size and modification time, as YARN
	// localizes it.
	Pool             string              `json:"pool"`
	Binary           string              `json:"binary"`
	BinarySize       int64               `json:"binarySize,omitempty"`
	BinaryModMillis  int64               `json:"binaryModMillis,omitempty"`
	Args             []string            `json:"args,omitempty"`
	Env              []string            `json:"env,omitempty"`
	Restart          api.RestartStrategy `json:"restart"`
	Checkpointing    json.RawMessage     `json:"checkpointing,omitempty"`
	SubmittedMillis  int64               `json:"submittedMillis"`
	SavepointPath    string              `json:"savepointPath,omitempty"`
	AllowNonRestored bool                `json:"allowNonRestored,omitempty"`
}

// CheckpointRecord names a job's latest completed checkpoint.
type CheckpointRecord struct {
	Version  int    `json:"version"`
	Attempt  int    `json:"attempt"`
	Job      string `json:"job"`
	ID       int64  `json:"id"`
	Metadata string `json:"metadata"` // …/chk-<id>/_metadata
}

// FinalRecord is a finished job's final state.
type FinalRecord struct {
	Version    int          `json:"version"`
	Attempt    int          `json:"attempt"`
	Job        string       `json:"job"`
	State      api.JobState `json:"state"`
	Cause      string       `json:"cause,omitempty"`
	TimeMillis int64        `json:"timeMillis"`
}

// PutJob records a submitted job.
func (s *Store) PutJob(ctx context.Context, r JobRecord) error {
	r.Version, r.Attempt = recordsVersion, s.attempt
	if r.ID == "" {
		return fmt.Errorf("job store: job record without an id")
	}
	return s.write(ctx, r.ID+extJob, r)
}

// PutCheckpoint records job's latest completed checkpoint.
func (s *Store) PutCheckpoint(ctx context.Context, job string, id int64, metadata string) error {
	return s.write(ctx, job+extCheckpoint, CheckpointRecord{Version: recordsVersion, Attempt: s.attempt, Job: job, ID: id, Metadata: metadata})
}

// PutFinal records a job's final state.
func (s *Store) PutFinal(ctx context.Context, job string, state api.JobState, cause string, at time.Time) error {
	return s.write(ctx, job+extFinal, FinalRecord{Version: recordsVersion, Attempt: s.attempt, Job: job, State: state, Cause: cause,
		TimeMillis: at.UnixMilli()})
}

// Check returns ErrFenced when a later attempt took the store over (a
// savepoint, which the store does not record, passes it before tasks are
// told).
func (s *Store) Check(ctx context.Context) error { return s.checkFence(ctx) }
