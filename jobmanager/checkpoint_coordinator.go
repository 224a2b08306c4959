package jobmanager

import (
	"fmt"
	"sort"
	"time"
)

// CheckpointCoordinator drives the checkpoints of one job, in the style of
// Core: Step(now, event) returns actions and does no I/O, so the same events
// always yield the same actions. It triggers a checkpoint every
// execution.checkpointing.interval (never two at once, never sooner than
// min-pause after the last one ended), collects the acknowledgements of
// every subtask, asks the shell to write _metadata, and only when that
// write succeeded declares the checkpoint complete and notifies the tasks.
// A decline, a timeout or a failed write aborts the checkpoint and deletes
// every file written for it; more consecutive failures than
// tolerable-failed-checkpoints fail the job. It keeps num-retained completed
// checkpoints, deleting subsumed ones and reference-counting the shared
// files of incremental checkpoints. Checkpoint ids increase across
// failovers and, through CheckpointRestored, across runs.
//
// Core embeds one per job with checkpointing on and feeds it: Tick as
// CheckpointTick; the job reaching RUNNING as CheckpointJobRunning (every
// subtask, the subtasks of vertices without inputs as sources, the id it
// restored); the job leaving RUNNING as CheckpointJobStopped; the
// TaskManagers' acknowledge and decline messages as CheckpointAcknowledged
// and CheckpointDeclined. Core deploys a restarted attempt from Latest().
// The shell executes TriggerCheckpoint, NotifyCheckpointComplete and
// AbortCheckpoint by sending them to the subtasks' TaskManagers,
// WriteCheckpointMetadata and DeleteCheckpointFiles on the checkpoint
// storage (reporting CheckpointMetadataWritten and CheckpointFilesDeleted),
// while Core turns FailJobForCheckpoints into a failover of the job.
type CheckpointCoordinator struct {
	opts CheckpointCoordinatorOptions
	cfg  CheckpointConfig

	running      bool
	attempt      int
	tasks        []CheckpointTask
	expected     map[CheckpointTask]bool // tasks as a set
	sources      []CheckpointTask        // those not finished
	finished     map[CheckpointTask]bool
	runningSince time.Time

	nextID      int64
	firstOwnID  int64 // the first id this coordinator triggered (0: none yet)
	pending     *pendingCheckpoint
	savepoints  []SavepointRequested // requested, in order, not yet triggered
	stopped     bool                 // a stop-with-savepoint completed: nothing more is triggered
	lastTrigger time.Time
	lastEnd     time.Time
	failures    int // consecutive counted failures
	retention   checkpointRetention
	external    *CheckpointMetadata // restored from, not owned (a savepoint): Latest until a checkpoint completes
	// lastSavepoint is the job's latest completed savepoint: never
	// deleted, Latest while newer than every retained checkpoint.
	lastSavepoint *CheckpointMetadata
	lateWrites    map[int64]bool // aborted while its _metadata was being written

	undeleted map[string]bool // deletions that failed, retried at retryAt
	retryAt   time.Time

	stats CheckpointStats

	out []CheckpointAction
	now time.Time
}

// CheckpointCoordinatorOptions configure a CheckpointCoordinator.
type CheckpointCoordinatorOptions struct {
	// Job is the job id, carried in every action.
	Job string
	// Dir is the job's checkpoint folder, state.checkpoints.dir/<job-id>:
	// checkpoint n's _metadata is Dir/chk-<n>/_metadata.
	Dir string
	// MaxParallelism is the job's number of key groups, recorded in the
	// metadata so that a restore can refuse a change of it (default 128);
	// an acknowledgement naming key groups beyond it fails the checkpoint.
	MaxParallelism int
	// Config holds the execution.checkpointing.* options.
	Config CheckpointConfig
}

type pendingCheckpoint struct {
	id        int64
	mode      CheckpointMode
	triggered time.Time
	tasks     []CheckpointTask
	expected  map[CheckpointTask]bool
	acks      map[CheckpointTask][]StateHandle
	alignment time.Duration
	lastAck   time.Time
	writing   bool
	meta      *CheckpointMetadata
	savepoint string // the savepoint's folder ("" for a checkpoint)
	stop      SavepointRequested
}

// defaultMaxParallelism is pipeline.max-parallelism's default.
const defaultMaxParallelism = 128

