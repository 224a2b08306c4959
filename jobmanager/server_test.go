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
	ids    []string
}

func (d *idleDriver) StartTaskManager(_ context.Context, spec TaskManagerSpec, _ func(string)) error {
	d.mu.Lock()
	d.starts++
	d.ids = append(d.ids, spec.ID)
	d.mu.Unlock()
	return nil
}

// started returns the ids of the TaskManagers asked for so far.
func (d *idleDriver) started() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.ids...)
}
func (d *idleDriver) StopTaskManager(context.Context, string) error { return nil }
func (d *idleDriver) DescribeTaskManager(id string) string          { return "somewhere " + id }

func startServer(t *testing.T, opts ServerOptions) (*api.Client, *JobManager) {
	t.Helper()
	ts := startTestServer(t, opts, CoreOptions{SlotsPerTaskManager: 2})
	return ts.client, ts.jm
}

var testServerSecret = []byte("0123456789abcdef0123")

// testServer is a JobManager and its Server on loopback, with an idle
// driver; stop ends both (also at cleanup).
type testServer struct {
	client *api.Client
	jm     *JobManager
	srv    *Server
	drv    *idleDriver
	stop   func()
}

func startTestServer(t testing.TB, opts ServerOptions, core CoreOptions) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	drv := &idleDriver{}
	jm, err := New(ctx, Options{Driver: drv, Core: core})
	if err != nil {
		t.Fatal(err)
	}
	opts.Addr, opts.Secret = "127.0.0.1:0", testServerSecret
	srv, err := NewServer(jm, opts)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = jm.Run(ctx) }()
	go func() { defer wg.Done(); _ = srv.Serve(ctx) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return &testServer{client: api.NewClient(srv.Addr(), opts.Secret), jm: jm, srv: srv, drv: drv, stop: stop}
}

func unsignedGet(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
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
	_ = resp.Body.Close()
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
