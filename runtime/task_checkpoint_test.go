package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/rs/zerolog"
)

// hookJob is a source task with a chain of two operators that record what
// the task asks of them; the second fails checkpoints on request.
type hookJob struct {
	g          *graph.JobGraph
	mu         sync.Mutex
	calls      []string
	failSync   map[int64]bool
	failUpload map[int64]bool
	stop       atomic.Bool
}

func (j *hookJob) record(s string) { j.mu.Lock(); j.calls = append(j.calls, s); j.mu.Unlock() }

func (j *hookJob) Graph() *graph.JobGraph        { return j.g }
func (j *hookJob) Factory(n int) OperatorFactory { return hookFactory{j, n} }

type hookFactory struct {
	j    *hookJob
	node int
}

func (f hookFactory) NewOutput(o Outputs) (any, error) { return nil, nil }

func (f hookFactory) Open(oc OperatorContext, out any) (Operator, error) {
	return &hookOp{j: f.j, name: oc.Operator.Node.Name}, nil
}

type hookOp struct {
	j    *hookJob
	name string
}

func (o *hookOp) Input() any                   { return func(int64) {} }
func (o *hookOp) PushRecord([]byte) error      { return nil }
func (o *hookOp) Finish(context.Context) error { return nil }
func (o *hookOp) Close() error                 { return nil }
func (o *hookOp) Run(ctx context.Context, idle func()) error {
	return o.RunWithSafePoint(ctx, idle, idle)
}

