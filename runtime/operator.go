package runtime

import (
	"context"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/metrics"
	"github.com/rs/zerolog"
)

// OperatorContext is what an operator instance knows about where it runs.
type OperatorContext struct {
	Job            string
	Attempt        int
	Operator       graph.Operator
	Subtask        int
	Parallelism    int
	MaxParallelism int
	// Vertex is the index of the job vertex running the operator.
	Vertex int
	Logger zerolog.Logger
	// Checkpointing is the job's checkpoint settings (SavepointsOnly when
	// it takes no periodic checkpoints); nil only in a task run alone,
	// whose state is then on the heap and never snapshot.
	Checkpointing *CheckpointSettings
	// Restore is the operator's state to start from; nil on a fresh
	// start.
	Restore *OperatorRestore
	// Time is the operator's view of its task's time: the current
	// record's event timestamp, watermarks out, processing-time
	// callbacks.
	Time *TimeContext
	// Metrics is the operator's metric group (Flink's operator scope):
	// user code registers its counters, gauges and histograms here.
	Metrics *metrics.Group
	// task and node locate the operator's counts (RecordsIn,
	// RecordsOut); task is nil outside a task.
	task *task
	node int
}

// RecordsIn returns a count the operator adds one to per record, inside
// its own typed input (Input; a wrapper would cost a call per record),
// published as its numRecordsIn. Only an operator whose records do not
// come from its chained predecessor's main output needs it (a side
// output's reader): the others report what that predecessor emitted
// (RecordsOut, OneToOne), and the chain head the task's input. Only the
// task goroutine touches it; outside a task nobody reads it.
func (oc OperatorContext) RecordsIn() *int64 {
	if oc.task == nil {
		return new(int64)
	}
	c := new(int64)
	oc.task.m.in[oc.node] = &opCount{n: c}
	return c
}

// RecordsOut tells the task that count (added to on the task goroutine)
// is how many records the operator emitted on its main output: what a
// Filter kept, what a FlatMap or a source emitted. It is the operator's
// numRecordsOut and the numRecordsIn of its chained consumers, which so
// count nothing themselves.
func (oc OperatorContext) RecordsOut(count *int64) {
	if oc.task != nil {
		oc.task.m.out[oc.node] = &opCount{n: count}
	}
}

// OneToOne tells the task that the operator emits exactly one record on
// its main output per record in (Map, a timestamp assigner): its
// numRecordsOut is its numRecordsIn, and nobody counts either.
func (oc OperatorContext) OneToOne() {
	if oc.task != nil {
		oc.task.m.oneToOne[oc.node] = true
	}
}

// Operator is one running operator instance inside a chain. Chained
// operators call each other directly through typed functions (Input), so
// the per-record path has no interface calls; only the chain head decodes
// records from the exchange (PushRecord).
type Operator interface {
	// Input is the operator's typed input, a func(I) boxed in any; nil for
	// sources.
	Input() any
	// PushRecord decodes one encoded record and processes it.
	PushRecord(rec []byte) error
	// Run produces records until the source ends or ctx ends (sources only).
	// idle flushes pending output; call it before waiting.
	Run(ctx context.Context, idle func()) error
	// Finish is called once at the end of input, upstream operators first.
	Finish(ctx context.Context) error
	// Close releases resources, also after a failure.
	Close() error
}

// Outputs are the consumers of one operator's records: chained operators'
// typed inputs and record outputs to other tasks.
type Outputs struct {
	Chained []any
	// ChainedTo is the node index of each chained consumer (parallel to
	// Chained), so that a factory can route side outputs.
	ChainedTo []int
	Network   []*RecordOutput
}

// OperatorFactory builds instances of one logical operator. The stream
// package implements it with the user's functions and the record types.
type OperatorFactory interface {
	// NewOutput combines the consumers into the operator's typed output
	// (a func(T) boxed in any).
	NewOutput(o Outputs) (any, error)
	// Open creates the instance for one subtask, emitting to out.
	Open(oc OperatorContext, out any) (Operator, error)
}

// Program is a job binary's rebuilt job: its job graph and the factory of
// every logical operator.
type Program interface {
	Graph() *graph.JobGraph
	Factory(node int) OperatorFactory
}
