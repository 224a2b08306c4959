package api

import (
	"fmt"
	"math"
	"time"
)

// Version is the control protocol version; every message carries it and a
// peer refuses messages of another version.
const Version = 1

// ExecutionState is the state of one subtask execution.
type ExecutionState string

// The execution states of a subtask.
const (
	Created   ExecutionState = "CREATED"
	Scheduled ExecutionState = "SCHEDULED"
	Running   ExecutionState = "RUNNING"
	Finished  ExecutionState = "FINISHED"
	Failed    ExecutionState = "FAILED"
	Canceling ExecutionState = "CANCELING"
	Canceled  ExecutionState = "CANCELED"
)

// Terminal reports whether s is final.
func (s ExecutionState) Terminal() bool { return s == Finished || s == Failed || s == Canceled }

// JobState is the state of a job.
type JobState string

// The job states.
const (
	JobCreated    JobState = "CREATED"
	JobRunning    JobState = "RUNNING"
	JobFailing    JobState = "FAILING"
	JobRestarting JobState = "RESTARTING"
	JobCanceling  JobState = "CANCELING"
	JobCanceled   JobState = "CANCELED"
	JobFailed     JobState = "FAILED"
	JobFinished   JobState = "FINISHED"
)

// Terminal reports whether s is final.
func (s JobState) Terminal() bool { return s == JobCanceled || s == JobFailed || s == JobFinished }

// The restart strategies, as RestartStrategy.Type spells them (Flink's
// restart-strategy.type values).
const (
	RestartNone             = "none"
	RestartFixedDelay       = "fixed-delay"
	RestartExponentialDelay = "exponential-delay"
	RestartFailureRate      = "failure-rate"
)

// RestartStrategy is how a failed job restarts. Type selects the strategy;
// an empty Type is fixed-delay when Attempts > 0 and none otherwise, so the
// zero value restarts never and older submissions keep their meaning.
//
//   - fixed-delay: up to Attempts restarts, DelayMillis apart.
//   - exponential-delay: the first delay is InitialBackoffMillis, each
//     further one BackoffMultiplier times the last, at most
//     MaxBackoffMillis; JitterFactor of it is added or taken (deterministic
//     per job and restart). A job that ran ResetBackoffThresholdMillis
//     without failure starts over at the initial backoff. Attempts bounds
//     the restarts between two resets.
//   - failure-rate: restarts DelayMillis after each failure until more than
//     MaxFailuresPerInterval failures fall within FailureRateIntervalMillis.
type RestartStrategy struct {
	Type        string `json:"type,omitempty"`
	Attempts    int    `json:"attempts"`
	DelayMillis int64  `json:"delayMillis"`

	InitialBackoffMillis        int64   `json:"initialBackoffMillis,omitempty"`
	MaxBackoffMillis            int64   `json:"maxBackoffMillis,omitempty"`
	BackoffMultiplier           float64 `json:"backoffMultiplier,omitempty"`
	ResetBackoffThresholdMillis int64   `json:"resetBackoffThresholdMillis,omitempty"`
	JitterFactor                float64 `json:"jitterFactor,omitempty"`

	MaxFailuresPerInterval    int   `json:"maxFailuresPerInterval,omitempty"`
	FailureRateIntervalMillis int64 `json:"failureRateIntervalMillis,omitempty"`
}

