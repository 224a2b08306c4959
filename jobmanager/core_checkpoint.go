package jobmanager

import (
	"time"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/jobmanager/api"
)

// The Core's side of checkpointing: every job with checkpointing on embeds
// a CheckpointCoordinator, fed as its doc says, and the coordinator's
// actions become Core actions addressed to TaskManagers (SendTrigger,
// SendNotify) or to the checkpoint storage (WriteCheckpointMetadata,
// DeleteCheckpointFiles), except FailJobForCheckpoints, which fails the
// attempt like a task failure.

// newJobCoordinator returns the coordinator of a job: every job has one,
// which triggers periodic checkpoints when cp is Enabled and savepoints
// when asked.
func newJobCoordinator(j *jobState, cp *JobCheckpointing) (*CheckpointCoordinator, error) {
	return NewCheckpointCoordinator(CheckpointCoordinatorOptions{Job: j.id, Dir: cp.jobDir(j.id),
		MaxParallelism: j.g.MaxParallelism, Config: cp.Config})
}

// checkpointStep feeds the job's coordinator and carries out its actions.
func (c *Core) checkpointStep(j *jobState, ev CheckpointEvent) {
	if j.ckpt == nil { // a job recovered as ended
		if sp, ok := ev.(SavepointRequested); ok {
			c.emit(SavepointFailed{Job: j.id, Dir: sp.Dir, Reason: "the job is not running"})
		}
		return
	}
	for _, a := range j.ckpt.Step(c.now, ev) {
		switch a := a.(type) {
		case TriggerCheckpoint:
			for _, g := range c.byTaskManager(j, a.Sources) {
				c.emit(SendTrigger{TaskManager: g.tm, Msg: api.TriggerCheckpoint{Job: j.id, Attempt: a.Attempt,
					Checkpoint: a.ID, TimestampMillis: a.Timestamp.UnixMilli(), Subtasks: g.subtasks, Savepoint: a.Savepoint,
					SavepointDir: a.SavepointDir, Stop: a.Stop, Drain: a.Drain}})
			}
		case NotifyCheckpointComplete:
			for _, g := range c.byTaskManager(j, a.Tasks) {
				c.emit(SendNotify{TaskManager: g.tm, Msg: api.NotifyCheckpoint{Job: j.id, Attempt: a.Attempt, Checkpoint: a.ID}})
			}
		case AbortCheckpoint:
			for _, g := range c.byTaskManager(j, a.Tasks) {
				c.emit(SendNotify{TaskManager: g.tm, Msg: api.NotifyCheckpoint{Job: j.id, Attempt: a.Attempt, Checkpoint: a.ID, Aborted: true}})
			}
		case WriteCheckpointMetadata:
			c.emit(a)
		case DeleteCheckpointFiles:
			c.emit(a)
		case SavepointCompleted:
			c.emit(a)
		case SavepointFailed:
			c.emit(a)
		case FailJobForCheckpoints:
			c.fail(j, a.Reason, rankTask, "", false)
		}
	}
}

type tmSubtasks struct {
	tm       string
	subtasks []api.SubtaskRef
}

// byTaskManager groups tasks by the TaskManager running them, in order of
// first appearance (deterministic); tasks not placed are left out.
func (c *Core) byTaskManager(j *jobState, tasks []CheckpointTask) []tmSubtasks {
	var out []tmSubtasks
	idx := map[string]int{}
	for _, t := range tasks {
		ex := j.execs[subtaskKey{t.Vertex, t.Subtask}]
		if ex == nil || ex.tm == "" {
			continue
		}
		i, ok := idx[ex.tm]
		if !ok {
			i = len(out)
			idx[ex.tm] = i
			out = append(out, tmSubtasks{tm: ex.tm})
		}
		out[i].subtasks = append(out[i].subtasks, api.SubtaskRef{Vertex: t.Vertex, Subtask: t.Subtask})
	}
	return out
}

