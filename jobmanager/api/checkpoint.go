package api

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
// checkpoints; nil when the job does not checkpoint.
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
}

// TaskRestore is the state a deployed subtask starts from: every handle of
// its vertex's operators that it owns (keyed handles overlapping its
// key-group range, after a rescale several; its own operator state) from
// checkpoint or savepoint Checkpoint.
type TaskRestore struct {
	Checkpoint int64         `json:"checkpoint"`
	Handles    []StateHandle `json:"handles,omitempty"`
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
