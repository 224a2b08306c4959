package jobmanager

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// idleDriver accepts start requests and never starts anything.
type idleDriver struct {
	mu     sync.Mutex
	starts int
}

func (d *idleDriver) StartTaskManager(context.Context, TaskManagerSpec, func(string)) error {
	d.mu.Lock()
	d.starts++
	d.mu.Unlock()
	return nil
}
func (d *idleDriver) StopTaskManager(context.Context, string) error { return nil }
func (d *idleDriver) DescribeTaskManager(id string) string          { return "somewhere " + id }

func startServer(t *testing.T, opts ServerOptions) (*api.Client, *JobManager) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	jm, err := New(ctx, Options{Driver: &idleDriver{}, Core: CoreOptions{SlotsPerTaskManager: 2}})
	if err != nil {
		t.Fatal(err)
	}
	opts.Addr, opts.Secret = "127.0.0.1:0", []byte("0123456789abcdef0123")
	srv, err := NewServer(jm, opts)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = jm.Run(ctx) }()
	go func() { defer wg.Done(); _ = srv.Serve(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return api.NewClient(srv.Addr(), opts.Secret), jm
}

func unsignedGet(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestServerReadsAndShutdown(t *testing.T) {
	shut := make(chan string, 1)
	c, _ := startServer(t, ServerOptions{OpenReads: true, Mode: "session", Shutdown: func(r string) { shut <- r }})
	g, err := testGraph(t, "j", []int{3}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Submit(context.Background(), api.SubmitJob{Name: "j", Graph: g, Binary: "/bin/job"})
	if err != nil {
		t.Fatal(err)
	}
	// Wait (bounded) until the core asked for TaskManagers.
	deadline := time.Now().Add(10 * time.Second)
	var ov api.Overview
	for {
		if ov, err = c.Overview(context.Background()); err == nil && ov.PendingTaskManagers == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("overview %+v, %v", ov, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if ov.Mode != "session" || ov.Jobs[api.JobCreated] != 1 || ov.TaskManagers != 0 {
		t.Fatalf("overview %+v", ov)
	}
	l, err := c.Jobs(context.Background())
	if err != nil || len(l.Jobs) != 1 || l.Jobs[0].ID != st.ID || l.Jobs[0].State != api.JobCreated {
		t.Fatalf("jobs %+v, %v", l, err)
	}
	if tms, err := c.TaskManagers(context.Background()); err != nil || len(tms.TaskManagers) != 0 {
		t.Fatalf("taskmanagers %+v, %v", tms, err)
	}
	base := "http://" + c.Addr
	for _, p := range []string{"/", "/v1/overview", "/v1/jobs", "/v1/jobs/" + st.ID, "/v1/taskmanagers"} {
		if code := unsignedGet(t, base+p); code != http.StatusOK {
			t.Errorf("unsigned GET %s: %d", p, code)
		}
	}
	if code := unsignedGet(t, base+"/v1/jobs/nope"); code != http.StatusNotFound {
		t.Errorf("unknown job: %d", code)
	}
	// Mutations stay signed.
	resp, err := http.Post(base+"/v1/cluster/shutdown", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned shutdown: %d", resp.StatusCode)
	}
	if err := c.Shutdown(context.Background(), "done"); err != nil {
		t.Fatal(err)
	}
	if r := <-shut; r != "done" {
		t.Fatalf("shutdown reason %q", r)
	}
}

func TestServerClosedReadsAndNoShutdown(t *testing.T) {
	c, _ := startServer(t, ServerOptions{})
	if code := unsignedGet(t, "http://"+c.Addr+"/v1/overview"); code != http.StatusUnauthorized {
		t.Fatalf("unsigned GET without OpenReads: %d", code)
	}
	if _, err := c.Overview(context.Background()); err != nil {
		t.Fatalf("signed GET: %v", err)
	}
	var re *api.RemoteError
	if err := c.Shutdown(context.Background(), "x"); !errors.As(err, &re) || re.Status != http.StatusNotImplemented {
		t.Fatalf("shutdown without a handler: %v", err)
	}
}
