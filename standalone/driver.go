package standalone

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/floe-yarn/floe/jobmanager"
	"github.com/rs/zerolog"
)

// DriverOptions configure a Driver.
type DriverOptions struct {
	Blobs *BlobStore
	// SlotRequestTimeout fails a TaskManager request no worker could take
	// within it (slot.request.timeout; default 5 min).
	SlotRequestTimeout time.Duration
	// WorkerTimeout declares a worker lost when it has not polled for it
	// (heartbeat.timeout; default 50 s).
	WorkerTimeout time.Duration
	// NetworkMemory and JobManagerTimeout are handed to every TaskManager.
	NetworkMemory     int64
	JobManagerTimeout time.Duration
	// MaxWait bounds how long a poll is held (default 10 s).
	MaxWait time.Duration
	Logger  zerolog.Logger
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Driver is the JobManager's ResourceDriver in a standalone cluster: it
// places TaskManagers on the workers that registered (see the package
// doc). It starts nothing itself.
type Driver struct {
	opts DriverOptions
	log  zerolog.Logger

	mu       sync.Mutex
	workers  map[string]*worker
	placed   map[string]*placedTM // by TaskManager id
	pending  []*pendingTM
	wake     chan struct{} // closed and replaced when commands are queued
	shutdown string        // set by Shutdown: every poll is told to end
}

type worker struct {
	id, host string
	slots    int
	lastSeen time.Time
	cmds     WorkerCommands // not yet delivered
	told     bool           // has received the shutdown
}

type placedTM struct {
	worker    string
	slots     int
	delivered bool // the worker has received its Start
	exited    func(string)
}

type pendingTM struct {
	start  Start
	since  time.Time
	exited func(string)
}

// NewDriver returns a driver with no worker yet.
func NewDriver(opts DriverOptions) *Driver {
	if opts.SlotRequestTimeout <= 0 {
		opts.SlotRequestTimeout = 5 * time.Minute
	}
	if opts.WorkerTimeout <= 0 {
		opts.WorkerTimeout = 50 * time.Second
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Driver{opts: opts, log: opts.Logger.With().Str("component", "standalone-driver").Logger(),
		workers: map[string]*worker{}, placed: map[string]*placedTM{}, wake: make(chan struct{})}
}

// StartTaskManager implements jobmanager.ResourceDriver: the request waits
// for a worker with spec.Slots free slots.
func (d *Driver) StartTaskManager(_ context.Context, spec jobmanager.TaskManagerSpec, exited func(string)) error {
	digest, ok := strings.CutPrefix(spec.Binary, BlobPrefix)
	if !ok {
		var err error
		if digest, err = d.opts.Blobs.Ingest(spec.Binary); err != nil {
			return fmt.Errorf("TaskManager %s: job binary: %w", spec.ID, err)
		}
	} else if _, ok := d.opts.Blobs.Path(digest); !ok {
		return fmt.Errorf("TaskManager %s: job binary %s is not in the blob store", spec.ID, spec.Binary)
	}
	st := Start{TaskManager: spec.ID, Blob: digest, Args: spec.Args, Env: spec.Env, Slots: spec.Slots,
		NetworkMemory: d.opts.NetworkMemory, JobManagerTimeoutMillis: d.opts.JobManagerTimeout.Milliseconds()}
	d.mu.Lock()
	if d.shutdown != "" {
		d.mu.Unlock()
		return fmt.Errorf("TaskManager %s: %w", spec.ID, errClosed)
	}
	d.pending = append(d.pending, &pendingTM{start: st, since: d.opts.Now(), exited: exited})
	d.placeLocked()
	d.mu.Unlock()
	return nil
}

// StopTaskManager implements jobmanager.ResourceDriver.
func (d *Driver) StopTaskManager(_ context.Context, id string) error {
	var done func()
	d.mu.Lock()
	for i, p := range d.pending {
		if p.start.TaskManager == id {
			d.pending = append(d.pending[:i], d.pending[i+1:]...)
			done = func() { p.exited("stopped before a worker took it") }
			break
		}
	}
	if t := d.placed[id]; t != nil {
		if w := d.workers[t.worker]; w != nil {
			w.cmds.Stop = append(w.cmds.Stop, id)
			d.wakeLocked()
		}
	}
	d.mu.Unlock()
	if done != nil {
		done()
	}
	return nil
}

// placeLocked hands pending requests, oldest first, to the worker with the
// fewest free slots that fit (fill hosts before spreading, as Flink does
// unless cluster.evenly-spread-out-slots).
func (d *Driver) placeLocked() {
	free := d.freeLocked()
	ids := make([]string, 0, len(d.workers))
	for id := range d.workers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var rest []*pendingTM
	queued := false
	for _, p := range d.pending {
		best := ""
		for _, id := range ids {
			if f := free[id]; f >= p.start.Slots && (best == "" || f < free[best]) {
				best = id
			}
		}
		if best == "" {
			rest = append(rest, p)
			continue
		}
		free[best] -= p.start.Slots
		w := d.workers[best]
		w.cmds.Start = append(w.cmds.Start, p.start)
		d.placed[p.start.TaskManager] = &placedTM{worker: best, slots: p.start.Slots, exited: p.exited}
		d.log.Info().Str("tm", p.start.TaskManager).Str("worker", best).Str("host", w.host).Int("slots", p.start.Slots).Msg("TaskManager placed")
		queued = true
	}
	d.pending = rest
	if queued {
		d.wakeLocked()
	}
}

func (d *Driver) freeLocked() map[string]int {
	free := make(map[string]int, len(d.workers))
	for id, w := range d.workers {
		free[id] = w.slots
	}
	for _, t := range d.placed {
		free[t.worker] -= t.slots
	}
	return free
}

func (d *Driver) wakeLocked() {
	close(d.wake)
	d.wake = make(chan struct{})
}

// Poll registers or refreshes worker id, takes its reports and returns its
// commands, waiting up to p.WaitMillis (bounded by MaxWait) for some.
func (d *Driver) Poll(ctx context.Context, id string, p WorkerPoll) (WorkerCommands, error) {
	if id == "" || p.Slots < 0 {
		return WorkerCommands{}, fmt.Errorf("worker poll: bad worker id %q or slots %d", id, p.Slots)
	}
	var ended []func()
	d.mu.Lock()
	now := d.opts.Now()
	w := d.workers[id]
	if w == nil {
		w = &worker{id: id}
		d.workers[id] = w
		d.log.Info().Str("worker", id).Str("host", p.Host).Int("slots", p.Slots).Msg("worker registered")
	}
	w.host, w.slots, w.lastSeen = p.Host, p.Slots, now
	reported := map[string]bool{}
	for _, r := range p.Running {
		reported[r] = true
	}
	for _, e := range p.Exited {
		reported[e.TaskManager] = true
		if t := d.placed[e.TaskManager]; t != nil && t.worker == id {
			delete(d.placed, e.TaskManager)
			ended = append(ended, func() { t.exited(fmt.Sprintf("on worker %s (%s): %s", id, w.host, e.Cause)) })
		}
	}
	// A delivered TaskManager the worker neither runs nor reported ended
	// is gone (the worker restarted under the same id).
	for tm, t := range d.placed {
		if t.worker == id && t.delivered && !reported[tm] {
			delete(d.placed, tm)
			ended = append(ended, func() {
				t.exited(fmt.Sprintf("not running on worker %s (%s) any more: the worker restarted", id, w.host))
			})
		}
	}
	d.placeLocked()
	cmds, wake := d.takeLocked(w), d.wake
	d.mu.Unlock()
	for _, f := range ended {
		f()
	}
	if len(cmds.Start)+len(cmds.Stop) > 0 || cmds.Shutdown != "" {
		return cmds, nil
	}
	wait := time.Duration(p.WaitMillis) * time.Millisecond
	if wait > d.opts.MaxWait {
		wait = d.opts.MaxWait
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return cmds, nil
	case <-t.C:
		return cmds, nil
	case <-wake:
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.workers[id] != w {
		return WorkerCommands{Version: ProtocolVersion}, nil // declared lost meanwhile
	}
	return d.takeLocked(w), nil
}

func (d *Driver) takeLocked(w *worker) WorkerCommands {
	c := w.cmds
	c.Version, c.Shutdown = ProtocolVersion, d.shutdown
	w.cmds, w.told = WorkerCommands{}, d.shutdown != ""
	for _, s := range c.Start {
		if t := d.placed[s.TaskManager]; t != nil {
			t.delivered = true
		}
	}
	return c
}

// Check declares workers lost that have not polled for WorkerTimeout and
// fails requests older than SlotRequestTimeout; call it periodically
// (Run does).
func (d *Driver) Check(now time.Time) {
	var ended []func()
	d.mu.Lock()
	for id, w := range d.workers {
		if now.Sub(w.lastSeen) < d.opts.WorkerTimeout {
			continue
		}
		d.log.Warn().Str("worker", id).Str("host", w.host).Dur("silent", now.Sub(w.lastSeen)).Msg("worker lost")
		delete(d.workers, id)
		for tm, t := range d.placed {
			if t.worker == id {
				delete(d.placed, tm)
				cause := fmt.Sprintf("worker %s (%s) lost: no contact for %s", id, w.host, now.Sub(w.lastSeen).Round(time.Second))
				ended = append(ended, func() { t.exited(cause) })
			}
		}
	}
	var rest []*pendingTM
	for _, p := range d.pending {
		if now.Sub(p.since) < d.opts.SlotRequestTimeout {
			rest = append(rest, p)
			continue
		}
		cause := d.noSlotsLocked(p.start.Slots)
		ended = append(ended, func() { p.exited(cause) })
	}
	d.pending = rest
	d.placeLocked()
	d.mu.Unlock()
	for _, f := range ended {
		f()
	}
}

// noSlotsLocked explains why a request of n slots found no worker.
func (d *Driver) noSlotsLocked(n int) string {
	free := d.freeLocked()
	var parts []string
	for id, w := range d.workers {
		parts = append(parts, fmt.Sprintf("%s on %s: %d of %d free", id, w.host, free[id], w.slots))
	}
	sort.Strings(parts)
	have := "no TaskManager has registered"
	if len(parts) > 0 {
		have = "registered TaskManagers: " + strings.Join(parts, "; ")
	}
	return fmt.Sprintf("no TaskManager with %d free slots within slot.request.timeout %s (%s); start more with scripts/taskmanager.sh start",
		n, d.opts.SlotRequestTimeout, have)
}

// Waiting describes what pending requests wait for ("" when none).
func (d *Driver) Waiting() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.pending) == 0 {
		return ""
	}
	need := 0
	for _, p := range d.pending {
		need += p.start.Slots
	}
	return fmt.Sprintf("%d TaskManager(s) needing %d slots wait: %s", len(d.pending), need, d.noSlotsLocked(d.pending[0].start.Slots))
}

// Workers is the number of registered workers and their slots in all.
func (d *Driver) Workers() (workers, slots int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, w := range d.workers {
		slots += w.slots
	}
	return len(d.workers), slots
}

// Run checks liveness and timeouts every second until ctx ends.
func (d *Driver) Run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.Check(d.opts.Now())
		}
	}
}

