package jobmanager

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/rs/zerolog"
)

// ErrJobNotFound is returned for an unknown job id.
var ErrJobNotFound = errors.New("job not found")

// ErrUnknownTaskManager is returned when a TaskManager registers under an
// id the JobManager did not ask for.
var ErrUnknownTaskManager = errors.New("unknown TaskManager")

// Options configure a JobManager.
type Options struct {
	Driver ResourceDriver
	Core   CoreOptions
	// Address is the control endpoint TaskManagers dial (passed to the driver).
	Address string
	// TickInterval is how often time passes in the core (default 100ms).
	TickInterval time.Duration
	Logger       zerolog.Logger
	// Now is the clock (default time.Now); the core never reads it itself.
	Now func() time.Time
	// CheckpointStorage keeps the checkpoints' _metadata files and deletes
	// checkpoint files (default: an hdfsstore.Store with Hadoop's defaults,
	// made on first use).
	CheckpointStorage CheckpointStorage
	// TaskManagerIDPrefix starts the ids of the TaskManagers this
	// JobManager starts (default "tm-"); a later ApplicationMaster attempt
	// uses its own, so that ids never collide with adopted TaskManagers.
	TaskManagerIDPrefix string
	// Recorder, when set, records submitted jobs, completed checkpoints
	// and final states for a later JobManager attempt (JobRecorder).
	Recorder JobRecorder
}

// JobManager is the I/O shell around Core: it runs the core on one
// goroutine, feeds it events from clients, TaskManagers, the resource driver
// and a ticker, and carries out its actions.
type JobManager struct {
	opts Options
	log  zerolog.Logger
	core *Core

	// ckptStats are the checkpoint figures of the jobs that checkpoint,
	// copied from the core after every event batch (guarded by mu, below).
	ckptStats map[string]CheckpointStats
	storage   *storageWorker    // the checkpoint storage worker, set by Run
	store     CheckpointStorage // what it writes to, set by Run (guarded by mu)

	mu      sync.Mutex
	queue   []Event
	wake    chan struct{}
	tms     map[string]TaskManagerGateway
	specs   map[string]TaskManagerSpec // started or starting, by id
	pools   map[string]TaskManagerSpec // template per pool
	status  map[string]api.JobStatus
	jobIDs  []string              // in submission order
	tmInfo  []api.TaskManagerInfo // the core's view after the last event batch
	pending int                   // TaskManagers asked for, not registered
	changed chan struct{}         // closed and replaced on every job change
	spWait  map[string]chan error // savepoints requested, by folder
	nextTM  int

	// times are the jobs' graphs and state times for the REST API (own lock).
	times jobTimes
	// tmEnv are variables every TaskManager gets (metrics reporters).
	tmEnv []string
}

