package jobmanager

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkCheckpointRound measures the coordinator's share of one
// checkpoint of a job with 256 subtasks, each acknowledging two files:
// trigger, 256 acks, the _metadata write, completion and the subsumption
// of the previous checkpoint.
func BenchmarkCheckpointRound(b *testing.B) {
	const n = 256
	c, err := NewCheckpointCoordinator(CheckpointCoordinatorOptions{Job: "j1", Dir: "/c", MaxParallelism: 1024,
		Config: CheckpointConfig{Interval: time.Second}})
	if err != nil {
		b.Fatal(err)
	}
	tasks := make([]CheckpointTask, n)
	for i := range tasks {
		tasks[i] = CheckpointTask{Vertex: i % 2, Subtask: i / 2}
	}
	now := checkpointEpoch
	c.Step(now, CheckpointJobRunning{Tasks: tasks, Sources: tasks[:n/2]})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Second)
		id := int64(i + 1)
		if len(c.Step(now, CheckpointTick{})) != 1 {
			b.Fatal("no trigger")
		}
		for j, t := range tasks {
			kg := KeyGroupRange{Start: t.Subtask * 8, End: t.Subtask*8 + 8}
			c.Step(now, CheckpointAcknowledged{ID: id, Task: t, Handles: []StateHandle{
				{Path: fmt.Sprintf("/c/shared/%d-%d", i, j), Size: 1 << 20, KeyGroups: kg, Shared: true},
				{Path: fmt.Sprintf("/c/chk-%d/%d", id, j), Size: 100, KeyGroups: kg},
			}})
		}
		c.Step(now, CheckpointMetadataWritten{ID: id})
	}
	b.StopTimer()
	if s := c.Stats(); s.Completed != b.N {
		b.Fatalf("%d completed, want %d", s.Completed, b.N)
	}
}

// BenchmarkCheckpointMetadataCodec encodes and decodes the _metadata of
// that checkpoint.
func BenchmarkCheckpointMetadataCodec(b *testing.B) {
	m := &CheckpointMetadata{Job: "j1", ID: 1, MaxParallelism: 1024}
	for v := 0; v < 2; v++ {
		op := OperatorState{Vertex: v, Parallelism: 128}
		for s := 0; s < 128; s++ {
			kg := KeyGroupRange{Start: s * 8, End: s*8 + 8}
			op.Subtasks = append(op.Subtasks, SubtaskState{Subtask: s, Handles: []StateHandle{
				{Path: fmt.Sprintf("/c/shared/%d-%d", v, s), Size: 1 << 20, KeyGroups: kg, Shared: true},
				{Path: fmt.Sprintf("/c/chk-1/%d-%d", v, s), Size: 100, KeyGroups: kg},
			}})
		}
		m.Operators = append(m.Operators, op)
	}
	b.ReportAllocs()
	var size int
	for i := 0; i < b.N; i++ {
		data := EncodeCheckpointMetadata(m)
		size = len(data)
		if _, err := DecodeCheckpointMetadata(data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size), "bytes/file")
}
