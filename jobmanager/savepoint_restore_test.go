package jobmanager

import (
	"strings"
	"testing"

	"github.com/floe-yarn/floe/graph"
)

// TestMatchSavepoint: state moves to the vertex now holding its operator
// (by UID); unknown operators and a changed max parallelism are errors
// naming the savepoint and the cause; --allowNonRestoredState skips
// unknown operators.
func TestMatchSavepoint(t *testing.T) {
	sp := &CheckpointMetadata{Job: "old", ID: 7, MaxParallelism: 128, Operators: []OperatorState{
		{Vertex: 0, Parallelism: 2, Subtasks: []SubtaskState{
			{Subtask: 0, Handles: []StateHandle{{Operator: "src", Path: "/sp/src-0", Size: 1}}},
			{Subtask: 1, Handles: []StateHandle{{Operator: "src", Path: "/sp/src-1", Size: 1}}}}},
		{Vertex: 1, Parallelism: 2, Subtasks: []SubtaskState{
			{Subtask: 0, Handles: []StateHandle{{Operator: "sum", Path: "/sp/sum-0", Size: 1, KeyGroups: KeyGroupRange{Start: 0, End: 64}},
				{Operator: "gone", Path: "/sp/gone-0", Size: 1}}}}},
	}}
	// The new job chains differently: sum is now vertex 2.
	g := &graph.JobGraph{MaxParallelism: 128, Operators: []graph.Operator{{ID: "src", Vertex: 0}, {ID: "map", Vertex: 1}, {ID: "sum", Vertex: 2}}}
	for _, tc := range []struct {
		name    string
		g       *graph.JobGraph
		allow   bool
		want    string // error substring, or the vertices restored
		wantErr bool
	}{
		{name: "unknown operator", g: g, want: `operator "gone"`, wantErr: true},
		{name: "allow non-restored", g: g, allow: true, want: "v0:2 v2:1"},
		{name: "max parallelism changed", g: &graph.JobGraph{MaxParallelism: 256, Operators: g.Operators}, allow: true,
			want: "max parallelism is 128, the job's is 256", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := MatchSavepoint(sp, "/sp", tc.g, tc.allow)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "/sp") {
					t.Fatalf("error %v, want one naming /sp and %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, op := range m.Operators {
				got = append(got, "v"+string(rune('0'+op.Vertex))+":"+string(rune('0'+len(op.Subtasks))))
			}
			if s := strings.Join(got, " "); s != tc.want {
				t.Fatalf("restored %s, want %s", s, tc.want)
			}
			if len(sp.Operators) != 2 || sp.Operators[1].Vertex != 1 {
				t.Fatal("MatchSavepoint modified its input")
			}
		})
	}
}

// TestNewOperators: the operators of a vertex without any state in the
// savepoint are new (they start fresh); one with state in another
// subtask's share is not.
func TestNewOperators(t *testing.T) {
	m := &CheckpointMetadata{MaxParallelism: 128, Operators: []OperatorState{{Vertex: 0, Parallelism: 2, Subtasks: []SubtaskState{
		{Subtask: 0}, {Subtask: 1, Handles: []StateHandle{{Operator: "src", Path: "/sp/src-1"}}}}}}}
	g := &graph.JobGraph{Operators: []graph.Operator{{ID: "src", Vertex: 0}, {ID: "map", Vertex: 0}, {ID: "sink", Vertex: 1}}}
	for _, tc := range []struct {
		vertex int
		want   string
	}{{0, "map"}, {1, "sink"}} {
		if got := strings.Join(newOperators(m, g, tc.vertex), ","); got != tc.want {
			t.Errorf("new operators of vertex %d: %q, want %q", tc.vertex, got, tc.want)
		}
	}
}
