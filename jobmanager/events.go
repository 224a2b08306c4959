package jobmanager

import (
	"fmt"
	"strings"
	"time"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/jobmanager/api"
)

// Event is an input to the Core. Time is not an event field: Step takes the
// current time beside every event, and Tick exists only to let time pass.
type Event interface{ isEvent() }

// JobSubmitted adds a job. Pool names the job binary: TaskManagers are
// started from it and run only jobs of the same pool.
type JobSubmitted struct {
	Job     string
	Graph   *graph.JobGraph
	Pool    string
	Restart api.RestartStrategy
	// Checkpointing is set when the job takes checkpoints.
	Checkpointing *JobCheckpointing
	// Restore is the savepoint the job starts from (MatchSavepoint's
	// result), nil for none.
	Restore *CheckpointMetadata
	// RestoreOwned: Restore is the job's own latest checkpoint, recovered
	// by a new JobManager attempt (Recovery), with Found the paths under
	// the job's checkpoint folder; RecoverCause goes to the exception
	// history.
	RestoreOwned bool
	Found        []string
	RecoverCause string
	SkipIDs      int64
	// Ended is set for a job a former attempt saw end (Recovery.Ended):
	// it is added in its final state, and nothing runs.
	Ended *JobEnd
}

// JobCancelRequested asks to cancel a job.
type JobCancelRequested struct{ Job string }

// TaskManagerRegistered is a TaskManager announcing its slots.
type TaskManagerRegistered struct {
	TaskManager string
	Pool        string
	Slots       int
	DataAddress string
}

// Heartbeat is a sign of life from a TaskManager.
type Heartbeat struct{ TaskManager string }

// TaskManagerExited is the resource driver reporting that a TaskManager
// process ended (or could not start, when it never registered).
type TaskManagerExited struct {
	TaskManager string
	Pool        string
	Cause       string
}

// TaskStateChanged is a TaskManager reporting a subtask's state.
type TaskStateChanged struct {
	TaskManager   string
	Job           string
	Attempt       int
	Vertex        int
	Subtask       int
	State         api.ExecutionState
	Cause         string
	Unrecoverable bool
}

// Tick lets time pass: heartbeat deadlines, restart delays, timeouts.
type Tick struct{}

// CheckpointReport feeds a job's checkpoint coordinator: a TaskManager's
// acknowledgement or decline, or the shell's result of a metadata write or
// a deletion.
type CheckpointReport struct {
	Job   string
	Event CheckpointEvent
}

func (JobSubmitted) isEvent()          {}
func (JobCancelRequested) isEvent()    {}
func (TaskManagerRegistered) isEvent() {}
func (Heartbeat) isEvent()             {}
func (TaskManagerExited) isEvent()     {}
func (TaskStateChanged) isEvent()      {}
func (Tick) isEvent()                  {}
func (CheckpointReport) isEvent()      {}

// Action is an output of the Core, for the I/O shell to carry out.
type Action interface{ isAction() }

// StartTaskManagers asks the resource driver for Count more TaskManagers
// of the pool, with Slots slots each.
type StartTaskManagers struct {
	Pool  string
	Count int
	Slots int
}

// StopTaskManager releases a TaskManager (it is idle, or lost).
type StopTaskManager struct {
	TaskManager string
	Cause       string
}

// Deploy sends a subtask to a TaskManager.
type Deploy struct {
	TaskManager string
	Task        api.DeployTask
}

// Cancel stops a subtask on a TaskManager.
type Cancel struct {
	TaskManager string
	Task        api.CancelTask
}

// JobChanged reports a job's new state.
type JobChanged struct {
	Job   string
	State api.JobState
	Cause string
	// Recovered: the job had ended under a former attempt (its end is
	// recorded and timed already).
	Recovered bool
}

// SendTrigger asks a TaskManager to inject checkpoint barriers at its
// source subtasks.
type SendTrigger struct {
	TaskManager string
	Msg         api.TriggerCheckpoint
}

// SendNotify tells a TaskManager that a checkpoint completed or aborted.
type SendNotify struct {
	TaskManager string
	Msg         api.NotifyCheckpoint
}

