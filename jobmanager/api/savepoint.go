package api

// Flink's asynchronous savepoint operations, beside the synchronous /v1
// ones: POST /jobs/{id}/savepoints (SavepointRequest) and
// POST /jobs/{id}/stop (StopRequest) answer a TriggerResponse at once;
// GET /jobs/{id}/savepoints/{triggerid} answers a SavepointStatus until
// the operation is COMPLETED, successfully (Operation.Location) or not
// (Operation.FailureCause). POST /v1/jobs/{id}/stop takes a StopRequest
// and answers a SavepointResponse once the job has stopped.

// StopRequest is the body of Flink's POST /jobs/{id}/stop and of
// POST /v1/jobs/{id}/stop: stop the job with a savepoint under
// TargetDirectory; Drain ends the input first (MAX watermark).
type StopRequest struct {
	TargetDirectory string `json:"targetDirectory"`
	Drain           bool   `json:"drain"`
}

// TriggerResponse names an asynchronous savepoint operation (Flink's
// TriggerResponse).
type TriggerResponse struct {
	RequestID string `json:"request-id"`
}

// The operation states of SavepointStatus (Flink's QueueStatus ids).
const (
	OperationInProgress = "IN_PROGRESS"
	OperationCompleted  = "COMPLETED"
)

// SavepointStatus is GET /jobs/{id}/savepoints/{triggerid} (Flink's
// AsynchronousOperationResult): Operation is set once COMPLETED.
type SavepointStatus struct {
	Status    QueueStatus         `json:"status"`
	Operation *SavepointOperation `json:"operation,omitempty"`
}

// QueueStatus is Flink's {"id": "IN_PROGRESS" | "COMPLETED"}.
type QueueStatus struct {
	ID string `json:"id"`
}

// SavepointOperation is the outcome of a savepoint or stop operation:
// the savepoint's folder, or why it failed.
type SavepointOperation struct {
	Location     string        `json:"location,omitempty"`
	FailureCause *FailureCause `json:"failure-cause,omitempty"`
}

// FailureCause is Flink's serialized throwable, reduced to what a Go
// JobManager has: a class naming the kind of failure and the message.
type FailureCause struct {
	Class      string `json:"class"`
	StackTrace string `json:"stack-trace"`
}
