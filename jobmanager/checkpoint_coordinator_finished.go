package jobmanager

// Finished subtasks in the coordinator (Flink's FLIP-147, "checkpoints
// after tasks finished"): a subtask that ended while the job runs, say a
// source subtask with no split or whose splits are all read, can no
// longer take a snapshot, yet the job must keep checkpointing and taking
// savepoints. Such a subtask is acknowledged implicitly with empty state
// and gets no trigger: its work is done, so a restore of that checkpoint
// gives it nothing (a source subtask without state reads nothing), and an
// operator whose subtasks all finished restores as finished. It stays in
// the metadata, with no handles, so the vertex keeps its parallelism. The
// TaskManager answers a trigger for a finished subtask the same way, so
// whichever arrives first, the checkpoint sees one acknowledgement
// without handles.

// taskFinished marks t finished: later checkpoints acknowledge it at
// their trigger, the pending one now if t has not acknowledged it.
func (c *CheckpointCoordinator) taskFinished(t CheckpointTask) {
	if !c.running || !c.expected[t] || c.finished[t] {
		return
	}
	c.finished[t] = true
	sources := make([]CheckpointTask, 0, len(c.sources))
	for _, x := range c.sources {
		if x != t {
			sources = append(sources, x)
		}
	}
	c.sources = sources
	if p := c.pending; p != nil && p.expects(t) && !p.writing {
		if _, acked := p.acks[t]; !acked {
			p.acks[t] = nil
			c.acknowledged(p)
		}
	}
	for _, x := range c.tasks {
		if !c.finished[x] {
			return
		}
	}
	// Every subtask finished: the job ends (CheckpointJobStopped).
	c.running = false
}