// New validates opts and returns a JobManager; call Run to start it. New
// starts nothing and keeps no context (the argument follows the project's
// New(ctx, opts) form): the ctx given to Run is what stops the JobManager.
func New(_ context.Context, opts Options) (*JobManager, error) {
	if opts.Driver == nil {
		return nil, fmt.Errorf("jobmanager: no resource driver")
	}
	if opts.TickInterval <= 0 {
		opts.TickInterval = 100 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TaskManagerIDPrefix == "" {
		opts.TaskManagerIDPrefix = "tm-"
	}
	core, err := NewCore(opts.Core)
	if err != nil {
		return nil, fmt.Errorf("jobmanager: %w", err)
	}
	return &JobManager{
		opts: opts, log: opts.Logger.With().Str("component", "jobmanager").Logger(), core: core,
		wake: make(chan struct{}, 1), tms: map[string]TaskManagerGateway{}, specs: map[string]TaskManagerSpec{},
		pools: map[string]TaskManagerSpec{}, status: map[string]api.JobStatus{}, changed: make(chan struct{}), spWait: map[string]chan error{},
		ckptStats: map[string]CheckpointStats{},
	}, nil
}

// refreshStatus copies the core's view of unfinished jobs (subtask states
// change without a job state change).
func (jm *JobManager) refreshStatus() {
	jm.mu.Lock()
	var ids []string
	for id, st := range jm.status {
		if !st.State.Terminal() {
			ids = append(ids, id)
		}
	}
	jm.mu.Unlock()
	for _, id := range ids {
		if st, ok := jm.core.Job(id); ok {
			jm.mu.Lock()
			if !jm.status[id].State.Terminal() {
				jm.status[id] = st
			}
			jm.mu.Unlock()
		}
	}
}

// SetAddress sets the control address given to new TaskManagers (known
// only once the control server listens).
func (jm *JobManager) SetAddress(addr string) {
	jm.mu.Lock()
	jm.opts.Address = addr
	jm.mu.Unlock()
}

// post queues an event for the core; it never blocks.
func (jm *JobManager) post(ev Event) {
	jm.mu.Lock()
	jm.queue = append(jm.queue, ev)
	jm.mu.Unlock()
	select {
	case jm.wake <- struct{}{}:
	default:
	}
}

// Run drives the core until ctx ends, then stops every TaskManager. It is
// the JobManager's only goroutine; every driver and gateway call it makes
// gets ctx.
func (jm *JobManager) Run(ctx context.Context) error {
	st := jm.opts.CheckpointStorage
	if st == nil {
		ls := newLazyStorage(jm.log)
		defer func() { _ = ls.Close() }() // nothing buffered: every write was committed or failed
		st = ls
	}
	w := &storageWorker{jm: jm, wake: make(chan struct{}, 1)}
	jm.mu.Lock()
	jm.storage, jm.store = w, st
	jm.mu.Unlock()
	wctx, stopWorker := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); w.run(wctx, st) }()
	defer func() { stopWorker(); wg.Wait() }()

	t := time.NewTicker(jm.opts.TickInterval)
	defer t.Stop()
	// wakeAt fires when the core next has checkpoint work due, when that
	// comes before the next tick.
	wakeAt := time.NewTimer(time.Hour)
	defer wakeAt.Stop()
	for {
		select {
		case <-ctx.Done():
			jm.shutdownAll()
			return nil
		case <-t.C:
			jm.post(Tick{})
		case <-wakeAt.C:
			jm.post(Tick{})
		case <-jm.wake:
		}
		jm.mu.Lock()
		evs := jm.queue
		jm.queue = nil
		jm.mu.Unlock()
		for _, ev := range evs {
			for _, a := range jm.core.Step(jm.opts.Now(), ev) {
				jm.do(ctx, a)
			}
		}
		if len(evs) > 0 {
			jm.refreshStatus()
			infos, pending := jm.core.TaskManagerInfos(), jm.core.PendingTaskManagers()
			stats := map[string]CheckpointStats{}
			for _, id := range jm.core.order {
				if s, ok := jm.core.CheckpointStats(id); ok {
					stats[id] = s
				}
			}
			jm.mu.Lock()
			jm.tmInfo, jm.pending, jm.ckptStats = infos, pending, stats
			jm.mu.Unlock()
			if next := jm.core.NextWake(); !next.IsZero() {
				if d := next.Sub(jm.opts.Now()); d < jm.opts.TickInterval {
					wakeAt.Reset(max(d, 0))
				}
			}
		}
	}
}

func (jm *JobManager) shutdownAll() {
	jm.mu.Lock()
	ids := make([]string, 0, len(jm.specs))
	for id := range jm.specs {
		ids = append(ids, id)
	}
	gws := jm.tms
	jm.tms = map[string]TaskManagerGateway{}
	jm.mu.Unlock()
	for _, gw := range gws {
		gw.Shutdown()
	}
	for _, id := range ids {
		_ = jm.opts.Driver.StopTaskManager(context.Background(), id)
	}
}