// checkpointRunning tells the coordinator that every subtask of the
// attempt runs or already finished.
func (c *Core) checkpointRunning(j *jobState) {
	if j.ckpt == nil {
		return
	}
	ev := CheckpointJobRunning{Attempt: j.attempt, Restored: j.restoredFrom}
	for _, v := range j.g.Vertices {
		for i := 0; i < v.Parallelism; i++ {
			t := CheckpointTask{Vertex: v.Index, Subtask: i}
			ev.Tasks = append(ev.Tasks, t)
			if v.Source {
				ev.Sources = append(ev.Sources, t)
			}
			if ex := j.execs[subtaskKey{v.Index, i}]; ex != nil && ex.state == api.Finished {
				ev.Finished = append(ev.Finished, t)
			}
		}
	}
	c.checkpointStep(j, ev)
}

// started tells whether every subtask of the job's attempt runs or
// finished: checkpoints run from then on (FLIP-147: a finished subtask
// does not stop them).
func (c *Core) started(j *jobState) bool {
	for _, ex := range j.execs {
		if ex.state != api.Running && ex.state != api.Finished {
			return false
		}
	}
	return true
}

// checkpointFinished tells the coordinator that subtask t, which was in
// state was, finished while every other subtask runs or finished: the
// coordinator starts now if t was the last one scheduled, and otherwise
// acknowledges t implicitly from now on.
func (c *Core) checkpointFinished(j *jobState, was api.ExecutionState, t CheckpointTask) {
	if was == api.Scheduled {
		c.checkpointRunning(j)
		return
	}
	c.checkpointStep(j, CheckpointTaskFinished{Task: t})
}

// jobLeft tells the coordinator that the job left RUNNING to state s, and,
// when s ends the job and the retention policy says so, deletes the job's
// checkpoint folder.
func (c *Core) jobLeft(j *jobState, prev, s api.JobState, cause string) {
	if j.ckpt == nil {
		return
	}
	if prev == api.JobRunning && s != api.JobRunning {
		if cause == "" {
			cause = string(s)
		}
		c.checkpointStep(j, CheckpointJobStopped{Cause: cause})
	}
	if s.Terminal() && j.checkpointing.Enabled() && j.checkpointing.Retention.discardOn(s) {
		c.emit(DeleteCheckpointFiles{Job: j.id, Paths: []string{jobCheckpointDir(j.checkpointing.Dir, j.id)}})
	}
}

// deploySettings returns what a deployed subtask gets for checkpointing:
// the job's settings and, when a checkpoint completed, the subtask's
// state from the latest one.
func (c *Core) deploySettings(j *jobState, vertex, parallelism, subtask int) (*api.TaskCheckpointing, *api.TaskRestore) {
	if j.ckpt == nil {
		return nil, nil
	}
	cp := j.checkpointing
	tc := &api.TaskCheckpointing{Mode: cp.Config.Mode.String(), Dir: cp.jobDir(j.id), Backend: cp.Backend,
		Incremental: cp.Config.Incremental, SavepointsOnly: !cp.Enabled()}
	latest := j.ckpt.Latest()
	if latest == nil {
		return tc, nil
	}
	kg := keyGroupsOf(j.g.MaxParallelism, parallelism, subtask)
	r := &api.TaskRestore{Checkpoint: latest.ID}
	if j.ckpt.LatestIsExternal() {
		r.Fresh = newOperators(latest, j.g, vertex)
	}
	for _, h := range restoreHandles(latest, j.g.Vertices[vertex], subtask, kg) {
		r.Handles = append(r.Handles, apiHandle(h))
	}
	return tc, r
}

// newOperators lists the operators of vertex that have no state at all in
// savepoint m: they are new to it and start fresh.
func newOperators(m *CheckpointMetadata, g *graph.JobGraph, vertex int) []string {
	has := map[string]bool{}
	for _, h := range m.Handles() {
		has[h.Operator] = true
	}
	var out []string
	for _, op := range g.Operators {
		if op.Vertex == vertex && !has[op.ID] {
			out = append(out, op.ID)
		}
	}
	return out
}

