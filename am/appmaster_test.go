package am

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/yarnrpc"
	"github.com/rs/zerolog"
)

// amRM is the ResourceManager as the ApplicationMaster sees it: fakeRM
// (driver_test.go) allocates and launches like a ResourceManager and its
// NodeManagers; register and finish are the registration calls.
type amRM struct {
	*fakeRM
	register func(ctx context.Context) (yarnrpc.RegisterResponse, error)

	mu       sync.Mutex
	finishes []Result
}

func (r *amRM) Register(ctx context.Context) (yarnrpc.RegisterResponse, error) {
	if r.register != nil {
		return r.register(ctx)
	}
	return yarnrpc.RegisterResponse{Queue: "default", MaxCapability: yarnrpc.Resource{MemoryMB: 1 << 20, VCores: 64}}, nil
}

func (r *amRM) Finish(_ context.Context, status yarnrpc.FinalStatus, diagnostics, _ string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finishes = append(r.finishes, Result{Status: status, Diagnostics: diagnostics})
	return nil
}

func (r *amRM) unregistered() []Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Result(nil), r.finishes...)
}

// fakeStore is HDFS: every path exists as a small file; removals are
// recorded.
type fakeStore struct {
	mu      sync.Mutex
	removed []string
}

func (s *fakeStore) Stat(_ context.Context, path string) (hdfsstore.FileInfo, error) {
	return hdfsstore.FileInfo{Path: path, Size: 1}, nil
}
func (s *fakeStore) RemoveAll(_ context.Context, path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removed = append(s.removed, path)
	return nil
}
func (s *fakeStore) User() string { return "floe" }
func (s *fakeStore) removals() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.removed...)
}

// tmBehavior is what a fake TaskManager does with the subtasks it is given.
type tmBehavior int

const (
	finishTasks tmBehavior = iota // report each RUNNING, then FINISHED
	failTasks                     // report each RUNNING, then FAILED
	runTasks                      // report each RUNNING; CANCELED when asked
)

// fakeTaskManager speaks the TaskManager side of the control channel (as
// taskexec's remote TaskManager does) until it is told to shut down, the
// endpoint goes away, or ctx ends.
func fakeTaskManager(ctx context.Context, addr string, secret []byte, id string, how tmBehavior) {
	ch, _, err := api.Dial(ctx, addr, secret, api.Registration{Version: api.Version, TaskManager: id, Slots: 1})
	if err != nil {
		return
	}
	update := func(u api.TaskUpdate) {
		u.Version, u.TaskManager = api.Version, id
		_ = ch.Send(api.MsgTaskUpdate, u)
	}
	_ = ch.Run(ctx, func(f api.Frame) error {
		switch f.Type {
		case api.MsgDeploy:
			var d api.DeployTask
			if err := f.Decode(&d); err != nil {
				return err
			}
			u := api.TaskUpdate{Job: d.Job, Attempt: d.Attempt, Vertex: d.Vertex, Subtask: d.Subtask}
			u.State = api.Running
			update(u)
			switch how {
			case finishTasks:
				u.State = api.Finished
				update(u)
			case failTasks:
				u.State, u.Cause = api.Failed, "the operator broke"
				update(u)
			}
		case api.MsgCancel:
			var cn api.CancelTask
			if err := f.Decode(&cn); err != nil {
				return err
			}
			update(api.TaskUpdate{Job: cn.Job, Attempt: cn.Attempt, Vertex: cn.Vertex, Subtask: cn.Subtask, State: api.Canceled})
		case api.MsgShutdown:
			return errors.New("shut down")
		}
		return nil
	})
}

