package jobmanager

import (
	"context"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// TaskManagerSpec describes one TaskManager to start.
type TaskManagerSpec struct {
	// ID is the id the TaskManager must register under (FLOE_TM_ID).
	ID string
	// Pool groups TaskManagers started from the same job binary.
	Pool string
	// Binary locates the job binary to run in the taskmanager role: a local
	// path for the process driver, an HDFS path for YARN.
	Binary string
	// Args are the job binary's arguments.
	Args []string
	// Env are extra "KEY=value" variables for the process.
	Env   []string
	Slots int
	// JobManagerAddress is the control endpoint the TaskManager dials.
	JobManagerAddress string
}

// ResourceDriver starts and stops TaskManagers for the JobManager. It is
// the one platform-specific piece: the process driver starts processes on
// this host, local execution starts goroutines, and the YARN driver (package
// am) requests and launches containers. Implementations must be safe for
// concurrent use.
type ResourceDriver interface {
	// StartTaskManager starts one TaskManager that will register with
	// spec.ID. It returns once the start is under way; exited must be called
	// exactly once, when the TaskManager ends or fails to start, with a
	// human-readable cause.
	StartTaskManager(ctx context.Context, spec TaskManagerSpec, exited func(cause string)) error
	// StopTaskManager ends a TaskManager (idle, lost or no longer needed).
	// It must not block on the TaskManager's cooperation.
	StopTaskManager(ctx context.Context, id string) error
}

// TaskManagerGateway is how the JobManager talks to one registered
// TaskManager. Calls must not block on the TaskManager's work: deploying
// starts a task, it does not run it.
type TaskManagerGateway interface {
	Deploy(ctx context.Context, t api.DeployTask) error
	Cancel(ctx context.Context, t api.CancelTask) error
	// Shutdown asks the TaskManager to end.
	Shutdown()
}
