package runtime

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/rs/zerolog"
)

// TestSourceStopWithSavepoint drives a source task through two
// stop-with-savepoint triggers: the first is aborted and the source goes on
// (a later checkpoint works); during the second a plain trigger is
// declined, and its completion notifies the chain and ends the task
// normally although the source never ran out. The acknowledgement carries
// the savepoint folder.
func TestSourceStopWithSavepoint(t *testing.T) {
	j := &hookJob{g: &graph.JobGraph{
		Name: "stop", MaxParallelism: 128,
		Operators: []graph.Operator{
			{ID: "first-uid", Node: graph.Node{Index: 0, Kind: "source", Name: "first"}},
			{ID: "second-uid", Node: graph.Node{Index: 1, Kind: "map", Name: "second"}},
		},
		Vertices:   []graph.Vertex{{Index: 0, Name: "first -> second", Parallelism: 1, Operators: []int{0, 1}, Source: true}},
		ChainEdges: []graph.Edge{{From: 0, To: 1, Partitioner: graph.Forward}},
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmds := make(chan CheckpointCommand)
	var mu sync.Mutex
	var results []string
	done := func() int { mu.Lock(); defer mu.Unlock(); return len(results) }
	hooks := CheckpointHooks{Commands: cmds,
		Ack: func(cp CheckpointMeta, snaps []OperatorSnapshot, _ time.Duration) {
			mu.Lock()
			results = append(results, fmt.Sprintf("ack %d savepoint=%q operators=%d", cp.ID, cp.Savepoint, len(snaps)))
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
		errc <- RunTask(ctx, TaskOptions{Program: j, Job: "stop", Exchange: NewLocalExchange(), Logger: zerolog.Nop(), Checkpoints: hooks})
	}()
	send := func(c CheckpointCommand) {
		select {
		case cmds <- c:
		case err := <-errc:
			t.Fatalf("task ended (%v) before taking %v", err, c.Kind)
		case <-ctx.Done():
			t.Fatalf("task did not take %v", c.Kind)
		}
	}
	stop := func(id int64, dir string) CheckpointCommand {
		return CheckpointCommand{Kind: TriggerCheckpoint, Meta: CheckpointMeta{ID: id, Savepoint: dir, Stop: true}}
	}
	send(stop(1, "/sp/a"))
	testutil.WaitFor(t, 10*time.Second, "ack of savepoint 1", func() bool { return done() == 1 })
	send(CheckpointCommand{Kind: AbortCheckpoint, Meta: CheckpointMeta{ID: 1}})
	send(CheckpointCommand{Kind: TriggerCheckpoint, Meta: CheckpointMeta{ID: 2}})
	testutil.WaitFor(t, 10*time.Second, "ack of checkpoint 2", func() bool { return done() == 2 })
	send(stop(3, "/sp/b"))
	testutil.WaitFor(t, 10*time.Second, "ack of savepoint 3", func() bool { return done() == 3 })
	send(CheckpointCommand{Kind: TriggerCheckpoint, Meta: CheckpointMeta{ID: 4}})
	testutil.WaitFor(t, 10*time.Second, "decline of checkpoint 4", func() bool { return done() == 4 })
	send(CheckpointCommand{Kind: CompleteCheckpoint, Meta: CheckpointMeta{ID: 2}}) // an older notice: still waiting
	select {
	case err := <-errc:
		t.Fatalf("task ended (%v) on the notice of checkpoint 2", err)
	default:
	}
	send(CheckpointCommand{Kind: CompleteCheckpoint, Meta: CheckpointMeta{ID: 3}})
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("stopped task failed: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("task did not end after its stop-with-savepoint completed")
	}
	if j.stop.Load() {
		t.Fatal("the source was told to stop by the test")
	}
	wantResults := []string{
		`ack 1 savepoint="/sp/a" operators=2`,
		`ack 2 savepoint="" operators=2`,
		`ack 3 savepoint="/sp/b" operators=2`,
		"decline 4: first -> second subtask 0: the source is stopping with savepoint 3",
	}
	if got := strings.Join(results, "\n"); got != strings.Join(wantResults, "\n") {
		t.Errorf("results:\n%s\nwant:\n%s", got, strings.Join(wantResults, "\n"))
	}
	wantCalls := []string{
		"snapshot first 1", "snapshot second 1", "aborted first 1", "aborted second 1",
		"snapshot first 2", "snapshot second 2",
		"snapshot first 3", "snapshot second 3",
		"complete first 2", "complete second 2", "complete first 3", "complete second 3",
	}
	if got := strings.Join(j.calls, "\n"); got != strings.Join(wantCalls, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", got, strings.Join(wantCalls, "\n"))
	}
}

// TestStateFile: a checkpoint's files go under the job's chk-<n>/, a
// savepoint's under its own folder.
func TestStateFile(t *testing.T) {
	s := &CheckpointSettings{Dir: "hdfs://nn/ck/job/"}
	for _, tc := range []struct {
		name string
		cp   CheckpointMeta
		want string
	}{
		{"checkpoint", CheckpointMeta{ID: 7}, "hdfs://nn/ck/job/chk-7/op-1-2-keyed"},
		{"savepoint", CheckpointMeta{ID: 8, Savepoint: "hdfs://nn/sp/savepoint-ab12cd-0011/"}, "hdfs://nn/sp/savepoint-ab12cd-0011/op-1-2-keyed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.StateFile(tc.cp, "op", 1, 2, "keyed"); got != tc.want {
				t.Fatalf("StateFile = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestRestoreForOperator: an operator without handles restores empty
// (a subtask beyond the old parallelism, or one that finished) unless it
// is Fresh: new to the savepoint, it opens without a restore.
func TestRestoreForOperator(t *testing.T) {
	hs := []StateHandle{{Operator: "a", Path: "/x/a"}}
	for _, tc := range []struct {
		name      string
		r         *TaskRestore
		uid       string
		wantNil   bool
		wantFiles int
	}{
		{"no restore", nil, "a", true, 0},
		{"state", &TaskRestore{Checkpoint: 3, Handles: hs}, "a", false, 1},
		{"no state of its own", &TaskRestore{Checkpoint: 3, Handles: hs}, "b", false, 0},
		{"new operator", &TaskRestore{Checkpoint: 3, Handles: hs, Fresh: []string{"b"}}, "b", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.r.forOperator(tc.uid)
			if (o == nil) != tc.wantNil {
				t.Fatalf("forOperator(%s) = %+v, want nil %v", tc.uid, o, tc.wantNil)
			}
			if o != nil && len(o.Handles) != tc.wantFiles {
				t.Fatalf("forOperator(%s) has %d handles, want %d", tc.uid, len(o.Handles), tc.wantFiles)
			}
		})
	}
}
