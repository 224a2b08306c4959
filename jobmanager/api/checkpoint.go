package api

import "fmt"

// The checkpoint messages of the control channel (MsgTriggerCheckpoint and
// friends). They are declared and tested now so the checkpoint coordinator
// only has to send and handle them: a JobManager or TaskManager that does
// not handle one yet logs and drops it.

// TriggerCheckpoint asks the TaskManager to inject checkpoint barriers at
// the listed source subtasks of a job attempt.
type TriggerCheckpoint struct {
	Job        string `json:"job"`
	Attempt    int    `json:"attempt"`
	Checkpoint int64  `json:"checkpoint"`
	// TimestampMillis is when the coordinator triggered it (Unix ms).
	TimestampMillis int64 `json:"timestamp"`
	// Subtasks are the source subtasks on this TaskManager to trigger.
	Subtasks []SubtaskRef `json:"subtasks"`
	// Savepoint asks for a canonical, backend-independent snapshot.
	Savepoint bool `json:"savepoint,omitempty"`
	// SavepointDir is the savepoint's own folder: every task writes its
	// state there (the barriers carry it), so the savepoint references
	// none of the job's checkpoint files.
	SavepointDir string `json:"savepointDir,omitempty"`
	// Stop makes it Flink's stop-with-savepoint: sources emit nothing
	// after the barrier and end when the savepoint completes (the job
	// then finishes); an aborted one lets them go on. Drain first ends
	// the input (MAX watermark).
	Stop  bool `json:"stop,omitempty"`
	Drain bool `json:"drain,omitempty"`
}

// SubtaskRef names one subtask of a job vertex.
type SubtaskRef struct {
	Vertex  int `json:"vertex"`
	Subtask int `json:"subtask"`
}

// StateHandle locates one piece of a subtask's snapshot.
type StateHandle struct {
	// Operator is the UID of the operator the state belongs to (state is
	// matched to operators by UID on restore).
	Operator string `json:"operator"`
	// Path is the file (on HDFS or local disk) holding the state.
	Path string `json:"path"`
	Size int64  `json:"size"`
	// KeyGroupStart…KeyGroupEnd-1 are the key groups it holds (half-open,
	// as runtime.StateHandle and the coordinator's KeyGroupRange); both 0
	// for operator (non-keyed) state.
	KeyGroupStart int `json:"keyGroupStart"`
	KeyGroupEnd   int `json:"keyGroupEnd"`
	// Shared marks a file later checkpoints may reference too (Pebble's
	// incremental SST files, under <checkpoint dir>/shared/).
	Shared bool `json:"shared,omitempty"`
}

// TaskCheckpointing is what a deployed subtask needs to take part in
// checkpoints and savepoints; every job's deploys carry it.
type TaskCheckpointing struct {
	// Mode is execution.checkpointing.mode: EXACTLY_ONCE or AT_LEAST_ONCE.
	Mode string `json:"mode"`
	// Dir is the job's checkpoint folder, state.checkpoints.dir/<job-id>:
	// a subtask writes checkpoint n's files under Dir/chk-<n>/ and shared
	// files under Dir/shared/.
	Dir string `json:"dir"`
	// Backend is state.backend.type (hashmap or pebble).
	Backend string `json:"backend"`
	// Incremental is execution.checkpointing.incremental.
	Incremental bool `json:"incremental,omitempty"`
	// SavepointsOnly is set when the job takes no periodic checkpoints
	// (execution.checkpointing.interval unset): the subtask still takes
	// savepoints, but its sinks commit as they roll (at-least-once).
	SavepointsOnly bool `json:"savepointsOnly,omitempty"`
}

// TaskRestore is the state a deployed subtask starts from: every handle of
// its vertex's operators that it owns (keyed handles overlapping its
// key-group range, after a rescale several; its own operator state) from
// checkpoint or savepoint Checkpoint.
type TaskRestore struct {
	Checkpoint int64         `json:"checkpoint"`
	Handles    []StateHandle `json:"handles,omitempty"`
	// Fresh lists the operators of the subtask's chain that have no state
	// at all in the savepoint the job starts from: they are new and open
	// without a restore. (In the job's own checkpoints an operator without
	// state finished: a source subtask restored without state reads
	// nothing.)
	Fresh []string `json:"fresh,omitempty"`
}

// AcknowledgeCheckpoint reports that a subtask's snapshot is durable.
type AcknowledgeCheckpoint struct {
	TaskManager string        `json:"taskManager"`
	Job         string        `json:"job"`
	Attempt     int           `json:"attempt"`
	Vertex      int           `json:"vertex"`
	Subtask     int           `json:"subtask"`
	Checkpoint  int64         `json:"checkpoint"`
	Handles     []StateHandle `json:"handles,omitempty"`
	// AlignmentMillis is how long the subtask's inputs were blocked
	// aligning the checkpoint's barriers.
	AlignmentMillis int64 `json:"alignmentMillis,omitempty"`
}

// DeclineCheckpoint reports that a subtask cannot take a checkpoint.
type DeclineCheckpoint struct {
	TaskManager string `json:"taskManager"`
	Job         string `json:"job"`
	Attempt     int    `json:"attempt"`
	Vertex      int    `json:"vertex"`
	Subtask     int    `json:"subtask"`
	Checkpoint  int64  `json:"checkpoint"`
	Cause       string `json:"cause"`
}