// deleteRetryDelay spaces retries of deletions that failed.
const deleteRetryDelay = 30 * time.Second

// NewCheckpointCoordinator returns the coordinator of one job.
func NewCheckpointCoordinator(opts CheckpointCoordinatorOptions) (*CheckpointCoordinator, error) {
	if err := opts.Config.fill(); err != nil {
		return nil, fmt.Errorf("checkpoint coordinator of %s: %w", opts.Job, err)
	}
	if opts.MaxParallelism <= 0 {
		opts.MaxParallelism = defaultMaxParallelism
	}
	if opts.Config.Enabled() && opts.Dir == "" {
		return nil, fmt.Errorf("checkpoint coordinator of %s: %s is set but %s is not", opts.Job, keyCheckpointInterval, keyCheckpointsDir)
	}
	return &CheckpointCoordinator{opts: opts, cfg: opts.Config, nextID: 1, lateWrites: map[int64]bool{},
		undeleted: map[string]bool{}, retention: newCheckpointRetention(opts.Dir, opts.Config.NumRetained)}, nil
}

// Step applies one event at time now and returns the resulting actions.
func (c *CheckpointCoordinator) Step(now time.Time, ev CheckpointEvent) []CheckpointAction {
	c.now, c.out = now, nil
	switch e := ev.(type) {
	case CheckpointTick:
		c.tick()
	case SavepointRequested:
		c.requestSavepoint(e)
	case CheckpointJobRunning:
		c.jobRunning(e)
	case CheckpointJobStopped:
		c.running = false
		if c.pending != nil {
			c.abort("job stopped: "+e.Cause, false, false)
		}
		c.failSavepoints("job stopped: " + e.Cause)
	case CheckpointAcknowledged:
		c.ack(e)
	case CheckpointTaskFinished:
		c.taskFinished(e.Task)
	case CheckpointDeclined:
		if p := c.pending; p != nil && p.id == e.ID && p.expects(e.Task) {
			c.abort(fmt.Sprintf("declined by %s: %s", e.Task, e.Reason), true, true)
		}
	case CheckpointMetadataWritten:
		c.metadataWritten(e)
	case CheckpointFilesDeleted:
		for _, p := range e.Paths {
			delete(c.undeleted, p)
		}
		for _, p := range e.Failed {
			c.undeleted[p] = true
		}
		if len(e.Failed) > 0 {
			c.retryAt = now.Add(deleteRetryDelay)
		}
	case CheckpointRestored:
		c.restored(e)
	}
	out := c.out
	c.out = nil
	return out
}

func (c *CheckpointCoordinator) emit(a CheckpointAction) { c.out = append(c.out, a) }

func (c *CheckpointCoordinator) deleteFiles(paths []string) {
	if len(paths) > 0 {
		c.emit(DeleteCheckpointFiles{Job: c.opts.Job, Paths: paths})
	}
}

func (p *pendingCheckpoint) expects(t CheckpointTask) bool { return p.expected[t] }

func (c *CheckpointCoordinator) jobRunning(e CheckpointJobRunning) {
	if c.pending != nil {
		c.abort("a new attempt started", false, false)
	}
	c.attempt, c.runningSince, c.stopped = e.Attempt, c.now, false
	finished := map[CheckpointTask]bool{}
	for _, t := range e.Finished {
		finished[t] = true
	}
	c.tasks, c.expected, c.sources, c.finished = nil, map[CheckpointTask]bool{}, nil, map[CheckpointTask]bool{}
	for _, t := range e.Tasks {
		if !c.expected[t] {
			c.expected[t] = true
			c.tasks = append(c.tasks, t)
			c.finished[t] = finished[t]
		}
	}
	for _, t := range e.Sources {
		if !finished[t] {
			c.sources = append(c.sources, t)
		}
	}
	c.running = len(c.tasks) > len(e.Finished)
	c.stats.Restored = e.Restored
}

// NextWake is when the coordinator next has something to do without a new
// event (a trigger, a timeout, a retry); zero when nothing is due. The shell
// may tick more often.
func (c *CheckpointCoordinator) NextWake() time.Time {
	var t time.Time
	if c.pending != nil {
		t = c.pending.triggered.Add(c.cfg.Timeout)
	} else if c.running && !c.stopped && c.cfg.Enabled() {
		t = c.nextTrigger()
	}
	if len(c.undeleted) > 0 && (t.IsZero() || c.retryAt.Before(t)) {
		t = c.retryAt
	}
	return t
}

