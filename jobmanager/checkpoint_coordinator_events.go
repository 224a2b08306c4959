package jobmanager

import (
	"fmt"
	"strings"
	"time"
)

// CheckpointEvent is an input to a CheckpointCoordinator. As with Core,
// time is not an event field: Step takes the current time beside every event.
type CheckpointEvent interface{ isCheckpointEvent() }

// CheckpointTask names one subtask that takes part in checkpoints.
type CheckpointTask struct{ Vertex, Subtask int }

func (t CheckpointTask) String() string { return fmt.Sprintf("v%d/%d", t.Vertex, t.Subtask) }

// CheckpointTick lets time pass: periodic triggers, min-pause, timeouts,
// retries of failed deletions.
type CheckpointTick struct{}

// CheckpointJobRunning tells the coordinator that every subtask of the
// job's attempt runs. Tasks are all subtasks that must acknowledge a
// checkpoint, Sources those that inject its barriers. Restored is the id of
// the checkpoint the attempt was deployed from (0: none), for the stats.
type CheckpointJobRunning struct {
	Attempt  int
	Tasks    []CheckpointTask
	Sources  []CheckpointTask
	Restored int64
	// Finished are the tasks that already finished (FLIP-147): they take
	// no part in checkpoints.
	Finished []CheckpointTask
}

// CheckpointTaskFinished tells the coordinator that a subtask of the
// running job finished (a source whose splits are all read, say): as in
// Flink's FLIP-147, it is acknowledged implicitly with no state from now
// on, in the pending checkpoint too if it has not acknowledged it, and
// the job keeps checkpointing. A restore gives it no state: a source
// subtask without state has nothing left to read.
type CheckpointTaskFinished struct{ Task CheckpointTask }

// CheckpointJobStopped tells the coordinator that the job left RUNNING
// (failover, cancel, finish): pending checkpoints are aborted, without
// counting as checkpoint failures, and no new one is triggered until the
// next CheckpointJobRunning.
type CheckpointJobStopped struct{ Cause string }

// CheckpointAcknowledged is a subtask's acknowledgement of a checkpoint:
// its state is uploaded and described by Handles. Alignment is how long
// the subtask blocked inputs to align barriers (0 when unknown).
type CheckpointAcknowledged struct {
	ID        int64
	Task      CheckpointTask
	Handles   []StateHandle
	Alignment time.Duration
}

// CheckpointDeclined is a subtask refusing or failing a checkpoint.
type CheckpointDeclined struct {
	ID     int64
	Task   CheckpointTask
	Reason string
}

// CheckpointMetadataWritten reports the result of a WriteCheckpointMetadata:
// Err is empty when the _metadata file is in place.
type CheckpointMetadataWritten struct {
	ID  int64
	Err string
}

// CheckpointFilesDeleted reports the result of a DeleteCheckpointFiles:
// Failed lists the paths that could not be deleted (they are retried).
type CheckpointFilesDeleted struct {
	Paths  []string
	Failed []string
}

// CheckpointRestored hands the coordinator the completed checkpoints of an
// earlier run of the job (read back from their _metadata files), so that ids
// continue after the latest. With Owned (the job's own folder, after an AM
// failover), they are adopted as retained checkpoints (their files are
// deleted once subsumed, shared files are counted), and Found, the paths the
// shell listed under the folder (its chk-<n> folders, the files under
// shared/), is cleaned: whatever no retained checkpoint holds is deleted and
// ids continue after the highest chk-<n> as well. Without Owned, as for a
// savepoint, nothing is ever deleted.
type CheckpointRestored struct {
	Checkpoints []*CheckpointMetadata
	Owned       bool
	Found       []string
	// SkipIDs leaves a gap of ids after the restored ones: a JobManager
	// that took over from one that may still be alive (a zombie) never
	// uses an id the zombie could still trigger before it learns it was
	// fenced.
	SkipIDs int64
}

// SavepointRequested asks for a savepoint: a checkpoint taken now (after
// the pending one, if any, ends), written as Dir/_metadata, kept out of
// retention and never deleted once complete. Dir is the savepoint's own
// folder (SavepointDir names it); every task writes its state there. The
// coordinator reports SavepointCompleted or SavepointFailed. With Stop it
// is Flink's stop-with-savepoint: the sources emit nothing after its
// barrier and end once it completes, so the job finishes; the coordinator
// triggers nothing after it. Drain ends the input first (--drain).
type SavepointRequested struct {
	Dir         string
	Stop, Drain bool
}

func (SavepointRequested) isCheckpointEvent()        {}
func (CheckpointTick) isCheckpointEvent()            {}
func (CheckpointTaskFinished) isCheckpointEvent()    {}
func (CheckpointJobRunning) isCheckpointEvent()      {}
func (CheckpointJobStopped) isCheckpointEvent()      {}
func (CheckpointAcknowledged) isCheckpointEvent()    {}
func (CheckpointDeclined) isCheckpointEvent()        {}
func (CheckpointMetadataWritten) isCheckpointEvent() {}
func (CheckpointFilesDeleted) isCheckpointEvent()    {}
func (CheckpointRestored) isCheckpointEvent()        {}

