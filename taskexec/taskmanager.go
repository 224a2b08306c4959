package taskexec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/metrics"
	"github.com/floe-yarn/floe/runtime"
	"github.com/rs/zerolog"
)

// JobManagerGateway is how a TaskManager reaches its JobManager: in-process
// for local execution, the authenticated control API otherwise.
type JobManagerGateway interface {
	Register(ctx context.Context, reg api.Registration) (api.RegistrationReply, error)
	// Heartbeat reports liveness; false means the JobManager forgot this
	// TaskManager and it should exit.
	Heartbeat(ctx context.Context, id string) (bool, error)
	UpdateTask(ctx context.Context, u api.TaskUpdate) error
}

// Options configure a TaskManager.
type Options struct {
	ID       string
	Slots    int
	Program  runtime.Program
	Exchange runtime.Exchange
	// DataAddress is announced to the JobManager for other TaskManagers.
	DataAddress string
	JobManager  JobManagerGateway
	// HeartbeatInterval is how often Run calls the gateway's Heartbeat
	// when the registration reply names no interval (default 1s); a
	// remote JobManager's reply carries its api.Timing.
	HeartbeatInterval time.Duration
	// JobManagerTimeout is how long Run keeps trying an unreachable
	// JobManager (registration and heartbeats) before it gives up and
	// returns an error (default 10s).
	JobManagerTimeout time.Duration
	Logger            zerolog.Logger
	// LocalDir is a local folder for state backends that keep files
	// (pebble); empty means the system's temporary folder.
	LocalDir string
	// Metrics is the registry the TaskManager's and its tasks' metrics go
	// to (nil: a registry of its own); MetricsInterval how often meters
	// are sampled and reports sent (default 2s). PrometheusHost and
	// PrometheusPort name the Prometheus endpoint serving Metrics, if any.
	Metrics         *metrics.Registry
	MetricsInterval time.Duration
	PrometheusHost  string
	PrometheusPort  int
	// LogDir holds the TaskManager's log files, listed in its metric
	// reports and served on request; empty for none.
	LogDir string
}

// TaskManager runs subtasks in slots, each in its own goroutine.
type TaskManager struct {
	opts Options
	log  zerolog.Logger
	fp   string

	mu    sync.Mutex
	tasks map[taskKey]*runningTask
	// finished are the subtasks of the newest attempts that ended
	// successfully (a checkpoint trigger for them acknowledges empty).
	finished map[taskKey]struct{}
	// abandoned are tasks of a JobManager that failed over: their updates
	// are not reported (failover.go).
	abandoned map[taskKey]bool
	wg        sync.WaitGroup
	done      chan struct{}
	doneOnce  sync.Once
	base      context.Context
	stop      context.CancelFunc
	metrics   *metrics.Group // scope taskmanager
}

// runningTask is a subtask this TaskManager runs.
type runningTask struct {
	cancel context.CancelFunc
	cmds   chan runtime.CheckpointCommand // nil without checkpoints
	// metrics is the subtask's group (scope task) under jobMetrics.
	metrics, jobMetrics *metrics.Group
}

type taskKey struct {
	job             string
	attempt         int
	vertex, subtask int
}

// New validates opts.
func New(ctx context.Context, opts Options) (*TaskManager, error) {
	switch {
	case opts.ID == "":
		return nil, fmt.Errorf("taskmanager: no id")
	case opts.Slots <= 0:
		return nil, fmt.Errorf("taskmanager %s: %d slots", opts.ID, opts.Slots)
	case opts.Program == nil || opts.Exchange == nil || opts.JobManager == nil:
		return nil, fmt.Errorf("taskmanager %s: program, exchange and JobManager are required", opts.ID)
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = time.Second
	}
	if opts.JobManagerTimeout <= 0 {
		opts.JobManagerTimeout = 10 * time.Second
	}
	if opts.MetricsInterval <= 0 {
		opts.MetricsInterval = defaultMetricsInterval
	}
	base, stop := context.WithCancel(context.WithoutCancel(ctx))
	tm := &TaskManager{
		opts: opts, log: opts.Logger.With().Str("component", "taskmanager").Str("tm", opts.ID).Logger(),
		fp: opts.Program.Graph().Fingerprint, tasks: map[taskKey]*runningTask{}, finished: map[taskKey]struct{}{}, abandoned: map[taskKey]bool{}, done: make(chan struct{}),
		base: base, stop: stop,
	}
	tm.initMetrics()
	return tm, nil
}

// ID returns the TaskManager's id.
func (tm *TaskManager) ID() string { return tm.opts.ID }

