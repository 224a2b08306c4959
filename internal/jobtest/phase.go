package jobtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/taskexec"
)

// Phase is one attempt of a job at one parallelism, on a TaskManager of
// its own.
type Phase struct {
	t       *testing.T
	c       *Coordinator
	tm      *taskexec.TaskManager
	g       runtime.Program
	job     string
	attempt int
	ran     chan error
	once    sync.Once
}

// Restore names the checkpoint a phase restores and its
// acknowledgements.
type Restore struct {
	ID   int64
	Acks []api.AcknowledgeCheckpoint
}

// Start runs attempt of job (prog) on a new TaskManager reporting to c,
// every subtask deployed with ckp and, when from is set, its handles of
// that checkpoint (RestoreHandles). The TaskManager stops at the end of
// the test at the latest.
func Start(t *testing.T, c *Coordinator, prog runtime.Program, job string, attempt int, ckp *api.TaskCheckpointing, from *Restore) *Phase {
	t.Helper()
	g := prog.Graph()
	var restore map[[2]int]*api.TaskRestore
	if from != nil {
		restore = RestoreHandles(prog, from.ID, from.Acks)
	}
	tm, err := taskexec.New(context.Background(), taskexec.Options{ID: fmt.Sprintf("tm-%d", attempt), Slots: g.Slots(), Program: prog,
		Exchange: runtime.NewLocalExchange(), JobManager: c, Logger: zerolog.Nop(), LocalDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ph := &Phase{t: t, c: c, tm: tm, g: prog, job: job, attempt: attempt, ran: make(chan error, 1)}
	go func() { ph.ran <- tm.Run(context.Background()) }()
	t.Cleanup(ph.Stop)
	slots := make([]api.SlotLocation, g.Slots())
	for i := range slots {
		slots[i] = api.SlotLocation{TaskManager: tm.ID(), Slot: i}
	}
	for _, v := range g.Vertices {
		for i := 0; i < v.Parallelism; i++ {
			d := api.DeployTask{Job: job, JobName: g.Name, Attempt: attempt, Vertex: v.Index, Subtask: i, Slot: i,
				Fingerprint: g.Fingerprint, Slots: slots, Checkpointing: ckp, Restore: restore[[2]int{v.Index, i}]}
			if err := tm.Deploy(context.Background(), d); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ph
}

// Stop shuts the phase's TaskManager down (once).
func (ph *Phase) Stop() {
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

// Subtasks is the number of subtasks of the phase's job.
func (ph *Phase) Subtasks() int { return ph.g.Graph().Subtasks() }

// OutputBytes returns the bytes of the visible and of the hidden (not yet
// committed) files in a file sink's folder.
func OutputBytes(dir string) (visible, hidden int64) {
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

// Progress waits until records flowed: it takes checkpoints that never
// complete (each rolls the sink's part file to disk) until the files in
// the sink's folder output grew.
func (ph *Phase) Progress(output string) {
	ph.t.Helper()
	v0, h0 := OutputBytes(output)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ph.Trigger(ph.c.NextID())
		if v, h := OutputBytes(output); v+h > v0+h0 {
			return
		}
		if time.Now().After(deadline) {
			ph.t.Fatal("no records flowed in 60s")
		}
	}
}

// Checkpoint triggers checkpoint id at every source subtask, waits for
// every subtask's acknowledgement and notifies completion; it returns the
// acknowledgements.
func (ph *Phase) Checkpoint(id int64) []api.AcknowledgeCheckpoint {
	ph.t.Helper()
	acks := ph.Trigger(id)
	ph.notify(id)
	return acks
}

func (ph *Phase) notify(id int64) {
	ph.t.Helper()
	if err := ph.tm.NotifyCheckpoint(context.Background(), api.NotifyCheckpoint{Job: ph.job, Attempt: ph.attempt, Checkpoint: id}); err != nil {
		ph.t.Fatal(err)
	}
}

// Trigger triggers checkpoint id and waits for every acknowledgement,
// without notifying completion.
func (ph *Phase) Trigger(id int64) []api.AcknowledgeCheckpoint {
	ph.t.Helper()
	return ph.trigger(id, func(*api.TriggerCheckpoint) {})
}

// StopWithSavepoint stops the job with savepoint id into dir, without
// drain, as the coordinator does: the sources' trigger carries Stop, every
// subtask acknowledges, the completion is notified, and every subtask
// then finishes.
func (ph *Phase) StopWithSavepoint(id int64, dir string) []api.AcknowledgeCheckpoint {
	ph.t.Helper()
	acks := ph.trigger(id, func(tr *api.TriggerCheckpoint) {
		tr.Savepoint, tr.SavepointDir, tr.Stop = true, dir, true
	})
	ph.notify(id)
	ph.Finish()
	ph.Stop()
	return acks
}

// trigger is Trigger with the trigger message changed by set.
func (ph *Phase) trigger(id int64, set func(*api.TriggerCheckpoint)) []api.AcknowledgeCheckpoint {
	ph.t.Helper()
	g := ph.g.Graph()
	tr := api.TriggerCheckpoint{Job: ph.job, Attempt: ph.attempt, Checkpoint: id, TimestampMillis: time.Now().UnixMilli()}
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
			states, causes := ph.c.snapshot()
			ph.t.Logf("task states: %v causes %v", states, causes)
			for _, a := range ph.c.Acked(id) {
				ph.t.Logf("checkpoint %d acknowledged by v%d/%d", id, a.Vertex, a.Subtask)
			}
		}
	})
	testutil.WaitFor(ph.t, 60*time.Second, fmt.Sprintf("acknowledgements of checkpoint %d", id), func() bool {
		if f := ph.c.Failures(); f != "" {
			ph.t.Fatalf("checkpoint %d: %s", id, f)
		}
		return len(ph.c.Acked(id)) == ph.Subtasks()
	})
	return ph.c.Acked(id)
}

// Fail cancels every subtask (a failure of the attempt), waits for them
// and stops the TaskManager.
func (ph *Phase) Fail() {
	ph.t.Helper()
	for _, v := range ph.g.Graph().Vertices {
		for i := 0; i < v.Parallelism; i++ {
			_ = ph.tm.Cancel(context.Background(), api.CancelTask{Job: ph.job, Attempt: ph.attempt, Vertex: v.Index, Subtask: i})
		}
	}
	testutil.WaitFor(ph.t, 60*time.Second, "subtasks canceled", func() bool {
		return ph.c.Count(ph.attempt, api.Canceled)+ph.c.Count(ph.attempt, api.Finished) == ph.Subtasks()
	})
	ph.Stop()
}

// Finish waits until every subtask of the attempt finished; a failed
// subtask fails the test.
func (ph *Phase) Finish() {
	ph.t.Helper()
	testutil.WaitFor(ph.t, 120*time.Second, "job finished", func() bool {
		if ph.c.Count(ph.attempt, api.Failed) > 0 {
			ph.t.Fatalf("attempt %d failed: %s", ph.attempt, ph.c.Failures())
		}
		return ph.c.Count(ph.attempt, api.Finished) == ph.Subtasks()
	})
}

// RestoreHandles gives each subtask of the new graph its handles, as the
// coordinator does: keyed handles overlapping its key-group range, and its
// own subtask's operator state — and, for a source whose parallelism
// changed, every old subtask's (union, redistributed with AssignSplits).
func RestoreHandles(prog runtime.Program, id int64, acks []api.AcknowledgeCheckpoint) map[[2]int]*api.TaskRestore {
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

// WriteLines writes lines to the local file path.
func WriteLines(t *testing.T, path string, lines []string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Backends are the state backend settings restore tests run with
// (Checkpointing's backend argument).
var Backends = []string{"hashmap", "pebble", "pebble-incremental"}

// Checkpointing returns the task settings of a test job checkpointing
// exactly once with backend (a "-incremental" suffix turns incremental
// checkpoints on) into a temporary folder.
func Checkpointing(t *testing.T, job, backend string) *api.TaskCheckpointing {
	b, incremental := strings.CutSuffix(backend, "-incremental")
	return &api.TaskCheckpointing{Mode: "EXACTLY_ONCE", Dir: filepath.Join(t.TempDir(), "checkpoints", job), Backend: b, Incremental: incremental}
}

// Rescale runs the restore-and-rescale scenario the examples share: a
// phase at parallelism 2 makes progress, checkpoints and fails; a phase at
// 3 restores that checkpoint, checkpoints again and fails; a phase at 1
// restores the second one and runs to the end. start builds attempt
// attempt at parallelism p restoring from (nil for the first); last is
// set for the final phase (the examples drop their rate limit there).
// Progress is watched in output.
func Rescale(c *Coordinator, output string, start func(p, attempt int, last bool, from *Restore) *Phase) {
	var from *Restore
	for i, p := range []int{2, 3} {
		ph := start(p, i+1, false, from)
		ph.Progress(output)
		id := c.NextID()
		acks := ph.Checkpoint(id)
		ph.Progress(output)
		ph.Fail()
		from = &Restore{ID: id, Acks: acks}
	}
	start(1, 3, true, from).Finish()
}
