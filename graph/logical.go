package graph

import "fmt"

// Partitioner says how records travel along an edge from the producer's
// parallel instances to the consumer's.
type Partitioner string

// The partitioners. Forward keeps records in the same parallel slice and is
// the only one that allows chaining.
const (
	// Auto is what the API records when the user chose nothing: forward when
	// both ends have the same parallelism, rebalance otherwise.
	Auto      Partitioner = ""
	Forward   Partitioner = "forward"
	Rebalance Partitioner = "rebalance"
	Broadcast Partitioner = "broadcast"
	Hash      Partitioner = "hash"
)

// Valid reports whether p is one of the known partitioners.
func (p Partitioner) Valid() bool {
	switch p {
	case Auto, Forward, Rebalance, Broadcast, Hash:
		return true
	}
	return false
}

// Node is one operator of the logical graph as the user declared it.
type Node struct {
	// Index is the node's position in Logical.Nodes (creation order).
	Index int `json:"index"`
	// Kind names the operator type ("source", "map", "reduce", "sink", ...).
	Kind string `json:"kind"`
	// Name is the human name shown in logs and the job graph.
	Name string `json:"name"`
	// UID, when set, fixes the operator id across versions of the program.
	UID string `json:"uid,omitempty"`
	// Parallelism is the number of parallel instances; 0 means the default.
	Parallelism int `json:"parallelism,omitempty"`
	// OutType names the Go type of the records the node emits.
	OutType string `json:"outType,omitempty"`
	// Bounded is true for sources that end by themselves.
	Bounded bool `json:"bounded,omitempty"`
	// MaxParallelism caps a fixed-parallelism source (e.g. a socket source is 1).
	MaxParallelism int `json:"maxParallelism,omitempty"`
	// DisableChaining keeps the node out of any chain.
	DisableChaining bool `json:"disableChaining,omitempty"`
	// NonReplayable marks a source that cannot resume from a checkpoint
	// (a socket): a job checkpointing in EXACTLY_ONCE mode gets only
	// at-least-once results for its records (see NonReplayableSources).
	NonReplayable bool `json:"nonReplayable,omitempty"`
	// CommitsOnRoll marks a sink that, in a job without periodic
	// checkpoints, commits its output as its part files roll (the file
	// sink): see RollingCommitSinks.
	CommitsOnRoll bool `json:"commitsOnRoll,omitempty"`
}

// Edge connects two logical nodes.
type Edge struct {
	From        int         `json:"from"`
	To          int         `json:"to"`
	Partitioner Partitioner `json:"partitioner"`
	// Input is the consumer's input index, for operators with several inputs
	// (a union consumer has one input fed by several edges, so it is 0).
	Input int `json:"input,omitempty"`
	// Timestamps marks an edge whose records carry event timestamps and
	// which carries watermarks (the producer is downstream of a timestamp
	// assigner or a source with a watermark strategy).
	Timestamps bool `json:"timestamps,omitempty"`
}

// Logical is the program's operator graph before chaining.
type Logical struct {
	Name string
	// DefaultParallelism applies to nodes whose Parallelism is 0.
	DefaultParallelism int
	// MaxParallelism is the number of key groups (default 128).
	MaxParallelism int
	// DisableChaining turns chaining off for the whole job.
	DisableChaining bool
	// Config holds options the program's code sets (checkpointing, state
	// backend); they win over floe-conf.yaml and -D, as in Flink.
	Config map[string]string
	Nodes  []Node
	Edges  []Edge
}

// AddNode appends n, sets its Index and returns it.
func (l *Logical) AddNode(n Node) int {
	n.Index = len(l.Nodes)
	l.Nodes = append(l.Nodes, n)
	return n.Index
}

// AddEdge connects from → to.
func (l *Logical) AddEdge(e Edge) { l.Edges = append(l.Edges, e) }

func (l *Logical) validate() error {
	if len(l.Nodes) == 0 {
		return fmt.Errorf("graph %q: no operators (add a source and a sink)", l.Name)
	}
	for i, n := range l.Nodes {
		if n.Index != i {
			return fmt.Errorf("graph %q: node %d has index %d", l.Name, i, n.Index)
		}
		if n.Parallelism < 0 {
			return fmt.Errorf("graph %q: operator %q: parallelism %d < 0", l.Name, n.Name, n.Parallelism)
		}
	}
	uids := map[string]string{}
	for _, n := range l.Nodes {
		if n.UID == "" {
			continue
		}
		if other, ok := uids[n.UID]; ok {
			return fmt.Errorf("graph %q: uid %q used by both %q and %q", l.Name, n.UID, other, n.Name)
		}
		uids[n.UID] = n.Name
	}
	for _, e := range l.Edges {
		if e.From < 0 || e.From >= len(l.Nodes) || e.To < 0 || e.To >= len(l.Nodes) {
			return fmt.Errorf("graph %q: edge %d→%d out of range", l.Name, e.From, e.To)
		}
		if e.From >= e.To {
			// Nodes are created after their inputs, so edges always go forward;
			// this also rules out cycles.
			return fmt.Errorf("graph %q: edge %d→%d goes backwards", l.Name, e.From, e.To)
		}
		if !e.Partitioner.Valid() {
			return fmt.Errorf("graph %q: edge %d→%d: unknown partitioner %q", l.Name, e.From, e.To, e.Partitioner)
		}
	}
	return nil
}
