package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-yarn/floe/examples/rules/job"
	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/stream"
	"github.com/floe-yarn/floe/taskexec"
	"github.com/rs/zerolog"
)

// coordinator plays the JobManager for the restore tests: it records task
// states and checkpoint acknowledgements; the test triggers checkpoints and
// hands out restore handles by hand.
type coordinator struct {
	mu       sync.Mutex
	states   map[[3]int]api.ExecutionState // attempt, vertex, subtask
	problems []string
	acks     map[int64][]api.AcknowledgeCheckpoint
	lastID   int64
}

func newCoordinator() *coordinator {
	return &coordinator{states: map[[3]int]api.ExecutionState{}, acks: map[int64][]api.AcknowledgeCheckpoint{}}
}

func (c *coordinator) Register(context.Context, api.Registration) (api.RegistrationReply, error) {
	return api.RegistrationReply{Version: api.Version}, nil
}

func (c *coordinator) Heartbeat(context.Context, string) (bool, error) { return true, nil }

func (c *coordinator) UpdateTask(_ context.Context, u api.TaskUpdate) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.states[[3]int{u.Attempt, u.Vertex, u.Subtask}] = u.State
	if u.State == api.Failed {
		c.problems = append(c.problems, u.Cause)
	}
	return nil
}

func (c *coordinator) AcknowledgeCheckpoint(_ context.Context, a api.AcknowledgeCheckpoint) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.acks[a.Checkpoint] = append(c.acks[a.Checkpoint], a)
	return nil
}

func (c *coordinator) DeclineCheckpoint(_ context.Context, d api.DeclineCheckpoint) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.problems = append(c.problems, "declined: "+d.Cause)
	return nil
}

func (c *coordinator) nextID() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastID++
	return c.lastID
}

func (c *coordinator) count(attempt int, s api.ExecutionState) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k, st := range c.states {
		if k[0] == attempt && st == s {
			n++
		}
	}
	return n
}

func (c *coordinator) acked(id int64) []api.AcknowledgeCheckpoint {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]api.AcknowledgeCheckpoint(nil), c.acks[id]...)
}

func (c *coordinator) failures() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.problems, "; ")
}

// phase is one attempt of the rules job at one parallelism, on a
// TaskManager of its own.
type phase struct {
	t       *testing.T
	c       *coordinator
	tm      *taskexec.TaskManager
	g       runtime.Program
	attempt int
	ran     chan error
	once    sync.Once
}

const jobID = "rules-test-job"

