package taskexec_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/taskexec"
	"github.com/rs/zerolog"
)

var remoteSecret = []byte("0123456789abcdef0123456789abcdef")

// scriptedJM answers control channels: conn(i, ch, reg) plays the i-th
// connection (0-based) after the registration was read; it returns false
// to refuse the registration.
func scriptedJM(t *testing.T, conn func(i int, ch *api.Channel, reg api.Registration) bool) string {
	t.Helper()
	v := api.NewVerifier(remoteSecret)
	var mu sync.Mutex
	n := 0
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, br, err := api.Upgrade(w, r, v)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		wg.Add(1)
		defer wg.Done()
		reg, err := api.ReadRegistration(br)
		if err != nil {
			_ = c.Close()
			return
		}
		mu.Lock()
		i := n
		n++
		mu.Unlock()
		timing := api.Timing{Interval: 20 * time.Millisecond, Timeout: 5 * time.Second}
		ch := api.NewChannel(c, br, timing)
		defer ch.Close()
		if !conn(i, ch, reg) {
			return
		}
	}))
	t.Cleanup(func() { srv.Close(); wg.Wait() })
	return strings.TrimPrefix(srv.URL, "http://")
}

func registered(ch *api.Channel) error {
	return ch.Send(api.MsgRegistered, api.RegistrationReply{Version: api.Version, HeartbeatMillis: 20, TimeoutMillis: 5000})
}

// TestRemoteTaskManagerControlChannel runs RunRemote against scripted
// JobManagers: commands pushed both ways, a dropped channel reopened with a
// re-registration, a refused reconnect ending the TaskManager.
func TestRemoteTaskManagerControlChannel(t *testing.T) {
	cases := []struct {
		name string
		// conns plays each connection; the test fails past its end.
		conns []func(t *testing.T, ch *api.Channel, reg api.Registration) bool
	}{
		{"deploy pushed, update pushed back, shutdown", []func(*testing.T, *api.Channel, api.Registration) bool{
			func(t *testing.T, ch *api.Channel, reg api.Registration) bool {
				if reg.Reconnect || reg.Slots != 1 || reg.Version != api.Version {
					t.Errorf("registration %+v", reg)
				}
				if registered(ch) != nil || ch.Send(api.MsgDeploy, api.DeployTask{Job: "j", Vertex: 0, Subtask: 0, Slot: 0, Fingerprint: "not-this-binary"}) != nil {
					return false
				}
				for {
					f, err := ch.Recv()
					if err != nil {
						t.Errorf("no task update: %v", err)
						return false
					}
					if f.Type != api.MsgTaskUpdate {
						continue
					}
					var u api.TaskUpdate
					if err := f.Decode(&u); err != nil || u.State != api.Failed || !u.Unrecoverable || u.TaskManager != "tm-1" {
						t.Errorf("update %+v, %v", u, err)
					}
					return ch.Send(api.MsgShutdown, nil) == nil
				}
			},
		}},
		{"checkpoint trigger for a subtask not running declined back", []func(*testing.T, *api.Channel, api.Registration) bool{
			func(t *testing.T, ch *api.Channel, reg api.Registration) bool {
				if registered(ch) != nil || ch.Send(api.MsgTriggerCheckpoint, api.TriggerCheckpoint{Job: "j", Attempt: 2, Checkpoint: 9,
					Subtasks: []api.SubtaskRef{{Vertex: 0, Subtask: 1}}}) != nil ||
					ch.Send(api.MsgNotifyCheckpoint, api.NotifyCheckpoint{Job: "j", Attempt: 2, Checkpoint: 8}) != nil {
					return false
				}
				for {
					f, err := ch.Recv()
					if err != nil {
						t.Errorf("no decline: %v", err)
						return false
					}
					if f.Type != api.MsgDeclineCheckpoint {
						continue
					}
					var d api.DeclineCheckpoint
					if err := f.Decode(&d); err != nil || d.Checkpoint != 9 || d.Job != "j" || d.Attempt != 2 || d.Subtask != 1 || d.TaskManager != "tm-1" || d.Cause == "" {
						t.Errorf("decline %+v, %v", d, err)
					}
					return ch.Send(api.MsgShutdown, nil) == nil
				}
			},
		}},
		{"dropped channel re-registers", []func(*testing.T, *api.Channel, api.Registration) bool{
			func(t *testing.T, ch *api.Channel, reg api.Registration) bool {
				_ = registered(ch)
				return true // and drop it
			},
			func(t *testing.T, ch *api.Channel, reg api.Registration) bool {
				if !reg.Reconnect || reg.TaskManager != "tm-1" {
					t.Errorf("re-registration %+v", reg)
				}
				return registered(ch) == nil && ch.Send(api.MsgShutdown, nil) == nil
			},
		}},
		{"refused reconnect ends it", []func(*testing.T, *api.Channel, api.Registration) bool{
			func(t *testing.T, ch *api.Channel, reg api.Registration) bool {
				_ = registered(ch)
				return true
			},
			func(t *testing.T, ch *api.Channel, reg api.Registration) bool {
				_ = ch.Send(api.MsgRefused, api.Error{Version: api.Version, Error: "unknown TaskManager"})
				return false
			},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := scriptedJM(t, func(i int, ch *api.Channel, reg api.Registration) bool {
				if i >= len(tc.conns) {
					t.Errorf("connection %d beyond the script", i+1)
					return false
				}
				return tc.conns[i](t, ch, reg)
			})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := taskexec.RunRemote(ctx, taskexec.RemoteOptions{ID: "tm-1", Slots: 1, JobManagerAddress: addr, Secret: remoteSecret,
				Program: job(t, &collected{}, ""), NetworkMemory: 4 << 20, JobManagerTimeout: 30 * time.Second, Logger: zerolog.Nop()})
			if err != nil {
				t.Fatalf("RunRemote: %v", err)
			}
			if ctx.Err() != nil {
				t.Fatal("RunRemote ran until the test's deadline")
			}
		})
	}
}
