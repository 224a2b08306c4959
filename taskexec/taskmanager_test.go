package taskexec_test

import (
	"context"
	"encoding/binary"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/stream"
	"github.com/floe-yarn/floe/taskexec"
	"github.com/rs/zerolog"
)

// fakeJM records what TaskManagers report.
type fakeJM struct {
	mu      sync.Mutex
	updates []api.TaskUpdate
}

func (f *fakeJM) Register(context.Context, api.Registration) (api.RegistrationReply, error) {
	return api.RegistrationReply{Version: api.Version}, nil
}
func (f *fakeJM) Heartbeat(context.Context, string) (bool, error) { return true, nil }
func (f *fakeJM) UpdateTask(_ context.Context, u api.TaskUpdate) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, u)
	return nil
}

func (f *fakeJM) final() map[[2]int]api.TaskUpdate {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[[2]int]api.TaskUpdate{}
	for _, u := range f.updates {
		if u.State.Terminal() {
			out[[2]int{u.Vertex, u.Subtask}] = u
		}
	}
	return out
}

type collected struct {
	mu   sync.Mutex
	recs []string
}

// job builds source(p=2) → keyBy → sink(p=2) collecting into c.
func job(t *testing.T, c *collected, extra string) runtime.Program {
	t.Helper()
	env := stream.NewEnvironment(stream.Options{Parallelism: 2})
	words := stream.FromSlice(env, []string{"a", "b", "c", "d", "e", "f", "g", "h", "a", "b"})
	stream.ForEach(stream.KeyBy(words, func(s string) string { return s }).Stream(), func(s string) {
		c.mu.Lock()
		c.recs = append(c.recs, s)
		c.mu.Unlock()
	})
	if extra != "" {
		stream.FromSlice(env, []int{1}).Name(extra).Discard()
	}
	p, err := env.Program("t")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newTM(t *testing.T, id string, p runtime.Program, jm *fakeJM, secret []byte) (*taskexec.TaskManager, *taskexec.NetExchange) {
	t.Helper()
	ctx := context.Background()
	x, err := taskexec.NewNetExchange(ctx, taskexec.NetExchangeOptions{TaskManager: id, Secret: secret, NetworkMemory: 4 << 20, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	tm, err := taskexec.New(ctx, taskexec.Options{ID: id, Slots: 1, Program: p, Exchange: x, DataAddress: x.DataAddress(), JobManager: jm, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = tm.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done; x.Close() })
	return tm, x
}

func deployAll(t *testing.T, p runtime.Program, fp string, tms []*taskexec.TaskManager, xs []*taskexec.NetExchange) {
	t.Helper()
	slots := []api.SlotLocation{
		{TaskManager: "tm-a", Slot: 0, DataAddress: xs[0].DataAddress()},
		{TaskManager: "tm-b", Slot: 0, DataAddress: xs[1].DataAddress()},
	}
	for _, v := range p.Graph().Vertices {
		for i := 0; i < v.Parallelism; i++ {
			err := tms[i].Deploy(context.Background(), api.DeployTask{Job: "j", JobName: "t", Vertex: v.Index, Subtask: i, Slot: 0, Fingerprint: fp, Slots: slots})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestSubtasksExchangeAcrossTaskManagers(t *testing.T) {
	var c collected
	p := job(t, &c, "")
	jm := &fakeJM{}
	secret := []byte("a-test-secret-of-some-length")
	a, xa := newTM(t, "tm-a", p, jm, secret)
	b, xb := newTM(t, "tm-b", p, jm, secret)
	deployAll(t, p, p.Graph().Fingerprint, []*taskexec.TaskManager{a, b}, []*taskexec.NetExchange{xa, xb})
	want := p.Graph().Subtasks()
	testutil.WaitFor(t, 30*time.Second, "every subtask to end", func() bool { return len(jm.final()) == want })
	for k, u := range jm.final() {
		if u.State != api.Finished {
			t.Fatalf("subtask %v: %s %s", k, u.State, u.Cause)
		}
	}
	c.mu.Lock()
	got := append([]string(nil), c.recs...)
	c.mu.Unlock()
	sort.Strings(got)
	if strings.Join(got, "") != "aabbcdefgh" {
		t.Fatalf("records %v", got)
	}
}

func TestFingerprintMismatchIsRefused(t *testing.T) {
	var c collected
	planned := job(t, &c, "")
	other := job(t, &c, "an extra operator")
	jm := &fakeJM{}
	tm, _ := newTM(t, "tm-a", other, jm, []byte("a-test-secret-of-some-length"))
	err := tm.Deploy(context.Background(), api.DeployTask{Job: "j", Vertex: 0, Subtask: 0, Fingerprint: planned.Graph().Fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, "the refusal", func() bool { return len(jm.final()) == 1 })
	u := jm.final()[[2]int{0, 0}]
	if u.State != api.Failed || !u.Unrecoverable || !strings.Contains(u.Cause, "fingerprint mismatch") ||
		!strings.Contains(u.Cause, planned.Graph().Fingerprint) || !strings.Contains(u.Cause, other.Graph().Fingerprint) {
		t.Fatalf("update %+v", u)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.recs) != 0 {
		t.Fatal("a refused task ran")
	}
}

func TestCancelEndsRunningTask(t *testing.T) {
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
	d := api.DeployTask{Job: "j", Vertex: 0, Subtask: 0, Fingerprint: p.Graph().Fingerprint}
	if err := tm.Deploy(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if err := tm.Deploy(context.Background(), d); err == nil {
		t.Fatal("deployed the same subtask twice")
	}
	if err := tm.Cancel(context.Background(), api.CancelTask{Job: "j", Vertex: 0, Subtask: 0}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, "cancellation", func() bool { return len(jm.final()) == 1 })
	if u := jm.final()[[2]int{0, 0}]; u.State != api.Canceled {
		t.Fatalf("update %+v", u)
	}
	tm.Shutdown()
}

// TestEndedAttemptPartitionsReleased: a partition whose consumer never reads
// it (its attempt was canceled or failed over) must not keep its buffers in
// a TaskManager that lives on (a session): Cancel releases the canceled
// attempt's partitions and a newer attempt's Deploy releases older ones.
func TestEndedAttemptPartitionsReleased(t *testing.T) {
	var c collected
	p := job(t, &c, "")
	tm, x := newTM(t, "tm-a", p, &fakeJM{}, []byte("secret"))
	ctx := context.Background()
	leave := func(attempt int) {
		t.Helper()
		w, err := x.OpenWriter(ctx, runtime.PartitionID{Job: "j", Attempt: attempt}, 1, []int{0})
		if err != nil {
			t.Fatal(err)
		}
		rec := binary.LittleEndian.AppendUint32(w.NewBuffer(), 5)
		if err := w.WriteBuffer(ctx, 0, append(rec, "hello"...)); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		if err := w.Finish(ctx); err != nil {
			t.Fatal(err)
		}
		if x.Pool().InUse() == 0 {
			t.Fatal("the unread partition holds no buffer; the test would prove nothing")
		}
	}

	leave(0)
	if err := tm.Cancel(ctx, api.CancelTask{Job: "j", Attempt: 0}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 5*time.Second, "buffers of the canceled attempt back in the pool", func() bool { return x.Pool().InUse() == 0 })
	if n := x.ReleasePartitions("j", func(int) bool { return true }); n != 0 {
		t.Fatalf("%d partitions of the canceled attempt still registered", n)
	}

	leave(1)
	slots := []api.SlotLocation{{TaskManager: "tm-a", Slot: 0, DataAddress: x.DataAddress()}}
	if err := tm.Deploy(ctx, api.DeployTask{Job: "j", JobName: "t", Attempt: 2, Vertex: 0, Subtask: 0, Slot: 0,
		Fingerprint: p.Graph().Fingerprint, Slots: slots}); err != nil {
		t.Fatal(err)
	}
	if n := x.ReleasePartitions("j", func(a int) bool { return a < 2 }); n != 0 {
		t.Fatalf("%d partitions of attempt 1 survived the deploy of attempt 2", n)
	}
}
