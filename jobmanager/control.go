package jobmanager

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// remoteTM is the JobManager's gateway to one TaskManager over its control
// channel. Commands queue here and a session's writer pushes them as soon
// as they are queued; while the TaskManager reconnects they wait for it.
type remoteTM struct {
	id string
	s  *Server

	mu       sync.Mutex
	out      [][]byte      // encoded frames not yet written
	wake     chan struct{} // cap 1: out grew
	ch       *api.Channel  // the attached session's channel; nil while detached
	detached time.Time     // when ch became nil
	shutdown bool          // MsgShutdown queued: the entry goes when it is sent
}

func newRemoteTM(s *Server, id string) *remoteTM {
	return &remoteTM{id: id, s: s, wake: make(chan struct{}, 1), detached: time.Now()}
}

func (t *remoteTM) push(typ api.MsgType, v any) error {
	b, err := api.EncodeFrame(typ, v)
	if err != nil {
		return fmt.Errorf("TaskManager %s: %w", t.id, err)
	}
	t.mu.Lock()
	if t.shutdown {
		t.mu.Unlock()
		return fmt.Errorf("TaskManager %s is shutting down", t.id)
	}
	t.out = append(t.out, b)
	if typ == api.MsgShutdown {
		t.shutdown = true
	}
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
	return nil
}

// Deploy queues a subtask for the TaskManager.
func (t *remoteTM) Deploy(_ context.Context, d api.DeployTask) error { return t.push(api.MsgDeploy, d) }

// TriggerCheckpoint queues a checkpoint trigger for the TaskManager's sources.
func (t *remoteTM) TriggerCheckpoint(_ context.Context, c api.TriggerCheckpoint) error {
	return t.push(api.MsgTriggerCheckpoint, c)
}

// NotifyCheckpoint queues a checkpoint's completion or abortion.
func (t *remoteTM) NotifyCheckpoint(_ context.Context, n api.NotifyCheckpoint) error {
	return t.push(api.MsgNotifyCheckpoint, n)
}

// Cancel queues a cancellation.
func (t *remoteTM) Cancel(_ context.Context, c api.CancelTask) error { return t.push(api.MsgCancel, c) }

// Shutdown tells the TaskManager to exit (the JobManager released it, lost
// it or ends). Without a connection the entry goes at once.
func (t *remoteTM) Shutdown() {
	_ = t.push(api.MsgShutdown, nil)
	t.mu.Lock()
	attached := t.ch != nil
	t.mu.Unlock()
	if !attached {
		t.s.forget(t)
	}
}

// take returns the queued frames and whether the last is MsgShutdown.
func (t *remoteTM) take() ([][]byte, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.out
	t.out = nil
	return out, t.shutdown && len(out) > 0
}

// requeue puts frames a failed write did not deliver back in front.
func (t *remoteTM) requeue(frames [][]byte) {
	t.mu.Lock()
	t.out = append(frames, t.out...)
	t.mu.Unlock()
}

// attach makes ch the TaskManager's connection, closing an older one.
func (t *remoteTM) attach(ch *api.Channel) {
	t.mu.Lock()
	old := t.ch
	t.ch = ch
	t.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// detach forgets ch if it is still attached; it reports whether the entry
// is done (its shutdown was queued).
func (t *remoteTM) detach(ch *api.Channel, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ch == ch {
		t.ch, t.detached = nil, now
	}
	return t.shutdown && t.ch == nil
}

// connect serves GET /v1/control: a TaskManager's control channel, for as
// long as it stays open.
func (s *Server) connect(w http.ResponseWriter, r *http.Request) {
	conn, br, err := api.Upgrade(w, r, s.ver)
	switch {
	case errors.Is(err, api.ErrUnauthenticated):
		s.reject(w, r, err)
		return
	case errors.Is(err, api.ErrUpgrade):
		writeJSON(w, http.StatusUpgradeRequired, api.Error{Version: api.Version, Error: err.Error()})
		return
	case err != nil:
		s.log.Warn().Err(err).Str("remote", r.RemoteAddr).Msg("control upgrade")
		return
	}
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		_ = conn.Close()
		return
	}
	s.sessions.Add(1)
	s.mu.Unlock()
	defer s.sessions.Done()
	if err := s.session(conn, br); err != nil {
		s.log.Info().Err(err).Str("remote", r.RemoteAddr).Msg("control channel closed")
	}
}

