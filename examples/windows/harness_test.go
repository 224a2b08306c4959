// The checkpoint harness below follows examples/ledger/harness_test.go: a
// test JobManager for one TaskManager that triggers, completes and
// restores checkpoints by hand.

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

	"github.com/floe-yarn/floe/examples/windows/job"
	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/stream"
	"github.com/floe-yarn/floe/taskexec"
	"github.com/rs/zerolog"
)

// coordinator is a test JobManager for one TaskManager: it records task
// states and checkpoint acknowledgements, and plays the checkpoint
// coordinator's part by hand (trigger, collect, notify, restore handles).
type coordinator struct {
	mu       sync.Mutex
	states   map[[3]int]api.ExecutionState // attempt, vertex, subtask
	causes   []string
	acks     map[int64][]api.AcknowledgeCheckpoint
	declines []api.DeclineCheckpoint
	lastID   int64
}

// nextID is the next checkpoint id.
func (c *coordinator) nextID() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastID++
	return c.lastID
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
	if u.Cause != "" {
		c.causes = append(c.causes, u.Cause)
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
	c.declines = append(c.declines, d)
	return nil
}

// count returns how many subtasks of attempt are in state s.
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
	var s []string
	for _, d := range c.declines {
		s = append(s, "declined: "+d.Cause)
	}
	return strings.Join(append(s, c.causes...), "; ")
}

// phase is one attempt of the windows job at one parallelism, on a
// TaskManager of its own.
type phase struct {
	t       *testing.T
	c       *coordinator
	tm      *taskexec.TaskManager
	g       runtime.Program
	attempt int
	ckp     *api.TaskCheckpointing
	ran     chan error
	once    sync.Once
}

const jobID = "windows-test-job"