func (StartTaskManagers) isAction() {}
func (SendTrigger) isAction()       {}
func (SendNotify) isAction()        {}

// The coordinator's storage actions are Core actions as they are.
func (WriteCheckpointMetadata) isAction() {}
func (DeleteCheckpointFiles) isAction()   {}
func (SavepointCompleted) isAction()      {}
func (SavepointFailed) isAction()         {}
func (StopTaskManager) isAction()         {}
func (Deploy) isAction()                  {}
func (Cancel) isAction()                  {}
func (JobChanged) isAction()              {}

// String forms are compact and stable: the core's tests compare them.
func (a StartTaskManagers) String() string {
	return fmt.Sprintf("start %d tm pool=%s slots=%d", a.Count, a.Pool, a.Slots)
}
func (a StopTaskManager) String() string { return fmt.Sprintf("stop %s (%s)", a.TaskManager, a.Cause) }
func (a Deploy) String() string {
	s := fmt.Sprintf("deploy %s#%d v%d/%d -> %s[%d]", a.Task.Job, a.Task.Attempt, a.Task.Vertex, a.Task.Subtask, a.TaskManager, a.Task.Slot)
	if c := a.Task.Checkpointing; c != nil && !c.SavepointsOnly {
		s += fmt.Sprintf(" ckpt=%s,%s,%s", c.Dir, c.Mode, c.Backend)
	}
	if r := a.Task.Restore; r != nil {
		hs := make([]string, len(r.Handles))
		for i, h := range r.Handles {
			hs[i] = fmt.Sprintf("%s@%s[%d,%d)", h.Operator, h.Path, h.KeyGroupStart, h.KeyGroupEnd)
		}
		s += fmt.Sprintf(" restore=chk-%d{%s}", r.Checkpoint, strings.Join(hs, " "))
	}
	return s
}
func (a Cancel) String() string {
	return fmt.Sprintf("cancel %s#%d v%d/%d on %s", a.Task.Job, a.Task.Attempt, a.Task.Vertex, a.Task.Subtask, a.TaskManager)
}
func (a SendTrigger) String() string {
	return fmt.Sprintf("trigger %s#%d chk-%d -> %s %s", a.Msg.Job, a.Msg.Attempt, a.Msg.Checkpoint, a.TaskManager, refsString(a.Msg.Subtasks))
}
func (a SendNotify) String() string {
	what := "complete"
	if a.Msg.Aborted {
		what = "aborted"
	}
	return fmt.Sprintf("notify %s#%d chk-%d %s -> %s", a.Msg.Job, a.Msg.Attempt, a.Msg.Checkpoint, what, a.TaskManager)
}

func refsString(rs []api.SubtaskRef) string {
	s := ""
	for i, r := range rs {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf("v%d/%d", r.Vertex, r.Subtask)
	}
	return s
}

func (a JobChanged) String() string {
	if a.Cause == "" {
		return fmt.Sprintf("job %s %s", a.Job, a.State)
	}
	return fmt.Sprintf("job %s %s: %s", a.Job, a.State, a.Cause)
}

// CoreOptions configure the Core.
type CoreOptions struct {
	// SlotsPerTaskManager is the slot count asked of new TaskManagers.
	SlotsPerTaskManager int
	// HeartbeatTimeout declares a silent TaskManager lost.
	HeartbeatTimeout time.Duration
	// SlotRequestTimeout fails a job that waits this long for slots.
	SlotRequestTimeout time.Duration
	// IdleTimeout releases a TaskManager idle this long (0: at once).
	IdleTimeout time.Duration
}

func (o *CoreOptions) fill() error {
	if o.SlotsPerTaskManager <= 0 {
		o.SlotsPerTaskManager = 1
	}
	if o.HeartbeatTimeout <= 0 {
		o.HeartbeatTimeout = 10 * time.Second
	}
	if o.SlotRequestTimeout <= 0 {
		o.SlotRequestTimeout = 5 * time.Minute
	}
	if o.IdleTimeout < 0 {
		return fmt.Errorf("idle timeout %v < 0", o.IdleTimeout)
	}
	return nil
}
