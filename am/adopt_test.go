package am

import (
	"context"
	"testing"
	"time"

	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/yarnrpc"
)

// TestDriverAdoption: while a former attempt's containers wait to be
// adopted, a TaskManager the JobManager asks for is not asked of YARN; an
// adopted container stands in for it (no ask, no launch) and its later
// completion is reported under the adopted id; the container nobody
// adopted is released when the grace period ends, and asks held back go
// out then.
func TestDriverAdoption(t *testing.T) {
	cases := []struct {
		name      string
		adopt     bool // the old TaskManager registers
		wantAsks  int32
		wantFreed int
	}{
		{name: "adopted within the grace period", adopt: true, wantAsks: 1, wantFreed: 1},
		{name: "nobody adopts", adopt: false, wantAsks: 2, wantFreed: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rm := &fakeRM{}
			d, ex := newTestDriver(t, rm)
			old1, old2 := ctr(41), ctr(42)
			d.SetAdoptable([]yarnrpc.Container{old1, old2}, time.Hour)
			for _, id := range []string{"tm-a2-1", "tm-a2-2"} {
				if err := d.StartTaskManager(context.Background(), jobmanager.TaskManagerSpec{ID: id, Pool: "p", Slots: 1}, ex.fn(id)); err != nil {
					t.Fatal(err)
				}
			}
			if asks, _, _ := rm.snapshot(); asks != 0 {
				t.Fatalf("asks %d while containers wait to be adopted, want 0", asks)
			}
			if tc.adopt {
				replaces, ok := d.Adopt("tm-1", old1.ID.String(), "p", 1, ex.fn("tm-1"))
				if !ok || replaces != "tm-a2-1" {
					t.Fatalf("Adopt = %q, %v; want it to stand in for tm-a2-1", replaces, ok)
				}
				if _, ok := d.Adopt("tm-9", "container_1700000000000_0007_01_000099", "p", 1, ex.fn("tm-9")); ok {
					t.Fatal("adopted a container that is not a former attempt's")
				}
			}
			d.mu.Lock()
			d.adoptUntil = time.Now() // the grace period is over
			d.mu.Unlock()
			rm.queue(yarnrpc.AllocateResponse{}, nil)
			if err := d.Heartbeat(context.Background()); err != nil {
				t.Fatal(err)
			}
			asks, released, started := rm.snapshot()
			if asks != tc.wantAsks {
				t.Errorf("asks %d after the grace period, want %d", asks, tc.wantAsks)
			}
			if len(released) != tc.wantFreed {
				t.Errorf("released %v after the grace period, want %d", released, tc.wantFreed)
			}
			if started != 0 {
				t.Errorf("%d containers launched; adopted ones run already", started)
			}
			if tc.adopt {
				rm.queue(yarnrpc.AllocateResponse{Completed: []yarnrpc.ContainerStatus{{ID: old1.ID, ExitStatus: 137}}}, nil)
				if err := d.Heartbeat(context.Background()); err != nil {
					t.Fatal(err)
				}
				if cause, ok := ex.get("tm-1"); !ok || cause == "" {
					t.Errorf("the adopted container's end was not reported for tm-1")
				}
			}
		})
	}
}

// TestDriverAdoptableEndsBeforeAdoption: when the former attempt's
// containers all end before anyone adopts them (their NodeManager
// stopped), the asks held back go out at once, and only once. Before, the
// asks were held for good: the attempt got no TaskManager (seen in a CI
// rehearsal of TestYarnChaos).
func TestDriverAdoptableEndsBeforeAdoption(t *testing.T) {
	rm := &fakeRM{}
	d, ex := newTestDriver(t, rm)
	old := ctr(41)
	d.SetAdoptable([]yarnrpc.Container{old}, time.Hour)
	for _, id := range []string{"tm-a3-1", "tm-a3-2"} {
		if err := d.StartTaskManager(context.Background(), jobmanager.TaskManagerSpec{ID: id, Pool: "p", Slots: 1}, ex.fn(id)); err != nil {
			t.Fatal(err)
		}
	}
	if asks, _, _ := rm.snapshot(); asks != 0 {
		t.Fatalf("asks %d while a container waits to be adopted, want 0", asks)
	}
	rm.queue(yarnrpc.AllocateResponse{Completed: []yarnrpc.ContainerStatus{{ID: old.ID, ExitStatus: -100}}}, nil)
	if err := d.Heartbeat(context.Background()); err != nil {
		t.Fatal(err)
	}
	if asks, _, _ := rm.snapshot(); asks != 2 {
		t.Fatalf("asks %d after the only adoptable container ended, want 2", asks)
	}
	d.mu.Lock()
	d.adoptUntil = time.Now() // the grace period is over too
	d.mu.Unlock()
	rm.queue(yarnrpc.AllocateResponse{}, nil)
	if err := d.Heartbeat(context.Background()); err != nil {
		t.Fatal(err)
	}
	if asks, released, _ := rm.snapshot(); asks != 2 || len(released) != 0 {
		t.Errorf("after the grace period: asks %d, released %v; want 2 and none", asks, released)
	}
}
