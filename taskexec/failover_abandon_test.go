package taskexec_test

import (
	"context"
	"testing"
	"time"

	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/stream"
	"github.com/floe-yarn/floe/taskexec"
	"github.com/rs/zerolog"
)

// TestAbandonAllAfterFailover: when the JobManager failed over, the
// TaskManager ends the tasks of the old one without reporting them (the new
// JobManager must not hear of them), and the same subtask can be deployed
// again by the new one.
func TestAbandonAllAfterFailover(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{})
	stream.Generate(env, func(i int64) int64 { return i }, stream.GeneratorOptions{}).Discard()
	p, err := env.Program("unbounded")
	if err != nil {
		t.Fatal(err)
	}
	jm := &fakeJM{}
	tm, err := taskexec.New(context.Background(), taskexec.Options{ID: "tm-a", Slots: 1, Program: p, Exchange: runtime.NewLocalExchange(), JobManager: jm, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer tm.Shutdown()
	d := api.DeployTask{Job: "j", Vertex: 0, Subtask: 0, Fingerprint: p.Graph().Fingerprint}
	if err := tm.Deploy(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	tm.AbandonAll(10 * time.Second)
	if f := jm.final(); len(f) != 0 {
		t.Fatalf("final states reported for abandoned tasks: %+v", f)
	}
	if err := tm.Deploy(context.Background(), d); err != nil {
		t.Fatalf("deploy again after the failover: %v", err)
	}
	if err := tm.Cancel(context.Background(), api.CancelTask{Job: "j", Vertex: 0, Subtask: 0}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, "the cancellation of the new deployment", func() bool { return len(jm.final()) == 1 })
	if u := jm.final()[[2]int{0, 0}]; u.State != api.Canceled {
		t.Fatalf("the new deployment's cancel was not reported: %+v", u)
	}
}