// session registers the TaskManager on conn and serves its channel.
func (s *Server) session(conn net.Conn, br *bufio.Reader) error {
	reg, err := api.ReadRegistration(br)
	if err != nil {
		_ = conn.Close()
		return err
	}
	ch := api.NewChannel(conn, br, s.timing)
	t, err := s.registerTM(reg)
	if err != nil {
		_ = ch.Send(api.MsgRefused, api.Error{Version: api.Version, Error: err.Error()})
		_ = ch.Close()
		return err
	}
	if err := ch.Send(api.MsgRegistered, api.RegistrationReply{Version: api.Version,
		HeartbeatMillis: s.timing.Interval.Milliseconds(), TimeoutMillis: s.timing.Timeout.Milliseconds()}); err != nil {
		return err
	}
	t.attach(ch)
	ctx, cancel := context.WithCancel(s.ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); defer cancel(); t.write(ctx, ch) }()
	err = ch.Run(ctx, func(f api.Frame) error { return s.handle(t, f) })
	cancel()
	wg.Wait()
	if t.detach(ch, time.Now()) {
		s.forget(t)
	}
	return err
}

// write pushes queued frames to ch until ctx ends or ch fails; after
// MsgShutdown it closes ch.
func (t *remoteTM) write(ctx context.Context, ch *api.Channel) {
	for {
		frames, last := t.take()
		for i, b := range frames {
			if err := ch.SendFrame(b); err != nil {
				t.requeue(frames[i:])
				return
			}
		}
		if last {
			_ = ch.Close()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-ch.Done():
			return
		case <-t.wake:
		}
	}
}

// registerTM admits a registration: a new TaskManager goes to the
// JobManager; a reconnecting one gets its entry back if it still has one.
func (s *Server) registerTM(reg api.Registration) (*remoteTM, error) {
	if reg.Version != api.Version {
		return nil, fmt.Errorf("register %s: protocol version %d, JobManager speaks %d", reg.TaskManager, reg.Version, api.Version)
	}
	if reg.Reconnect {
		s.mu.Lock()
		t := s.tms[reg.TaskManager]
		s.mu.Unlock()
		if t == nil {
			return nil, fmt.Errorf("reconnect %s: %w (released or lost)", reg.TaskManager, ErrUnknownTaskManager)
		}
		s.log.Info().Str("tm", reg.TaskManager).Msg("TaskManager reconnected")
		return t, nil
	}
	t := newRemoteTM(s, reg.TaskManager)
	if err := s.jm.RegisterTaskManager(reg, t); err != nil {
		return nil, err
	}
	s.mu.Lock()
	old := s.tms[reg.TaskManager]
	s.tms[reg.TaskManager] = t
	s.mu.Unlock()
	if old != nil {
		old.mu.Lock()
		ch := old.ch
		old.mu.Unlock()
		if ch != nil {
			_ = ch.Close()
		}
	}
	return t, nil
}

// handle takes one frame from a TaskManager.
func (s *Server) handle(t *remoteTM, f api.Frame) error {
	switch f.Type {
	case api.MsgHeartbeat:
		if !s.jm.Heartbeat(t.id) {
			t.Shutdown() // forgotten (lost or released): tell it to go
		}
	case api.MsgTaskUpdate:
		var u api.TaskUpdate
		if err := f.Decode(&u); err != nil {
			return err
		}
		if u.Version != api.Version {
			return fmt.Errorf("task update from %s: protocol version %d", t.id, u.Version)
		}
		u.TaskManager = t.id // a TaskManager reports only its own subtasks
		s.jm.UpdateTask(u)
	case api.MsgAcknowledgeCheckpoint:
		var a api.AcknowledgeCheckpoint
		if err := f.Decode(&a); err != nil {
			return err
		}
		a.TaskManager = t.id
		s.jm.AcknowledgeCheckpoint(a)
	case api.MsgDeclineCheckpoint:
		var d api.DeclineCheckpoint
		if err := f.Decode(&d); err != nil {
			return err
		}
		d.TaskManager = t.id
		s.jm.DeclineCheckpoint(d)
	case api.MsgMetrics:
		var r api.MetricReport
		if err := f.Decode(&r); err != nil {
			return err
		}
		s.metrics.store.put(t.id, r)
	case api.MsgLogReply:
		var r api.LogReply
		if err := f.Decode(&r); err != nil {
			return err
		}
		s.logs.deliver(r)
	default:
		return fmt.Errorf("control channel from %s: %w: unexpected %s", t.id, api.ErrFrame, f.Type)
	}
	return nil
}

// forget removes t from the TaskManager table (if it is still t's entry).
func (s *Server) forget(t *remoteTM) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tms[t.id] == t {
		delete(s.tms, t.id)
		s.metrics.store.drop(t.id)
	}
}

// prune removes entries whose connection is gone for longer than the
// timeout: by then the core has declared them lost.
func (s *Server) prune(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, t := range s.tms {
		t.mu.Lock()
		gone := t.ch == nil && now.Sub(t.detached) > s.timing.Timeout
		t.mu.Unlock()
		if gone {
			delete(s.tms, id)
			s.metrics.store.drop(id)
		}
	}
}
