package graph

import (
	"encoding/json"
	"fmt"
	"strings"
)

// FormatVersion is the version of the serialized job graph. A TaskManager
// built against another format refuses the job.
const FormatVersion = 1

// DefaultMaxParallelism is the number of key groups when the program sets none.
const DefaultMaxParallelism = 128

// Operator is a logical node with its resolved parallelism, stable id and
// the vertex (task) it was chained into.
type Operator struct {
	ID     string `json:"id"`
	Node   Node   `json:"node"`
	Vertex int    `json:"vertex"`
}

// Vertex is one task of the job graph: a chain of operators with one head,
// run by Parallelism parallel subtasks.
type Vertex struct {
	Index int `json:"index"`
	// ID is the head operator's id.
	ID          string `json:"id"`
	Name        string `json:"name"`
	Parallelism int    `json:"parallelism"`
	// Operators are node indices in topological order; the first is the head.
	Operators []int `json:"operators"`
	// Source is true when the head is a source (the vertex has no inputs).
	Source bool `json:"source,omitempty"`
}

// JobEdge is a logical edge that crosses vertices: records are exchanged
// over a result partition (and, between TaskManagers, the network).
type JobEdge struct {
	Index       int         `json:"index"`
	From        int         `json:"from"` // vertex index
	To          int         `json:"to"`   // vertex index
	FromNode    int         `json:"fromNode"`
	ToNode      int         `json:"toNode"`
	Partitioner Partitioner `json:"partitioner"`
	// Input is the consumer head's input the edge feeds: 0, or 1 for the
	// second input of a two-input operator (Connect).
	Input int `json:"input,omitempty"`
	// Timestamps: records carry event timestamps, and watermarks flow.
	Timestamps bool `json:"timestamps,omitempty"`
}

// JobGraph is what the JobManager schedules and every TaskManager rebuilds.
type JobGraph struct {
	FormatVersion  int    `json:"formatVersion"`
	Name           string `json:"name"`
	MaxParallelism int    `json:"maxParallelism"`
	// Config holds the options the program's code set (Logical.Config).
	Config    map[string]string `json:"config,omitempty"`
	Operators []Operator        `json:"operators"`
	Vertices  []Vertex          `json:"vertices"`
	Edges     []JobEdge         `json:"edges"`
	// ChainEdges are the logical edges inside vertices (always forward).
	ChainEdges []Edge `json:"chainEdges"`
	// Fingerprint is a digest of everything above.
	Fingerprint string `json:"fingerprint"`
}

// Build turns the logical graph into a job graph: it resolves parallelism
// and partitioners, chains forward edges and computes ids and the fingerprint.
func Build(l *Logical) (*JobGraph, error) {
	if err := l.validate(); err != nil {
		return nil, err
	}
	def := l.DefaultParallelism
	if def <= 0 {
		def = 1
	}
	maxp := l.MaxParallelism
	if maxp <= 0 {
		maxp = DefaultMaxParallelism
	}
	g := &JobGraph{FormatVersion: FormatVersion, Name: l.Name, MaxParallelism: maxp}
	if len(l.Config) > 0 {
		g.Config = make(map[string]string, len(l.Config))
		for k, v := range l.Config {
			g.Config[k] = v
		}
	}
	nodes := make([]Node, len(l.Nodes))
	for i, n := range l.Nodes {
		if n.Parallelism == 0 {
			n.Parallelism = def
			if n.MaxParallelism > 0 && n.Parallelism > n.MaxParallelism {
				n.Parallelism = n.MaxParallelism
			}
		}
		if n.MaxParallelism > 0 && n.Parallelism > n.MaxParallelism {
			return nil, fmt.Errorf("graph %q: operator %q: parallelism %d exceeds its maximum %d", l.Name, n.Name, n.Parallelism, n.MaxParallelism)
		}
		if n.Parallelism > maxp {
			return nil, fmt.Errorf("graph %q: operator %q: parallelism %d exceeds the max parallelism %d", l.Name, n.Name, n.Parallelism, maxp)
		}
		nodes[i] = n
	}
	edges := make([]Edge, len(l.Edges))
	inDegree := make([]int, len(nodes))
	for i, e := range l.Edges {
		pf, pt := nodes[e.From].Parallelism, nodes[e.To].Parallelism
		switch {
		case e.Partitioner == Auto && pf == pt:
			e.Partitioner = Forward
		case e.Partitioner == Auto:
			e.Partitioner = Rebalance
		case e.Partitioner == Forward && pf != pt:
			return nil, fmt.Errorf("graph %q: forward edge %q→%q needs equal parallelism, got %d and %d", l.Name, nodes[e.From].Name, nodes[e.To].Name, pf, pt)
		}
		edges[i] = e
		inDegree[e.To]++
	}
	for i, n := range nodes {
		if n.Kind != "source" && inDegree[i] == 0 {
			return nil, fmt.Errorf("graph %q: operator %q has no input", l.Name, n.Name)
		}
		if n.Kind == "source" && inDegree[i] > 0 {
			return nil, fmt.Errorf("graph %q: source %q has an input", l.Name, n.Name)
		}
	}
	ids := operatorIDs(nodes, edges)

	// Chain: nodes come in topological order (edges go forward), so a node
	// joins its only predecessor's vertex when the edge is chainable.
	vertexOf := make([]int, len(nodes))
	incoming := make([][]Edge, len(nodes))
	for _, e := range edges {
		incoming[e.To] = append(incoming[e.To], e)
	}
	chainable := func(e Edge) bool {
		from, to := nodes[e.From], nodes[e.To]
		return !l.DisableChaining && e.Partitioner == Forward && inDegree[e.To] == 1 &&
			from.Parallelism == to.Parallelism && !from.DisableChaining && !to.DisableChaining
	}
	for i, n := range nodes {
		if len(incoming[i]) == 1 && chainable(incoming[i][0]) {
			v := vertexOf[incoming[i][0].From]
			vertexOf[i] = v
			g.Vertices[v].Operators = append(g.Vertices[v].Operators, i)
			g.ChainEdges = append(g.ChainEdges, incoming[i][0])
			continue
		}
		v := len(g.Vertices)
		vertexOf[i] = v
		g.Vertices = append(g.Vertices, Vertex{Index: v, ID: ids[i], Parallelism: n.Parallelism, Operators: []int{i}, Source: n.Kind == "source"})
	}
	for i := range g.Vertices {
		names := make([]string, 0, len(g.Vertices[i].Operators))
		for _, op := range g.Vertices[i].Operators {
			names = append(names, nodes[op].Name)
		}
		g.Vertices[i].Name = strings.Join(names, " -> ")
	}
	for i, n := range nodes {
		g.Operators = append(g.Operators, Operator{ID: ids[i], Node: n, Vertex: vertexOf[i]})
	}
	for _, e := range edges {
		if vertexOf[e.From] == vertexOf[e.To] {
			continue
		}
		g.Edges = append(g.Edges, JobEdge{Index: len(g.Edges), From: vertexOf[e.From], To: vertexOf[e.To], FromNode: e.From, ToNode: e.To,
			Partitioner: e.Partitioner, Input: e.Input, Timestamps: e.Timestamps})
	}
	g.Fingerprint = g.computeFingerprint()
	return g, nil
}