// Shutdown tells every worker, on its next poll, to stop its TaskManagers
// and exit, fails what is pending, and waits up to grace for the workers
// to have polled once more.
func (d *Driver) Shutdown(reason string, grace time.Duration) {
	var ended []func()
	d.mu.Lock()
	d.shutdown = reason
	for _, p := range d.pending {
		ended = append(ended, func() { p.exited("cluster shutting down") })
	}
	d.pending = nil
	d.wakeLocked()
	d.mu.Unlock()
	for _, f := range ended {
		f()
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		d.mu.Lock()
		all := true
		for _, w := range d.workers {
			all = all && w.told
		}
		d.mu.Unlock()
		if all {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Routes are the worker endpoint for jobmanager.ServerOptions.Routes.
func (d *Driver) Routes() map[string]jobmanager.RawHandler {
	return map[string]jobmanager.RawHandler{
		"POST " + PathWorkerPoll: func(w http.ResponseWriter, r *http.Request, body []byte) {
			var p WorkerPoll
			if err := json.Unmarshal(body, &p); err != nil {
				writeError(w, http.StatusBadRequest, fmt.Errorf("worker poll: %w", err))
				return
			}
			if p.Version != ProtocolVersion {
				writeError(w, http.StatusBadRequest, fmt.Errorf("worker protocol %d, this JobManager speaks %d: use the same floe version on every host", p.Version, ProtocolVersion))
				return
			}
			cmds, err := d.Poll(r.Context(), r.PathValue("id"), p)
			if err != nil {
				writeError(w, http.StatusBadRequest, err)
				return
			}
			writeJSON(w, http.StatusOK, cmds)
		},
	}
}
