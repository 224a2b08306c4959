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
	if c.pending != nil {
		s.InProgress = 1
	}
	if s.Latest != nil {
		l := *s.Latest
		s.Latest = &l
	}
	s.UndeletedFiles = len(c.undeleted)
	return s
}
