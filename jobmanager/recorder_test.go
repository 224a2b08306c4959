package jobmanager

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/jobmanager/api"
)

// fakeRecorder is a JobRecorder in memory; fenced makes every record fail
// as a zombie attempt's would.
type fakeRecorder struct {
	mu          sync.Mutex
	fenced      bool
	submitted   []string
	checkpoints []int64
	ended       []api.JobStatus
}

var errFakeFenced = errors.New("fenced: attempt 2 took over")

func (r *fakeRecorder) fence() { r.mu.Lock(); r.fenced = true; r.mu.Unlock() }

func (r *fakeRecorder) JobSubmitted(_ context.Context, id string, _ Submission) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fenced {
		return errFakeFenced
	}
	r.submitted = append(r.submitted, id)
	return nil
}

func (r *fakeRecorder) CheckpointCompleted(_ context.Context, _ string, id int64, _ string, _ bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fenced {
		return errFakeFenced
	}
	r.checkpoints = append(r.checkpoints, id)
	return nil
}

func (r *fakeRecorder) JobEnded(_ context.Context, st api.JobStatus) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ended = append(r.ended, st)
	return nil
}

func (r *fakeRecorder) snapshot() (sub []string, ck []int64, ended []api.JobStatus) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.submitted...), append([]int64(nil), r.checkpoints...), append([]api.JobStatus(nil), r.ended...)
}

func startRecordedServer(t *testing.T, rec JobRecorder, cfg map[string]string) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	drv := &idleDriver{}
	jm, err := New(ctx, Options{Driver: drv, Core: CoreOptions{SlotsPerTaskManager: 1, IdleTimeout: time.Hour}, Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(jm, ServerOptions{Addr: "127.0.0.1:0", Secret: testServerSecret, Heartbeat: fastHeartbeat, Config: mapLookup(cfg),
		DefaultRestart: api.RestartStrategy{Type: api.RestartFixedDelay, Attempts: 3, DelayMillis: 10}})
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
	return &testServer{client: api.NewClient(srv.Addr(), testServerSecret), jm: jm, srv: srv, drv: drv, stop: stop}
}

// TestRecorderFencesCheckpoints: a submitted job is recorded before it
// runs, a checkpoint is notified only after the recorder took it, a
// checkpoint the recorder refuses (a fenced attempt) is aborted, never
// notified complete, and a job's final state is recorded.
func TestRecorderFencesCheckpoints(t *testing.T) {
	rec := &fakeRecorder{}
	ts := startRecordedServer(t, rec, map[string]string{conf.CheckpointingInterval: "50ms", conf.CheckpointsDir: t.TempDir(),
		conf.CheckpointingTolerable: "100"})
	st, ids := submitFor(t, ts, 1, 1)
	if sub, _, _ := rec.snapshot(); len(sub) != 1 || sub[0] != st.ID {
		t.Fatalf("recorded submissions %v, want [%s]", sub, st.ID)
	}
	tm, err := dialTM(t, ts.srv.Addr(), ids[0], 1, false, true)
	if err != nil {
		t.Fatal(err)
	}
	var d api.DeployTask
	if err := tm.next(t, api.MsgDeploy).Decode(&d); err != nil {
		t.Fatal(err)
	}
	sendState(t, tm, d, api.Running, "")

	tr, _ := ckptAck(t, tm, d)
	var n api.NotifyCheckpoint
	if err := tm.next(t, api.MsgNotifyCheckpoint).Decode(&n); err != nil {
		t.Fatal(err)
	}
	if _, ck, _ := rec.snapshot(); n.Aborted || n.Checkpoint != tr.Checkpoint || len(ck) != 1 || ck[0] != tr.Checkpoint {
		t.Fatalf("notification %+v with recorded %v, want chk-%d recorded, then notified complete", n, ck, tr.Checkpoint)
	}

	rec.fence()
	tr, _ = ckptAck(t, tm, d)
	if err := tm.next(t, api.MsgNotifyCheckpoint).Decode(&n); err != nil {
		t.Fatal(err)
	}
	if !n.Aborted || n.Checkpoint != tr.Checkpoint {
		t.Fatalf("notification %+v, want chk-%d aborted: the job store refused it", n, tr.Checkpoint)
	}

	if _, err := ts.client.Cancel(context.Background(), st.ID); err != nil {
		t.Fatal(err)
	}
	tm.next(t, api.MsgCancel)
	sendState(t, tm, d, api.Canceled, "")
	testutil.WaitFor(t, 10*time.Second, "final state recorded", func() bool {
		_, _, ended := rec.snapshot()
		return len(ended) == 1 && ended[0].ID == st.ID && ended[0].State.Terminal()
	})
}