// floeGoroutines lists goroutines running Floe code outside tests.
func floeGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	stacks := strings.Split(string(buf), "\n\n")
	// Goroutines of the test (the fake TaskManagers) and those they
	// started (their control channels' heartbeats) are not serve's.
	testOwned := map[string]bool{}
	for _, g := range stacks {
		if strings.Contains(g, "_test.go") {
			testOwned[goroutineID(g)] = true
		}
	}
	var out []string
	for _, g := range stacks {
		_, creator, _ := strings.Cut(g, " in goroutine ")
		if strings.Contains(g, "github.com/floe-yarn/floe/") && !strings.Contains(g, "_test.go") && !testOwned[strings.Fields(creator + " x")[0]] {
			out = append(out, g)
		}
	}
	return out
}

// goroutineID is N of a stack starting "goroutine N [state]:".
func goroutineID(stack string) string {
	f := strings.Fields(stack)
	if len(f) < 2 {
		return ""
	}
	return f[1]
}

// endpointDraining marks the goroutines allowed to outlive serve for a
// moment: jobmanager.Server.Serve returns once its listener is closed and
// leaves the graceful HTTP shutdown (bounded at 2 s) draining the requests
// in flight (TaskManager long polls) without waiting for it.
var endpointDraining = []string{"jobmanager.(*Server).Serve.func1", "created by net/http.(*Server).Serve"}

// checkJoined fails t when goroutines serve started are still running
// right after it returned (only the endpoint's draining may linger).
func checkJoined(t *testing.T, before int) {
	t.Helper()
	var running []string
	for _, g := range floeGoroutines() {
		lines := strings.Split(g, "\n")
		// A goroutine whose deferred wg.Done has run may still be seen
		// on its way out: runnable, in its own closure and nothing else
		// (one frame, then "created by"); waitNoLeaks catches it if it
		// stays.
		exiting := len(lines) >= 4 && strings.Contains(lines[0], "[runnable]") &&
			strings.Contains(lines[1], ".func") && strings.HasPrefix(lines[3], "created by ")
		if !exiting && !strings.Contains(g, endpointDraining[0]) && !strings.Contains(g, endpointDraining[1]) {
			running = append(running, g)
		}
	}
	if len(running) > before {
		t.Errorf("%d goroutines still running when serve returned (%d before):\n%s", len(running), before, strings.Join(running, "\n\n"))
	}
}

// waitNoLeaks fails t unless the Floe goroutines are back to at most
// before within a bound (the endpoint's shutdown may take a moment).
func waitNoLeaks(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	every := time.Millisecond
	for {
		gs := floeGoroutines()
		if len(gs) <= before {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines outlived the ApplicationMaster (%d before):\n%s", len(gs), before, strings.Join(gs, "\n\n"))
		}
		time.Sleep(every)
		every = min(2*every, 50*time.Millisecond)
	}
}

const testStaging = "hdfs://nn:8020/user/floe/.floe/application_1700000000000_0007"

var amSecret = []byte("0123456789abcdef-application-secret")

// amCase is one way an ApplicationMaster's life can end.
type amCase struct {
	name string
	mode contract.Mode
	set  map[string]string // configuration
	// register replaces the ResourceManager's registration.
	register func(ctx context.Context) (yarnrpc.RegisterResponse, error)
	// allocate, when set, fails every allocate heartbeat with this error.
	allocate error
	tm       tmBehavior
	// act runs once the JobManager endpoint serves: client is signed with
	// the secret; cancel ends Run's ctx (SIGTERM).
	act func(t *testing.T, client *api.Client, cancel context.CancelFunc)

	wantErr     string // Run's error, "" for none
	wantStatus  yarnrpc.FinalStatus
	wantDiag    string // part of the diagnostics
	wantKilled  bool
	wantRemoved bool // the staging folder is removed
	wantFinish  bool // unregistered (with wantStatus and wantDiag)

	// attempt is this AM's attempt (default 1) of attempts (default 1);
	// jobFS, when set, holds the job store (set high-availability.storageDir).
	attempt, attempts int32
	jobFS             jobStoreFS
	// attempts answers the AM's attempt reports (nil: none).
	reports attemptReports
}