// NotifyCheckpoint tells a TaskManager a checkpoint completed (sinks commit)
// or was aborted.
type NotifyCheckpoint struct {
	Job        string `json:"job"`
	Attempt    int    `json:"attempt"`
	Checkpoint int64  `json:"checkpoint"`
	Aborted    bool   `json:"aborted,omitempty"`
}

// CheckpointingStats is GET /v1/jobs/{id}/checkpoints (and Flink's path
// /jobs/{id}/checkpoints): a job's checkpoint figures, with Flink's field
// names where Flink has them.
type CheckpointingStats struct {
	Counts  CheckpointCounts         `json:"counts"`
	Latest  CheckpointLatest         `json:"latest"`
	History []CheckpointStatistics   `json:"history"`
	Failure *CheckpointFailureDetail `json:"failure,omitempty"`
}

// CheckpointStatistics is one entry of Flink's checkpoint history, newest
// first: the checkpoint in progress, then the latest that completed or
// failed (Flink's web.checkpoints.history: 10). ClassName is Flink's type
// tag: "in_progress", "completed" or "failed".
type CheckpointStatistics struct {
	ClassName          string `json:"className"`
	ID                 int64  `json:"id"`
	Status             string `json:"status"` // IN_PROGRESS, COMPLETED, FAILED
	IsSavepoint        bool   `json:"is_savepoint"`
	CheckpointType     string `json:"checkpoint_type"` // CHECKPOINT, SAVEPOINT, SYNC_SAVEPOINT
	TriggerTimestamp   int64  `json:"trigger_timestamp"`
	LatestAckTimestamp int64  `json:"latest_ack_timestamp"`
	StateSize          int64  `json:"state_size"`
	CheckpointedSize   int64  `json:"checkpointed_size"`
	// EndToEndDuration is trigger to completion or failure (to now while
	// in progress), in milliseconds.
	EndToEndDuration        int64  `json:"end_to_end_duration"`
	AlignmentBuffered       int64  `json:"alignment_buffered"`
	NumSubtasks             int    `json:"num_subtasks"`
	NumAcknowledgedSubtasks int    `json:"num_acknowledged_subtasks"`
	ExternalPath            string `json:"external_path,omitempty"`
	FailureTimestamp        int64  `json:"failure_timestamp,omitempty"`
	FailureMessage          string `json:"failure_message,omitempty"`
}

// CheckpointCounts are Flink's checkpoint counts.
type CheckpointCounts struct {
	Restored   int `json:"restored"`
	Total      int `json:"total"`
	InProgress int `json:"in_progress"`
	Completed  int `json:"completed"`
	Failed     int `json:"failed"`
}

// CheckpointLatest holds the latest completed checkpoint and the one the
// running attempt restored.
type CheckpointLatest struct {
	Completed *CompletedCheckpoint `json:"completed"`
	Restored  *RestoredCheckpoint  `json:"restored"`
}

// CompletedCheckpoint is Flink's completed checkpoint entry.
type CompletedCheckpoint struct {
	ID           int64  `json:"id"`
	Status       string `json:"status"`
	IsSavepoint  bool   `json:"is_savepoint"`
	ExternalPath string `json:"external_path"`
	// StateSize is the full state size, CheckpointedSize the bytes this
	// checkpoint uploaded (less for incremental checkpoints).
	StateSize        int64 `json:"state_size"`
	CheckpointedSize int64 `json:"checkpointed_size"`
	// EndToEndDuration is trigger to completion, in milliseconds.
	EndToEndDuration int64 `json:"end_to_end_duration"`
	// AlignmentBuffered is Flink's (deprecated) field; Floe's aligners
	// block channels instead of buffering, so it is always 0.
	AlignmentBuffered int64 `json:"alignment_buffered"`
	// AlignmentDurationMillis is the longest alignment any subtask reported.
	AlignmentDurationMillis int64 `json:"alignment_duration"`
}

// RestoredCheckpoint names the checkpoint the running attempt started from.
type RestoredCheckpoint struct {
	ID int64 `json:"id"`
}

// CheckpointFailureDetail is the latest checkpoint failure and the files
// whose deletion is being retried.
type CheckpointFailureDetail struct {
	Message        string `json:"failure_message"`
	UndeletedFiles int    `json:"undeleted_files"`
}

// Line is what floe list and the attached floe run print about a job's
// checkpoints: "latest checkpoint N (size, duration)", or "" when none
// completed.
func (s CheckpointingStats) Line() string {
	l := s.Latest.Completed
	if l == nil {
		return ""
	}
	return fmt.Sprintf("latest checkpoint %d (%s, %dms)", l.ID, byteSize(l.StateSize), l.EndToEndDuration)
}

func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// SavepointRequest is the body of POST /v1/jobs/{id}/savepoints (Flink's
// field name). TargetDirectory is the folder under which the savepoint's
// own folder is made.
type SavepointRequest struct {
	TargetDirectory string `json:"target-directory"`
	// CancelJob is Flink's deprecated cancel-with-savepoint: Floe stops
	// the job with the savepoint (as POST /jobs/{id}/stop without drain).
	CancelJob bool `json:"cancel-job,omitempty"`
}

// SavepointResponse answers a SavepointRequest once the savepoint is
// complete: Location is its folder (holding _metadata), as Flink's
// savepoint status reports it.
type SavepointResponse struct {
	Location string `json:"location"`
}