// Slots is the number of slots the job needs. All vertices share one slot
// sharing group, so slot i runs subtask i of every vertex that has one.
func (g *JobGraph) Slots() int {
	n := 0
	for _, v := range g.Vertices {
		n = max(n, v.Parallelism)
	}
	return n
}

// Subtasks is the total number of subtasks over all vertices.
func (g *JobGraph) Subtasks() int {
	n := 0
	for _, v := range g.Vertices {
		n += v.Parallelism
	}
	return n
}

// Inputs lists the job edges that feed vertex v.
func (g *JobGraph) Inputs(v int) []JobEdge {
	var out []JobEdge
	for _, e := range g.Edges {
		if e.To == v {
			out = append(out, e)
		}
	}
	return out
}

// Outputs lists the job edges that leave vertex v.
func (g *JobGraph) Outputs(v int) []JobEdge {
	var out []JobEdge
	for _, e := range g.Edges {
		if e.From == v {
			out = append(out, e)
		}
	}
	return out
}

// Producers lists the producer subtasks that send to consumer subtask sub
// over edge e: only the same index for forward, all of them otherwise.
func (g *JobGraph) Producers(e JobEdge, sub int) []int {
	if e.Partitioner == Forward {
		return []int{sub}
	}
	n := g.Vertices[e.From].Parallelism
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// NonReplayableSources names the job's sources that cannot resume from a
// checkpoint (Node.NonReplayable), in operator order.
func (g *JobGraph) NonReplayableSources() []string {
	var out []string
	for _, op := range g.Operators {
		if op.Node.Kind == "source" && op.Node.NonReplayable {
			out = append(out, op.Node.Name)
		}
	}
	return out
}

// UnboundedSources names the job's sources that do not end by themselves.
func (g *JobGraph) UnboundedSources() []string {
	var out []string
	for _, op := range g.Operators {
		if op.Node.Kind == "source" && !op.Node.Bounded {
			out = append(out, op.Node.Name)
		}
	}
	return out
}

// RollingCommitSinks names the job's sinks marked CommitsOnRoll.
func (g *JobGraph) RollingCommitSinks() []string {
	var out []string
	for _, op := range g.Operators {
		if op.Node.CommitsOnRoll {
			out = append(out, op.Node.Name)
		}
	}
	return out
}

// Marshal serializes the job graph (JSON, stable field order).
func (g *JobGraph) Marshal() ([]byte, error) { return json.MarshalIndent(g, "", "  ") }

// Unmarshal parses a serialized job graph and checks its format version and
// fingerprint.
func Unmarshal(b []byte) (*JobGraph, error) {
	var g JobGraph
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("parse job graph: %w", err)
	}
	if g.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("job graph format %d, this binary understands %d: rebuild the job binary against the same Floe version", g.FormatVersion, FormatVersion)
	}
	if fp := g.computeFingerprint(); fp != g.Fingerprint {
		return nil, fmt.Errorf("job graph %q: fingerprint %s does not match its content (%s)", g.Name, g.Fingerprint, fp)
	}
	return &g, nil
}