func (jm *JobManager) do(ctx context.Context, a Action) {
	switch a := a.(type) {
	case StartTaskManagers:
		for i := 0; i < a.Count; i++ {
			jm.mu.Lock()
			jm.nextTM++
			spec := jm.pools[a.Pool]
			spec.ID = jm.opts.TaskManagerIDPrefix + strconv.Itoa(jm.nextTM)
			spec.Slots = a.Slots
			spec.JobManagerAddress = jm.opts.Address // under jm.mu
			jm.specs[spec.ID] = spec
			jm.mu.Unlock()
			jm.log.Info().Str("tm", spec.ID).Str("pool", spec.Pool).Int("slots", spec.Slots).Msg("starting TaskManager")
			exited := jm.exitedFunc(spec.ID, spec.Pool)
			if err := jm.opts.Driver.StartTaskManager(ctx, spec, exited); err != nil {
				exited(err.Error())
			}
		}
	case StopTaskManager:
		jm.log.Info().Str("tm", a.TaskManager).Str("cause", a.Cause).Msg("stopping TaskManager")
		jm.mu.Lock()
		gw := jm.tms[a.TaskManager]
		delete(jm.tms, a.TaskManager)
		jm.mu.Unlock()
		if gw != nil {
			gw.Shutdown()
		}
		_ = jm.opts.Driver.StopTaskManager(ctx, a.TaskManager)
	case Deploy:
		jm.mu.Lock()
		gw := jm.tms[a.TaskManager]
		jm.mu.Unlock()
		err := fmt.Errorf("TaskManager %s is gone", a.TaskManager)
		if gw != nil {
			err = gw.Deploy(ctx, a.Task)
		}
		if err != nil {
			jm.post(TaskStateChanged{TaskManager: a.TaskManager, Job: a.Task.Job, Attempt: a.Task.Attempt, Vertex: a.Task.Vertex,
				Subtask: a.Task.Subtask, State: api.Failed, Cause: "deploy: " + err.Error()})
		}
	case Cancel:
		jm.mu.Lock()
		gw := jm.tms[a.TaskManager]
		jm.mu.Unlock()
		if gw == nil || gw.Cancel(ctx, a.Task) != nil {
			jm.post(TaskStateChanged{TaskManager: a.TaskManager, Job: a.Task.Job, Attempt: a.Task.Attempt, Vertex: a.Task.Vertex,
				Subtask: a.Task.Subtask, State: api.Canceled})
		}
	case SendTrigger:
		jm.sendCheckpoint(a.TaskManager, func(g CheckpointGateway) error { return g.TriggerCheckpoint(ctx, a.Msg) })
	case SendNotify:
		jm.sendCheckpoint(a.TaskManager, func(g CheckpointGateway) error { return g.NotifyCheckpoint(ctx, a.Msg) })
	case WriteCheckpointMetadata:
		jm.storage.add(a)
	case DeleteCheckpointFiles:
		jm.storage.add(a)
	case SavepointCompleted:
		jm.savepointDone(a.Dir, nil)
	case SavepointFailed:
		jm.savepointDone(a.Dir, errors.New(a.Reason))
	case JobChanged:
		ev := jm.log.Info()
		if a.State == api.JobFailed || a.State == api.JobRestarting || a.State == api.JobFailing {
			ev = jm.log.Warn()
		}
		ev.Str("job", a.Job).Str("state", string(a.State)).Str("cause", a.Cause).Msg("job state")
		st, _ := jm.core.Job(a.Job)
		if a.Recovered {
			jm.mu.Lock()
			jm.status[a.Job] = st
			jm.mu.Unlock()
			return
		}
		if a.State.Terminal() && jm.opts.Recorder != nil {
			// Queued before anyone waiting for the job learns it ended
			// (a per-job AM stops the JobManager then; the worker drains
			// its queue).
			jm.storage.add(recordJobEnd{st: st})
		}
		jm.times.changed(a.Job, st.State, jm.opts.Now())
		jm.mu.Lock()
		jm.status[a.Job] = st
		close(jm.changed)
		jm.changed = make(chan struct{})
		jm.mu.Unlock()
	}
}

