package runtime

import (
	"context"
	"testing"

	"github.com/floe-yarn/floe/graph"
)

type oneInput struct{}

func (oneInput) Input() any                        { return nil }
func (oneInput) PushRecord([]byte) error           { return nil }
func (oneInput) Run(context.Context, func()) error { return nil }
func (oneInput) Finish(context.Context) error      { return nil }
func (oneInput) Close() error                      { return nil }

// TestTwoInputNeedsTwoInputHead: an edge into input 1 of a one-input head,
// or into an input that does not exist, fails the task with an error
// naming the vertex and the edge.
func TestTwoInputNeedsTwoInputHead(t *testing.T) {
	cases := []struct {
		name  string
		input int
		want  string
	}{
		{"input 1 of a one-input head", 1, `vertex "sink": edge 0 feeds input 1, but the head operator has one input`},
		{"input 2", 2, `vertex "sink": edge 0 feeds input 2; operators have at most two inputs`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := &graph.JobGraph{Vertices: []graph.Vertex{{Index: 0, Name: "src", Source: true}, {Index: 1, Name: "sink"}},
				Edges: []graph.JobEdge{{Index: 0, From: 0, To: 1, Input: tc.input}}}
			_, err := newInputRouter(g, g.Vertices[1], oneInput{})
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
