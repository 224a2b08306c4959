package jobmanager

import (
	"testing"
	"time"
)

// TestFinishedSubtaskKeepsParallelism: a checkpoint taken after source
// subtask 0 of 3 finished lists it, without handles, so its vertex keeps
// parallelism 3 and the metadata decodes (subtask 2 of 3, not of 2).
func TestFinishedSubtaskKeepsParallelism(t *testing.T) {
	c, err := NewCheckpointCoordinator(CheckpointCoordinatorOptions{Job: "j", Dir: "/c",
		Config: CheckpointConfig{Interval: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1000, 0)
	src := func(i int) CheckpointTask { return CheckpointTask{Vertex: 0, Subtask: i} }
	kv := CheckpointTask{Vertex: 1}
	c.Step(now, CheckpointJobRunning{Tasks: []CheckpointTask{src(0), src(1), src(2), kv}, Sources: []CheckpointTask{src(0), src(1), src(2)}})
	c.Step(now, CheckpointTaskFinished{Task: src(0)})
	now = now.Add(time.Second)
	var write *WriteCheckpointMetadata
	for _, ev := range []CheckpointEvent{CheckpointTick{},
		CheckpointAcknowledged{ID: 1, Task: src(1), Handles: []StateHandle{{Operator: "src", Path: "/c/chk-1/s1", Size: 1}}},
		CheckpointAcknowledged{ID: 1, Task: src(2), Handles: []StateHandle{{Operator: "src", Path: "/c/chk-1/s2", Size: 1}}},
		CheckpointAcknowledged{ID: 1, Task: kv, Handles: []StateHandle{{Operator: "kv", Path: "/c/chk-1/kv", Size: 1, KeyGroups: KeyGroupRange{End: 128}}}},
	} {
		for _, a := range c.Step(now, ev) {
			switch a := a.(type) {
			case TriggerCheckpoint:
				if len(a.Sources) != 2 {
					t.Fatalf("trigger to %v, want the two running sources", a.Sources)
				}
			case WriteCheckpointMetadata:
				write = &a
			}
		}
	}
	if write == nil {
		t.Fatal("no _metadata written")
	}
	m, err := DecodeCheckpointMetadata(EncodeCheckpointMetadata(write.Metadata))
	if err != nil {
		t.Fatalf("metadata with a finished subtask: %v", err)
	}
	if op := m.Operators[0]; op.Parallelism != 3 || len(op.Subtasks) != 3 || len(op.Subtasks[0].Handles) != 0 {
		t.Fatalf("source vertex %+v, want parallelism 3, subtask 0 without handles", op)
	}
}
