package am

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/yarnrpc"
)

// fakeRM stands in for the AMRMClient and NMClient: asks and releases are
// recorded, Allocate returns what the test queued, StartContainer calls
// the start field.
type fakeRM struct {
	mu       sync.Mutex
	asks     int32
	released []yarnrpc.ContainerID
	replies  []fakeReply
	started  []yarnrpc.ContainerLaunchContext
	start    func(ctr yarnrpc.Container) error
	// auto makes Allocate behave like a ResourceManager: it allocates
	// containers for outstanding asks and reports released ones completed.
	auto      bool
	seq       int64
	completed int
	launched  func(ctr yarnrpc.Container, clc yarnrpc.ContainerLaunchContext)
}

type fakeReply struct {
	resp yarnrpc.AllocateResponse
	err  error
}

func (f *fakeRM) AddRequest(_ yarnrpc.ContainerRequest, n int32) {
	f.mu.Lock()
	f.asks += n
	f.mu.Unlock()
}
func (f *fakeRM) RemoveRequest(_ yarnrpc.ContainerRequest, n int32) {
	f.mu.Lock()
	f.asks -= n
	f.mu.Unlock()
}
func (f *fakeRM) Release(id yarnrpc.ContainerID) {
	f.mu.Lock()
	f.released = append(f.released, id)
	f.mu.Unlock()
}
func (f *fakeRM) Allocate(context.Context, float32) (yarnrpc.AllocateResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.auto {
		var r yarnrpc.AllocateResponse
		for ; f.asks > 0; f.asks-- {
			f.seq++
			r.Allocated = append(r.Allocated, ctr(f.seq+1))
		}
		for ; f.completed < len(f.released); f.completed++ {
			r.Completed = append(r.Completed, yarnrpc.ContainerStatus{ID: f.released[f.completed], State: yarnrpc.ContainerComplete,
				ExitStatus: yarnrpc.ExitAborted, Diagnostics: "Container released by the application"})
		}
		return r, nil
	}
	if len(f.replies) == 0 {
		return yarnrpc.AllocateResponse{}, nil
	}
	r := f.replies[0]
	f.replies = f.replies[1:]
	return r.resp, r.err
}
func (f *fakeRM) StartContainer(_ context.Context, ctr yarnrpc.Container, clc yarnrpc.ContainerLaunchContext) error {
	f.mu.Lock()
	start := f.start
	f.mu.Unlock()
	if start != nil {
		if err := start(ctr); err != nil {
			return err
		}
	}
	f.mu.Lock()
	f.started = append(f.started, clc)
	launched := f.launched
	f.mu.Unlock()
	if launched != nil {
		launched(ctr, clc)
	}
	return nil
}

func (f *fakeRM) queue(resp yarnrpc.AllocateResponse, err error) {
	f.mu.Lock()
	f.replies = append(f.replies, fakeReply{resp, err})
	f.mu.Unlock()
}

func (f *fakeRM) snapshot() (asks int32, released []yarnrpc.ContainerID, started int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.asks, append([]yarnrpc.ContainerID(nil), f.released...), len(f.started)
}

var testAttempt = yarnrpc.ApplicationAttemptID{App: yarnrpc.ApplicationID{ClusterTimestamp: 1700000000000, ID: 7}, Attempt: 1}

func ctr(seq int64) yarnrpc.Container {
	return yarnrpc.Container{ID: yarnrpc.NewContainerID(testAttempt, 0, seq), Node: yarnrpc.NodeID{Host: "node1", Port: 45454},
		Resource: yarnrpc.Resource{MemoryMB: 256, VCores: 1}, Priority: 1}
}

// exits records the exited callbacks by TaskManager id.
type exits struct {
	mu sync.Mutex
	m  map[string]string
}

func (e *exits) fn(id string) func(string) {
	return func(cause string) {
		e.mu.Lock()
		defer e.mu.Unlock()
		if _, dup := e.m[id]; dup {
			panic("exited twice: " + id)
		}
		e.m[id] = cause
	}
}

func (e *exits) get(id string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.m[id]
	return c, ok
}

