package jobmanager

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/jobmanager/api"
)

// fastHeartbeat keeps the control-channel tests short.
var fastHeartbeat = api.Timing{Interval: 20 * time.Millisecond, Timeout: 400 * time.Millisecond}

// fakeTM is a TaskManager made of a bare control channel: it records the
// frames it is pushed and can answer them.
type fakeTM struct {
	id     string
	ch     *api.Channel
	frames chan api.Frame
	wg     sync.WaitGroup
}

// dialTM registers id with the server; run starts its reader (and so its
// heartbeats); without it the TaskManager stays silent.
func dialTM(t testing.TB, addr, id string, slots int, reconnect, run bool) (*fakeTM, error) {
	t.Helper()
	ch, _, err := api.Dial(context.Background(), addr, testServerSecret, api.Registration{TaskManager: id, Slots: slots, Reconnect: reconnect})
	if err != nil {
		return nil, err
	}
	f := &fakeTM{id: id, ch: ch, frames: make(chan api.Frame, 1024)}
	if run {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			_ = ch.Run(context.Background(), func(fr api.Frame) error {
				if fr.Type != api.MsgHeartbeat {
					f.frames <- fr
				}
				return nil
			})
		}()
	}
	t.Cleanup(f.close)
	return f, nil
}

func (f *fakeTM) close() { _ = f.ch.Close(); f.wg.Wait() }

// next returns the next pushed frame of type typ (others are skipped).
func (f *fakeTM) next(t testing.TB, typ api.MsgType) api.Frame {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case fr := <-f.frames:
			if fr.Type == typ {
				return fr
			}
		case <-timeout:
			t.Fatalf("%s: no %s frame", f.id, typ)
		}
	}
}

// submitFor submits a job of parallelism p and returns the TaskManagers
// the JobManager asks for.
func submitFor(t testing.TB, ts *testServer, p, tms int) (api.JobStatus, []string) {
	t.Helper()
	g, err := testGraph(t.(*testing.T), "j", []int{p}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	st, err := ts.client.Submit(context.Background(), api.SubmitJob{Name: "j", Graph: g, Binary: "/bin/job"})
	if err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, "TaskManager requests", func() bool { return len(ts.drv.started()) == tms })
	return st, ts.drv.started()
}

// TestServerPrunesTaskManagerTable: the server's TaskManager table loses an
// entry when the JobManager releases the TaskManager, loses it, or ends.
func TestServerPrunesTaskManagerTable(t *testing.T) {
	cases := []struct {
		name string
		core CoreOptions
		// end makes the JobManager drop the registered TaskManager tm.
		end func(t *testing.T, ts *testServer, tm *fakeTM)
	}{
		{"released when idle", CoreOptions{SlotsPerTaskManager: 1, IdleTimeout: 0}, func(t *testing.T, ts *testServer, tm *fakeTM) {
			var d api.DeployTask
			if err := tm.next(t, api.MsgDeploy).Decode(&d); err != nil {
				t.Fatal(err)
			}
			for _, s := range []api.ExecutionState{api.Running, api.Finished} {
				if err := tm.ch.Send(api.MsgTaskUpdate, api.TaskUpdate{Version: api.Version, Job: d.Job, Attempt: d.Attempt,
					Vertex: d.Vertex, Subtask: d.Subtask, State: s}); err != nil {
					t.Fatal(err)
				}
			}
			tm.next(t, api.MsgShutdown)
		}},
		{"lost when silent", CoreOptions{SlotsPerTaskManager: 1, HeartbeatTimeout: fastHeartbeat.Timeout}, nil},
		{"JobManager ends", CoreOptions{SlotsPerTaskManager: 1, IdleTimeout: time.Hour}, func(t *testing.T, ts *testServer, _ *fakeTM) {
			ts.stop()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := startTestServer(t, ServerOptions{Heartbeat: fastHeartbeat}, tc.core)
			_, ids := submitFor(t, ts, 1, 1)
			tm, err := dialTM(t, ts.srv.Addr(), ids[0], 1, false, tc.end != nil)
			if err != nil {
				t.Fatal(err)
			}
			if n := ts.srv.taskManagerEntries(); n != 1 {
				t.Fatalf("%d entries after registration, want 1", n)
			}
			if tc.end != nil {
				tc.end(t, ts, tm)
			}
			testutil.WaitFor(t, 30*time.Second, "an empty TaskManager table", func() bool { return ts.srv.taskManagerEntries() == 0 })
			// Once forgotten, a TaskManager cannot come back.
			if tc.name != "JobManager ends" {
				if _, err := dialTM(t, ts.srv.Addr(), ids[0], 1, true, false); !errors.Is(err, api.ErrRemote) {
					t.Fatalf("reconnect after removal: %v, want a refusal", err)
				}
			}
		})
	}
}

