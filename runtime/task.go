package runtime

import (
	"context"
	"errors"
	"fmt"
	rtdebug "runtime/debug"
	"sync/atomic"
	"time"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/metrics"
	"github.com/rs/zerolog"
)

// TaskOptions describe one subtask to run.
type TaskOptions struct {
	Program  Program
	Job      string
	Attempt  int
	Vertex   int
	Subtask  int
	Exchange Exchange
	// Slots locates every job slot (subtask i of any vertex runs in job
	// slot i); the network exchange finds producers with it.
	Slots  []Location
	Logger zerolog.Logger
	// Checkpoints connect the task to the checkpoint coordinator; the zero
	// value runs without checkpoints.
	Checkpoints CheckpointHooks
	// Checkpointing is where and how operators keep checkpointed state;
	// every job deployed by a JobManager has it (savepoints need it when
	// periodic checkpoints are off); nil only in a task run alone.
	Checkpointing *CheckpointSettings
	// Restore is the state the subtask starts from; nil on a fresh start.
	Restore *TaskRestore
	// Metrics is the task's metric group (scope task); its operators'
	// groups are added under it. Nil keeps the figures unreported.
	Metrics *metrics.Group
}

// PanicError is a user function's panic, with the value and the stack of
// the task goroutine where it happened.
type PanicError struct {
	Operator string
	Value    string
	Stack    string
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("operator %q panicked: %s\n%s", e.Operator, e.Value, e.Stack)
}

// ErrCanceled is returned by RunTask when ctx ended the task.
var ErrCanceled = errors.New("task canceled")

// task is the running state of one subtask.
type task struct {
	opts    TaskOptions
	g       *graph.JobGraph
	v       graph.Vertex
	ops     map[int]Operator
	outputs []*RecordOutput
	// stopped is set when a stop-with-savepoint ended this task: a
	// source's own stop, or a Stopped event on an input channel.
	stopped bool
	current string // operator name, for panic reports
	cp      checkpoints
	tm      taskWatermarks
	m       taskMetrics
}

// RunTask runs one subtask (an operator chain) to its end: a source until
// it is exhausted, any other task until every input has sent
// end-of-partition. It returns nil when the task finished, an error
// wrapping ErrCanceled when ctx ended it, or the failure (a *PanicError for
// a panicking user function).
func RunTask(ctx context.Context, opts TaskOptions) (err error) {
	g := opts.Program.Graph()
	if opts.Vertex < 0 || opts.Vertex >= len(g.Vertices) {
		return fmt.Errorf("run task: vertex %d not in job graph", opts.Vertex)
	}
	t := &task{opts: opts, g: g, v: g.Vertices[opts.Vertex], ops: map[int]Operator{}}
	t.current = t.v.Name
	t.initMetrics()
	defer t.publish()
	uploadCtx, cancelUploads := context.WithCancel(ctx)
	t.cp = checkpoints{ctx: ctx, uploadCtx: uploadCtx, hooks: opts.Checkpoints}
	defer func() {
		if r := recover(); r != nil {
			if a, ok := r.(abort); ok {
				err = a.err
			} else {
				err = &PanicError{Operator: t.current, Value: fmt.Sprint(r), Stack: string(rtdebug.Stack())}
			}
		}
		// A finished task lets its uploads end and acknowledge; a failed
		// one stops them. Either way they end before the operators close.
		if err != nil {
			cancelUploads()
		}
		t.cp.uploads.Wait()
		cancelUploads()
		for _, op := range t.ops {
			_ = op.Close()
		}
		if err != nil {
			for _, o := range t.outputs {
				o.w.Abort(err)
			}
		}
		if err != nil && ctx.Err() != nil {
			err = fmt.Errorf("%s subtask %d: %w (%v)", t.v.Name, opts.Subtask, ErrCanceled, err)
		}
	}()
	if err := t.build(ctx); err != nil {
		return err
	}
	if err := t.run(ctx); err != nil {
		return err
	}
	if t.v.Source && !t.stopped {
		// A bounded input ends event time: every timer fires. A source
		// stopped with a savepoint does not (--drain sent MaxWatermark
		// before the barrier): what fires after the barrier would be
		// output the savepoint does not cover.
		t.watermarkTo(t.v.Operators[0], MaxWatermark)
	}
	fctx := ctx
	if t.stopped {
		// Nor do its operators finish (Flink calls no finish() on a stop
		// without drain): they learn it from the context.
		fctx = context.WithValue(ctx, stoppedKey{}, true)
	}
	for _, n := range t.v.Operators {
		t.current = g.Operators[n].Node.Name
		if err := t.ops[n].Finish(fctx); err != nil {
			return fmt.Errorf("finish %s: %w", t.current, err)
		}
	}
	for _, o := range t.outputs {
		if t.stopped {
			if err := o.Broadcast(Event{Kind: Stopped}); err != nil {
				return err
			}
		}
		if err := o.end(); err != nil {
			return err
		}
	}
	return nil
}

