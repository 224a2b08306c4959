package jobmanager

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// CheckpointMode is execution.checkpointing.mode, carried in every trigger:
// the input gates of the tasks align barriers (exactly-once) or forward
// them on first arrival (at-least-once).
type CheckpointMode uint8

// The checkpointing modes, spelled as Flink spells them.
const (
	ExactlyOnce CheckpointMode = iota
	AtLeastOnce
)

func (m CheckpointMode) String() string {
	switch m {
	case ExactlyOnce:
		return "EXACTLY_ONCE"
	case AtLeastOnce:
		return "AT_LEAST_ONCE"
	}
	return fmt.Sprintf("CheckpointMode(%d)", uint8(m))
}

// ParseCheckpointMode parses a value of execution.checkpointing.mode.
func ParseCheckpointMode(s string) (CheckpointMode, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "EXACTLY_ONCE":
		return ExactlyOnce, nil
	case "AT_LEAST_ONCE":
		return AtLeastOnce, nil
	}
	return 0, fmt.Errorf("checkpointing mode %q: want EXACTLY_ONCE or AT_LEAST_ONCE", s)
}

// KeyGroupRange is a contiguous range of key groups [Start, End); the zero
// value is empty, which is what operator (non-keyed) state carries.
type KeyGroupRange struct{ Start, End int }

// Empty reports whether the range holds no key group.
func (r KeyGroupRange) Empty() bool { return r.End <= r.Start }

// Overlaps reports whether r and o share a key group.
func (r KeyGroupRange) Overlaps(o KeyGroupRange) bool {
	return !r.Empty() && !o.Empty() && r.Start < o.End && o.Start < r.End
}

func (r KeyGroupRange) String() string {
	if r.Empty() {
		return "none"
	}
	return fmt.Sprintf("%d-%d", r.Start, r.End-1)
}

// StateHandle is one file of a subtask's snapshot. Shared files
// (incremental checkpoints: immutable SST files) may be referenced by
// several checkpoints and are reference-counted; the others belong to one
// checkpoint only.
type StateHandle struct {
	// Operator is the UID of the operator the state belongs to: a restore
	// matches state to operators by it.
	Operator  string
	Path      string
	Size      int64
	KeyGroups KeyGroupRange
	Shared    bool
}

func (h StateHandle) String() string {
	s := fmt.Sprintf("%s:%d:%s", h.Path, h.Size, h.KeyGroups)
	if h.Operator != "" {
		s = h.Operator + "@" + s
	}
	if h.Shared {
		s += ":shared"
	}
	return s
}

// CheckpointMetadata is the content of a completed checkpoint's _metadata
// file: what a restore needs to hand every subtask its state.
type CheckpointMetadata struct {
	Job            string
	ID             int64
	Mode           CheckpointMode
	MaxParallelism int
	// Triggered and Completed are milliseconds since the Unix epoch.
	Triggered, Completed int64
	// Operators are sorted by vertex, their subtasks by index.
	Operators []OperatorState
}

// OperatorState is the state of one vertex's subtasks.
type OperatorState struct {
	Vertex      int
	Parallelism int
	Subtasks    []SubtaskState
}

// SubtaskState is the state one subtask acknowledged.
type SubtaskState struct {
	Subtask int
	Handles []StateHandle
}

// Handles returns every state handle of the checkpoint, in metadata order.
func (m *CheckpointMetadata) Handles() []StateHandle {
	var hs []StateHandle
	for _, op := range m.Operators {
		for _, st := range op.Subtasks {
			hs = append(hs, st.Handles...)
		}
	}
	return hs
}

// Size is the total size of the checkpoint's files, shared ones included.
func (m *CheckpointMetadata) Size() int64 {
	var n int64
	for _, h := range m.Handles() {
		n += h.Size
	}
	return n
}

// Duration is the time from trigger to completion.
func (m *CheckpointMetadata) Duration() time.Duration {
	return time.Duration(m.Completed-m.Triggered) * time.Millisecond
}

// RestoreHandles returns what a subtask of vertex owning key groups kg
// restores: every keyed handle of the vertex whose range overlaps kg (after
// a rescale, several old subtasks' files), and, when the subtask index is
// one the checkpoint knows, that subtask's operator-state handles.
func (m *CheckpointMetadata) RestoreHandles(vertex, subtask int, kg KeyGroupRange) []StateHandle {
	var hs []StateHandle
	for _, op := range m.Operators {
		if op.Vertex != vertex {
			continue
		}
		for _, st := range op.Subtasks {
			for _, h := range st.Handles {
				if h.KeyGroups.Overlaps(kg) || (h.KeyGroups.Empty() && st.Subtask == subtask) {
					hs = append(hs, h)
				}
			}
		}
	}
	return hs
}

// newCheckpointMetadata builds the metadata of a fully acknowledged
// checkpoint from its acknowledgements.
func newCheckpointMetadata(job string, p *pendingCheckpoint, maxPar int) *CheckpointMetadata {
	m := &CheckpointMetadata{Job: job, ID: p.id, Mode: p.mode, MaxParallelism: maxPar, Triggered: p.triggered.UnixMilli()}
	byVertex := map[int]*OperatorState{}
	var vertices []int
	for _, t := range p.tasks {
		op := byVertex[t.Vertex]
		if op == nil {
			op = &OperatorState{Vertex: t.Vertex}
			byVertex[t.Vertex] = op
			vertices = append(vertices, t.Vertex)
		}
		op.Parallelism++
		op.Subtasks = append(op.Subtasks, SubtaskState{Subtask: t.Subtask, Handles: p.acks[t]})
	}
	sort.Ints(vertices)
	for _, v := range vertices {
		op := byVertex[v]
		sort.Slice(op.Subtasks, func(i, j int) bool { return op.Subtasks[i].Subtask < op.Subtasks[j].Subtask })
		m.Operators = append(m.Operators, *op)
	}
	return m
}

// CheckMaxParallelism refuses to restore m into a job whose
// pipeline.max-parallelism differs: key groups would map to other keys.
func (m *CheckpointMetadata) CheckMaxParallelism(maxParallelism int) error {
	if m.MaxParallelism != maxParallelism {
		return fmt.Errorf("restore chk-%d of %s: it was taken with pipeline.max-parallelism %d, the job has %d; the max parallelism cannot change across a restore",
			m.ID, m.Job, m.MaxParallelism, maxParallelism)
	}
	return nil
}
