// Package graph turns a logical graph into a job graph: operator ids,
// chaining, parallelism, partitioning and the fingerprint.
//
// The logical graph (Logical) is what the stream API records: one Node per
// operator, in creation order, and Edges with a Partitioner. Build resolves
// it into a JobGraph:
//
//   - parallelism: a node without one takes the default (or its maximum,
//     for sources such as a socket that cannot run in parallel);
//   - partitioning: Auto becomes Forward between equal parallelisms and
//     Rebalance otherwise; an explicit Forward between different
//     parallelisms is an error;
//   - chaining: a node joins its only input's vertex (task) when the edge is
//     Forward, both ends have the same parallelism, neither disabled
//     chaining and the job did not turn chaining off. One task runs one
//     chain, and chained operators call each other directly;
//   - operator ids: a node with a UID is identified by it alone, so its id
//     (and later its state) survives edits to the program; others hash
//     kind, name, position and input ids (like Flink's StreamGraphHasher);
//   - the fingerprint digests the whole job graph. Every TaskManager
//     rebuilds the graph by running the job binary's main() and refuses
//     work whose fingerprint differs from its own.
//
// Two facts travel with the graph for the JobManager: Logical.Config (the
// options the program's code set, which win over the configuration it is
// submitted with) becomes JobGraph.Config, and Node.NonReplayable marks a
// source that cannot resume from a checkpoint (NonReplayableSources).
//
// Slot sharing: all vertices share one slot sharing group, so a job needs
// Slots() = the largest vertex parallelism slots, and job slot i runs
// subtask i of every vertex — one parallel slice of the whole pipeline.
//
//	l := &graph.Logical{Name: "wc", DefaultParallelism: 2}
//	src := l.AddNode(graph.Node{Kind: "source", Name: "read"})
//	cnt := l.AddNode(graph.Node{Kind: "reduce", Name: "count"})
//	l.AddEdge(graph.Edge{From: src, To: cnt, Partitioner: graph.Hash})
//	g, err := graph.Build(l) // two vertices, one hash edge, 2 slots
package graph