// Submission is a job to run.
type Submission struct {
	// ID is the job's id; empty lets the JobManager choose one.
	ID    string
	Graph *graph.JobGraph
	// Pool identifies the job binary; TaskManagers are per pool.
	Pool    string
	Binary  string
	Args    []string
	Env     []string
	Restart api.RestartStrategy
	// Checkpointing is set when the job takes checkpoints.
	Checkpointing *JobCheckpointing
	// SavepointPath (execution.savepoint.path) is the savepoint the job
	// starts from; AllowNonRestored skips its state that matches no
	// operator (execution.savepoint.ignore-unclaimed-state).
	SavepointPath    string
	AllowNonRestored bool
	// Recover, set by a new JobManager attempt, resumes a job a former
	// attempt ran (Recovery); the job is not recorded again.
	Recover *Recovery
}

// Submit adds a job and returns its id.
func (jm *JobManager) Submit(ctx context.Context, s Submission) (string, error) {
	if s.Graph == nil {
		return "", fmt.Errorf("submit: no job graph")
	}
	if err := s.Checkpointing.Validate(); err != nil {
		return "", fmt.Errorf("submit %q: %w", s.Graph.Name, err)
	}
	if err := s.Restart.Validate(); err != nil {
		return "", fmt.Errorf("submit %q: %w", s.Graph.Name, err)
	}
	var restore *CheckpointMetadata
	var err error
	if s.Recover != nil {
		restore = s.Recover.Checkpoint
	} else if restore, err = jm.readSavepoint(ctx, s); err != nil {
		return "", fmt.Errorf("submit %q: %w", s.Graph.Name, err)
	}
	if s.Recover != nil && s.Recover.Ended != nil {
		return jm.addEnded(s)
	}
	id := s.ID
	if id == "" {
		// 32 lower-case hex digits from a random source, as client.NewJobID
		// and Flink's JobID: unique across runs and clusters.
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return "", fmt.Errorf("submit %q: job id: %w", s.Graph.Name, err)
		}
		id = hex.EncodeToString(b)
	}
	jm.mu.Lock()
	if _, dup := jm.status[id]; dup {
		jm.mu.Unlock()
		return "", fmt.Errorf("submit %q: job id %s is taken", s.Graph.Name, id)
	}
	if _, ok := jm.pools[s.Pool]; !ok {
		jm.pools[s.Pool] = TaskManagerSpec{Pool: s.Pool, Binary: s.Binary, Args: s.Args, Env: append(append([]string(nil), s.Env...), jm.tmEnv...)}
	}
	jm.status[id] = listedStatus(id, s, jm.opts.Now())
	jm.times.submitted(id, s.Graph, jm.opts.Now())
	jm.jobIDs = append(jm.jobIDs, id)
	jm.mu.Unlock()
	if jm.opts.Recorder != nil && s.Recover == nil {
		if err := jm.opts.Recorder.JobSubmitted(ctx, id, s); err != nil {
			jm.mu.Lock()
			delete(jm.status, id)
			jm.jobIDs = jm.jobIDs[:len(jm.jobIDs)-1]
			jm.mu.Unlock()
			return "", fmt.Errorf("submit %q: record job %s: %w", s.Graph.Name, id, err)
		}
	}
	jm.log.Info().Str("job", id).Str("name", s.Graph.Name).Int("slots", s.Graph.Slots()).Bool("recovered", s.Recover != nil).Msg("job submitted")
	for _, w := range SubmissionWarnings(s.Graph, s.Checkpointing) {
		jm.log.Warn().Str("job", id).Msg(w)
	}
	ev := JobSubmitted{Job: id, Graph: s.Graph, Pool: s.Pool, Restart: s.Restart, Checkpointing: s.Checkpointing, Restore: restore}
	if s.Recover != nil {
		ev.RestoreOwned, ev.Found, ev.RecoverCause, ev.SkipIDs = true, s.Recover.Found, s.Recover.Cause, s.Recover.SkipIDs
	}
	jm.post(ev)
	return id, nil
}