func startPhase(t *testing.T, c *coordinator, p, attempt int, o job.Options, ckp *api.TaskCheckpointing, from []api.AcknowledgeCheckpoint, fromID int64) *phase {
	t.Helper()
	env := stream.NewEnvironment(stream.Options{Parallelism: p})
	job.Build(env, o)
	prog, err := env.Program("rules")
	if err != nil {
		t.Fatal(err)
	}
	g := prog.Graph()
	tm, err := taskexec.New(context.Background(), taskexec.Options{ID: fmt.Sprintf("tm-%d", attempt), Slots: g.Slots(), Program: prog,
		Exchange: runtime.NewLocalExchange(), JobManager: c, Logger: zerolog.Nop(), LocalDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ph := &phase{t: t, c: c, tm: tm, g: prog, attempt: attempt, ran: make(chan error, 1)}
	go func() { ph.ran <- tm.Run(context.Background()) }()
	t.Cleanup(ph.stop)
	slots := make([]api.SlotLocation, g.Slots())
	for i := range slots {
		slots[i] = api.SlotLocation{TaskManager: tm.ID(), Slot: i}
	}
	for _, v := range g.Vertices {
		for i := range v.Parallelism {
			d := api.DeployTask{Job: jobID, JobName: g.Name, Attempt: attempt, Vertex: v.Index, Subtask: i, Slot: i,
				Fingerprint: g.Fingerprint, Slots: slots, Checkpointing: ckp}
			if from != nil {
				d.Restore = restoreFor(g.MaxParallelism, v, i, fromID, from)
			}
			if err := tm.Deploy(context.Background(), d); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ph
}

// restoreFor gives subtask i of v its handles as the coordinator does:
// handles whose key groups overlap its range (keyed state, and broadcast
// state, whose handles cover every key group), and its own subtask's
// operator state — every old subtask's for a source whose parallelism
// changed.
func restoreFor(maxP int, v graph.Vertex, i int, id int64, acks []api.AcknowledgeCheckpoint) *api.TaskRestore {
	lo, hi := (i*maxP+v.Parallelism-1)/v.Parallelism, ((i+1)*maxP-1)/v.Parallelism+1
	oldP := 0
	for _, a := range acks {
		if a.Vertex == v.Index {
			oldP++
		}
	}
	r := &api.TaskRestore{Checkpoint: id}
	for _, a := range acks {
		if a.Vertex != v.Index {
			continue
		}
		for _, h := range a.Handles {
			keyed := h.KeyGroupEnd > 0
			if keyed && h.KeyGroupStart < hi && h.KeyGroupEnd > lo || !keyed && (v.Source && oldP != v.Parallelism || a.Subtask == i) {
				r.Handles = append(r.Handles, h)
			}
		}
	}
	return r
}

func (ph *phase) stop() {
	ph.once.Do(func() {
		ph.tm.Shutdown()
		select {
		case err := <-ph.ran:
			if err != nil {
				ph.t.Errorf("TaskManager: %v", err)
			}
		case <-time.After(30 * time.Second):
			ph.t.Error("TaskManager did not stop")
		}
	})
}

// outputBytes is the size of every file (committed or not) in the sink's
// folder.
func outputBytes(dir string) int64 {
	ents, _ := os.ReadDir(dir) // absent until the sink starts
	var n int64
	for _, e := range ents {
		if info, err := e.Info(); err == nil && !e.IsDir() {
			n += info.Size()
		}
	}
	return n
}

// progress takes checkpoints that never complete (each rolls the sink's
// part file to disk) until the sink's files grew: firings flowed.
func (ph *phase) progress(output string) {
	ph.t.Helper()
	before := outputBytes(output)
	testutil.WaitFor(ph.t, 60*time.Second, "firings written", func() bool {
		ph.trigger(ph.c.nextID())
		return outputBytes(output) > before
	})
}

// checkpoint triggers checkpoint id, waits for every acknowledgement and
// notifies completion; it returns the acknowledgements.
func (ph *phase) checkpoint(id int64) []api.AcknowledgeCheckpoint {
	ph.t.Helper()
	acks := ph.trigger(id)
	if err := ph.tm.NotifyCheckpoint(context.Background(), api.NotifyCheckpoint{Job: jobID, Attempt: ph.attempt, Checkpoint: id}); err != nil {
		ph.t.Fatal(err)
	}
	return acks
}

func (ph *phase) trigger(id int64) []api.AcknowledgeCheckpoint {
	ph.t.Helper()
	g := ph.g.Graph()
	tr := api.TriggerCheckpoint{Job: jobID, Attempt: ph.attempt, Checkpoint: id, TimestampMillis: time.Now().UnixMilli()}
	for _, v := range g.Vertices {
		if v.Source {
			for i := range v.Parallelism {
				tr.Subtasks = append(tr.Subtasks, api.SubtaskRef{Vertex: v.Index, Subtask: i})
			}
		}
	}
	if err := ph.tm.TriggerCheckpoint(context.Background(), tr); err != nil {
		ph.t.Fatal(err)
	}
	testutil.WaitFor(ph.t, 60*time.Second, fmt.Sprintf("acknowledgements of checkpoint %d", id), func() bool {
		if f := ph.c.failures(); f != "" {
			ph.t.Fatalf("checkpoint %d: %s", id, f)
		}
		return len(ph.c.acked(id)) == g.Subtasks()
	})
	return ph.c.acked(id)
}

// fail cancels every subtask (a failure of the attempt) and waits for them.
func (ph *phase) fail() {
	ph.t.Helper()
	g := ph.g.Graph()
	for _, v := range g.Vertices {
		for i := range v.Parallelism {
			_ = ph.tm.Cancel(context.Background(), api.CancelTask{Job: jobID, Attempt: ph.attempt, Vertex: v.Index, Subtask: i})
		}
	}
	testutil.WaitFor(ph.t, 60*time.Second, "subtasks canceled", func() bool {
		return ph.c.count(ph.attempt, api.Canceled)+ph.c.count(ph.attempt, api.Finished) == g.Subtasks()
	})
	ph.stop()
}

func (ph *phase) finish() {
	ph.t.Helper()
	testutil.WaitFor(ph.t, 120*time.Second, "job finished", func() bool {
		if ph.c.count(ph.attempt, api.Failed) > 0 {
			ph.t.Fatalf("attempt %d failed: %s", ph.attempt, ph.c.failures())
		}
		return ph.c.count(ph.attempt, api.Finished) == ph.g.Graph().Subtasks()
	})
}

func checkpointing(t *testing.T, backend string) *api.TaskCheckpointing {
	return &api.TaskCheckpointing{Mode: "EXACTLY_ONCE", Dir: filepath.Join(t.TempDir(), "checkpoints", jobID), Backend: backend}
}