func (t *task) build(ctx context.Context) error {
	g, opts := t.g, t.opts
	t.initTime()
	netOut := t.tm.netOut
	for _, e := range g.Outputs(t.v.Index) {
		var consumers []int
		if e.Partitioner == graph.Forward {
			consumers = []int{opts.Subtask}
		} else {
			for i := 0; i < g.Vertices[e.To].Parallelism; i++ {
				consumers = append(consumers, i)
			}
		}
		w, err := opts.Exchange.OpenWriter(ctx, PartitionID{Job: opts.Job, Attempt: opts.Attempt, Edge: e.Index, Producer: opts.Subtask}, e.To, consumers)
		if err != nil {
			return err
		}
		o := NewRecordOutput(ctx, e, w, opts.Subtask, g.MaxParallelism)
		o.time = t.tm.time
		t.outputs = append(t.outputs, o)
		netOut[e.FromNode] = append(netOut[e.FromNode], o)
	}
	t.m.outRecords = make([]atomic.Int64, len(t.outputs))
	t.m.in, t.m.out, t.m.oneToOne, t.m.pred = map[int]*opCount{}, map[int]*opCount{}, map[int]bool{}, map[int]int{}
	groups := map[int]*metrics.Group{}
	// Downstream first, so every operator's consumers exist when it opens.
	for i := len(t.v.Operators) - 1; i >= 0; i-- {
		n := t.v.Operators[i]
		op := g.Operators[n]
		var outs Outputs
		for _, ce := range g.ChainEdges {
			if ce.From == n {
				outs.Chained = append(outs.Chained, t.ops[ce.To].Input())
				outs.ChainedTo = append(outs.ChainedTo, ce.To)
				t.tm.chainOut[n] = append(t.tm.chainOut[n], ce.To)
				t.m.pred[ce.To] = n
			}
		}
		outs.Network = netOut[n]
		f := opts.Program.Factory(n)
		if f == nil {
			return fmt.Errorf("operator %q (%s): no factory in this binary", op.Node.Name, op.ID)
		}
		t.current = op.Node.Name
		out, err := f.NewOutput(outs)
		if err != nil {
			return fmt.Errorf("output of %q: %w", op.Node.Name, err)
		}
		groups[n] = t.operatorGroup(n)
		inst, err := f.Open(OperatorContext{
			Job: opts.Job, Attempt: opts.Attempt, Operator: op, Subtask: opts.Subtask,
			Parallelism: t.v.Parallelism, MaxParallelism: g.MaxParallelism, Vertex: t.v.Index,
			Checkpointing: opts.Checkpointing, Restore: opts.Restore.forOperator(op.ID),
			Logger:  opts.Logger.With().Str("operator", op.Node.Name).Int("subtask", opts.Subtask).Logger(),
			Time:    &TimeContext{t: t.tm.time, node: n},
			Metrics: groups[n],
			task:    t, node: n,
		}, out)
		if err != nil {
			return fmt.Errorf("open %q: %w", op.Node.Name, err)
		}
		t.ops[n] = inst
	}
	t.registerRecordCounts(groups)
	t.current = t.v.Name
	return nil
}

func (t *task) flush() {
	for _, o := range t.outputs {
		o.Flush()
	}
}

func (t *task) run(ctx context.Context) (err error) {
	head := t.ops[t.v.Operators[0]]
	if t.v.Source {
		return t.runSource(ctx, head)
	}
	var inputs []GateInput
	pending := 0
	for _, e := range t.g.Inputs(t.v.Index) {
		in := GateInput{Edge: e.Index, Producers: t.g.Producers(e, t.opts.Subtask), Subpartition: t.opts.Subtask}
		if e.Partitioner == graph.Forward {
			in.Subpartition = 0
		}
		for _, p := range in.Producers {
			if p < len(t.opts.Slots) {
				in.Locations = append(in.Locations, t.opts.Slots[p])
			}
		}
		inputs = append(inputs, in)
		pending += len(in.Producers)
	}
	router, err := newInputRouter(t.g, t.v, head)
	if err != nil {
		return err
	}
	gate, err := t.openGate(ctx, inputs)
	if err != nil {
		return err
	}
	t.tm.valve = NewWatermarkValve(len(t.cp.channels))
	defer func() {
		if cerr := gate.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close input gate: %w", cerr)
		}
	}()
	for pending > 0 {
		el, ok, err := gate.Poll()
		if err != nil {
			return err
		}
		if !ok {
			// Nothing to read: ship what we have before blocking, which
			// bounds latency without a timer.
			t.flush()
			t.publish()
			start := time.Now()
			el, err = t.next(ctx, gate)
			t.idleSince(start)
			if err != nil {
				return err
			}
		}
		t.cp.read++
		if t.cp.read%checkEvery == 0 {
			t.safePoint()
		}
		switch el.Event.Kind {
		case EventNone:
			t.m.io.RecordsIn++
			t.m.io.BytesIn += int64(len(el.Record)) + 4
			rec := el.Record
			if el.Edge < len(t.tm.tsEdge) && t.tm.tsEdge[el.Edge] {
				if rec, err = t.tm.time.splitTimestamp(rec); err != nil {
					return fmt.Errorf("input edge %d from subtask %d: %w", el.Edge, el.Producer, err)
				}
				if t.tm.valve.HasIdle() {
					t.valveOut(t.tm.valve.Active(t.cp.index[[2]int{el.Edge, el.Producer}]))
				}
			}
			if err := router.push(el.Edge, rec); err != nil {
				return fmt.Errorf("input edge %d from subtask %d: %w", el.Edge, el.Producer, err)
			}
		case EndOfPartition:
			pending--
			ch := t.cp.index[[2]int{el.Edge, el.Producer}]
			if err := t.align(t.cp.aligner.EndOfPartition(time.Now(), ch)); err != nil {
				return err
			}
			if t.cp.stopping[ch] {
				// Stopped with a savepoint: the channel's watermark
				// stays where it was, and so does this task's.
				t.stopped = true
			} else {
				t.valveOut(t.tm.valve.End(ch))
			}
		case Stopped:
			if t.cp.stopping == nil {
				t.cp.stopping = map[int]bool{}
			}
			t.cp.stopping[t.cp.index[[2]int{el.Edge, el.Producer}]] = true
		case CheckpointBarrier:
			if err := t.barrier(el); err != nil {
				return err
			}
		case Watermark:
			t.valveOut(t.tm.valve.Watermark(t.cp.index[[2]int{el.Edge, el.Producer}], el.Event.Timestamp))
		}
	}
	return nil
}
