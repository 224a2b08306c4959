package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/jobmanager/api"
)

// noTaskManagers starts nothing: submitted jobs wait for slots.
type noTaskManagers struct{}

func (noTaskManagers) StartTaskManager(context.Context, jobmanager.TaskManagerSpec, func(string)) error {
	return nil
}
func (noTaskManagers) StopTaskManager(context.Context, string) error { return nil }
func (noTaskManagers) DescribeTaskManager(id string) string          { return id }

// startJobManager runs an in-process JobManager with its control API on
// loopback and returns a ClusterClient for it.
func startJobManager(t *testing.T) (*ClusterClient, *jobmanager.JobManager) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	jm, err := jobmanager.New(ctx, jobmanager.Options{Driver: noTaskManagers{}, Core: jobmanager.CoreOptions{SlotsPerTaskManager: 1}})
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("0123456789abcdef0123")
	srv, err := jobmanager.NewServer(jm, jobmanager.ServerOptions{Addr: "127.0.0.1:0", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = jm.Run(ctx) }()
	go func() { defer wg.Done(); _ = srv.Serve(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return &ClusterClient{Addr: srv.Addr(), JM: api.NewClient(srv.Addr(), secret)}, jm
}

func oneNodeGraph(t *testing.T, name string) *graph.JobGraph {
	t.Helper()
	l := &graph.Logical{Name: name}
	l.AddNode(graph.Node{Kind: "source", Name: "src", Parallelism: 1})
	g, err := graph.Build(l)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestCancelUnknownJob: cancelling an id the cluster does not have names
// the ids it has, with their names and states, instead of a bare 404.
func TestCancelUnknownJob(t *testing.T) {
	cc, jm := startJobManager(t)
	ctx := context.Background()

	_, err := cc.Cancel(ctx, "0123456789abcdef0123456789abcdef")
	if !errors.Is(err, ErrUnknownJob) || !strings.Contains(err.Error(), "has no job 0123456789abcdef0123456789abcdef; it has no jobs") {
		t.Fatalf("empty cluster: err = %v", err)
	}

	var ids []string
	for _, name := range []string{"wordcount", "sessions"} {
		id, err := jm.Submit(ctx, jobmanager.Submission{Graph: oneNodeGraph(t, name), Pool: "p"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	_, err = cc.Cancel(ctx, "job-1-b76dea7b")
	if !errors.Is(err, ErrUnknownJob) {
		t.Fatalf("err = %v, want ErrUnknownJob", err)
	}
	msg := err.Error()
	for _, want := range []string{cc.Addr + " has no job job-1-b76dea7b; its jobs: ", ids[0] + ` "wordcount" `, ids[1] + ` "sessions" `} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "HTTP 404") || strings.Contains(msg, "\n") {
		t.Errorf("error %q is not one plain line", msg)
	}
	// The JobManager's own answer stays reachable.
	var re *api.RemoteError
	if !errors.As(err, &re) || re.Status != http.StatusNotFound {
		t.Errorf("remote cause lost: %v", err)
	}
	// A known id still cancels.
	if _, err := cc.Cancel(ctx, ids[0]); err != nil {
		t.Fatalf("cancel %s: %v", ids[0], err)
	}
}
