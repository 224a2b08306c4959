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
	// Path is the file (on HDFS) holding the state.
	Path string `json:"path"`
	Size int64  `json:"size"`
	// KeyGroupFirst and KeyGroupLast bound the key groups in it (inclusive);
	// both -1 for operator (non-keyed) state.
	KeyGroupFirst int `json:"keyGroupFirst"`
	KeyGroupLast  int `json:"keyGroupLast"`
	// Operator is the operator id the state belongs to.
	Operator string `json:"operator"`
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