func TestAppMasterExits(t *testing.T) {
	// waitJob runs beside Run (not on the test goroutine): it reports
	// with Errorf and returns "" when the job does not get there in time.
	waitJob := func(t *testing.T, c *api.Client, want api.JobState) string {
		deadline := time.Now().Add(30 * time.Second)
		every := time.Millisecond
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			list, err := c.Jobs(ctx)
			cancel()
			if err == nil && len(list.Jobs) == 1 && list.Jobs[0].State == want {
				return list.Jobs[0].ID
			}
			if time.Now().After(deadline) {
				t.Errorf("no job in state %s: %+v %v", want, list, err)
				return ""
			}
			time.Sleep(every)
			every = min(2*every, 50*time.Millisecond)
		}
	}
	// sigterm ends Run's ctx, as SIGTERM does, once the job runs.
	sigterm := func(t *testing.T, c *api.Client, cancel context.CancelFunc) {
		waitJob(t, c, api.JobRunning)
		cancel()
	}
	cases := []amCase{
		{name: "registration fails", mode: contract.ModeSession,
			register: func(context.Context) (yarnrpc.RegisterResponse, error) {
				return yarnrpc.RegisterResponse{}, errors.New("RM says no")
			},
			wantErr: "RM says no"},
		{name: "TaskManager larger than the cluster's maximum container", mode: contract.ModeSession,
			register: func(context.Context) (yarnrpc.RegisterResponse, error) {
				return yarnrpc.RegisterResponse{MaxCapability: yarnrpc.Resource{MemoryMB: 64, VCores: 1}}, nil
			},
			wantStatus: yarnrpc.FinalFailed, wantDiag: "exceed the cluster's maximum container size", wantRemoved: true, wantFinish: true},
		{name: "driver cannot start", mode: contract.ModeSession, set: map[string]string{conf.TaskManagerProcessSize: "100 kb"},
			wantStatus: yarnrpc.FinalFailed, wantDiag: "memory and vcores must be positive", wantRemoved: true, wantFinish: true},
		{name: "ResourceManager ends the attempt", mode: contract.ModeSession, allocate: yarnrpc.ErrAMShutdown,
			wantErr: ErrAttemptOver.Error()},
		{name: "per-job job finishes", mode: contract.ModePerJob, tm: finishTasks,
			wantStatus: yarnrpc.FinalSucceeded, wantDiag: "finished", wantRemoved: true, wantFinish: true},
		{name: "per-job job fails", mode: contract.ModePerJob, tm: failTasks, set: map[string]string{conf.RestartStrategyType: "none"},
			wantStatus: yarnrpc.FinalFailed, wantDiag: "the operator broke", wantRemoved: true, wantFinish: true},
		{name: "per-job checkpointing without a folder", mode: contract.ModePerJob, tm: runTasks,
			set:        map[string]string{conf.CheckpointingInterval: "1 s"},
			wantStatus: yarnrpc.FinalFailed, wantDiag: "state.checkpoints.dir is not", wantRemoved: true, wantFinish: true},
		{name: "per-job job canceled", mode: contract.ModePerJob, tm: runTasks,
			act: func(t *testing.T, c *api.Client, _ context.CancelFunc) {
				id := waitJob(t, c, api.JobRunning)
				if _, err := c.Cancel(context.Background(), id); err != nil {
					t.Errorf("cancel: %v", err)
				}
			},
			wantStatus: yarnrpc.FinalKilled, wantDiag: "was canceled", wantRemoved: true, wantFinish: true},
		{name: "per-job shutdown request cancels the job", mode: contract.ModePerJob, tm: runTasks,
			act: func(t *testing.T, c *api.Client, _ context.CancelFunc) {
				waitJob(t, c, api.JobRunning)
				if err := c.Shutdown(context.Background(), "operator says stop"); err != nil {
					t.Errorf("shutdown: %v", err)
				}
			},
			wantStatus: yarnrpc.FinalKilled, wantDiag: "operator says stop", wantRemoved: true, wantFinish: true},
		{name: "session shut down", mode: contract.ModeSession,
			act: func(t *testing.T, c *api.Client, _ context.CancelFunc) {
				if err := c.Shutdown(context.Background(), "done for today"); err != nil {
					t.Errorf("shutdown: %v", err)
				}
			},
			wantStatus: yarnrpc.FinalSucceeded, wantDiag: "Floe session shut down: done for today", wantRemoved: true, wantFinish: true},
		{name: "SIGTERM on an application of a single attempt removes the staging folder: no attempt follows", mode: contract.ModePerJob,
			tm: runTasks, act: sigterm,
			wantStatus: yarnrpc.FinalKilled, wantDiag: "killed", wantKilled: true, wantRemoved: true},
		{name: "SIGTERM, and the RM says the attempt was KILLED: the application is killed, the staging folder goes", mode: contract.ModePerJob,
			tm: runTasks, attempts: 2, reports: attemptIn(1, yarnrpc.AttemptKilled, nil), act: sigterm,
			wantStatus: yarnrpc.FinalKilled, wantDiag: "killed", wantKilled: true, wantRemoved: true},
		{name: "SIGTERM on the last attempt the RM says was KILLED removes the staging folder", mode: contract.ModePerJob, tm: runTasks,
			attempt: 2, attempts: 2, reports: attemptIn(2, yarnrpc.AttemptKilled, nil), act: sigterm,
			wantStatus: yarnrpc.FinalKilled, wantDiag: "killed", wantKilled: true, wantRemoved: true},
		{name: "SIGTERM on an attempt the RM says is RUNNING (its NodeManager stops) keeps the staging folder", mode: contract.ModePerJob,
			tm: runTasks, attempts: 2, reports: attemptIn(1, yarnrpc.AttemptRunning, nil), act: sigterm,
			wantStatus: yarnrpc.FinalKilled, wantDiag: "killed", wantKilled: true},
		{name: "SIGTERM on the last attempt the RM says is RUNNING keeps it too: after a NodeManager stop YARN starts an attempt that does not count",
			mode: contract.ModePerJob, tm: runTasks, attempt: 2, attempts: 2, reports: attemptIn(2, yarnrpc.AttemptRunning, nil), act: sigterm,
			wantStatus: yarnrpc.FinalKilled, wantDiag: "killed", wantKilled: true},
		{name: "SIGTERM when the RM cannot say keeps the staging folder", mode: contract.ModePerJob, tm: runTasks, attempts: 2,
			reports: attemptIn(1, yarnrpc.AttemptKilled, errors.New("connection refused")), act: sigterm,
			wantStatus: yarnrpc.FinalKilled, wantDiag: "killed", wantKilled: true},
		{name: "SIGTERM without an RM client for attempt reports keeps the staging folder", mode: contract.ModePerJob, tm: runTasks, attempts: 2,
			act: sigterm, wantStatus: yarnrpc.FinalKilled, wantDiag: "killed", wantKilled: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(floeGoroutines())
			res, rm, store := runAppMaster(t, tc, func() { checkJoined(t, before) })
			waitNoLeaks(t, before)

			if removed := store.removals(); tc.wantRemoved != (len(removed) == 1 && removed[0] == testStaging) {
				t.Errorf("staging removals %q, want removed: %v", removed, tc.wantRemoved)
			}
			fin := rm.unregistered()
			switch {
			case !tc.wantFinish && len(fin) > 0:
				t.Errorf("unregistered %+v; want no unregistration", fin)
			case tc.wantFinish && (len(fin) != 1 || fin[0].Status != tc.wantStatus || !strings.Contains(fin[0].Diagnostics, tc.wantDiag)):
				t.Errorf("unregistered %+v; want once with %v and %q", fin, tc.wantStatus, tc.wantDiag)
			}
			if tc.wantErr == "" && (res.Status != tc.wantStatus || !strings.Contains(res.Diagnostics, tc.wantDiag) || res.Killed != tc.wantKilled) {
				t.Errorf("result %+v; want %v with %q, killed %v", res, tc.wantStatus, tc.wantDiag, tc.wantKilled)
			}
		})
	}
}

