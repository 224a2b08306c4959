package standalone

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-yarn/floe/jobmanager"
)

// fakeClock is the driver's clock in tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

type exits struct {
	mu  sync.Mutex
	got map[string]string
}

func (e *exits) fn(id string) func(string) {
	return func(cause string) {
		e.mu.Lock()
		defer e.mu.Unlock()
		if _, dup := e.got[id]; dup {
			panic("exited called twice for " + id)
		}
		e.got[id] = cause
	}
}

func (e *exits) of(id string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.got[id]
	return c, ok
}

func newTestDriver(t *testing.T) (*Driver, *fakeClock, *exits, string) {
	t.Helper()
	blobs, err := NewBlobStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("#!/bin/sh\n")
	digest, err := blobs.Ingest(writeFile(t, data))
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{now: time.Unix(1000, 0)}
	d := NewDriver(DriverOptions{Blobs: blobs, SlotRequestTimeout: time.Minute, WorkerTimeout: 10 * time.Second, Now: clk.Now})
	return d, clk, &exits{got: map[string]string{}}, BlobPrefix + digest
}

func poll(t *testing.T, d *Driver, id string, p WorkerPoll) WorkerCommands {
	t.Helper()
	p.Version = ProtocolVersion
	c, err := d.Poll(context.Background(), id, p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func startIDs(c WorkerCommands) string {
	var ids []string
	for _, s := range c.Start {
		ids = append(ids, s.TaskManager)
	}
	return strings.Join(ids, ",")
}

func TestDriverPlacesOnWorkersWithFreeSlots(t *testing.T) {
	d, _, ex, bin := newTestDriver(t)
	ctx := context.Background()
	// Requests before any worker wait.
	for _, id := range []string{"tm-1", "tm-2", "tm-3"} {
		if err := d.StartTaskManager(ctx, jobmanager.TaskManagerSpec{ID: id, Binary: bin, Slots: 2}, ex.fn(id)); err != nil {
			t.Fatal(err)
		}
	}
	if w := d.Waiting(); !strings.Contains(w, "3 TaskManager(s) needing 6 slots") || !strings.Contains(w, "no TaskManager has registered") {
		t.Fatalf("Waiting() = %q", w)
	}
	if got := startIDs(poll(t, d, "w1", WorkerPoll{Host: "h1", Slots: 4})); got != "tm-1,tm-2" {
		t.Fatalf("w1 (4 slots) got starts %q, want tm-1,tm-2", got)
	}
	if got := startIDs(poll(t, d, "w2", WorkerPoll{Host: "h2", Slots: 3})); got != "tm-3" {
		t.Fatalf("w2 (3 slots) got starts %q, want tm-3", got)
	}
	// tm-2 ends on w1: its slots are free again, and the JobManager hears why.
	if got := startIDs(poll(t, d, "w1", WorkerPoll{Host: "h1", Slots: 4, Running: []string{"tm-1"},
		Exited: []Exit{{TaskManager: "tm-2", Cause: "exit status 1"}}})); got != "" {
		t.Fatalf("unexpected starts %q", got)
	}
	if c, ok := ex.of("tm-2"); !ok || !strings.Contains(c, "exit status 1") || !strings.Contains(c, "h1") {
		t.Fatalf("tm-2 exit cause %q, %v", c, ok)
	}
	if err := d.StartTaskManager(ctx, jobmanager.TaskManagerSpec{ID: "tm-4", Binary: bin, Slots: 2}, ex.fn("tm-4")); err != nil {
		t.Fatal(err)
	}
	if got := startIDs(poll(t, d, "w1", WorkerPoll{Host: "h1", Slots: 4, Running: []string{"tm-1"}})); got != "tm-4" {
		t.Fatalf("w1 after tm-2 ended got %q, want tm-4", got)
	}
	// Stop goes to the worker; the TaskManager counts until it reports its end.
	if err := d.StopTaskManager(ctx, "tm-1"); err != nil {
		t.Fatal(err)
	}
	c := poll(t, d, "w1", WorkerPoll{Host: "h1", Slots: 4, Running: []string{"tm-1", "tm-4"}})
	if strings.Join(c.Stop, ",") != "tm-1" {
		t.Fatalf("stop commands %v, want tm-1", c.Stop)
	}
	if _, ok := ex.of("tm-1"); ok {
		t.Fatal("tm-1 reported ended before its worker said so")
	}
}

func TestDriverLostAndRestartedWorkers(t *testing.T) {
	d, clk, ex, bin := newTestDriver(t)
	ctx := context.Background()
	for _, id := range []string{"tm-1", "tm-2"} {
		if err := d.StartTaskManager(ctx, jobmanager.TaskManagerSpec{ID: id, Binary: bin, Slots: 1}, ex.fn(id)); err != nil {
			t.Fatal(err)
		}
	}
	if got := startIDs(poll(t, d, "w1", WorkerPoll{Host: "h1", Slots: 1})); got != "tm-1" {
		t.Fatalf("w1 got %q", got)
	}
	if got := startIDs(poll(t, d, "w2", WorkerPoll{Host: "h2", Slots: 1})); got != "tm-2" {
		t.Fatalf("w2 got %q", got)
	}
	// w1 restarts under the same id: tm-1 is no longer running there.
	poll(t, d, "w1", WorkerPoll{Host: "h1", Slots: 1})
	if c, ok := ex.of("tm-1"); !ok || !strings.Contains(c, "restarted") {
		t.Fatalf("tm-1 after its worker restarted: %q, %v", c, ok)
	}
	// w2 goes silent: lost after the worker timeout, tm-2 with it.
	clk.add(5 * time.Second)
	poll(t, d, "w1", WorkerPoll{Host: "h1", Slots: 1})
	d.Check(clk.add(6 * time.Second))
	if c, ok := ex.of("tm-2"); !ok || !strings.Contains(c, "worker w2 (h2) lost") {
		t.Fatalf("tm-2 after w2 went silent: %q, %v", c, ok)
	}
	if n, slots := d.Workers(); n != 1 || slots != 1 {
		t.Fatalf("workers %d with %d slots, want w1 alone with 1", n, slots)
	}
}

func TestDriverSlotRequestTimeout(t *testing.T) {
	d, clk, ex, bin := newTestDriver(t)
	poll(t, d, "w1", WorkerPoll{Host: "h1", Slots: 2})
	if err := d.StartTaskManager(context.Background(), jobmanager.TaskManagerSpec{ID: "tm-1", Binary: bin, Slots: 4}, ex.fn("tm-1")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ { // the worker stays alive, polling
		clk.add(5 * time.Second)
		poll(t, d, "w1", WorkerPoll{Host: "h1", Slots: 2})
		d.Check(clk.Now())
	}
	if _, ok := ex.of("tm-1"); ok {
		t.Fatal("failed before slot.request.timeout")
	}
	clk.add(31 * time.Second)
	poll(t, d, "w1", WorkerPoll{Host: "h1", Slots: 2})
	d.Check(clk.Now())
	c, ok := ex.of("tm-1")
	if !ok || !strings.Contains(c, "no TaskManager with 4 free slots") || !strings.Contains(c, "w1 on h1: 2 of 2 free") ||
		!strings.Contains(c, "taskmanager.sh start") {
		t.Fatalf("timeout cause %q, %v", c, ok)
	}
}

func TestDriverShutdownTellsWorkers(t *testing.T) {
	d, _, ex, bin := newTestDriver(t)
	poll(t, d, "w1", WorkerPoll{Host: "h1", Slots: 1})
	if err := d.StartTaskManager(context.Background(), jobmanager.TaskManagerSpec{ID: "tm-1", Binary: bin, Slots: 2}, ex.fn("tm-1")); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { d.Shutdown("job ended", 5*time.Second); close(done) }()
	var c WorkerCommands
	for c.Shutdown == "" {
		c = poll(t, d, "w1", WorkerPoll{Host: "h1", Slots: 1, WaitMillis: 100})
	}
	<-done
	if c.Shutdown != "job ended" {
		t.Fatalf("shutdown %q", c.Shutdown)
	}
	if cause, ok := ex.of("tm-1"); !ok || !strings.Contains(cause, "shutting down") {
		t.Fatalf("pending tm-1 at shutdown: %q, %v", cause, ok)
	}
	if err := d.StartTaskManager(context.Background(), jobmanager.TaskManagerSpec{ID: "tm-2", Binary: bin, Slots: 1}, ex.fn("tm-2")); err == nil {
		t.Fatal("start accepted after shutdown")
	}
}