// addEnded lists a job a former attempt saw end, in its final state; it
// is not recorded again (its records are in the job store) and never runs.
func (jm *JobManager) addEnded(s Submission) (string, error) {
	e := s.Recover.Ended
	if !e.State.Terminal() || s.ID == "" {
		return "", fmt.Errorf("submit %q: a recovered ended job needs an id and a final state, not %q", s.Graph.Name, e.State)
	}
	jm.mu.Lock()
	if _, dup := jm.status[s.ID]; dup {
		jm.mu.Unlock()
		return "", fmt.Errorf("submit %q: job id %s is taken", s.Graph.Name, s.ID)
	}
	jm.status[s.ID] = listedStatus(s.ID, s, jm.opts.Now())
	jm.times.submitted(s.ID, s.Graph, e.Submitted)
	jm.times.changed(s.ID, e.State, e.Ended)
	jm.jobIDs = append(jm.jobIDs, s.ID)
	jm.mu.Unlock()
	jm.log.Info().Str("job", s.ID).Str("name", s.Graph.Name).Str("state", string(e.State)).Msg("job had ended before the failover: listed, not run")
	jm.post(JobSubmitted{Job: s.ID, Graph: s.Graph, Pool: s.Pool, Restart: s.Restart, Ended: e})
	return s.ID, nil
}

// listedStatus is how a job is listed from the moment Submit returns until
// the core has taken it, as the core lists it then (Core.submit): every
// subtask, CREATED or in its final state when the job ended under a former
// attempt, and the former attempt's end in the exception history.
func listedStatus(id string, s Submission, now time.Time) api.JobStatus {
	st := api.JobStatus{Version: api.Version, ID: id, Name: s.Graph.Name, State: api.JobCreated}
	sub, cause := api.Created, ""
	if r := s.Recover; r != nil && r.Ended != nil {
		st.State, sub, cause = r.Ended.State, endedSubtaskState(r.Ended.State), r.Ended.Cause
		if st.State == api.JobFailed {
			st.Cause = cmp.Or(cause, "job failed")
		}
	} else if r != nil {
		cause = r.Cause
	}
	for _, v := range s.Graph.Vertices {
		for i := 0; i < v.Parallelism; i++ {
			st.Subtasks = append(st.Subtasks, api.SubtaskStatus{Vertex: v.Index, Subtask: i, State: sub})
		}
	}
	if cause != "" {
		st.Exceptions = []api.Exception{{TimeMillis: now.UnixMilli(), Cause: cause}}
	}
	return st
}

// Cancel asks to cancel a job.
func (jm *JobManager) Cancel(_ context.Context, id string) error {
	if _, err := jm.Status(id); err != nil {
		return err
	}
	jm.post(JobCancelRequested{Job: id})
	return nil
}

// Status returns a job's last known status.
func (jm *JobManager) Status(id string) (api.JobStatus, error) {
	jm.mu.Lock()
	defer jm.mu.Unlock()
	st, ok := jm.status[id]
	if !ok {
		return api.JobStatus{}, fmt.Errorf("job %s: %w", id, ErrJobNotFound)
	}
	if w, ok := jm.opts.Driver.(WaitExplainer); ok && st.State == api.JobCreated && st.Waiting != "" {
		if why := w.Waiting(); why != "" {
			st.Waiting += "; " + why
		}
	}
	return st, nil
}

// WaitExplainer is a ResourceDriver that can say why TaskManagers it was
// asked for have not come (YARN: pending container requests and the
// queue's headroom); job status shows it while a job waits for slots.
type WaitExplainer interface {
	Waiting() string
}

// Wait blocks until the job is in a terminal state or ctx ends.
func (jm *JobManager) Wait(ctx context.Context, id string) (api.JobStatus, error) {
	for {
		jm.mu.Lock()
		st, ok := jm.status[id]
		ch := jm.changed
		jm.mu.Unlock()
		if !ok {
			return st, fmt.Errorf("job %s: %w", id, ErrJobNotFound)
		}
		if st.State.Terminal() {
			return st, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return st, context.Cause(ctx)
		}
	}
}

