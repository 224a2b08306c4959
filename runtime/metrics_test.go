package runtime

import (
	"context"
	"testing"
	"time"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/metrics"
	"github.com/rs/zerolog"
)

// TestTaskMetrics runs a sink task over a scripted input and reads its
// published figures: records and bytes in for the task and its chain head,
// no watermark yet, and the operator's group holding what user code
// registered.
func TestTaskMetrics(t *testing.T) {
	j := &countJob{g: &graph.JobGraph{
		Name: "metrics", MaxParallelism: 128,
		Operators: []graph.Operator{
			{ID: "src-uid", Node: graph.Node{Index: 0, Kind: "source", Name: "source"}, Vertex: 0},
			{ID: "count-uid", Node: graph.Node{Index: 1, Kind: "sink", Name: "count"}, Vertex: 1},
		},
		Vertices: []graph.Vertex{
			{Index: 0, Name: "source", Parallelism: 1, Operators: []int{0}, Source: true},
			{Index: 1, Name: "count", Parallelism: 1, Operators: []int{1}},
		},
		Edges: []graph.JobEdge{{Index: 0, From: 0, To: 1, FromNode: 0, ToNode: 1, Partitioner: graph.Rebalance}},
	}}
	g := &scriptGate{blocked: map[[2]int]bool{}, ready: make(chan struct{}, 1)}
	rec := func(b ...byte) Element { return Element{Edge: 0, Producer: 0, Record: b} }
	g.feed(rec(1), rec(1, 2), rec(1, 2, 3), Element{Edge: 0, Producer: 0, Event: Event{Kind: EndOfPartition}})

	reg := metrics.NewRegistry()
	group := reg.Root(metrics.ScopeTaskManager).Child(metrics.ScopeJob).Child(metrics.ScopeTask)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := RunTask(ctx, TaskOptions{Program: j, Job: "m", Vertex: 1, Exchange: scriptExchange{g}, Logger: zerolog.Nop(), Metrics: group}); err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	reg.Visit(func(p metrics.Point) { got[p.Identifier()+"/"+p.Label(metrics.VarOperatorName)] = p.Value })
	tests := []struct {
		id   string
		want float64
	}{
		{"taskmanager.job.task.numRecordsIn/", 3},
		{"taskmanager.job.task.numBytesIn/", 3*4 + 6},
		{"taskmanager.job.task.numRecordsOut/", 0},
		{"taskmanager.job.task.currentInputWatermark/", float64(metrics.NoWatermark)},
		{"taskmanager.job.task.operator.numRecordsIn/count", 3},
		{"taskmanager.job.task.operator.currentOutputWatermark/count", float64(metrics.NoWatermark)},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			v, ok := got[tc.id]
			if !ok || v != tc.want {
				t.Errorf("%s = %v (present %v), want %v", tc.id, v, ok, tc.want)
			}
		})
	}
	if _, ok := got["taskmanager.job.task.operator.numRecordsOut/count"]; ok {
		t.Error("a sink reports numRecordsOut")
	}
}