// TestServerTakesBackReconnectingTaskManager: a TaskManager whose channel
// drops re-registers within the timeout and receives what was pushed to it
// meanwhile; an id the JobManager never registered cannot reconnect.
func TestServerTakesBackReconnectingTaskManager(t *testing.T) {
	ts := startTestServer(t, ServerOptions{Heartbeat: api.Timing{Interval: 20 * time.Millisecond, Timeout: 10 * time.Second}},
		CoreOptions{SlotsPerTaskManager: 1, IdleTimeout: time.Hour})
	_, ids := submitFor(t, ts, 1, 1)
	tm, err := dialTM(t, ts.srv.Addr(), ids[0], 1, false, true)
	if err != nil {
		t.Fatal(err)
	}
	tm.next(t, api.MsgDeploy)
	tm.close()
	ts.srv.mu.Lock()
	entry := ts.srv.tms[ids[0]]
	ts.srv.mu.Unlock()
	testutil.WaitFor(t, 10*time.Second, "the server to notice the drop", func() bool {
		entry.mu.Lock()
		defer entry.mu.Unlock()
		return entry.ch == nil
	})
	cancel := api.CancelTask{Job: "j-while-away", Attempt: 3, Vertex: 0, Subtask: 0}
	if err := entry.Cancel(context.Background(), cancel); err != nil {
		t.Fatal(err)
	}
	back, err := dialTM(t, ts.srv.Addr(), ids[0], 1, true, true)
	if err != nil {
		t.Fatalf("reconnect: %v", err)
	}
	var got api.CancelTask
	if err := back.next(t, api.MsgCancel).Decode(&got); err != nil || got != cancel {
		t.Fatalf("after reconnect: %+v, %v; want %+v", got, err, cancel)
	}
	if n := ts.srv.taskManagerEntries(); n != 1 {
		t.Fatalf("%d entries after reconnect, want 1", n)
	}
	if _, err := dialTM(t, ts.srv.Addr(), "tm-never-asked-for", 1, true, false); !errors.Is(err, api.ErrRemote) {
		t.Fatalf("unknown reconnect: %v", err)
	}
	if _, err := dialTM(t, ts.srv.Addr(), "tm-never-asked-for", 1, false, false); !errors.Is(err, api.ErrRemote) {
		t.Fatalf("unknown registration: %v", err)
	}
}

// taskManagerEntries is the size of the TaskManager table .
func (s *Server) taskManagerEntries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tms)
}

// TestServerHandshakeDeadline: a peer that upgrades and never registers
// is disconnected after api.HandshakeTimeout, not held forever.
func TestServerHandshakeDeadline(t *testing.T) {
	ts := startTestServer(t, ServerOptions{Heartbeat: fastHeartbeat}, CoreOptions{SlotsPerTaskManager: 1})
	c, err := net.DialTimeout("tcp", ts.srv.Addr(), api.HandshakeTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * api.HandshakeTimeout))
	req, _ := http.NewRequest(http.MethodGet, "http://"+ts.srv.Addr()+api.ControlPath, nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", api.UpgradeProtocol)
	if err := api.Sign(req, testServerSecret, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := req.Write(c); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, req)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	_ = resp.Body.Close() // a 101 has no body: the stream goes on in br
	// Register nothing: the server must hang up (EOF), before our own
	// deadline (a timeout error) ends the wait.
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("silent peer: %v, want the server to close", err)
	}
}