// RegisterTaskManager adds a TaskManager the JobManager asked for.
func (jm *JobManager) RegisterTaskManager(reg api.Registration, gw TaskManagerGateway) error {
	if reg.Version != api.Version {
		return fmt.Errorf("register %s: protocol version %d, JobManager speaks %d", reg.TaskManager, reg.Version, api.Version)
	}
	jm.mu.Lock()
	spec, ok := jm.specs[reg.TaskManager]
	jm.mu.Unlock()
	if !ok {
		spec, ok = jm.adopt(reg)
	}
	if !ok {
		return fmt.Errorf("register %s: %w", reg.TaskManager, ErrUnknownTaskManager)
	}
	jm.mu.Lock()
	jm.tms[reg.TaskManager] = gw
	jm.mu.Unlock()
	if reg.Slots <= 0 {
		return fmt.Errorf("register %s: %d slots", reg.TaskManager, reg.Slots)
	}
	jm.log.Info().Str("tm", reg.TaskManager).Int("slots", reg.Slots).Str("data", reg.DataAddress).Msg("TaskManager registered")
	jm.post(TaskManagerRegistered{TaskManager: reg.TaskManager, Pool: spec.Pool, Slots: reg.Slots, DataAddress: reg.DataAddress})
	return nil
}

// Heartbeat records a sign of life from a TaskManager; false means the
// JobManager does not know it (any more) and it should exit.
func (jm *JobManager) Heartbeat(tm string) bool {
	jm.mu.Lock()
	_, ok := jm.tms[tm]
	jm.mu.Unlock()
	if ok {
		jm.post(Heartbeat{TaskManager: tm})
	}
	return ok
}

// UpdateTask records a subtask's new state.
func (jm *JobManager) UpdateTask(u api.TaskUpdate) {
	jm.post(TaskStateChanged{TaskManager: u.TaskManager, Job: u.Job, Attempt: u.Attempt, Vertex: u.Vertex,
		Subtask: u.Subtask, State: u.State, Cause: u.Cause, Unrecoverable: u.Unrecoverable})
}

// TaskManagerDescriber is implemented by resource drivers that can say
// where a TaskManager runs (the YARN driver: container and node).
type TaskManagerDescriber interface {
	DescribeTaskManager(id string) string
}

// Jobs lists every job in submission order.
func (jm *JobManager) Jobs() []api.JobSummary {
	jm.mu.Lock()
	defer jm.mu.Unlock()
	out := make([]api.JobSummary, 0, len(jm.jobIDs))
	for _, id := range jm.jobIDs {
		st := jm.status[id]
		out = append(out, api.JobSummary{ID: st.ID, Name: st.Name, State: st.State, Attempt: st.Attempt, Restarts: st.Restarts})
	}
	return out
}

// TaskManagerInfos lists the registered TaskManagers in id order.
func (jm *JobManager) TaskManagerInfos() []api.TaskManagerInfo {
	jm.mu.Lock()
	out := append([]api.TaskManagerInfo(nil), jm.tmInfo...)
	jm.mu.Unlock()
	if d, ok := jm.opts.Driver.(TaskManagerDescriber); ok {
		for i := range out {
			out[i].Location = d.DescribeTaskManager(out[i].ID)
		}
	}
	return out
}

// Overview summarizes TaskManagers, slots and jobs.
func (jm *JobManager) Overview() api.Overview {
	tms := jm.TaskManagerInfos()
	o := api.Overview{Version: api.Version, TaskManagers: len(tms), Jobs: map[api.JobState]int{}}
	for _, tm := range tms {
		o.SlotsTotal += tm.Slots
		o.SlotsFree += tm.FreeSlots
	}
	jm.mu.Lock()
	o.PendingTaskManagers = jm.pending
	for _, st := range jm.status {
		o.Jobs[st.State]++
	}
	jm.mu.Unlock()
	return o
}
