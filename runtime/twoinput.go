package runtime

import (
	"fmt"

	"github.com/floe-yarn/floe/graph"
)

// TwoInputOperator is the head of a vertex with two logical inputs of
// different record types (Flink's TwoInputStreamOperator, what Connect
// builds): PushRecord takes the records of input 0, PushRecord2 those of
// input 1. The job edges say which input they feed (graph.JobEdge.Input),
// so the task knows the input of every channel of its gate; barriers are
// aligned over the channels of both inputs, and the task's watermark is the
// minimum over all of them, so of both inputs.
type TwoInputOperator interface {
	Operator
	// PushRecord2 decodes one encoded record of the second input and
	// processes it.
	PushRecord2(rec []byte) error
}

// inputRouter hands each record the gate delivers to the head's input its
// job edge feeds.
type inputRouter struct {
	byEdge []func([]byte) error // indexed by job edge index
}

// newInputRouter maps every input edge of vertex v to the head operator's
// input it feeds. An edge to input 1 needs a TwoInputOperator head; any
// other input index is an error.
func newInputRouter(g *graph.JobGraph, v graph.Vertex, head Operator) (*inputRouter, error) {
	r := &inputRouter{byEdge: make([]func([]byte) error, len(g.Edges))}
	for _, e := range g.Inputs(v.Index) {
		switch e.Input {
		case 0:
			r.byEdge[e.Index] = head.PushRecord
		case 1:
			two, ok := head.(TwoInputOperator)
			if !ok {
				return nil, fmt.Errorf("vertex %q: edge %d feeds input 1, but the head operator has one input", v.Name, e.Index)
			}
			r.byEdge[e.Index] = two.PushRecord2
		default:
			return nil, fmt.Errorf("vertex %q: edge %d feeds input %d; operators have at most two inputs", v.Name, e.Index, e.Input)
		}
	}
	return r, nil
}

// push processes one record of job edge edge.
func (r *inputRouter) push(edge int, rec []byte) error {
	if edge < 0 || edge >= len(r.byEdge) || r.byEdge[edge] == nil {
		return fmt.Errorf("record of edge %d, which does not feed this task", edge)
	}
	return r.byEdge[edge](rec)
}