// runAppMaster runs one ApplicationMaster against fakes until it returns,
// calls returned at once, then joins the fake TaskManagers.
func runAppMaster(t *testing.T, tc amCase, returned func()) (Result, *amRM, *fakeStore) {
	t.Helper()
	cfg := conf.New()
	for k, v := range tc.set {
		if err := cfg.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	work := t.TempDir()
	if tc.mode == contract.ModePerJob {
		l := &graph.Logical{Name: "j"}
		l.AddNode(graph.Node{Kind: "source", Name: "src", Parallelism: 2})
		g, err := graph.Build(l)
		if err != nil {
			t.Fatal(err)
		}
		b, err := g.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, contract.FileJobGraph), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	client := api.NewClient(addr, amSecret)
	defer client.HTTP.CloseIdleConnections()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var tms sync.WaitGroup
	defer tms.Wait()
	tmCtx, stopTMs := context.WithCancel(ctx)
	defer stopTMs() // runs before tms.Wait

	rm := &amRM{fakeRM: &fakeRM{auto: true}, register: tc.register}
	if tc.allocate != nil {
		rm.auto = false
		for range 3 {
			rm.queue(yarnrpc.AllocateResponse{}, tc.allocate)
		}
	}
	rm.launched = func(_ yarnrpc.Container, clc yarnrpc.ContainerLaunchContext) {
		tms.Add(1)
		go func() {
			defer tms.Done()
			fakeTaskManager(tmCtx, addr, amSecret, clc.Env[contract.EnvTaskManagerID], tc.tm)
		}()
	}
	store := &fakeStore{}
	id := ctr(1).ID
	if tc.attempt > 0 {
		id.Attempt.Attempt = tc.attempt
	}
	a, err := newAppMaster(Options{
		Env: ContainerEnv{Container: id, NMHost: "127.0.0.1", Mode: tc.mode, StagingDir: testStaging, Attempts: int(max(1, tc.attempts)),
			JobID: "0123456789abcdef0123456789abcdef", JobBinary: "hdfs://nn:8020/user/floe/.floe/application_1700000000000_0007/job"},
		Config: cfg, WorkDir: work, KillCleanupTimeout: 5 * time.Second, Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
	})
	if err != nil {
		t.Fatal(err)
	}
	a.out = outside{rm: rm, nm: rm.fakeRM, store: store, ln: ln, secret: amSecret, jobFS: tc.jobFS, attempts: tc.reports}
	actDone := make(chan struct{})
	go func() {
		defer close(actDone)
		if tc.act != nil {
			tc.act(t, client, cancel)
		}
	}()
	res, err := a.serve(ctx)
	returned()
	<-actDone
	switch {
	case tc.wantErr == "" && err != nil:
		t.Fatalf("Run: %v", err)
	case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
		t.Fatalf("Run: %v; want an error with %q", err, tc.wantErr)
	}
	return res, rm, store
}

// attemptIn answers the attempt report of attempt n with state, or fails
// with err.
func attemptIn(n int32, state yarnrpc.AttemptState, err error) attemptReports {
	return func(_ context.Context, id yarnrpc.ApplicationAttemptID) (yarnrpc.ApplicationAttemptReport, error) {
		if err != nil {
			return yarnrpc.ApplicationAttemptReport{}, err
		}
		if id.Attempt != n {
			return yarnrpc.ApplicationAttemptReport{}, fmt.Errorf("asked for %s, want attempt %d", id, n)
		}
		return yarnrpc.ApplicationAttemptReport{ID: id, State: state}, nil
	}
}
