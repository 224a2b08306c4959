package jobmanager_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/rs/zerolog"
)

// These tests run real TaskManager processes of a job binary built here.

var buildOnce struct {
	sync.Once
	dir string
	err error
}

// testJob builds testdata/testjob once per test binary run.
func testJob(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "floe-testjob-")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.dir = dir
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, "testjob"), "./testdata/testjob").CombinedOutput()
		if err != nil {
			buildOnce.err = fmt.Errorf("build testjob: %v\n%s", err, out)
		}
	})
	if buildOnce.err != nil {
		t.Fatal(buildOnce.err)
	}
	return filepath.Join(buildOnce.dir, "testjob")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildOnce.dir != "" {
		_ = os.RemoveAll(buildOnce.dir) // best effort: a temp dir
	}
	os.Exit(code)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type cluster struct {
	addr   string
	client *api.Client
	drv    *jobmanager.ProcessDriver
	secret []byte
	file   string
	logs   *syncBuffer
	dir    string
}

// startCluster runs a JobManager with the process driver and its control
// API in this test process; everything stops in t.Cleanup.
func startCluster(t *testing.T, slots int, restart api.RestartStrategy) *cluster {
	t.Helper()
	return startClusterMem(t, slots, restart, 8<<20)
}

func startClusterMem(t *testing.T, slots int, restart api.RestartStrategy, netMem int64) *cluster {
	t.Helper()
	dir := t.TempDir()
	secret, err := api.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "secret")
	if err := os.WriteFile(file, secret, 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := zerolog.New(logs)
	drv, err := jobmanager.NewProcessDriver(jobmanager.ProcessDriverOptions{SecretFile: file, LogDir: filepath.Join(dir, "logs"),
		NetworkMemory: netMem, JobManagerTimeout: 5 * time.Second, StopGrace: 2 * time.Second, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	jm, err := jobmanager.New(ctx, jobmanager.Options{Driver: drv, Logger: log,
		// Loss by heartbeat is covered by the core's scripts (testdata/tm_lost.txt); here
		// the timeout only has to survive a loaded 2-core CI machine.
		Core: jobmanager.CoreOptions{SlotsPerTaskManager: slots, HeartbeatTimeout: 45 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := jobmanager.NewServer(jm, jobmanager.ServerOptions{Addr: "127.0.0.1:0", Secret: secret, DefaultRestart: restart, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	jm.SetAddress(srv.Addr())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = srv.Serve(ctx) }()
	go func() { defer wg.Done(); _ = jm.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		_ = drv.Close()
		if t.Failed() {
			t.Logf("JobManager log:\n%s", logs.String())
			if files, _ := filepath.Glob(filepath.Join(dir, "logs", "*.log")); len(files) > 0 {
				for _, f := range files {
					b, _ := os.ReadFile(f)
					t.Logf("%s:\n%s", filepath.Base(f), b)
				}
			}
		}
	})
	return &cluster{addr: srv.Addr(), client: api.NewClient(srv.Addr(), secret), drv: drv, secret: secret, file: file, logs: logs, dir: dir}
}

// plan runs the job binary in the plan role.
func plan(t *testing.T, bin string, env []string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(append(os.Environ(), env...), contract.EnvRole+"="+contract.RolePlan)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return out
}

func (c *cluster) submit(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	st, err := c.client.Submit(context.Background(), api.SubmitJob{Graph: plan(t, bin, env, args...), Binary: bin, Args: args, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	return st.ID
}

func (c *cluster) wait(t *testing.T, id string, d time.Duration) api.JobStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	st, err := c.client.Wait(ctx, id, 50*time.Millisecond)
	if err != nil {
		t.Fatalf("job %s: %v (last %+v)", id, err, st)
	}
	return st
}

func (c *cluster) status(t *testing.T, id string) api.JobStatus {
	st, err := c.client.Job(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func allRunning(st api.JobStatus) bool {
	if st.State != api.JobRunning || len(st.Subtasks) == 0 {
		return false
	}
	for _, s := range st.Subtasks {
		if s.State != api.Running {
			return false
		}
	}
	return true
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func TestRemoteJobAcrossTaskManagers(t *testing.T) {
	bin := testJob(t)
	c := startCluster(t, 2, api.RestartStrategy{})
	out := filepath.Join(t.TempDir(), "out")
	id := c.submit(t, bin, []string{"FLOE_PARALLELISM=4"}, "--mode", "count", "--n", "200000", "--out", out)
	if st := c.wait(t, id, time.Minute); st.State != api.JobFinished {
		t.Fatalf("job %s: %s", st.State, st.Cause)
	}
	tms := map[string]bool{}
	for _, s := range c.status(t, id).Subtasks {
		tms[s.TaskManager] = true
	}
	if len(tms) != 2 {
		t.Fatalf("job ran on %d TaskManagers, want 2", len(tms))
	}
	files, _ := filepath.Glob(filepath.Join(out, "part-*"))
	got := map[int64]int64{}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			k, n, _ := strings.Cut(line, " ")
			ki, _ := strconv.ParseInt(k, 10, 64)
			ni, _ := strconv.ParseInt(n, 10, 64)
			got[ki] = ni
		}
	}
	if len(got) != 97 {
		t.Fatalf("%d keys, want 97", len(got))
	}
	for k, n := range got {
		want := int64(200000 / 97)
		if k < 200000%97 {
			want++
		}
		if n != want {
			t.Fatalf("key %d: %d, want %d", k, n, want)
		}
	}
	testutil.WaitFor(t, 10*time.Second, "idle TaskManagers to exit", func() bool { return len(c.drv.PIDs()) == 0 })
}

func TestPanicFailsRemoteJob(t *testing.T) {
	bin := testJob(t)
	cases := []struct {
		name     string
		restart  api.RestartStrategy
		restarts int
	}{
		{"no restart", api.RestartStrategy{}, 0},
		{"restarts then fails", api.RestartStrategy{Attempts: 2, DelayMillis: 100}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := startCluster(t, 1, tc.restart)
			id := c.submit(t, bin, nil, "--mode", "panic", "--n", "2000000", "--at", "999999")
			st := c.wait(t, id, 2*time.Minute)
			if st.State != api.JobFailed || st.Restarts != tc.restarts {
				t.Fatalf("job %s after %d restarts, want FAILED after %d: %s", st.State, st.Restarts, tc.restarts, st.Cause)
			}
			for _, want := range []string{"record 999999 is cursed", "goroutine", "main.go"} {
				if !strings.Contains(st.Cause, want) {
					t.Fatalf("cause lacks %q: %s", want, st.Cause)
				}
			}
		})
	}
}

func TestKilledTaskManagerFailsOver(t *testing.T) {
	bin := testJob(t)
	c := startCluster(t, 2, api.RestartStrategy{Attempts: 1, DelayMillis: 100})
	id := c.submit(t, bin, []string{"FLOE_PARALLELISM=4"}, "--mode", "unbounded")
	testutil.WaitFor(t, 30*time.Second, "all subtasks running", func() bool { return allRunning(c.status(t, id)) })
	pids := c.drv.PIDs()
	if len(pids) != 2 {
		t.Fatalf("%d TaskManager processes, want 2", len(pids))
	}
	var victim string
	for id := range pids {
		victim = id
		break
	}
	if err := syscall.Kill(pids[victim], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 30*time.Second, "restarted attempt running", func() bool {
		st := c.status(t, id)
		return st.Attempt == 1 && allRunning(st)
	})
	st := c.status(t, id)
	if st.Restarts != 1 {
		t.Fatalf("restarts = %d", st.Restarts)
	}
	for _, s := range st.Subtasks {
		if s.TaskManager == victim {
			t.Fatalf("subtask placed on the killed TaskManager %s", victim)
		}
	}
	if !strings.Contains(c.logs.String(), victim) || !strings.Contains(c.logs.String(), "signal: killed") {
		t.Fatalf("the JobManager did not log the kill")
	}
	// The failover's history entry names its root cause, the killed
	// process, even when a peer's broken connection was reported first.
	root := "TaskManager " + victim + " exited: process " + strconv.Itoa(pids[victim]) + ": signal: killed"
	if ex := st.Exceptions; len(ex) == 0 || ex[0].Attempt != 0 || !strings.HasPrefix(ex[0].Cause, root) {
		t.Fatalf("first exception %+v, want attempt 0 caused by %q", ex, root)
	}
	t.Logf("exception history: %+v", st.Exceptions)
	for _, ex := range st.Exceptions[1:] {
		if strings.Contains(ex.Cause, victim) {
			t.Fatalf("the kill of %s is in the history twice: %+v", victim, st.Exceptions)
		}
	}
	if _, err := c.client.Cancel(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if st := c.wait(t, id, 30*time.Second); st.State != api.JobCanceled {
		t.Fatalf("job %s", st.State)
	}
}

func TestCancelStopsTaskManagers(t *testing.T) {
	bin := testJob(t)
	c := startCluster(t, 2, api.RestartStrategy{})
	id := c.submit(t, bin, []string{"FLOE_PARALLELISM=4"}, "--mode", "unbounded")
	testutil.WaitFor(t, 30*time.Second, "all subtasks running", func() bool { return allRunning(c.status(t, id)) })
	pids := c.drv.PIDs()
	if len(pids) != 2 {
		t.Fatalf("%d TaskManager processes, want 2", len(pids))
	}
	if _, err := c.client.Cancel(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if st := c.wait(t, id, 30*time.Second); st.State != api.JobCanceled {
		t.Fatalf("job %s: %s", st.State, st.Cause)
	}
	// A bounded wait, not a timing assertion: every process is gone.
	testutil.WaitFor(t, 5*time.Second, "TaskManager processes to exit", func() bool {
		for _, pid := range pids {
			if alive(pid) {
				return false
			}
		}
		return true
	})
}

func TestFingerprintMismatchFailsJob(t *testing.T) {
	bin := testJob(t)
	c := startCluster(t, 1, api.RestartStrategy{Attempts: 3})
	// The TaskManagers inherit this variable from the JobManager (this
	// process) and so rebuild a different graph than the one planned.
	graph := plan(t, bin, nil, "--mode", "unbounded")
	t.Setenv("TESTJOB_VARIANT", "other")
	st, err := c.client.Submit(context.Background(), api.SubmitJob{Graph: graph, Binary: bin, Args: []string{"--mode", "unbounded"}})
	if err != nil {
		t.Fatal(err)
	}
	st = c.wait(t, st.ID, time.Minute)
	if st.State != api.JobFailed || st.Restarts != 0 || !strings.Contains(st.Cause, "fingerprint mismatch") ||
		!strings.Contains(st.Cause, "different job binary") {
		t.Fatalf("job %s after %d restarts: %s", st.State, st.Restarts, st.Cause)
	}
}

func TestUnauthenticatedRequestsAreRejected(t *testing.T) {
	c := startCluster(t, 1, api.RestartStrategy{})
	cases := []struct {
		name string
		do   func() (int, error)
	}{
		{"no signature", func() (int, error) {
			resp, err := http.Post("http://"+c.addr+"/v1/jobs", "application/json", strings.NewReader(`{"version":1}`))
			if err != nil {
				return 0, err
			}
			_ = resp.Body.Close()
			return resp.StatusCode, nil
		}},
		{"wrong secret", func() (int, error) {
			_, err := api.NewClient(c.addr, []byte("not-the-secret-at-all")).Job(context.Background(), "x")
			var re *api.RemoteError
			if errors.As(err, &re) {
				return re.Status, nil
			}
			return 0, err
		}},
		{"unsigned TaskManager control channel", func() (int, error) {
			req, _ := http.NewRequest(http.MethodGet, "http://"+c.addr+api.ControlPath, nil)
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", api.UpgradeProtocol)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return 0, err
			}
			_ = resp.Body.Close()
			return resp.StatusCode, nil
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, err := tc.do()
			if err != nil {
				t.Fatal(err)
			}
			if code != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", code)
			}
		})
	}
	if n := strings.Count(c.logs.String(), "rejected control request"); n != len(cases) {
		t.Fatalf("%d rejections logged, want %d", n, len(cases))
	}
	// The real secret still works.
	if _, err := c.client.Job(context.Background(), "nope"); !errors.Is(err, api.ErrRemote) || errors.Is(err, api.ErrUnauthenticated) {
		t.Fatalf("signed request: %v", err)
	}
}

func TestRefusedJobManagerAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens here now: connections are refused
	_, err = api.NewClient(addr, []byte("0123456789abcdef0123")).Job(context.Background(), "x")
	if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), addr) {
		t.Fatalf("client error: %v", err)
	}
	// A TaskManager given that address exits with a clear error.
	bin := testJob(t)
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("0123456789abcdef0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--mode", "unbounded")
	cmd.Env = append(os.Environ(), contract.EnvRole+"="+contract.RoleTaskManager, contract.EnvJobManagerAddress+"="+addr,
		contract.EnvTaskManagerID+"=tm-1", contract.EnvSecretFile+"="+secret, contract.EnvJobManagerTimeout+"=500")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("TaskManager: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "connection refused") || !strings.Contains(string(out), "register") {
		t.Fatalf("TaskManager output lacks the cause:\n%s", out)
	}
}