// Validate reports a strategy the JobManager cannot apply: an unknown
// type, a negative count or duration, or options out of their strategy's
// range (as restart-strategy.* allows them).
func (r RestartStrategy) Validate() error {
	if r.Attempts < 0 || r.DelayMillis < 0 {
		return fmt.Errorf("restart strategy %s: negative attempts (%d) or delay (%dms)", r.Kind(), r.Attempts, r.DelayMillis)
	}
	switch r.Kind() {
	case RestartNone, RestartFixedDelay:
		return nil
	case RestartExponentialDelay:
		if r.InitialBackoffMillis <= 0 || r.MaxBackoffMillis < r.InitialBackoffMillis || r.ResetBackoffThresholdMillis <= 0 ||
			!(r.BackoffMultiplier >= 1) || math.IsInf(r.BackoffMultiplier, 0) || !(r.JitterFactor >= 0 && r.JitterFactor <= 1) || r.Attempts < 1 {
			return fmt.Errorf("restart strategy exponential-delay: want 0 < initial backoff (%dms) <= max backoff (%dms), "+
				"reset threshold (%dms) > 0, multiplier (%g) >= 1, jitter (%g) in [0, 1], attempts (%d) >= 1",
				r.InitialBackoffMillis, r.MaxBackoffMillis, r.ResetBackoffThresholdMillis, r.BackoffMultiplier, r.JitterFactor, r.Attempts)
		}
		return nil
	case RestartFailureRate:
		if r.MaxFailuresPerInterval < 1 || r.FailureRateIntervalMillis <= 0 {
			return fmt.Errorf("restart strategy failure-rate: want max failures per interval (%d) >= 1 and interval (%dms) > 0",
				r.MaxFailuresPerInterval, r.FailureRateIntervalMillis)
		}
		return nil
	}
	return fmt.Errorf("restart strategy %q: unknown; want %s, %s, %s or %s", r.Type,
		RestartNone, RestartFixedDelay, RestartExponentialDelay, RestartFailureRate)
}

// Kind is the strategy's type with the empty Type resolved.
func (r RestartStrategy) Kind() string {
	switch {
	case r.Type != "":
		return r.Type
	case r.Attempts > 0:
		return RestartFixedDelay
	}
	return RestartNone
}

// SubmitJob asks the JobManager to run a job.
type SubmitJob struct {
	Version int    `json:"version"`
	Name    string `json:"name"`
	// Graph is the serialized job graph (graph.JobGraph.Marshal).
	Graph []byte `json:"graph"`
	// Binary locates the job binary TaskManagers are started from: a path
	// on the JobManager's host for the process driver, an HDFS path on YARN.
	Binary string `json:"binary"`
	// Args are the job binary's arguments (main() must rebuild the graph).
	Args []string `json:"args,omitempty"`
	// Env are extra "KEY=value" variables for the job binary's processes
	// (FLOE_PARALLELISM and the like); never secrets.
	Env []string `json:"env,omitempty"`
	// Restart overrides the JobManager's default restart strategy.
	Restart *RestartStrategy `json:"restart,omitempty"`
	// Config holds the client's checkpoint and state options
	// (execution.checkpointing.*, state.*): they override the cluster's.
	Config map[string]string `json:"config,omitempty"`
}

// SubtaskStatus is one subtask's state in JobStatus.
type SubtaskStatus struct {
	Vertex      int            `json:"vertex"`
	Subtask     int            `json:"subtask"`
	State       ExecutionState `json:"state"`
	TaskManager string         `json:"taskManager,omitempty"`
}

// JobStatus describes a job.
type JobStatus struct {
	Version  int      `json:"version"`
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	State    JobState `json:"state"`
	Attempt  int      `json:"attempt"`
	Restarts int      `json:"restarts"`
	Cause    string   `json:"cause,omitempty"`
	// Waiting says why a CREATED job waits: the slots it misses, the
	// TaskManagers asked for and, from the ResourceDriver, what the
	// cluster manager says (YARN's pending requests and headroom).
	Waiting  string          `json:"waiting,omitempty"`
	Subtasks []SubtaskStatus `json:"subtasks,omitempty"`
	// Exceptions is the job's exception history, oldest first: every
	// failure that failed or restarted it, with the cause as reported (for
	// a lost YARN container: its exit status and diagnostics).
	Exceptions []Exception `json:"exceptions,omitempty"`
}

