package jobmanager

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// JobRecorder keeps what a later JobManager needs to resume the jobs of
// this one: on YARN the ApplicationMaster's job store on HDFS (package
// am/jobstore), so that a new application attempt resumes every job from
// its latest completed checkpoint. Every method returns an error when the
// record could not be made durable, or when this JobManager is no longer
// the current one (fenced); the JobManager then refuses what depended on
// it:
//
//   - JobSubmitted runs in Submit before the job is accepted: a job that
//     cannot be recorded is not run;
//   - CheckpointCompleted runs on the storage worker after a checkpoint's
//     _metadata is written and before the coordinator learns of it, so a
//     checkpoint the store does not name is aborted and never notified
//     (two-phase-commit sinks commit only what a new attempt would
//     restore); savepoints (not chk-<n> folders) go through it too, for the
//     fence;
//   - JobEnded runs on the storage worker, after the job's earlier records,
//     when a job reaches a final state (errors are logged).
type JobRecorder interface {
	JobSubmitted(ctx context.Context, id string, s Submission) error
	CheckpointCompleted(ctx context.Context, job string, id int64, metadataPath string, savepoint bool) error
	JobEnded(ctx context.Context, st api.JobStatus) error
}

// Recovery is how a new JobManager attempt resumes a job a former attempt
// ran (Submission.Recover): from the latest completed checkpoint the job
// store names, adopted as the job's own (it is retained and deleted once
// subsumed), with Found, the paths under the job's checkpoint folder, so
// that what no retained checkpoint holds (checkpoints in progress when the
// former attempt died) is deleted and checkpoint ids continue after all of
// them.
type Recovery struct {
	// Checkpoint is the latest completed checkpoint's metadata; nil when
	// none completed (the job starts over).
	Checkpoint *CheckpointMetadata
	Found      []string
	// Cause says why the job is recovered (recorded in its exception
	// history).
	Cause string
	// SkipIDs is the gap left in checkpoint ids (CheckpointRestored).
	SkipIDs int64
	// Ended is set for a job that had ended before the failover: it is
	// listed with its final state and never run again.
	Ended *JobEnd
}

// JobEnd is how and when a recovered job had ended.
type JobEnd struct {
	State            api.JobState
	Cause            string
	Submitted, Ended time.Time
}

// recordJobEnd is the storage worker's action for JobRecorder.JobEnded.
type recordJobEnd struct{ st api.JobStatus }

func (recordJobEnd) isAction() {}

// isSavepointMetadata tells a savepoint's _metadata from a checkpoint's
// (<dir>/<job>/chk-<n>/_metadata).
func isSavepointMetadata(p string) bool {
	return !strings.HasPrefix(path.Base(path.Dir(p)), "chk-")
}

// recordCheckpoint records a written checkpoint's _metadata with the
// recorder, if any; the error fails the checkpoint.
func (jm *JobManager) recordCheckpoint(ctx context.Context, a WriteCheckpointMetadata) error {
	r := jm.opts.Recorder
	if r == nil {
		return nil
	}
	if err := r.CheckpointCompleted(ctx, a.Job, a.ID, a.Path, isSavepointMetadata(a.Path)); err != nil {
		return fmt.Errorf("record checkpoint %d in the job store: %w", a.ID, err)
	}
	return nil
}

// JobCheckpointDir is the folder of a job's checkpoints under
// state.checkpoints.dir: dir/<job>.
func JobCheckpointDir(dir, job string) string { return jobCheckpointDir(dir, job) }