// CheckpointAction is an output of a CheckpointCoordinator, for the I/O
// shell to carry out.
type CheckpointAction interface{ isCheckpointAction() }

// TriggerCheckpoint asks the source subtasks of the attempt to inject the
// barrier of checkpoint ID.
type TriggerCheckpoint struct {
	Job         string
	Attempt     int
	ID          int64
	Timestamp   time.Time
	Mode        CheckpointMode
	Incremental bool
	Sources     []CheckpointTask
	// Savepoint asks the tasks for the canonical format (never incremental).
	Savepoint bool
	// SavepointDir is the savepoint's folder, where the tasks write.
	SavepointDir string
	// Stop and Drain are SavepointRequested's.
	Stop, Drain bool
}

// WriteCheckpointMetadata asks the shell to write Metadata, encoded with
// EncodeCheckpointMetadata, to Path atomically (write a temporary file in
// the same folder, then rename), and to report CheckpointMetadataWritten.
type WriteCheckpointMetadata struct {
	Job      string
	ID       int64
	Path     string
	Metadata *CheckpointMetadata
}

// NotifyCheckpointComplete tells every subtask that checkpoint ID is
// complete (two-phase-commit sinks commit on it).
type NotifyCheckpointComplete struct {
	Job     string
	Attempt int
	ID      int64
	Tasks   []CheckpointTask
}

// AbortCheckpoint tells every subtask that checkpoint ID will not complete.
type AbortCheckpoint struct {
	Job     string
	Attempt int
	ID      int64
	Reason  string
	Tasks   []CheckpointTask
}

// DeleteCheckpointFiles asks the shell to delete Paths (files, or folders
// recursively; a missing path is not an error) and to report
// CheckpointFilesDeleted.
type DeleteCheckpointFiles struct {
	Job   string
	Paths []string
}

// FailJobForCheckpoints asks the Core to fail the job's attempt (a
// failover under its restart strategy): more consecutive checkpoints failed
// than execution.checkpointing.tolerable-failed-checkpoints allows.
type FailJobForCheckpoints struct {
	Job    string
	Reason string
}

// SavepointCompleted reports a savepoint whose _metadata is in place under
// Dir.
type SavepointCompleted struct {
	Job string
	ID  int64
	Dir string
	// Stop: the job now finishes (its sources end).
	Stop bool
}

// SavepointFailed reports a savepoint that will not complete.
type SavepointFailed struct {
	Job    string
	Dir    string
	Reason string
}

func (SavepointCompleted) isCheckpointAction()       {}
func (SavepointFailed) isCheckpointAction()          {}
func (TriggerCheckpoint) isCheckpointAction()        {}
func (WriteCheckpointMetadata) isCheckpointAction()  {}
func (NotifyCheckpointComplete) isCheckpointAction() {}
func (AbortCheckpoint) isCheckpointAction()          {}
func (DeleteCheckpointFiles) isCheckpointAction()    {}
func (FailJobForCheckpoints) isCheckpointAction()    {}

// String forms are compact and stable: the coordinator's tests compare them.
func (a TriggerCheckpoint) String() string {
	inc := ""
	if a.Incremental {
		inc = " incremental"
	}
	if a.Savepoint {
		inc = " savepoint"
	}
	if a.Stop {
		inc += " stop"
	}
	if a.Drain {
		inc += " drain"
	}
	return fmt.Sprintf("trigger %s#%d chk-%d at %d %s%s -> %s", a.Job, a.Attempt, a.ID, a.Timestamp.UnixMilli(), a.Mode, inc, tasksString(a.Sources))
}
func (a SavepointCompleted) String() string {
	if a.Stop {
		return fmt.Sprintf("savepoint %s chk-%d completed at %s; the job stops", a.Job, a.ID, a.Dir)
	}
	return fmt.Sprintf("savepoint %s chk-%d completed at %s", a.Job, a.ID, a.Dir)
}
func (a SavepointFailed) String() string {
	return fmt.Sprintf("savepoint %s %s failed: %s", a.Job, a.Dir, a.Reason)
}
func (a WriteCheckpointMetadata) String() string {
	return fmt.Sprintf("write %s chk-%d %s (%d operators)", a.Job, a.ID, a.Path, len(a.Metadata.Operators))
}
func (a NotifyCheckpointComplete) String() string {
	return fmt.Sprintf("notify %s#%d chk-%d complete -> %s", a.Job, a.Attempt, a.ID, tasksString(a.Tasks))
}
func (a AbortCheckpoint) String() string {
	return fmt.Sprintf("abort %s#%d chk-%d (%s) -> %s", a.Job, a.Attempt, a.ID, a.Reason, tasksString(a.Tasks))
}
func (a DeleteCheckpointFiles) String() string {
	return fmt.Sprintf("delete %s %s", a.Job, strings.Join(a.Paths, " "))
}
func (a FailJobForCheckpoints) String() string {
	return fmt.Sprintf("fail job %s: %s", a.Job, a.Reason)
}

func tasksString(ts []CheckpointTask) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.String()
	}
	return strings.Join(s, ",")
}