// Exception is one entry of a job's exception history.
type Exception struct {
	// TimeMillis is when the JobManager saw the failure (Unix ms).
	TimeMillis int64 `json:"timestamp"`
	// Attempt is the job attempt that failed.
	Attempt int    `json:"attempt"`
	Cause   string `json:"cause"`
}

// Registration is a TaskManager announcing itself and its slots.
type Registration struct {
	Version     int    `json:"version"`
	TaskManager string `json:"taskManager"`
	Slots       int    `json:"slots"`
	// DataAddress is where other TaskManagers fetch this one's partitions.
	DataAddress string `json:"dataAddress,omitempty"`
	// Fingerprint is the job graph fingerprint the TaskManager's binary builds.
	Fingerprint string `json:"fingerprint"`
	PID         int    `json:"pid,omitempty"`
	// Reconnect marks a TaskManager that was registered and lost its
	// connection: the JobManager takes it back only if it still knows it.
	Reconnect bool `json:"reconnect,omitempty"`
	// Container and Pool are set by a TaskManager of a former
	// ApplicationMaster attempt registering with the attempt that took
	// over: the YARN container it runs in and the pool (job binary) it was
	// started for. The new JobManager adopts it in place of a TaskManager
	// it would otherwise ask YARN for.
	Container string `json:"container,omitempty"`
	Pool      string `json:"pool,omitempty"`
}

// RegistrationReply accepts a registration.
type RegistrationReply struct {
	Version int `json:"version"`
	// HeartbeatMillis and TimeoutMillis are the channel's Timing.
	HeartbeatMillis int64 `json:"heartbeatMillis"`
	TimeoutMillis   int64 `json:"timeoutMillis"`
}

// Timing returns the reply's heartbeat schedule.
func (r RegistrationReply) Timing() Timing {
	return Timing{Interval: time.Duration(r.HeartbeatMillis) * time.Millisecond,
		Timeout: time.Duration(r.TimeoutMillis) * time.Millisecond}.WithDefaults()
}

// SlotLocation is where one job slot runs: with slot sharing, subtask i of
// every vertex runs in job slot i.
type SlotLocation struct {
	TaskManager string `json:"taskManager"`
	Slot        int    `json:"slot"`
	DataAddress string `json:"dataAddress,omitempty"`
}

// DeployTask tells a TaskManager to run one subtask.
type DeployTask struct {
	Job         string `json:"job"`
	JobName     string `json:"jobName"`
	Attempt     int    `json:"attempt"`
	Vertex      int    `json:"vertex"`
	Subtask     int    `json:"subtask"`
	Slot        int    `json:"slot"`
	Fingerprint string `json:"fingerprint"`
	// Slots places every job slot, for finding producers' partitions.
	Slots []SlotLocation `json:"slots"`
	// Checkpointing is set when the job checkpoints.
	Checkpointing *TaskCheckpointing `json:"checkpointing,omitempty"`
	// Restore is set when the subtask starts from a checkpoint or savepoint.
	Restore *TaskRestore `json:"restore,omitempty"`
}

// CancelTask tells a TaskManager to stop one subtask.
type CancelTask struct {
	Job     string `json:"job"`
	Attempt int    `json:"attempt"`
	Vertex  int    `json:"vertex"`
	Subtask int    `json:"subtask"`
}

// TaskUpdate reports a subtask's new state.
type TaskUpdate struct {
	Version     int            `json:"version"`
	TaskManager string         `json:"taskManager"`
	Job         string         `json:"job"`
	Attempt     int            `json:"attempt"`
	Vertex      int            `json:"vertex"`
	Subtask     int            `json:"subtask"`
	State       ExecutionState `json:"state"`
	Cause       string         `json:"cause,omitempty"`
	// Unrecoverable marks failures a restart cannot fix (a binary whose
	// job graph differs); the job fails without restarting.
	Unrecoverable bool `json:"unrecoverable,omitempty"`
}

// Error is the body of a non-2xx reply.
type Error struct {
	Version int    `json:"version"`
	Error   string `json:"error"`
}