// Run registers with the JobManager and sends heartbeats until ctx ends or
// the TaskManager is shut down; then it cancels its tasks and waits for them.
func (tm *TaskManager) Run(ctx context.Context) error {
	defer func() {
		tm.Shutdown()
		tm.wg.Wait()
	}()
	reg := api.Registration{Version: api.Version, TaskManager: tm.opts.ID,
		Slots: tm.opts.Slots, DataAddress: tm.opts.DataAddress, Fingerprint: tm.fp, PID: os.Getpid()}
	var reply api.RegistrationReply
	var err error
	deadline := time.Now().Add(tm.opts.JobManagerTimeout)
	for {
		reply, err = tm.opts.JobManager.Register(ctx, reg)
		if err == nil {
			break
		}
		if errors.Is(err, api.ErrRemote) || time.Now().After(deadline) || ctx.Err() != nil {
			// The JobManager answered no, or cannot be reached in time.
			return fmt.Errorf("taskmanager %s: register: %w", tm.opts.ID, err)
		}
		if err := sleepCtx(ctx, 200*time.Millisecond); err != nil {
			return nil
		}
	}
	every := tm.opts.HeartbeatInterval
	if reply.HeartbeatMillis > 0 {
		every = time.Duration(reply.HeartbeatMillis) * time.Millisecond
	}
	tm.log.Info().Int("slots", tm.opts.Slots).Msg("registered")
	t := time.NewTicker(every)
	defer t.Stop()
	mt := time.NewTicker(tm.opts.MetricsInterval)
	defer mt.Stop()
	lastOK := time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tm.done:
			return nil
		case now := <-mt.C:
			tm.reportMetrics(ctx, now)
		case <-t.C:
			known, err := tm.opts.JobManager.Heartbeat(ctx, tm.opts.ID)
			if err != nil {
				if ctx.Err() != nil || tm.base.Err() != nil {
					return nil
				}
				if time.Since(lastOK) > tm.opts.JobManagerTimeout {
					return fmt.Errorf("taskmanager %s: JobManager unreachable for %v: %w", tm.opts.ID, tm.opts.JobManagerTimeout, err)
				}
				tm.log.Warn().Err(err).Msg("heartbeat")
				continue
			}
			lastOK = time.Now()
			if !known {
				tm.log.Info().Msg("JobManager released this TaskManager; exiting")
				return nil
			}
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Shutdown cancels every task and makes Run return.
func (tm *TaskManager) Shutdown() {
	tm.doneOnce.Do(func() {
		tm.stop()
		close(tm.done)
	})
}

// Done is closed when the TaskManager shuts down.
func (tm *TaskManager) Done() <-chan struct{} { return tm.done }

// ErrFingerprintMismatch marks a job graph this TaskManager's binary does
// not build.
var ErrFingerprintMismatch = errors.New("job graph fingerprint mismatch")

// Deploy starts a subtask in its own goroutine and returns.
func (tm *TaskManager) Deploy(_ context.Context, d api.DeployTask) error {
	key := taskKey{d.Job, d.Attempt, d.Vertex, d.Subtask}
	if d.Slot < 0 || d.Slot >= tm.opts.Slots {
		return fmt.Errorf("deploy %s v%d/%d: slot %d of %d", d.Job, d.Vertex, d.Subtask, d.Slot, tm.opts.Slots)
	}
	ctx, cancel := context.WithCancel(tm.base)
	tm.mu.Lock()
	if _, dup := tm.tasks[key]; dup || tm.base.Err() != nil {
		tm.mu.Unlock()
		cancel()
		return fmt.Errorf("deploy %s v%d/%d: already running or shutting down", d.Job, d.Vertex, d.Subtask)
	}
	rt := &runningTask{cancel: cancel}
	rt.jobMetrics, rt.metrics = tm.taskGroup(d)
	if d.Checkpointing != nil {
		rt.cmds = make(chan runtime.CheckpointCommand, commandBuffer)
	}
	tm.tasks[key] = rt
	delete(tm.abandoned, key)
	for k := range tm.finished {
		if k.job == d.Job && k.attempt < d.Attempt {
			delete(tm.finished, k)
		}
	}
	tm.wg.Add(1)
	tm.mu.Unlock()
	// A new attempt starts only after every subtask of the old one ended:
	// what the old attempt left unread here is dead.
	tm.releasePartitions(d.Job, func(a int) bool { return a < d.Attempt })
	go tm.runTask(ctx, rt, key, d)
	return nil
}

// releasePartitions drops job's partitions of the matching attempts when the
// exchange keeps partitions beyond their tasks (runtime.PartitionReleaser).
func (tm *TaskManager) releasePartitions(job string, attempt func(int) bool) {
	if r, ok := tm.opts.Exchange.(runtime.PartitionReleaser); ok {
		if n := r.ReleasePartitions(job, attempt); n > 0 {
			tm.log.Debug().Str("job", job).Int("partitions", n).Msg("released partitions of an ended attempt")
		}
	}
}

// Cancel stops a subtask; unknown subtasks are ignored.
func (tm *TaskManager) Cancel(_ context.Context, c api.CancelTask) error {
	tm.mu.Lock()
	rt, ok := tm.tasks[taskKey{c.Job, c.Attempt, c.Vertex, c.Subtask}]
	tm.mu.Unlock()
	if ok {
		rt.cancel()
	}
	// The JobManager cancels whole attempts: finished partitions of this one
	// that nobody will read any more go too.
	tm.releasePartitions(c.Job, func(a int) bool { return a == c.Attempt })
	return nil
}

func (tm *TaskManager) report(u api.TaskUpdate) {
	tm.mu.Lock()
	dropped := tm.abandoned[taskKey{u.Job, u.Attempt, u.Vertex, u.Subtask}]
	tm.mu.Unlock()
	if dropped {
		return
	}
	u.Version, u.TaskManager = api.Version, tm.opts.ID
	ctx, cancel := context.WithTimeout(context.WithoutCancel(tm.base), 10*time.Second)
	defer cancel()
	if err := tm.opts.JobManager.UpdateTask(ctx, u); err != nil {
		tm.log.Warn().Err(err).Str("job", u.Job).Int("vertex", u.Vertex).Int("subtask", u.Subtask).Msg("report task state")
	}
}

func (tm *TaskManager) runTask(ctx context.Context, rt *runningTask, key taskKey, d api.DeployTask) {
	defer tm.wg.Done()
	var err error
	ran := false // RunTask ran, and err is its result
	defer func() {
		finished := ran && err == nil && ctx.Err() == nil
		tm.mu.Lock()
		delete(tm.tasks, key)
		if finished {
			tm.finished[key] = struct{}{}
		}
		// Triggers that came after the task's last safe point: its state
		// is final, so a finished task acknowledges them empty.
		var late []int64
		for len(rt.cmds) > 0 {
			if c := <-rt.cmds; c.Kind == runtime.TriggerCheckpoint {
				late = append(late, c.Meta.ID)
			}
		}
		tm.mu.Unlock()
		rt.cancel()
		rt.jobMetrics.Close()
		for _, id := range late {
			tm.endedTrigger(d, id, finished)
		}
	}()
	upd := api.TaskUpdate{Job: d.Job, Attempt: d.Attempt, Vertex: d.Vertex, Subtask: d.Subtask}
	log := tm.log.With().Str("job", d.Job).Int("attempt", d.Attempt).Int("vertex", d.Vertex).Int("subtask", d.Subtask).Logger()
	if d.Fingerprint != tm.fp {
		upd.State, upd.Unrecoverable = api.Failed, true
		upd.Cause = fmt.Sprintf("%v: the JobManager's job graph has fingerprint %s but this TaskManager's binary builds %s; "+
			"it was started from a different job binary (or main() builds its graph non-deterministically)", ErrFingerprintMismatch, d.Fingerprint, tm.fp)
		log.Error().Msg(upd.Cause)
		tm.report(upd)
		return
	}
	upd.State = api.Running
	tm.report(upd)
	slots := make([]runtime.Location, len(d.Slots))
	for i, s := range d.Slots {
		slots[i] = runtime.Location{TaskManager: s.TaskManager, DataAddress: s.DataAddress}
	}
	topts := runtime.TaskOptions{Program: tm.opts.Program, Job: d.Job, Attempt: d.Attempt,
		Vertex: d.Vertex, Subtask: d.Subtask, Exchange: tm.opts.Exchange, Slots: slots, Logger: log, Metrics: rt.metrics}
	if d.Checkpointing != nil {
		var done func()
		topts.Checkpoints, topts.Checkpointing, topts.Restore, done, err = tm.taskCheckpoints(ctx, d, rt.cmds, log)
		if err != nil {
			upd.State, upd.Cause = api.Failed, fmt.Sprintf("checkpointing: %v", err)
			log.Error().Err(err).Msg("task failed")
			tm.report(upd)
			return
		}
		defer done()
	}
	err, ran = runtime.RunTask(ctx, topts), true
	switch {
	case err == nil:
		upd.State = api.Finished
		log.Debug().Msg("task finished")
	case ctx.Err() != nil:
		upd.State = api.Canceled
		log.Info().Msg("task canceled")
	default:
		upd.State, upd.Cause = api.Failed, err.Error()
		log.Error().Err(err).Msg("task failed")
	}
	tm.report(upd)
}