func startPhase(t *testing.T, c *coordinator, p, attempt int, input, output string, rate float64, ckp *api.TaskCheckpointing, from *restoreFrom) *phase {
	t.Helper()
	env := stream.NewEnvironment(stream.Options{Parallelism: p})
	if err := job.Build(env, job.Options{Input: input, Output: output, Window: testWindow, Rate: rate, OutOfOrderness: testOutOfOrderness}); err != nil {
		t.Fatal(err)
	}
	prog, err := env.Program("windows")
	if err != nil {
		t.Fatal(err)
	}
	g := prog.Graph()
	var restore map[[2]int]*api.TaskRestore
	if from != nil {
		restore = restoreHandles(prog, from.id, from.acks)
	}
	tm, err := taskexec.New(context.Background(), taskexec.Options{ID: fmt.Sprintf("tm-%d", attempt), Slots: g.Slots(), Program: prog,
		Exchange: runtime.NewLocalExchange(), JobManager: c, Logger: zerolog.Nop(), LocalDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ph := &phase{t: t, c: c, tm: tm, g: prog, attempt: attempt, ckp: ckp, ran: make(chan error, 1)}
	go func() { ph.ran <- tm.Run(context.Background()) }()
	t.Cleanup(ph.stop)
	slots := make([]api.SlotLocation, g.Slots())
	for i := range slots {
		slots[i] = api.SlotLocation{TaskManager: tm.ID(), Slot: i}
	}
	for _, v := range g.Vertices {
		for i := 0; i < v.Parallelism; i++ {
			d := api.DeployTask{Job: jobID, JobName: g.Name, Attempt: attempt, Vertex: v.Index, Subtask: i, Slot: i,
				Fingerprint: g.Fingerprint, Slots: slots, Checkpointing: ckp, Restore: restore[[2]int{v.Index, i}]}
			if err := tm.Deploy(context.Background(), d); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ph
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

func (ph *phase) subtasks() int { return ph.g.Graph().Subtasks() }

// outputBytes returns the bytes of the visible and of the hidden (not yet
// committed) files in the sink's folder.
func outputBytes(dir string) (visible, hidden int64) {
	ents, _ := os.ReadDir(dir) // absent until the sink starts
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || e.IsDir() {
			continue
		}
		if strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), "_") {
			hidden += info.Size()
		} else {
			visible += info.Size()
		}
	}
	return visible, hidden
}

// progress waits until records flowed: it takes checkpoints that never
// complete (each rolls the sink's part file to disk) until the sink's
// files grew.
func (ph *phase) progress(output string) {
	ph.t.Helper()
	v0, h0 := outputBytes(output)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ph.trigger(ph.c.nextID())
		if v, h := outputBytes(output); v+h > v0+h0 {
			return
		}
		if time.Now().After(deadline) {
			ph.t.Fatal("no records flowed in 60s")
		}
	}
}

// checkpoint triggers checkpoint id at every source subtask, waits for every
// subtask's acknowledgement and notifies completion; it returns the acks.
func (ph *phase) checkpoint(id int64) []api.AcknowledgeCheckpoint {
	ph.t.Helper()
	acks := ph.trigger(id)
	if err := ph.tm.NotifyCheckpoint(context.Background(), api.NotifyCheckpoint{Job: jobID, Attempt: ph.attempt, Checkpoint: id}); err != nil {
		ph.t.Fatal(err)
	}
	return acks
}

// trigger triggers checkpoint id and waits for every acknowledgement,
// without notifying completion.
func (ph *phase) trigger(id int64) []api.AcknowledgeCheckpoint {
	ph.t.Helper()
	return ph.triggerWith(id, func(*api.TriggerCheckpoint) {})
}

// triggerWith is trigger with the trigger message changed by set.
func (ph *phase) triggerWith(id int64, set func(*api.TriggerCheckpoint)) []api.AcknowledgeCheckpoint {
	ph.t.Helper()
	g := ph.g.Graph()
	tr := api.TriggerCheckpoint{Job: jobID, Attempt: ph.attempt, Checkpoint: id, TimestampMillis: time.Now().UnixMilli()}
	set(&tr)
	for _, v := range g.Vertices {
		if v.Source {
			for i := 0; i < v.Parallelism; i++ {
				tr.Subtasks = append(tr.Subtasks, api.SubtaskRef{Vertex: v.Index, Subtask: i})
			}
		}
	}
	if err := ph.tm.TriggerCheckpoint(context.Background(), tr); err != nil {
		ph.t.Fatal(err)
	}
	ph.t.Cleanup(func() {
		if ph.t.Failed() {
			ph.c.mu.Lock()
			ph.t.Logf("task states: %v causes %v", ph.c.states, ph.c.causes)
			ph.c.mu.Unlock()
			for _, a := range ph.c.acked(id) {
				ph.t.Logf("checkpoint %d acknowledged by v%d/%d", id, a.Vertex, a.Subtask)
			}
		}
	})
	testutil.WaitFor(ph.t, 60*time.Second, fmt.Sprintf("acknowledgements of checkpoint %d", id), func() bool {
		if f := ph.c.failures(); f != "" {
			ph.t.Fatalf("checkpoint %d: %s", id, f)
		}
		return len(ph.c.acked(id)) == ph.subtasks()
	})
	return ph.c.acked(id)
}

// stopWithSavepoint stops the job with savepoint id into dir, without
// drain, as the coordinator does: the sources' trigger carries Stop, every
// subtask acknowledges, the completion is notified, and every subtask
// then finishes.
func (ph *phase) stopWithSavepoint(id int64, dir string) []api.AcknowledgeCheckpoint {
	ph.t.Helper()
	acks := ph.triggerWith(id, func(tr *api.TriggerCheckpoint) {
		tr.Savepoint, tr.SavepointDir, tr.Stop = true, dir, true
	})
	if err := ph.tm.NotifyCheckpoint(context.Background(), api.NotifyCheckpoint{Job: jobID, Attempt: ph.attempt, Checkpoint: id}); err != nil {
		ph.t.Fatal(err)
	}
	ph.finish()
	ph.stop()
	return acks
}

// fail cancels every subtask (a failure of the attempt) and waits for them.
func (ph *phase) fail() {
	ph.t.Helper()
	for _, v := range ph.g.Graph().Vertices {
		for i := 0; i < v.Parallelism; i++ {
			_ = ph.tm.Cancel(context.Background(), api.CancelTask{Job: jobID, Attempt: ph.attempt, Vertex: v.Index, Subtask: i})
		}
	}
	testutil.WaitFor(ph.t, 60*time.Second, "subtasks canceled", func() bool {
		return ph.c.count(ph.attempt, api.Canceled)+ph.c.count(ph.attempt, api.Finished) == ph.subtasks()
	})
	ph.stop()
}

func (ph *phase) finish() {
	ph.t.Helper()
	testutil.WaitFor(ph.t, 120*time.Second, "job finished", func() bool {
		if ph.c.count(ph.attempt, api.Failed) > 0 {
			ph.t.Fatalf("attempt %d failed: %s", ph.attempt, ph.c.failures())
		}
		return ph.c.count(ph.attempt, api.Finished) == ph.subtasks()
	})
}

// restoreFrom names the checkpoint a phase restores.
type restoreFrom struct {
	id   int64
	acks []api.AcknowledgeCheckpoint
}

// restoreHandles gives each subtask of the new graph its handles, as the
// coordinator does: keyed handles overlapping its key-group range, and its
// own subtask's operator state — and, for a source whose parallelism
// changed, every old subtask's (union, redistributed with AssignSplits).
func restoreHandles(prog runtime.Program, id int64, acks []api.AcknowledgeCheckpoint) map[[2]int]*api.TaskRestore {
	g := prog.Graph()
	out := map[[2]int]*api.TaskRestore{}
	for _, v := range g.Vertices {
		oldP := 0
		for _, a := range acks {
			if a.Vertex == v.Index {
				oldP++
			}
		}
		for i := 0; i < v.Parallelism; i++ {
			lo := (i*g.MaxParallelism + v.Parallelism - 1) / v.Parallelism
			hi := ((i+1)*g.MaxParallelism-1)/v.Parallelism + 1
			r := &api.TaskRestore{Checkpoint: id}
			for _, a := range acks {
				if a.Vertex != v.Index {
					continue
				}
				for _, h := range a.Handles {
					keyed := h.KeyGroupEnd > 0
					switch {
					case keyed && h.KeyGroupStart < hi && h.KeyGroupEnd > lo,
						!keyed && (v.Source && oldP != v.Parallelism || a.Subtask == i):
						r.Handles = append(r.Handles, h)
					}
				}
			}
			out[[2]int{v.Index, i}] = r
		}
	}
	return out
}

func writeLines(t *testing.T, path string, lines []string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// backends are the state backend settings the restore tests run with.
var backends = []string{"hashmap", "pebble", "pebble-incremental"}

// checkpointing returns the task settings of a test job.
func checkpointing(t *testing.T, backend string) *api.TaskCheckpointing {
	b, incremental := strings.CutSuffix(backend, "-incremental")
	return &api.TaskCheckpointing{Mode: "EXACTLY_ONCE", Dir: filepath.Join(t.TempDir(), "checkpoints", jobID), Backend: b, Incremental: incremental}
}