func (c *CheckpointCoordinator) nextTrigger() time.Time {
	base := c.runningSince
	if c.lastTrigger.After(base) {
		base = c.lastTrigger
	}
	next := base.Add(c.cfg.Interval)
	if pause := c.lastEnd.Add(c.cfg.MinPause); !c.lastEnd.IsZero() && pause.After(next) {
		next = pause
	}
	return next
}

func (c *CheckpointCoordinator) tick() {
	if p := c.pending; p != nil && !c.now.Before(p.triggered.Add(c.cfg.Timeout)) {
		c.abort(fmt.Sprintf("expired after %v", c.cfg.Timeout), true, true)
	}
	c.triggerSavepoint()
	if c.pending == nil && c.running && !c.stopped && c.cfg.Enabled() && !c.now.Before(c.nextTrigger()) {
		c.trigger(SavepointRequested{})
	}
	if len(c.undeleted) > 0 && !c.now.Before(c.retryAt) {
		paths := make([]string, 0, len(c.undeleted))
		for p := range c.undeleted {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		c.retryAt = c.now.Add(deleteRetryDelay)
		c.deleteFiles(paths)
	}
}

func (c *CheckpointCoordinator) trigger(sp SavepointRequested) {
	savepoint := sp.Dir
	p := &pendingCheckpoint{id: c.nextID, mode: c.cfg.Mode, triggered: c.now, tasks: c.tasks,
		expected: c.expected, acks: map[CheckpointTask][]StateHandle{}, savepoint: savepoint, stop: sp}
	for t, done := range c.finished {
		if done {
			p.acks[t] = nil // FLIP-147: finished, acknowledged without state
		}
	}
	if c.firstOwnID == 0 {
		c.firstOwnID = p.id
	}
	c.nextID++
	c.pending, c.lastTrigger = p, c.now
	c.emit(TriggerCheckpoint{Job: c.opts.Job, Attempt: c.attempt, ID: p.id, Timestamp: c.now, Mode: p.mode,
		Incremental: c.cfg.Incremental && savepoint == "", Sources: c.sources, Savepoint: savepoint != "",
		SavepointDir: savepoint, Stop: sp.Stop, Drain: sp.Drain})
}

func (c *CheckpointCoordinator) ack(e CheckpointAcknowledged) {
	p := c.pending
	if p == nil || p.id != e.ID {
		// A late acknowledgement of a checkpoint this coordinator
		// triggered and aborted (or a duplicate of a completed one):
		// files it names that no checkpoint references are orphans.
		if c.firstOwnID > 0 && e.ID >= c.firstOwnID && e.ID < c.nextID {
			c.deleteFiles(c.unreferenced(e.ID, e.Handles))
		}
		return
	}
	if _, dup := p.acks[e.Task]; dup || !p.expects(e.Task) || p.writing {
		c.deleteFiles(c.unreferenced(e.ID, e.Handles))
		return
	}
	p.acks[e.Task] = append([]StateHandle(nil), e.Handles...)
	if err := c.checkHandles(e.Handles); err != "" {
		c.abort(fmt.Sprintf("acknowledgement of %s: %s", e.Task, err), true, true)
		return
	}
	if e.Alignment > p.alignment {
		p.alignment = e.Alignment
	}
	p.lastAck = c.now
	c.acknowledged(p)
}

// acknowledged writes p's _metadata once every task acknowledged it.
func (c *CheckpointCoordinator) acknowledged(p *pendingCheckpoint) {
	if len(p.acks) < len(p.tasks) {
		return
	}
	p.writing = true
	p.meta = newCheckpointMetadata(c.opts.Job, p, c.opts.MaxParallelism)
	c.emit(WriteCheckpointMetadata{Job: c.opts.Job, ID: p.id, Path: c.metadataDir(p) + "/_metadata", Metadata: p.meta})
}

// checkHandles refuses handles that the _metadata file could not hold.
func (c *CheckpointCoordinator) checkHandles(hs []StateHandle) string {
	for _, h := range hs {
		switch kg := h.KeyGroups; {
		case h.Path == "":
			return "a state handle without a path"
		case h.Size < 0:
			return fmt.Sprintf("%s has size %d", h.Path, h.Size)
		case !kg.Empty() && (kg.Start < 0 || kg.End > c.opts.MaxParallelism):
			return fmt.Sprintf("%s holds key groups %s beyond max parallelism %d", h.Path, kg, c.opts.MaxParallelism)
		}
	}
	return ""
}

// unreferenced returns the files of hs that neither checkpoint id (pending
// or retained) nor any retained checkpoint's shared files reference.
func (c *CheckpointCoordinator) unreferenced(id int64, hs []StateHandle) []string {
	var known []StateHandle
	if p := c.pending; p != nil && p.id == id {
		for _, t := range p.tasks {
			known = append(known, p.acks[t]...)
		}
	}
	for _, m := range c.retention.retained {
		if m.ID == id {
			known = append(known, m.Handles()...)
		}
	}
	ref := map[string]bool{}
	for _, h := range known {
		ref[h.Path] = true
	}
	var orphans []StateHandle
	for _, h := range hs {
		if !ref[h.Path] {
			orphans = append(orphans, h)
		}
	}
	return c.retention.discard(orphans)
}

func (c *CheckpointCoordinator) metadataWritten(e CheckpointMetadataWritten) {
	p := c.pending
	if p == nil || p.id != e.ID || !p.writing {
		if c.lateWrites[e.ID] {
			// The write raced the abort's deletion: delete again.
			delete(c.lateWrites, e.ID)
			c.deleteFiles([]string{c.retention.chkDir(e.ID)})
		}
		return
	}
	if e.Err != "" {
		p.writing = false // the write is over: nothing to delete later
		c.abort("writing _metadata: "+e.Err, true, true)
		return
	}
	c.complete(p)
}

func (c *CheckpointCoordinator) complete(p *pendingCheckpoint) {
	if p.savepoint != "" {
		c.completeSavepoint(p)
		return
	}
	m := p.meta
	m.Completed = c.now.UnixMilli()
	st := &CompletedCheckpointStats{ID: p.id, Path: c.retention.chkDir(p.id), Size: m.Size(),
		Uploaded: c.retention.uploaded(m), Duration: c.now.Sub(p.triggered), Alignment: p.alignment}
	c.pending, c.lastEnd, c.failures = nil, c.now, 0
	c.stats.Completed++
	c.stats.Latest = st
	c.remember(p, CheckpointCompleted, m.Size(), st.Uploaded, st.Path, "")
	c.emit(NotifyCheckpointComplete{Job: c.opts.Job, Attempt: c.attempt, ID: p.id, Tasks: p.tasks})
	c.deleteFiles(c.retention.add(m))
	c.triggerSavepoint()
}

// abort ends the pending checkpoint without completing it and deletes what
// was written for it. Counted failures (decline, timeout, failed write)
// count towards the tolerable limit; a failover does not, nor does it tell
// the tasks (they are being cancelled).
func (c *CheckpointCoordinator) abort(reason string, counted, tellTasks bool) {
	p := c.pending
	c.pending, c.lastEnd = nil, c.now
	c.stats.Failed++
	c.stats.LastFailure = fmt.Sprintf("chk-%d: %s", p.id, reason)
	c.remember(p, CheckpointFailed, 0, 0, "", reason)
	if tellTasks {
		c.emit(AbortCheckpoint{Job: c.opts.Job, Attempt: c.attempt, ID: p.id, Reason: reason, Tasks: p.tasks})
	}
	var handles []StateHandle
	for _, t := range p.tasks {
		handles = append(handles, p.acks[t]...)
	}
	dirs := []string{c.retention.chkDir(p.id)}
	if p.savepoint != "" {
		dirs = append(dirs, p.savepoint)
		c.emit(SavepointFailed{Job: c.opts.Job, Dir: p.savepoint, Reason: reason})
		counted = false // as Flink's: a failed savepoint fails no job
	}
	c.deleteFiles(append(c.retention.discard(handles), dirs...))
	if p.writing {
		c.lateWrites[p.id] = true
	}
	if !counted {
		if c.running {
			c.triggerSavepoint()
		}
		return
	}
	if c.failures++; c.failures > c.cfg.TolerableFailures {
		c.failures = 0
		c.running = false
		c.emit(FailJobForCheckpoints{Job: c.opts.Job, Reason: fmt.Sprintf(
			"exceeded checkpoint tolerable failure threshold (%d): %s", c.cfg.TolerableFailures, c.stats.LastFailure)})
	}
}