func newTestDriver(t *testing.T, rm *fakeRM) (*Driver, *exits) {
	t.Helper()
	d, err := NewDriver(DriverOptions{Allocator: rm, Launcher: rm, Resource: yarnrpc.Resource{MemoryMB: 256, VCores: 1},
		LaunchContext: func(_ context.Context, spec jobmanager.TaskManagerSpec, _ yarnrpc.Container) (yarnrpc.ContainerLaunchContext, error) {
			return yarnrpc.ContainerLaunchContext{Env: map[string]string{"FLOE_TM_ID": spec.ID}}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return d, &exits{m: map[string]string{}}
}

func start(t *testing.T, d *Driver, ex *exits, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := d.StartTaskManager(context.Background(), jobmanager.TaskManagerSpec{ID: id, Pool: "p", Slots: 1}, ex.fn(id)); err != nil {
			t.Fatal(err)
		}
	}
}

func heartbeat(t *testing.T, d *Driver) {
	t.Helper()
	if err := d.Heartbeat(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestDriverLaunchesAndReleasesSurplus(t *testing.T) {
	cases := []struct {
		name              string
		pending           int
		allocated         int
		wantLaunched      int
		wantReleased      int
		wantStillWaiting  int
		wantAsksAfterwait int32
	}{
		{"exact", 2, 2, 2, 0, 0, 2},
		{"surplus released at once", 1, 3, 1, 2, 0, 1},
		{"partial allocation keeps waiting", 3, 1, 1, 0, 2, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rm := &fakeRM{}
			d, ex := newTestDriver(t, rm)
			for i := 0; i < tc.pending; i++ {
				start(t, d, ex, fmt.Sprintf("tm-%d", i+1))
			}
			var resp yarnrpc.AllocateResponse
			for i := 0; i < tc.allocated; i++ {
				resp.Allocated = append(resp.Allocated, ctr(int64(i+2)))
			}
			rm.queue(resp, nil)
			heartbeat(t, d)
			testutil.WaitFor(t, 10*time.Second, "launches", func() bool { _, _, n := rm.snapshot(); return n == tc.wantLaunched })
			d.wg.Wait()
			asks, released, _ := rm.snapshot()
			if len(released) != tc.wantReleased {
				t.Errorf("released %v, want %d", released, tc.wantReleased)
			}
			if asks != tc.wantAsksAfterwait {
				t.Errorf("asks %d, want %d (the AMRMClient lowers them as containers arrive)", asks, tc.wantAsksAfterwait)
			}
			if w, with := d.Counts(); w != tc.wantStillWaiting || with != tc.wantLaunched {
				t.Errorf("counts waiting=%d with=%d, want %d/%d", w, with, tc.wantStillWaiting, tc.wantLaunched)
			}
			if got := d.DescribeTaskManager("tm-1"); !strings.Contains(got, "container_1700000000000_0007_01_000002 on node1:45454") {
				t.Errorf("describe tm-1: %q", got)
			}
			if len(ex.m) != 0 {
				t.Errorf("exits %v, want none", ex.m)
			}
		})
	}
}

func TestDriverContainerCompletion(t *testing.T) {
	cases := []struct {
		name      string
		stop      bool
		status    yarnrpc.ContainerStatus
		wantCause []string
	}{
		{"lost: exit status and diagnostics recorded", false,
			yarnrpc.ContainerStatus{ExitStatus: 137, Diagnostics: "Container killed on request.\n Exit code is 137"},
			[]string{"container_1700000000000_0007_01_000002 on node1:45454", "status 137 (killed by SIGKILL)", "Container killed on request. Exit code is 137"}},
		{"preempted", false, yarnrpc.ContainerStatus{ExitStatus: yarnrpc.ExitPreempted, Diagnostics: "preempted by the scheduler"},
			[]string{"status -102 (preempted)", "preempted by the scheduler"}},
		{"stopped by the JobManager", true, yarnrpc.ContainerStatus{ExitStatus: yarnrpc.ExitKilledByAppMaster},
			[]string{"status -105 (killed by the ApplicationMaster)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rm := &fakeRM{}
			d, ex := newTestDriver(t, rm)
			start(t, d, ex, "tm-1")
			c := ctr(2)
			rm.queue(yarnrpc.AllocateResponse{Allocated: []yarnrpc.Container{c}}, nil)
			heartbeat(t, d)
			d.wg.Wait()
			if tc.stop {
				if err := d.StopTaskManager(context.Background(), "tm-1"); err != nil {
					t.Fatal(err)
				}
				if _, rel, _ := rm.snapshot(); len(rel) != 1 || rel[0] != c.ID {
					t.Fatalf("released %v, want %s", rel, c.ID)
				}
			}
			st := tc.status
			st.ID, st.State = c.ID, yarnrpc.ContainerComplete
			rm.queue(yarnrpc.AllocateResponse{Completed: []yarnrpc.ContainerStatus{st}}, nil)
			heartbeat(t, d)
			cause, ok := ex.get("tm-1")
			if !ok {
				t.Fatal("exited not called")
			}
			for _, w := range tc.wantCause {
				if !strings.Contains(cause, w) {
					t.Errorf("cause %q lacks %q", cause, w)
				}
			}
			if w, with := d.Counts(); w != 0 || with != 0 {
				t.Errorf("counts %d/%d after completion", w, with)
			}
			// A second report of the same container is ignored.
			rm.queue(yarnrpc.AllocateResponse{Completed: []yarnrpc.ContainerStatus{st}}, nil)
			heartbeat(t, d)
		})
	}
}

func TestDriverStopWaitingWithdrawsAsk(t *testing.T) {
	rm := &fakeRM{}
	d, ex := newTestDriver(t, rm)
	start(t, d, ex, "tm-1", "tm-2")
	if err := d.StopTaskManager(context.Background(), "tm-1"); err != nil {
		t.Fatal(err)
	}
	if asks, _, _ := rm.snapshot(); asks != 1 {
		t.Fatalf("asks %d, want 1", asks)
	}
	if c, ok := ex.get("tm-1"); !ok || !strings.Contains(c, "before a container was allocated") {
		t.Fatalf("tm-1 exit %q, %v", c, ok)
	}
	// The next container goes to tm-2, the one after is surplus.
	rm.queue(yarnrpc.AllocateResponse{Allocated: []yarnrpc.Container{ctr(2), ctr(3)}}, nil)
	heartbeat(t, d)
	d.wg.Wait()
	_, rel, started := rm.snapshot()
	if started != 1 || len(rel) != 1 || rel[0] != ctr(3).ID {
		t.Fatalf("started %d, released %v", started, rel)
	}
	rm.mu.Lock()
	id := rm.started[0].Env["FLOE_TM_ID"]
	rm.mu.Unlock()
	if id != "tm-2" {
		t.Fatalf("container launched %s, want tm-2", id)
	}
}

func TestDriverStartFailureReleasesContainer(t *testing.T) {
	rm := &fakeRM{start: func(yarnrpc.Container) error {
		return &yarnrpc.ContainerError{Op: "start container", Remote: &yarnrpc.RemoteError{Class: "org.apache.hadoop.yarn.exceptions.YarnException", Message: "NM refused"}}
	}}
	d, ex := newTestDriver(t, rm)
	start(t, d, ex, "tm-1")
	rm.queue(yarnrpc.AllocateResponse{Allocated: []yarnrpc.Container{ctr(2)}}, nil)
	heartbeat(t, d)
	d.wg.Wait()
	if _, rel, _ := rm.snapshot(); len(rel) != 1 {
		t.Fatalf("released %v, want the container", rel)
	}
	if c, ok := ex.get("tm-1"); !ok || !strings.Contains(c, "NM refused") {
		t.Fatalf("exit cause %q, %v", c, ok)
	}
}

func TestDriverStopWhileLaunching(t *testing.T) {
	release := make(chan struct{})
	rm := &fakeRM{start: func(yarnrpc.Container) error { <-release; return nil }}
	d, ex := newTestDriver(t, rm)
	start(t, d, ex, "tm-1")
	rm.queue(yarnrpc.AllocateResponse{Allocated: []yarnrpc.Container{ctr(2)}}, nil)
	heartbeat(t, d)
	if err := d.StopTaskManager(context.Background(), "tm-1"); err != nil {
		t.Fatal(err)
	}
	if _, rel, _ := rm.snapshot(); len(rel) != 0 {
		t.Fatalf("released %v while the start was in flight", rel)
	}
	close(release)
	d.wg.Wait()
	if _, rel, _ := rm.snapshot(); len(rel) != 1 {
		t.Fatalf("released %v after the start, want the container", rel)
	}
	if _, ok := ex.get("tm-1"); ok {
		t.Fatal("exited before the container completed")
	}
}

func TestDriverRunSurvivesRMOutageAndEndsOnAttemptLoss(t *testing.T) {
	rm := &fakeRM{}
	d, ex := newTestDriver(t, rm)
	d.opts.FastInterval, d.opts.SlowInterval = time.Millisecond, time.Millisecond
	start(t, d, ex, "tm-1")
	rm.queue(yarnrpc.AllocateResponse{Allocated: []yarnrpc.Container{ctr(2)}}, nil)
	rm.queue(yarnrpc.AllocateResponse{}, fmt.Errorf("allocate: %w", yarnrpc.ErrConnLost))
	rm.queue(yarnrpc.AllocateResponse{}, fmt.Errorf("allocate: %w", yarnrpc.ErrConnLost))
	rm.queue(yarnrpc.AllocateResponse{Reregistered: true}, nil)
	rm.queue(yarnrpc.AllocateResponse{}, fmt.Errorf("allocate: %w", yarnrpc.ErrAttemptNotFound))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := d.Run(ctx)
	if !errors.Is(err, ErrAttemptOver) {
		t.Fatalf("Run: %v, want ErrAttemptOver", err)
	}
	// The TaskManager survived the outage and the re-registration.
	if _, with := d.Counts(); with != 1 {
		t.Fatalf("%d TaskManagers with containers after the RM came back, want 1", with)
	}
	if _, ok := ex.get("tm-1"); ok {
		t.Fatal("TaskManager reported exited")
	}
}

func TestDriverReleaseAll(t *testing.T) {
	rm := &fakeRM{}
	d, ex := newTestDriver(t, rm)
	start(t, d, ex, "tm-1", "tm-2", "tm-3")
	rm.queue(yarnrpc.AllocateResponse{Allocated: []yarnrpc.Container{ctr(2), ctr(3)}}, nil)
	heartbeat(t, d)
	d.wg.Wait()
	d.ReleaseAll()
	asks, rel, _ := rm.snapshot()
	if len(rel) != 2 || asks != 2 { // fake asks never fall on allocation: 3 added, 1 withdrawn
		t.Fatalf("released %v, asks %d", rel, asks)
	}
}

func TestExitStatusText(t *testing.T) {
	cases := []struct {
		code int32
		want string
	}{
		{0, "success"}, {1, "process exit code"}, {137, "killed by SIGKILL"}, {143, "terminated by SIGTERM"},
		{134, "killed by signal 6"}, {-100, "aborted"}, {-104, "physical memory"}, {-1000, "invalid"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			if got := ExitStatusText(tc.code); !strings.Contains(got, tc.want) {
				t.Fatalf("%d: %q, want %q", tc.code, got, tc.want)
			}
		})
	}
}

func TestDriverHeartbeatInterval(t *testing.T) {
	rm := &fakeRM{}
	d, ex := newTestDriver(t, rm)
	if got := d.interval(0); got != 5*time.Second {
		t.Fatalf("idle: %v, want 5s", got)
	}
	if got := d.interval(2); got != 500*time.Millisecond {
		t.Fatalf("RM unreachable: %v, want 500ms", got)
	}
	start(t, d, ex, "tm-1")
	if got := d.interval(0); got != 500*time.Millisecond {
		t.Fatalf("request pending: %v, want 500ms", got)
	}
	rm.queue(yarnrpc.AllocateResponse{Allocated: []yarnrpc.Container{ctr(2)}}, nil)
	heartbeat(t, d)
	d.wg.Wait()
	if got := d.interval(0); got != 5*time.Second {
		t.Fatalf("all allocated: %v, want 5s", got)
	}
}

// TestDriverWaitingExplains: while containers are not granted, the driver
// says how many are pending and what headroom the RM reported.
func TestDriverWaitingExplains(t *testing.T) {
	rm := &fakeRM{}
	d, ex := newTestDriver(t, rm)
	if got := d.Waiting(); got != "" {
		t.Fatalf("Waiting() with nothing asked = %q", got)
	}
	start(t, d, ex, "tm-1", "tm-2")
	rm.queue(yarnrpc.AllocateResponse{Available: yarnrpc.Resource{MemoryMB: 128, VCores: 3}, NumClusterNodes: 2}, nil)
	heartbeat(t, d)
	got := d.Waiting()
	for _, want := range []string{"2 container request(s)", "256", "headroom", "128", "2 node(s)"} {
		if !strings.Contains(got, want) {
			t.Fatalf("Waiting() = %q, want %q in it", got, want)
		}
	}
}
