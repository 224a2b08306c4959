package runtime

import (
	"context"
	"fmt"
	"time"
)

// CheckpointMeta describes a checkpoint to the operators that take part.
type CheckpointMeta struct {
	ID int64
	// Timestamp is when the coordinator triggered it, in Unix
	// milliseconds; barriers carry it.
	Timestamp int64
	Mode      CheckpointingMode
	// Savepoint is the folder of a savepoint (empty for a checkpoint):
	// operators write its state there, in the canonical format, so the
	// savepoint holds all its files and nothing of the job's checkpoints.
	// Barriers carry it to every task.
	Savepoint string
	// Stop (sources only, from the trigger) makes the savepoint
	// synchronous, as Flink's stop-with-savepoint: the source emits
	// nothing after its barrier and ends once the savepoint completes, or
	// goes on if it is aborted. Drain first ends the input (Flink's
	// --drain: a MAX watermark, timers fire).
	Stop, Drain bool
}

// StateHandle describes one uploaded piece of an operator's state.
type StateHandle struct {
	// Operator is the UID of the operator the state belongs to; the task
	// fills it in from the OperatorSnapshot when empty.
	Operator string
	Path     string
	Size     int64
	// KeyGroupStart…KeyGroupEnd-1 are the key groups it holds, as in the
	// coordinator's KeyGroupRange; an empty range for operator state that
	// is not keyed.
	KeyGroupStart, KeyGroupEnd int
	// Shared marks a file that later checkpoints may reference too
	// (incremental checkpoints).
	Shared bool
}

// OperatorSnapshot is one operator's part of a subtask's checkpoint: the
// synchronous part taken at the barrier and, in Upload, the asynchronous
// part.
type OperatorSnapshot struct {
	// Operator is the operator's UID; the task fills it in when empty.
	Operator string
	// State is small state handed over inline (a source's position, a
	// test operator's count); the TaskManager stores it with the
	// acknowledgement (the control channel's acknowledgement carries
	// handles only, so it writes it to a file first).
	State []byte
	// Handles describe state already written.
	Handles []StateHandle
	// Upload, when set, writes the state captured at the barrier (say to
	// HDFS) and returns its handles. The task runs it in a goroutine while
	// records keep flowing, so it must not touch state the operator keeps
	// changing; ctx ends when the task fails or is canceled.
	Upload func(ctx context.Context) ([]StateHandle, error)
}

// Checkpointer is implemented by operators with state to checkpoint. The
// task calls every Checkpointer of its chain, in chain order, on the task
// goroutine: SnapshotState at the checkpoint's barrier (between records),
// the notifications when the coordinator decided.
type Checkpointer interface {
	// SnapshotState takes the synchronous part of the snapshot: cheap, a
	// copy or a reference to immutable data. An error declines the
	// checkpoint.
	SnapshotState(ctx context.Context, cp CheckpointMeta) (OperatorSnapshot, error)
	// NotifyCheckpointComplete tells that checkpoint id completed
	// (two-phase-commit sinks commit). An error fails the task.
	NotifyCheckpointComplete(id int64) error
	// NotifyCheckpointAborted tells that checkpoint id will not complete.
	NotifyCheckpointAborted(id int64)
}

// SafePointSource is implemented by sources that let the runtime inject
// checkpoint barriers between records: Run's contract, plus safePoint,
// which the source calls between records (it is cheap when there is
// nothing to do). At a safe point the runtime may snapshot the source (its
// position) and the rest of the chain and write the barrier downstream.
// A source that only implements Operator.Run gets barriers when it calls
// idle, which is a safe point too.
type SafePointSource interface {
	RunWithSafePoint(ctx context.Context, idle, safePoint func()) error
}

// CheckpointCommandKind tells checkpoint commands apart.
type CheckpointCommandKind uint8

// The commands a TaskManager hands a task, from the coordinator's actions.
const (
	// TriggerCheckpoint asks a source task to inject a barrier.
	TriggerCheckpoint CheckpointCommandKind = iota + 1
	// CompleteCheckpoint notifies that a checkpoint completed.
	CompleteCheckpoint
	// AbortCheckpoint notifies that a checkpoint will not complete.
	AbortCheckpoint
)

func (k CheckpointCommandKind) String() string {
	switch k {
	case TriggerCheckpoint:
		return "trigger"
	case CompleteCheckpoint:
		return "complete"
	case AbortCheckpoint:
		return "abort"
	}
	return fmt.Sprintf("command(%d)", uint8(k))
}

// CheckpointCommand is one command for a task.
type CheckpointCommand struct {
	Kind CheckpointCommandKind
	Meta CheckpointMeta
}

// CheckpointHooks connect a task to the checkpoint coordinator (through its
// TaskManager). The zero value disables checkpoints: barriers that arrive
// anyway are still aligned and forwarded.
type CheckpointHooks struct {
	// Mode is the job's checkpointing mode (alignment of barriers).
	Mode CheckpointingMode
	// Commands delivers triggers (to sources) and notifications. The task
	// reads it between records; a sender should not block forever on it
	// (select on its own context).
	Commands <-chan CheckpointCommand
	// Ack reports that the subtask's part of checkpoint cp is uploaded.
	// Alignment is how long its inputs were blocked for the barrier. It is
	// called from a goroutine of the task, possibly concurrently with Decline.
	Ack func(cp CheckpointMeta, snaps []OperatorSnapshot, alignment time.Duration)
	// Decline reports that the subtask failed checkpoint id.
	Decline func(id int64, err error)
}
