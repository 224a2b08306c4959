package am

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/yarnrpc"
)

// finishingTM is a TaskManager gateway that finishes every subtask it is
// given.
type finishingTM struct {
	jm *jobmanager.JobManager
	id string
}

func (g *finishingTM) Deploy(_ context.Context, d api.DeployTask) error {
	go func() {
		for _, s := range []api.ExecutionState{api.Running, api.Finished} {
			g.jm.UpdateTask(api.TaskUpdate{Version: api.Version, TaskManager: g.id, Job: d.Job, Attempt: d.Attempt, Vertex: d.Vertex, Subtask: d.Subtask, State: s})
		}
	}()
	return nil
}
func (g *finishingTM) Cancel(context.Context, api.CancelTask) error { return nil }
func (g *finishingTM) Shutdown()                                    {}

func sessionGraph(t *testing.T, par int) *graph.JobGraph {
	t.Helper()
	l := &graph.Logical{Name: "j"}
	l.AddNode(graph.Node{Kind: "source", Name: "src", Parallelism: par})
	g, err := graph.Build(l)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestSessionReleasesIdleTaskManagers drives the JobManager with the YARN
// driver against a fake ResourceManager: a job asks for as many containers
// as its slots need, runs, and once the TaskManagers have been idle for the
// timeout their containers are released: the session holds none.
func TestSessionReleasesIdleTaskManagers(t *testing.T) {
	rm := &fakeRM{auto: true}
	d, err := NewDriver(DriverOptions{Allocator: rm, Launcher: rm, Resource: yarnrpc.Resource{MemoryMB: 256, VCores: 1},
		FastInterval: time.Millisecond, SlowInterval: 5 * time.Millisecond,
		LaunchContext: func(_ context.Context, spec jobmanager.TaskManagerSpec, _ yarnrpc.Container) (yarnrpc.ContainerLaunchContext, error) {
			return yarnrpc.ContainerLaunchContext{Env: map[string]string{"FLOE_TM_ID": spec.ID, "SLOTS": "1"}}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	jm, err := jobmanager.New(ctx, jobmanager.Options{Driver: d, TickInterval: 5 * time.Millisecond,
		Core: jobmanager.CoreOptions{SlotsPerTaskManager: 1, IdleTimeout: 100 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	rm.mu.Lock()
	rm.launched = func(_ yarnrpc.Container, clc yarnrpc.ContainerLaunchContext) {
		id := clc.Env["FLOE_TM_ID"]
		go func() {
			if err := jm.RegisterTaskManager(api.Registration{Version: api.Version, TaskManager: id, Slots: 1}, &finishingTM{jm: jm, id: id}); err != nil {
				t.Errorf("register %s: %v", id, err)
			}
		}()
	}
	rm.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = d.Run(ctx) }()
	go func() { defer wg.Done(); _ = jm.Run(ctx) }()
	defer func() { cancel(); wg.Wait() }()

	for round := 1; round <= 2; round++ {
		id, err := jm.Submit(ctx, jobmanager.Submission{Graph: sessionGraph(t, 3), Pool: "bin", Binary: "hdfs:///bin"})
		if err != nil {
			t.Fatal(err)
		}
		st, err := jm.Wait(ctx, id)
		if err != nil || st.State != api.JobFinished {
			t.Fatalf("round %d: %+v, %v", round, st, err)
		}
		// Idle TaskManagers go; with no job the session holds no containers.
		testutil.WaitFor(t, 10*time.Second, "all containers released", func() bool {
			w, with := d.Counts()
			_, rel, _ := rm.snapshot()
			return w == 0 && with == 0 && len(rel) == 3*round
		})
		if ov := jm.Overview(); ov.TaskManagers != 0 {
			t.Fatalf("round %d: overview %+v", round, ov)
		}
	}
	if _, rel, started := rm.snapshot(); started != 6 || len(rel) != 6 {
		t.Fatalf("started %d, released %d", started, len(rel))
	}
}
