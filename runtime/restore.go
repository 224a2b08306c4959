package runtime

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
)

// CheckpointStorage reads and writes a job's checkpoint files (HDFS or
// local disk; the TaskManager provides it).
type CheckpointStorage interface {
	// Create creates (or replaces) the file at path, creating folders.
	Create(ctx context.Context, path string) (io.WriteCloser, error)
	// Open opens the file at path for reading.
	Open(ctx context.Context, path string) (io.ReadCloser, error)
}

// CheckpointSettings tell operators where and how to keep checkpointed
// state.
type CheckpointSettings struct {
	// Dir is the job's checkpoint folder: checkpoint n's files go under
	// Dir/chk-<n>/.
	Dir string
	// Backend is the keyed state backend type (hashmap or pebble).
	Backend string
	// LocalDir is a local scratch folder for state backends that keep
	// files (pebble); empty means the system's temporary folder.
	LocalDir string
	// Incremental lets backends upload only files later checkpoints do
	// not already hold (pebble's shared files).
	Incremental bool
	// SavepointsOnly is set when the job takes no periodic checkpoints:
	// it still takes savepoints, and its sinks commit as they roll.
	SavepointsOnly bool
	Storage        CheckpointStorage
}

// StatePath is the file of kind (state, keyed, …) that subtask of vertex
// writes for operator in checkpoint id: unique per subtask and checkpoint,
// as the checkpoint layout requires.
func (s *CheckpointSettings) StatePath(id int64, operator string, vertex, subtask int, kind string) string {
	return fmt.Sprintf("%s/chk-%d/%s-%d-%d-%s", strings.TrimSuffix(s.Dir, "/"), id, operator, vertex, subtask, kind)
}

// StateFile is StatePath for checkpoint cp: a savepoint's files go to its
// own folder (cp.Savepoint/<operator>-<vertex>-<subtask>-<kind>), so that
// it is self-contained and outlives the job's checkpoints.
func (s *CheckpointSettings) StateFile(cp CheckpointMeta, operator string, vertex, subtask int, kind string) string {
	if cp.Savepoint != "" {
		return fmt.Sprintf("%s/%s-%d-%d-%s", strings.TrimSuffix(cp.Savepoint, "/"), operator, vertex, subtask, kind)
	}
	return s.StatePath(cp.ID, operator, vertex, subtask, kind)
}

// TaskRestore is the state a subtask starts from: every handle of its
// chain's operators from checkpoint Checkpoint that it restores.
type TaskRestore struct {
	Checkpoint int64
	Handles    []StateHandle
	// Fresh are the operators without any state in the savepoint the job
	// starts from: they are new and open without a restore (fresh state).
	// Any other operator gets a restore, possibly without handles: a
	// subtask beyond the old parallelism, or one that finished (FLIP-147: a
	// source subtask restored without state reads nothing).
	Fresh []string
}

// OperatorRestore is one operator's share of a TaskRestore: its handles
// (keyed handles overlapping its key-group range, operator state).
type OperatorRestore struct {
	Checkpoint int64
	Handles    []StateHandle
}

// forOperator picks the handles of operator uid; nil when r is nil or uid
// is Fresh (a new operator).
func (r *TaskRestore) forOperator(uid string) *OperatorRestore {
	if r == nil || slices.Contains(r.Fresh, uid) {
		return nil
	}
	o := &OperatorRestore{Checkpoint: r.Checkpoint}
	for _, h := range r.Handles {
		if h.Operator == uid {
			o.Handles = append(o.Handles, h)
		}
	}
	return o
}

// ReadAll reads the files of the handles that keep (every one when keep is
// nil), in order.
func (r *OperatorRestore) ReadAll(ctx context.Context, st CheckpointStorage, keep func(StateHandle) bool) ([][]byte, error) {
	var out [][]byte
	for _, h := range r.Handles {
		if keep != nil && !keep(h) {
			continue
		}
		f, err := st.Open(ctx, h.Path)
		if err != nil {
			return nil, fmt.Errorf("restore checkpoint %d: open %s: %w", r.Checkpoint, h.Path, err)
		}
		b, err := io.ReadAll(f)
		_ = f.Close() // read-only
		if err != nil {
			return nil, fmt.Errorf("restore checkpoint %d: read %s: %w", r.Checkpoint, h.Path, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// OperatorStateOnly keeps handles of operator (non-keyed) state.
func OperatorStateOnly(h StateHandle) bool { return h.KeyGroupStart == 0 && h.KeyGroupEnd == 0 }

// ParseCheckpointingMode reads execution.checkpointing.mode (EXACTLY_ONCE,
// the default when empty, or AT_LEAST_ONCE).
func ParseCheckpointingMode(s string) (CheckpointingMode, error) {
	switch strings.ToUpper(s) {
	case "", "EXACTLY_ONCE":
		return ExactlyOnce, nil
	case "AT_LEAST_ONCE":
		return AtLeastOnce, nil
	}
	return 0, fmt.Errorf("checkpointing mode %q: want EXACTLY_ONCE or AT_LEAST_ONCE", s)
}
