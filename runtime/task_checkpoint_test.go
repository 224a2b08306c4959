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
		Ack: func(id int64, snaps []OperatorSnapshot, _ time.Duration) {
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
		"ack 1 first-uid[{first 0 0 0 false}] second-uid[{second 0 0 0 false}]",
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
