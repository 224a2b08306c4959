package jobmanager

// Finished subtasks in the coordinator (Flink's FLIP-147, "checkpoints
// after tasks finished"): a subtask that ended while the job runs, say a
// source subtask with no split or whose splits are all read, can no
// longer take a snapshot, yet the job must keep checkpointing and taking
// savepoints. Such a subtask is acknowledged implicitly with empty state:
// its work is done, so a restore gives it nothing (a source subtask without
// state reads nothing), and an operator whose subtasks all finished
// restores as finished. The TaskManager answers a trigger for a finished
// subtask the same way, so whichever arrives first, the checkpoint sees
// one acknowledgement without handles.

// taskFinished takes t out of the tasks of later checkpoints and
// acknowledges the pending one for it when it has not.
func (c *CheckpointCoordinator) taskFinished(t CheckpointTask) {
	if !c.running || !c.expected[t] {
		return
	}
	// The pending checkpoint holds the old set: build new ones.
	tasks := make([]CheckpointTask, 0, len(c.tasks))
	expected := make(map[CheckpointTask]bool, len(c.expected))
	for _, x := range c.tasks {
		if x != t {
			tasks = append(tasks, x)
			expected[x] = true
		}
	}
	sources := make([]CheckpointTask, 0, len(c.sources))
	for _, x := range c.sources {
		if x != t {
			sources = append(sources, x)
		}
	}
	c.tasks, c.expected, c.sources = tasks, expected, sources
	if p := c.pending; p != nil && p.expects(t) && !p.writing {
		if _, acked := p.acks[t]; !acked {
			p.acks[t] = nil
			c.acknowledged(p)
		}
	}
	if len(c.tasks) == 0 {
		// Every subtask finished: the job ends (CheckpointJobStopped).
		c.running = false
	}
}