// restoreHandles returns what subtask of v restores from m: the keyed
// handles of v overlapping kg and the subtask's own operator state
// (CheckpointMetadata.RestoreHandles), except that a source's own state
// (its split positions, operator v.ID, the vertex's head) is union state,
// as Flink's source readers' is: every subtask gets every old subtask's
// handles, in metadata order, and takes its share (stream.AssignSplits).
func restoreHandles(m *CheckpointMetadata, v graph.Vertex, subtask int, kg KeyGroupRange) []StateHandle {
	if !v.Source {
		return m.RestoreHandles(v.Index, subtask, kg)
	}
	var hs []StateHandle
	for _, op := range m.Operators {
		if op.Vertex != v.Index {
			continue
		}
		for _, st := range op.Subtasks {
			for _, h := range st.Handles {
				switch {
				case h.KeyGroups.Overlaps(kg),
					h.KeyGroups.Empty() && h.Operator == v.ID,
					h.KeyGroups.Empty() && st.Subtask == subtask:
					hs = append(hs, h)
				}
			}
		}
	}
	return hs
}

// keyGroupsOf is the half-open key-group range subtask i of parallelism p
// owns with maxP key groups: Flink's KeyGroupRangeAssignment, the formula
// of runtime/state.RangeForSubtask.
func keyGroupsOf(maxP, p, i int) KeyGroupRange {
	if maxP <= 0 {
		maxP = defaultMaxParallelism
	}
	if p <= 0 || i < 0 || i >= p {
		return KeyGroupRange{}
	}
	return KeyGroupRange{Start: (i*maxP + p - 1) / p, End: ((i+1)*maxP-1)/p + 1}
}

func apiHandle(h StateHandle) api.StateHandle {
	return api.StateHandle{Operator: h.Operator, Path: h.Path, Size: h.Size, KeyGroupStart: h.KeyGroups.Start,
		KeyGroupEnd: h.KeyGroups.End, Shared: h.Shared}
}

func fromAPIHandles(hs []api.StateHandle) []StateHandle {
	out := make([]StateHandle, 0, len(hs))
	for _, h := range hs {
		out = append(out, StateHandle{Operator: h.Operator, Path: h.Path, Size: h.Size,
			KeyGroups: KeyGroupRange{Start: h.KeyGroupStart, End: h.KeyGroupEnd}, Shared: h.Shared})
	}
	return out
}

// AcknowledgedEvent turns a TaskManager's acknowledgement into the
// coordinator's event.
func AcknowledgedEvent(a api.AcknowledgeCheckpoint) CheckpointAcknowledged {
	return CheckpointAcknowledged{ID: a.Checkpoint, Task: CheckpointTask{Vertex: a.Vertex, Subtask: a.Subtask},
		Handles: fromAPIHandles(a.Handles), Alignment: time.Duration(a.AlignmentMillis) * time.Millisecond}
}

// NextWake is when the Core next has checkpoint work due without a new
// event (zero when none); the shell ticks then.
func (c *Core) NextWake() time.Time {
	var t time.Time
	for _, id := range c.order {
		j := c.jobs[id]
		if j.ckpt == nil {
			continue
		}
		if w := j.ckpt.NextWake(); !w.IsZero() && (t.IsZero() || w.Before(t)) {
			t = w
		}
	}
	return t
}

// CheckpointStats returns a job's checkpoint figures; false when the job
// is unknown or recovered as ended.
func (c *Core) CheckpointStats(id string) (CheckpointStats, bool) {
	j, ok := c.jobs[id]
	if !ok || j.ckpt == nil {
		return CheckpointStats{}, false
	}
	st := j.ckpt.Stats()
	st.RestoreCount = j.restores
	return st, true
}
