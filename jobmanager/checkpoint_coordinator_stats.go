package jobmanager

import "time"

// CheckpointStats are the figures REST (GET /jobs/{id}/checkpoints) and
// floe info show.
type CheckpointStats struct {
	Completed, Failed, InProgress int
	// Latest is the latest completed checkpoint, nil before the first.
	Latest *CompletedCheckpointStats
	// Restored is the id of the checkpoint the running attempt was
	// restored from (0: none).
	Restored int64
	// LastFailure is the reason the latest failed checkpoint failed.
	LastFailure string
	// UndeletedFiles counts files whose deletion failed and is retried.
	UndeletedFiles int
	// RestoreCount counts the attempts deployed from a checkpoint (set by
	// the Core, which deploys them).
	RestoreCount int
	// History is the latest checkpoints and savepoints, newest first: the
	// one in progress, then up to historySize that ended.
	History []CheckpointHistory
}

// historySize is how many ended checkpoints History keeps (Flink's
// web.checkpoints.history default).
const historySize = 10

// Checkpoint states in History (Flink's CheckpointStatsStatus).
const (
	CheckpointInProgress = "IN_PROGRESS"
	CheckpointCompleted  = "COMPLETED"
	CheckpointFailed     = "FAILED"
)

// CheckpointHistory is one checkpoint or savepoint of History.
type CheckpointHistory struct {
	ID     int64
	Status string // CheckpointInProgress, CheckpointCompleted or CheckpointFailed
	// Savepoint is set for a savepoint, Stop for a stop-with-savepoint's.
	Savepoint, Stop bool
	// Triggered is when it was triggered, LatestAck when the latest
	// subtask acknowledged it (zero before any), Ended when it completed
	// or failed (zero while in progress).
	Triggered, LatestAck, Ended time.Time
	// Size is the full state size, Uploaded the bytes it wrote (0 for a
	// failed one).
	Size, Uploaded int64
	Alignment      time.Duration
	// Subtasks is how many subtasks it waits for, Acked how many did.
	Subtasks, Acked int
	// Path is the completed one's folder, Failure the failed one's reason.
	Path, Failure string
}

// history returns p as a History entry.
func (p *pendingCheckpoint) history(status string) CheckpointHistory {
	return CheckpointHistory{ID: p.id, Status: status, Savepoint: p.savepoint != "", Stop: p.stop.Stop,
		Triggered: p.triggered, LatestAck: p.lastAck, Alignment: p.alignment, Subtasks: len(p.tasks), Acked: len(p.acks)}
}

// remember adds ended checkpoint p to History, dropping the oldest beyond
// historySize.
func (c *CheckpointCoordinator) remember(p *pendingCheckpoint, status string, size, uploaded int64, path, failure string) {
	h := p.history(status)
	h.Ended, h.Size, h.Uploaded, h.Path, h.Failure = c.now, size, uploaded, path, failure
	c.stats.History = append([]CheckpointHistory{h}, c.stats.History...)
	if len(c.stats.History) > historySize {
		c.stats.History = c.stats.History[:historySize]
	}
}

// CompletedCheckpointStats describe one completed checkpoint.
type CompletedCheckpointStats struct {
	ID   int64
	Path string // the chk-<n> folder
	// Size is the checkpoint's full state size; Uploaded the bytes it
	// wrote that no earlier retained checkpoint held (less than Size for
	// incremental checkpoints; 0 when unknown, for a checkpoint adopted
	// through CheckpointRestored).
	Size, Uploaded int64
	Duration       time.Duration
	// Alignment is the longest barrier alignment any subtask reported.
	Alignment time.Duration
}

// Latest returns the latest completed checkpoint, the one a failover
// restores from (nil before the first): before the job's own first one,
// the savepoint it was restored from, if any. A savepoint of the job newer
// than its latest checkpoint wins: its completion let the sinks commit,
// so restoring an older checkpoint would repeat output (its files are the
// job's to read, never to delete). It is shared: do not modify it.
func (c *CheckpointCoordinator) Latest() *CheckpointMetadata {
	l := c.retention.latest()
	if sp := c.lastSavepoint; sp != nil && (l == nil || sp.ID > l.ID) {
		return sp
	}
	if l != nil {
		return l
	}
	return c.external
}

// LatestIsExternal tells whether Latest is the savepoint (or another
// job's checkpoint) the job started from rather than one of its own.
func (c *CheckpointCoordinator) LatestIsExternal() bool {
	return c.external != nil && c.Latest() == c.external
}

// Retained returns the retained completed checkpoints, oldest first (the
// metadata is shared: do not modify it).
func (c *CheckpointCoordinator) Retained() []*CheckpointMetadata {
	return append([]*CheckpointMetadata(nil), c.retention.retained...)
}

// Stats returns the coordinator's figures.
func (c *CheckpointCoordinator) Stats() CheckpointStats {
	s := c.stats
	s.History = append([]CheckpointHistory(nil), c.stats.History...)
	if c.pending != nil {
		s.InProgress = 1
		s.History = append([]CheckpointHistory{c.pending.history(CheckpointInProgress)}, s.History...)
	}
	if s.Latest != nil {
		l := *s.Latest
		s.Latest = &l
	}
	s.UndeletedFiles = len(c.undeleted)
	return s
}