func (o *hookOp) RunWithSafePoint(ctx context.Context, idle, safePoint func()) error {
	for !o.j.stop.Load() {
		safePoint()
		select {
		case <-time.After(time.Millisecond):
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}

func (o *hookOp) SnapshotState(_ context.Context, cp CheckpointMeta) (OperatorSnapshot, error) {
	o.j.record(fmt.Sprintf("snapshot %s %d", o.name, cp.ID))
	o.j.mu.Lock()
	failSync, failUpload := o.j.failSync[cp.ID] && o.name == "second", o.j.failUpload[cp.ID] && o.name == "second"
	o.j.mu.Unlock()
	if failSync {
		return OperatorSnapshot{}, errors.New("sync part failed")
	}
	return OperatorSnapshot{Upload: func(context.Context) ([]StateHandle, error) {
		if failUpload {
			return nil, errors.New("upload failed")
		}
		return []StateHandle{{Path: o.name}}, nil
	}}, nil
}

func (o *hookOp) NotifyCheckpointComplete(id int64) error {
	o.j.record(fmt.Sprintf("complete %s %d", o.name, id))
	return nil
}

func (o *hookOp) NotifyCheckpointAborted(id int64) {
	o.j.record(fmt.Sprintf("aborted %s %d", o.name, id))
}

// TestTaskCheckpointHooks drives a source task through triggers and
// notifications: snapshots and notifications reach every operator of the
// chain in chain order, a failing synchronous or asynchronous part declines
// that checkpoint and the task goes on.
func TestTaskCheckpointHooks(t *testing.T) {
	j := &hookJob{
		failSync:   map[int64]bool{2: true},
		failUpload: map[int64]bool{3: true},
		g: &graph.JobGraph{
			Name: "hooks", MaxParallelism: 128,
			Operators: []graph.Operator{
				{ID: "first-uid", Node: graph.Node{Index: 0, Kind: "source", Name: "first"}},
				{ID: "second-uid", Node: graph.Node{Index: 1, Kind: "map", Name: "second"}},
			},
			Vertices:   []graph.Vertex{{Index: 0, Name: "first -> second", Parallelism: 1, Operators: []int{0, 1}, Source: true}},
			ChainEdges: []graph.Edge{{From: 0, To: 1, Partitioner: graph.Forward}},
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmds := make(chan CheckpointCommand)
	var mu sync.Mutex
	var results []string
	done := func() int { mu.Lock(); defer mu.Unlock(); return len(results) }
	hooks := CheckpointHooks{Commands: cmds,
		Ack: func(cp CheckpointMeta, snaps []OperatorSnapshot, _ time.Duration) {
			id := cp.ID
			var ops []string
			for _, s := range snaps {
				ops = append(ops, fmt.Sprintf("%s%v", s.Operator, s.Handles))
			}
			mu.Lock()
			results = append(results, fmt.Sprintf("ack %d %s", id, strings.Join(ops, " ")))
			mu.Unlock()
		},
		Decline: func(id int64, err error) {
			mu.Lock()
			results = append(results, fmt.Sprintf("decline %d: %v", id, err))
			mu.Unlock()
		},
	}
	errc := make(chan error, 1)
	go func() {
		errc <- RunTask(ctx, TaskOptions{Program: j, Job: "hooks", Exchange: NewLocalExchange(), Logger: zerolog.Nop(), Checkpoints: hooks})
	}()
	send := func(c CheckpointCommand) {
		select {
		case cmds <- c:
		case <-ctx.Done():
			t.Fatalf("task did not take %v", c.Kind)
		}
	}
	for id := int64(1); id <= 3; id++ {
		send(CheckpointCommand{Kind: TriggerCheckpoint, Meta: CheckpointMeta{ID: id}})
		testutil.WaitFor(t, 10*time.Second, fmt.Sprintf("result of checkpoint %d", id), func() bool { return done() == int(id) })
	}
	send(CheckpointCommand{Kind: CompleteCheckpoint, Meta: CheckpointMeta{ID: 1}})
	send(CheckpointCommand{Kind: AbortCheckpoint, Meta: CheckpointMeta{ID: 2}})
	// An unbuffered send returns when the task took the command; one more
	// makes sure the abort was carried out.
	send(CheckpointCommand{Kind: AbortCheckpoint, Meta: CheckpointMeta{ID: 3}})
	j.stop.Store(true)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	wantResults := []string{
		"ack 1 first-uid[{first-uid first 0 0 0 false}] second-uid[{second-uid second 0 0 0 false}]", // handles carry their operator
		"decline 2: first -> second subtask 0: snapshot second (second-uid): sync part failed",
		"decline 3: first -> second subtask 0: upload state of second-uid: upload failed",
	}
	if strings.Join(results, "\n") != strings.Join(wantResults, "\n") {
		t.Errorf("results:\n%s\nwant:\n%s", strings.Join(results, "\n"), strings.Join(wantResults, "\n"))
	}
	wantCalls := []string{
		"snapshot first 1", "snapshot second 1",
		"snapshot first 2", "snapshot second 2",
		"snapshot first 3", "snapshot second 3",
		"complete first 1", "complete second 1",
		"aborted first 2", "aborted second 2",
		"aborted first 3", "aborted second 3",
	}
	if strings.Join(j.calls, "\n") != strings.Join(wantCalls, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(j.calls, "\n"), strings.Join(wantCalls, "\n"))
	}
}

// scriptGate is an InputGate fed by the test: elements come out in the
// order they were fed, skipping blocked channels; Block and Unblock are
// logged.
type scriptGate struct {
	mu      sync.Mutex
	queue   []Element
	blocked map[[2]int]bool
	log     []string
	ready   chan struct{}
}

func (g *scriptGate) feed(els ...Element) {
	g.mu.Lock()
	g.queue = append(g.queue, els...)
	g.mu.Unlock()
	select {
	case g.ready <- struct{}{}:
	default:
	}
}

func (g *scriptGate) Poll() (Element, bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, el := range g.queue {
		if !g.blocked[[2]int{el.Edge, el.Producer}] {
			g.queue = append(g.queue[:i:i], g.queue[i+1:]...)
			return el, true, nil
		}
	}
	return Element{}, false, nil
}

func (g *scriptGate) Next(ctx context.Context) (Element, error) {
	return Element{}, errors.New("scriptGate: Next is not used")
}

func (g *scriptGate) Ready() <-chan struct{} { return g.ready }

func (g *scriptGate) Block(edge, producer int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.blocked[[2]int{edge, producer}] = true
	g.log = append(g.log, fmt.Sprintf("block %d", producer))
}

func (g *scriptGate) Unblock(edge, producer int) {
	g.mu.Lock()
	g.blocked[[2]int{edge, producer}] = false
	g.log = append(g.log, fmt.Sprintf("unblock %d", producer))
	g.mu.Unlock()
	select {
	case g.ready <- struct{}{}:
	default:
	}
}

func (g *scriptGate) Close() error { return nil }

func (g *scriptGate) logged() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return strings.Join(g.log, ", ")
}

type scriptExchange struct{ g *scriptGate }

func (x scriptExchange) OpenWriter(context.Context, PartitionID, int, []int) (PartitionWriter, error) {
	return nil, errors.New("scriptExchange: no writers")
}

func (x scriptExchange) OpenGate(context.Context, GateID, []GateInput) (InputGate, error) {
	return x.g, nil
}

// countJob is a sink vertex fed by two source subtasks; its operator counts
// records and snapshots the count.
type countJob struct {
	g     *graph.JobGraph
	count atomic.Int64
	mu    sync.Mutex
	calls []string
}

func (j *countJob) Graph() *graph.JobGraph        { return j.g }
func (j *countJob) Factory(n int) OperatorFactory { return countFactory{j} }

type countFactory struct{ j *countJob }

func (f countFactory) NewOutput(Outputs) (any, error) { return nil, nil }
func (f countFactory) Open(OperatorContext, any) (Operator, error) {
	return countOp(f), nil
}

type countOp struct{ j *countJob }

func (o countOp) Input() any                        { return nil }
func (o countOp) PushRecord([]byte) error           { o.j.count.Add(1); return nil }
func (o countOp) Run(context.Context, func()) error { return errors.New("not a source") }
func (o countOp) Finish(context.Context) error      { return nil }
func (o countOp) Close() error                      { return nil }
func (o countOp) SnapshotState(_ context.Context, cp CheckpointMeta) (OperatorSnapshot, error) {
	return OperatorSnapshot{State: []byte(fmt.Sprint(o.j.count.Load()))}, nil
}
func (o countOp) NotifyCheckpointComplete(int64) error { return nil }
func (o countOp) NotifyCheckpointAborted(id int64) {
	o.j.mu.Lock()
	o.j.calls = append(o.j.calls, fmt.Sprintf("aborted %d", id))
	o.j.mu.Unlock()
}

// TestTaskAlignsBarriers drives a two-input task through a scripted gate:
// a newer barrier overtakes the pending one (declined), the newer one
// completes with the records before it on both channels, and a
// coordinator abort unblocks a channel held for a third barrier.
func TestTaskAlignsBarriers(t *testing.T) {
	j := &countJob{g: &graph.JobGraph{
		Name: "align", MaxParallelism: 128,
		Operators: []graph.Operator{
			{ID: "src-uid", Node: graph.Node{Index: 0, Kind: "source", Name: "source"}, Vertex: 0},
			{ID: "count-uid", Node: graph.Node{Index: 1, Kind: "sink", Name: "count"}, Vertex: 1},
		},
		Vertices: []graph.Vertex{
			{Index: 0, Name: "source", Parallelism: 2, Operators: []int{0}, Source: true},
			{Index: 1, Name: "count", Parallelism: 1, Operators: []int{1}},
		},
		Edges: []graph.JobEdge{{Index: 0, From: 0, To: 1, FromNode: 0, ToNode: 1, Partitioner: graph.Rebalance}},
	}}
	g := &scriptGate{blocked: map[[2]int]bool{}, ready: make(chan struct{}, 1)}
	rec := func(p int) Element { return Element{Edge: 0, Producer: p, Record: []byte{1}} }
	barrier := func(p int, id int64) Element {
		return Element{Edge: 0, Producer: p, Event: Event{Kind: CheckpointBarrier, CheckpointID: id, Timestamp: 100 * id}}
	}
	eop := func(p int) Element { return Element{Edge: 0, Producer: p, Event: Event{Kind: EndOfPartition}} }
	g.feed(rec(0), barrier(0, 1), rec(0), rec(1), barrier(1, 2), barrier(0, 2), rec(1), barrier(0, 3), rec(0))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmds := make(chan CheckpointCommand)
	var mu sync.Mutex
	var results []string
	result := func() string { mu.Lock(); defer mu.Unlock(); return strings.Join(results, "; ") }
	hooks := CheckpointHooks{Mode: ExactlyOnce, Commands: cmds,
		Ack: func(cp CheckpointMeta, snaps []OperatorSnapshot, _ time.Duration) {
			id := cp.ID
			mu.Lock()
			defer mu.Unlock()
			results = append(results, fmt.Sprintf("ack %d %s=%s", id, snaps[0].Operator, snaps[0].State))
		},
		Decline: func(id int64, err error) {
			mu.Lock()
			defer mu.Unlock()
			results = append(results, fmt.Sprintf("decline %d: %v", id, err))
		},
	}
	errc := make(chan error, 1)
	go func() {
		errc <- RunTask(ctx, TaskOptions{Program: j, Job: "align", Vertex: 1, Exchange: scriptExchange{g}, Logger: zerolog.Nop(), Checkpoints: hooks})
	}()
	const want = "decline 1: count subtask 0: barrier of checkpoint 1 overtaken by a newer one before alignment; ack 2 count-uid=3"
	testutil.WaitFor(t, 10*time.Second, "checkpoint 2", func() bool { return result() == want })
	const held = "block 0, unblock 0, block 1, unblock 1, block 0"
	testutil.WaitFor(t, 10*time.Second, "channel 0 held for checkpoint 3", func() bool { return g.logged() == held })
	if n := j.count.Load(); n != 4 {
		t.Fatalf("%d records read while channel 0 is held, want 4", n)
	}
	select {
	case cmds <- CheckpointCommand{Kind: AbortCheckpoint, Meta: CheckpointMeta{ID: 3}}:
	case <-ctx.Done():
		t.Fatal("task did not take the abort")
	}
	testutil.WaitFor(t, 10*time.Second, "the held record", func() bool { return j.count.Load() == 5 })
	g.feed(eop(0), eop(1))
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if got := g.logged(); got != held+", unblock 0" {
		t.Errorf("gate calls %q, want %q", got, held+", unblock 0")
	}
	if got := result(); got != want {
		t.Errorf("results %q, want %q", got, want)
	}
	if got := strings.Join(j.calls, ", "); got != "aborted 3" {
		t.Errorf("operator calls %q, want %q", got, "aborted 3")
	}
}
