package jobmanager

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/graph"
)

// MatchSavepoint prepares the metadata m of the savepoint at path for a
// restore into job graph g: state is matched to operators by UID (a
// handle's Operator), so each vertex's state is moved to the vertex of g
// that now holds the operator. State whose operator g does not have is an
// error naming the operator, unless allowNonRestored (Flink's
// --allowNonRestoredState), when it is left out. A changed max
// parallelism is an error (key groups would not line up). m is not
// modified; the result is a new metadata.
func MatchSavepoint(m *CheckpointMetadata, path string, g *graph.JobGraph, allowNonRestored bool) (*CheckpointMetadata, error) {
	maxP := g.MaxParallelism
	if maxP <= 0 {
		maxP = defaultMaxParallelism
	}
	if m.MaxParallelism != maxP {
		return nil, fmt.Errorf("restore from savepoint %s: its max parallelism is %d, the job's is %d: a savepoint restores only with the max parallelism it was taken with (pipeline.max-parallelism)",
			path, m.MaxParallelism, maxP)
	}
	vertexOf := map[string]int{}
	for _, op := range g.Operators {
		vertexOf[op.ID] = op.Vertex
	}
	byVertex := map[int]map[int][]StateHandle{} // vertex -> subtask -> handles
	parallelism := map[int]int{}
	for _, op := range m.Operators {
		for _, st := range op.Subtasks {
			for _, h := range st.Handles {
				v, ok := vertexOf[h.Operator]
				if !ok {
					if allowNonRestored {
						continue
					}
					return nil, fmt.Errorf("restore from savepoint %s: state of operator %q (vertex %d) matches no operator of the job; pass --allowNonRestoredState (-n) to skip it",
						path, h.Operator, op.Vertex)
				}
				if p, seen := parallelism[v]; seen && p != op.Parallelism {
					return nil, fmt.Errorf("restore from savepoint %s: operators of vertices with different parallelism now share vertex %d", path, v)
				}
				parallelism[v] = op.Parallelism
				if byVertex[v] == nil {
					byVertex[v] = map[int][]StateHandle{}
				}
				byVertex[v][st.Subtask] = append(byVertex[v][st.Subtask], h)
			}
		}
	}
	out := *m
	out.Operators = nil
	for v, subs := range byVertex {
		os := OperatorState{Vertex: v, Parallelism: parallelism[v]}
		for s, hs := range subs {
			os.Subtasks = append(os.Subtasks, SubtaskState{Subtask: s, Handles: hs})
		}
		sort.Slice(os.Subtasks, func(i, j int) bool { return os.Subtasks[i].Subtask < os.Subtasks[j].Subtask })
		out.Operators = append(out.Operators, os)
	}
	sort.Slice(out.Operators, func(i, j int) bool { return out.Operators[i].Vertex < out.Operators[j].Vertex })
	return &out, nil
}

// SavepointSubmission returns a submission's savepoint settings from
// lookup: execution.savepoint.path and
// execution.savepoint.ignore-unclaimed-state.
func SavepointSubmission(lookup func(key string) (string, bool)) (path string, allowNonRestored bool) {
	p, _ := lookup(conf.SavepointPath)
	ig, _ := lookup(conf.SavepointIgnoreUnclaimed)
	return strings.TrimSpace(p), strings.EqualFold(strings.TrimSpace(ig), "true")
}

// readSavepoint reads and matches the savepoint a submission starts from
// (nil when it names none). A missing or corrupt _metadata is an error
// naming the path.
func (jm *JobManager) readSavepoint(ctx context.Context, s Submission) (*CheckpointMetadata, error) {
	if s.SavepointPath == "" {
		return nil, nil
	}
	jm.mu.Lock()
	st := jm.store
	jm.mu.Unlock()
	if st == nil { // submitted before Run
		st = jm.opts.CheckpointStorage
	}
	if st == nil {
		ls := newLazyStorage(jm.log)
		defer func() { _ = ls.Close() }() // nothing buffered: every write was committed or failed
		st = ls
	}
	r, ok := st.(interface {
		Read(ctx context.Context, p string) ([]byte, error)
	})
	if !ok {
		return nil, fmt.Errorf("restore from savepoint %s: the checkpoint storage cannot read", s.SavepointPath)
	}
	return LoadSavepoint(ctx, r.Read, s.SavepointPath, s.Graph, s.AllowNonRestored)
}

// LoadSavepoint reads the _metadata of the savepoint at path with read and
// matches it to job graph g (MatchSavepoint). A missing or corrupt
// _metadata is an error naming the file and saying what to check. The
// JobManager restores through it; a client checks a submission with it
// before deploying anything.
func LoadSavepoint(ctx context.Context, read func(ctx context.Context, p string) ([]byte, error), path string, g *graph.JobGraph, allowNonRestored bool) (*CheckpointMetadata, error) {
	p := strings.TrimSuffix(path, "/") + "/_metadata"
	raw, err := read(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("restore from savepoint %s: read %s: %w (-s names the folder that `floe savepoint` or `floe stop` printed)", path, p, err)
	}
	m, err := DecodeCheckpointMetadata(raw)
	if err != nil {
		return nil, fmt.Errorf("restore from savepoint %s: %s is not a savepoint's metadata: %w", path, p, err)
	}
	return MatchSavepoint(m, path, g, allowNonRestored)
}
