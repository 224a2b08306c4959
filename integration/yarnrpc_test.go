package integration

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/yarnrpc"
)

// TestYarnRPCClusterInfo reads nodes, metrics and the default queue from
// the real ResourceManager.
func TestYarnRPCClusterInfo(t *testing.T) {
	env := newYarnEnv(t)
	nodes := env.runningNodes(t)
	seen := map[yarnrpc.NodeID]bool{}
	for _, n := range nodes {
		if n.State != yarnrpc.NodeRunning || n.ID.Host == "" || n.ID.Port == 0 || n.Capability.MemoryMB <= 0 || n.Rack == "" {
			t.Fatalf("implausible node report %+v", n)
		}
		seen[n.ID] = true
	}
	if len(seen) != 2 {
		t.Fatalf("want 2 distinct nodes, got %+v", nodes)
	}
	all, err := env.rm.Nodes(env.ctx)
	if err != nil || len(all) < 2 {
		t.Fatalf("Nodes() = %d nodes, %v", len(all), err)
	}
	m, err := env.rm.ClusterMetrics(env.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m.Active != 2 {
		t.Fatalf("cluster metrics %+v, want 2 active NodeManagers", m)
	}
	q, err := env.rm.QueueInfo(env.ctx, "default", yarnrpc.QueueInfoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if q.Name != "default" || q.State != yarnrpc.QueueRunning || q.Capacity <= 0 {
		t.Fatalf("queue info %+v", q)
	}
	_, err = env.rm.ApplicationReport(env.ctx, yarnrpc.ApplicationID{ClusterTimestamp: 1, ID: 424242})
	var re *yarnrpc.RemoteError
	if !errors.Is(err, yarnrpc.ErrApplicationNotFound) || !errors.As(err, &re) || !strings.Contains(re.Class, "ApplicationNotFoundException") {
		t.Fatalf("report of an unknown application: %v, want ApplicationNotFoundException", err)
	}
}

// TestYarnRPCForceKill kills a RUNNING application and waits for KILLED.
func TestYarnRPCForceKill(t *testing.T) {
	env := newYarnEnv(t)
	// No containers; the AM registers (RUNNING) and heartbeats until killed.
	app := env.submitDShell(t, "dshell-kill", "-nodes=", "-await-resync", "10m")
	env.waitState(t, app, 2*time.Minute, yarnrpc.StateRunning)

	list, err := env.rm.Applications(env.ctx, yarnrpc.ApplicationFilter{
		Types: []string{"FLOE-TEST"}, States: []yarnrpc.ApplicationState{yarnrpc.StateRunning}, Tags: []string{"floe-yarnrpc-test"}})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range list {
		found = found || a.ID == app
		if a.State != yarnrpc.StateRunning || a.Type != "FLOE-TEST" {
			t.Fatalf("filter returned %s in state %s type %q", a.ID, a.State, a.Type)
		}
	}
	if !found {
		t.Fatalf("running application %s not in getApplications(type, state, tag): %d apps", app, len(list))
	}

	if err := env.rm.Kill(env.ctx, app, "killed by TestYarnRPCForceKill"); err != nil {
		t.Fatal(err)
	}
	// Kill returns once is_kill_completed: the final state is already stored.
	r, err := env.rm.ApplicationReport(env.ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != yarnrpc.StateKilled || r.FinalStatus != yarnrpc.FinalKilled {
		t.Fatalf("after kill: %s/%s, want KILLED/KILLED", r.State, r.FinalStatus)
	}
	if !strings.Contains(r.Diagnostics, "killed by TestYarnRPCForceKill") {
		t.Fatalf("kill diagnostics not kept: %q", r.Diagnostics)
	}
}

// TestYarnRPCUnknownQueue submits to a queue that does not exist: the
// error carries the ResourceManager's own message and nothing is left
// running.
func TestYarnRPCUnknownQueue(t *testing.T) {
	env := newYarnEnv(t)
	const queue = "floe-no-such-queue"
	id, _, err := env.rm.NewApplication(env.ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = env.rm.Submit(env.ctx, yarnrpc.ApplicationSubmissionContext{
		ID: id, Name: "unknown-queue", Queue: queue, Type: "FLOE-TEST", MaxAttempts: 1,
		AMResource: yarnrpc.Resource{MemoryMB: 128, VCores: 1},
		AM:         yarnrpc.ContainerLaunchContext{Commands: []string{"sleep 600"}},
	})
	t.Cleanup(func() { env.killIfRunning(t, id) })
	if err == nil {
		t.Fatalf("submit to queue %q succeeded", queue)
	}
	t.Logf("submit error: %v", err)
	// The CapacityScheduler rejects the application with (seen on 3.4.2):
	// "Application <id> submitted by user <u> to unknown queue: <queue>".
	if !strings.Contains(err.Error(), "unknown queue: "+queue) || !strings.Contains(err.Error(), id.String()) {
		t.Fatalf("error does not carry the RM's message: %v", err)
	}
	r, err := env.rm.ApplicationReport(env.ctx, id)
	if err != nil && !errors.Is(err, yarnrpc.ErrApplicationNotFound) {
		t.Fatal(err)
	}
	if err == nil && !r.State.Terminal() {
		t.Fatalf("application %s left in state %s", id, r.State)
	}
	running, err := env.rm.Applications(env.ctx, yarnrpc.ApplicationFilter{
		States: []yarnrpc.ApplicationState{yarnrpc.StateNew, yarnrpc.StateNewSaving, yarnrpc.StateSubmitted, yarnrpc.StateAccepted, yarnrpc.StateRunning}})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range running {
		if a.ID == id {
			t.Fatalf("application %s still listed as %s", id, a.State)
		}
	}
}

// TestYarnRPCRestartRM restarts the ResourceManager while the dshell AM is
// in its allocate loop: the AM must re-register, re-send its asks, get a
// container allocated by the new RM (its id carries the RM epoch) and
// still finish SUCCEEDED.
func TestYarnRPCRestartRM(t *testing.T) {
	env := newYarnEnv(t)
	nodes := env.runningNodes(t)
	app := env.submitDShell(t, "dshell-restart", dshellNodeArgs(env, nodes), "-per-node", "1", "-fail-index", "-1", "-await-resync", "4m")
	env.waitState(t, app, 2*time.Minute, yarnrpc.StateRunning)
	// The AM reports progress 0.75 once its first containers are done and it
	// is heartbeating, waiting for the restart.
	waitUntil(t, 2*time.Minute, "the AM in its await-restart allocate loop", func() (bool, error) {
		r, err := env.rm.ApplicationReport(env.ctx, app)
		if err != nil {
			return false, err
		}
		if r.State.Terminal() {
			return false, fmt.Errorf("%s ended %s: %s%s", app, r.FinalStatus, r.Diagnostics, env.amLogs(app))
		}
		return r.Progress >= 0.7, nil
	})

	env.c.Run(t, "restart-rm")

	r := env.waitState(t, app, 4*time.Minute, yarnrpc.StateFinished)
	if r.FinalStatus != yarnrpc.FinalSucceeded {
		t.Fatalf("final status %s after RM restart: %q%s", r.FinalStatus, r.Diagnostics, env.amLogs(app))
	}
	t.Logf("diagnostics: %s", r.Diagnostics)
	d := parseDShellDiag(t, r.Diagnostics)
	if d.reregistered < 1 {
		t.Fatalf("AM did not re-register: %q", r.Diagnostics)
	}
	if len(d.exits) != 3 {
		t.Fatalf("want 3 containers (2 before, 1 after the restart): %q", r.Diagnostics)
	}
	epochs := 0
	for _, e := range d.exits {
		if e.code != 0 {
			t.Fatalf("container %s exited %d: %q", e.container, e.code, r.Diagnostics)
		}
		if e.container.Epoch() > 0 {
			epochs++
			if !strings.HasPrefix(e.container.String(), "container_e") {
				t.Fatalf("epoch container id %s", e.container)
			}
		}
	}
	if epochs == 0 {
		t.Fatalf("no container allocated after the restart carries an RM epoch: %q", r.Diagnostics)
	}
}

// TestYarnRPCStoppedRM: with the RM down a call fails within its deadline,
// and closing the client leaves no goroutine behind, although it held a
// live connection when the RM went away.
func TestYarnRPCStoppedRM(t *testing.T) {
	env := newYarnEnv(t) // env.rm is never used here, so it holds no connection
	before := runtime.NumGoroutine()

	rm := newRMClient(t, env.hadoop, 3*time.Second)
	if _, err := rm.ClusterMetrics(env.ctx); err != nil {
		t.Fatal(err)
	}
	env.c.Run(t, "stop-rm")
	t.Cleanup(func() { env.c.Run(t, "start-rm") })

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := rm.ClusterMetrics(ctx)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("cluster metrics succeeded with the RM stopped")
		}
		if !yarnrpc.IsConnectionError(err) && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want a connection error or deadline, got %v", err)
		}
		t.Logf("call with RM down: %v", err)
	case <-time.After(time.Minute): // far past the 3 s deadline: a hang
		t.Fatal("call did not return with the RM stopped")
	}
	// A call without its own deadline is bounded by CallTimeout.
	if _, err := rm.Nodes(context.Background()); err == nil {
		t.Fatal("Nodes succeeded with the RM stopped")
	}
	if err := rm.Close(); err != nil {
		t.Fatal(err)
	}
	var now int
	waitUntil(t, 30*time.Second, "goroutines back to the level before the client", func() (bool, error) {
		now = runtime.NumGoroutine()
		return now <= before, nil
	})
}
