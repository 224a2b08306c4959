package jobmanager

import (
	"fmt"
	"strings"
)

// Savepoints in the coordinator: a savepoint is a checkpoint triggered on
// request (SavepointRequested), with TriggerCheckpoint.Savepoint set so that
// the tasks write keyed state in the canonical format. Its _metadata goes
// to the savepoint's own folder, and once complete it is neither retained
// (a failover restores the latest checkpoint) nor ever deleted; an aborted
// savepoint's files are deleted like an aborted checkpoint's. As its
// completion notice lets the sinks commit, a failover restores from the
// savepoint while it is newer than the latest checkpoint (Latest). Requests wait
// for a pending checkpoint to end, then run one at a time, in order, and
// ignore min-pause; a job that is not running fails them.

// SavepointDir is the folder of a savepoint of job under target:
// target/savepoint-<first 6 characters of the job id>-<suffix>, suffix
// chosen by the shell (random, so that two savepoints never collide).
func SavepointDir(target, job, suffix string) string {
	short := job
	if len(short) > 6 {
		short = short[:6]
	}
	return fmt.Sprintf("%s/savepoint-%s-%s", strings.TrimSuffix(target, "/"), short, suffix)
}

func (c *CheckpointCoordinator) requestSavepoint(sp SavepointRequested) {
	switch {
	case !c.running:
		c.emit(SavepointFailed{Job: c.opts.Job, Dir: sp.Dir, Reason: "the job is not running"})
		return
	case c.stopped:
		c.emit(SavepointFailed{Job: c.opts.Job, Dir: sp.Dir, Reason: "the job is stopping with a savepoint"})
		return
	}
	c.savepoints = append(c.savepoints, sp)
	c.triggerSavepoint()
}

// triggerSavepoint starts the oldest requested savepoint when no
// checkpoint is pending.
func (c *CheckpointCoordinator) triggerSavepoint() {
	if c.pending != nil || !c.running || c.stopped || len(c.savepoints) == 0 {
		return
	}
	sp := c.savepoints[0]
	c.savepoints = c.savepoints[1:]
	c.trigger(sp)
}

// failSavepoints fails every requested savepoint not yet triggered.
func (c *CheckpointCoordinator) failSavepoints(reason string) {
	for _, sp := range c.savepoints {
		c.emit(SavepointFailed{Job: c.opts.Job, Dir: sp.Dir, Reason: reason})
	}
	c.savepoints = nil
}

// metadataDir is where p's _metadata goes.
func (c *CheckpointCoordinator) metadataDir(p *pendingCheckpoint) string {
	if p.savepoint != "" {
		return p.savepoint
	}
	return c.retention.chkDir(p.id)
}

// completeSavepoint ends a savepoint whose _metadata is written: the tasks
// are notified (sinks commit), nothing is retained or deleted. After a
// stop-with-savepoint the sources end on that notice: nothing more is
// triggered and the savepoints still requested fail.
func (c *CheckpointCoordinator) completeSavepoint(p *pendingCheckpoint) {
	p.meta.Completed = c.now.UnixMilli()
	c.lastSavepoint = p.meta
	c.pending, c.lastEnd, c.failures = nil, c.now, 0
	c.stats.Completed++
	c.remember(p, CheckpointCompleted, p.meta.Size(), p.meta.Size(), p.savepoint, "")
	c.emit(NotifyCheckpointComplete{Job: c.opts.Job, Attempt: c.attempt, ID: p.id, Tasks: p.tasks})
	c.emit(SavepointCompleted{Job: c.opts.Job, ID: p.id, Dir: p.savepoint, Stop: p.stop.Stop})
	if p.stop.Stop {
		c.stopped = true
		c.failSavepoints("the job stopped with savepoint " + p.savepoint)
		return
	}
	c.triggerSavepoint()
}
