package localcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/metrics"
	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/taskexec"
	"github.com/rs/zerolog"
)

// JobError is returned when a job ends in a state other than FINISHED.
// stream.JobError is the same type.
type JobError struct{ Status api.JobStatus }

// Error names the job, its final state and the cause.
func (e *JobError) Error() string {
	if e.Status.Cause == "" {
		return fmt.Sprintf("job %s %s", e.Status.Name, e.Status.State)
	}
	return fmt.Sprintf("job %s %s: %s", e.Status.Name, e.Status.State, e.Status.Cause)
}

// Options configure a local cluster run.
type Options struct {
	// Program is the job to run.
	Program runtime.Program
	// TaskManagers and Slots size the cluster (defaults: 1 TaskManager
	// with as many slots as the job needs).
	TaskManagers int
	Slots        int
	// RestartAttempts and RestartDelay are the job's fixed-delay restart
	// strategy; zero attempts never restart.
	RestartAttempts int
	RestartDelay    time.Duration
	// Restart, when set, is the job's restart strategy of any kind
	// (jobmanager.ParseRestartStrategy), in place of RestartAttempts and
	// RestartDelay.
	Restart *api.RestartStrategy
	// Checkpointing, when set, makes the job take checkpoints
	// (jobmanager.JobCheckpointingFrom reads it from the configuration).
	// The in-process TaskManagers' gateway must carry checkpoint messages
	// (jobmanager.CheckpointGateway) for checkpoints to complete.
	Checkpointing *jobmanager.JobCheckpointing
	// Logger receives the JobManager's and TaskManagers' logs.
	Logger zerolog.Logger
	// Progress, when set, receives the job id at submission, a line on
	// every state change and every ProgressInterval (default 5 s), and the
	// runtime at the end (Flink's local run prints the same).
	Progress         io.Writer
	ProgressInterval time.Duration
	// PrometheusPorts, when set (metrics.reporter.prom.port, with Flink's
	// Prometheus reporter configured), serves the JobManager's metrics
	// (job uptime, restarts, checkpoints) and the TaskManagers' (task,
	// operator and user metrics), under Flink's names, on the first free
	// port of that range while the job runs.
	PrometheusPorts string
}

// Run starts an in-process JobManager and opts.TaskManagers in-process
// TaskManagers exchanging records over a runtime.LocalExchange, runs the
// job on them and returns when it ends: nil when it finished, a *JobError
// when it failed or was cancelled. When ctx ends first the job is
// cancelled and given a bounded time to stop. Every goroutine has ended
// when Run returns.
func Run(ctx context.Context, opts Options) error {
	if opts.Program == nil {
		return errors.New("local cluster: no program")
	}
	g := opts.Program.Graph()
	need := g.Slots()
	tms := opts.TaskManagers
	if tms <= 0 {
		tms = 1
	}
	slots := opts.Slots
	if slots <= 0 {
		slots = (need + tms - 1) / tms
	}
	if tms*slots < need {
		return fmt.Errorf("local execution: the job needs %d slots, the local cluster has %d TaskManagers × %d slots", need, tms, slots)
	}
	runCtx, stopAll := context.WithCancel(context.WithoutCancel(ctx))
	defer stopAll()
	drv := &localDriver{ctx: runCtx, prog: opts.Program, x: runtime.NewLocalExchange(), log: opts.Logger, max: tms, reg: metrics.NewRegistry()}
	if opts.PrometheusPorts != "" {
		rep, err := metrics.Listen(metrics.ReporterOptions{Ports: opts.PrometheusPorts, Registry: drv.reg, Update: -1})
		if err != nil {
			return fmt.Errorf("local execution: %w", err)
		}
		var pwg sync.WaitGroup
		pwg.Add(1)
		go func() { defer pwg.Done(); _ = rep.Serve(runCtx) }()
		defer func() { stopAll(); pwg.Wait() }()
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "Prometheus metrics on port %d (/metrics)\n", rep.Port())
		}
	}
	jm, err := jobmanager.New(runCtx, jobmanager.Options{Driver: drv, Logger: opts.Logger,
		Core: jobmanager.CoreOptions{SlotsPerTaskManager: slots, HeartbeatTimeout: 30 * time.Second}})
	if err != nil {
		return err
	}
	drv.jm = jm
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = jm.Run(runCtx) }()
	if opts.PrometheusPorts != "" {
		// The JobManager's metrics (uptime, restarts, checkpoints) next to
		// the TaskManagers', which sample the registry's meters.
		jmm := jobmanager.NewMetrics(jm, drv.reg)
		wg.Add(1)
		go func() { defer wg.Done(); jmm.Run(runCtx, nil) }()
	}
	defer func() { stopAll(); wg.Wait(); drv.wait() }()

	restart := api.RestartStrategy{Attempts: opts.RestartAttempts, DelayMillis: opts.RestartDelay.Milliseconds()}
	if opts.Restart != nil {
		restart = *opts.Restart
	}
	id, err := jm.Submit(ctx, jobmanager.Submission{Graph: g, Pool: "local", Restart: restart, Checkpointing: opts.Checkpointing})
	if err != nil {
		return err
	}
	start := time.Now()
	if opts.Progress != nil {
		fmt.Fprintf(opts.Progress, "Job has been submitted with JobID %s\n", id)
		every := opts.ProgressInterval
		if every <= 0 {
			every = 5 * time.Second
		}
		p := &progress{out: opts.Progress, every: every, start: start, status: func() (api.JobStatus, error) { return jm.Status(id) }}
		pctx, stopProgress := context.WithCancel(runCtx)
		var pwg sync.WaitGroup
		pwg.Add(1)
		go func() { defer pwg.Done(); p.watch(pctx) }()
		defer func() {
			stopProgress()
			pwg.Wait()
			if st, err := jm.Status(id); err == nil && st.State.Terminal() {
				p.end(st, time.Now())
			}
		}()
	}
	st, err := jm.Wait(ctx, id)
	if err != nil {
		// Interrupted: cancel the job and give it a bounded time to stop.
		_ = jm.Cancel(runCtx, id)
		wctx, cancel := context.WithTimeout(runCtx, 10*time.Second)
		defer cancel()
		st, _ = jm.Wait(wctx, id)
		return fmt.Errorf("job %s: %w (%s)", g.Name, err, st.State)
	}
	if st.State != api.JobFinished {
		return &JobError{Status: st}
	}
	return nil
}

// localDriver starts TaskManagers as goroutines of this process.
type localDriver struct {
	ctx  context.Context
	prog runtime.Program
	x    *runtime.LocalExchange
	jm   *jobmanager.JobManager
	log  zerolog.Logger
	max  int
	reg  *metrics.Registry // every TaskManager's metrics, for the Prometheus endpoint

	mu      sync.Mutex
	started int
	tms     map[string]*taskexec.TaskManager
	wg      sync.WaitGroup
}

func (d *localDriver) StartTaskManager(_ context.Context, spec jobmanager.TaskManagerSpec, exited func(string)) error {
	d.mu.Lock()
	if d.started >= d.max {
		d.mu.Unlock()
		return fmt.Errorf("local execution is configured with %d TaskManagers, all in use", d.max)
	}
	d.started++
	d.mu.Unlock()
	gw := &localGateway{jm: d.jm}
	tm, err := taskexec.New(d.ctx, taskexec.Options{ID: spec.ID, Slots: spec.Slots, Program: d.prog, Exchange: d.x,
		JobManager: gw, Logger: d.log, HeartbeatInterval: time.Second, Metrics: d.reg})
	if err != nil {
		return err
	}
	gw.tm = tm
	d.mu.Lock()
	if d.tms == nil {
		d.tms = map[string]*taskexec.TaskManager{}
	}
	d.tms[spec.ID] = tm
	d.mu.Unlock()
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		err := tm.Run(d.ctx)
		d.mu.Lock()
		delete(d.tms, spec.ID)
		d.started--
		d.mu.Unlock()
		if err != nil {
			exited(err.Error())
			return
		}
		exited("stopped")
	}()
	return nil
}

func (d *localDriver) StopTaskManager(_ context.Context, id string) error {
	d.mu.Lock()
	tm := d.tms[id]
	d.mu.Unlock()
	if tm == nil {
		return errors.New("no such TaskManager")
	}
	tm.Shutdown()
	return nil
}

func (d *localDriver) wait() { d.wg.Wait() }

// localGateway connects an in-process TaskManager to the JobManager.
type localGateway struct {
	jm *jobmanager.JobManager
	tm *taskexec.TaskManager
}

func (g *localGateway) Register(_ context.Context, reg api.Registration) (api.RegistrationReply, error) {
	return api.RegistrationReply{Version: api.Version}, g.jm.RegisterTaskManager(reg, g.tm)
}

func (g *localGateway) Heartbeat(_ context.Context, id string) (bool, error) {
	return g.jm.Heartbeat(id), nil
}

// checkpointJM is the JobManager's side of checkpoint acknowledgements,
// when it has one.
type checkpointJM interface {
	AcknowledgeCheckpoint(a api.AcknowledgeCheckpoint)
	DeclineCheckpoint(d api.DeclineCheckpoint)
}

// errNoCheckpoints is returned when the JobManager takes no checkpoint
// reports.
var errNoCheckpoints = errors.New("the JobManager takes no checkpoint acknowledgements")

// AcknowledgeCheckpoint hands a subtask's acknowledgement to the JobManager.
func (g *localGateway) AcknowledgeCheckpoint(_ context.Context, a api.AcknowledgeCheckpoint) error {
	if c, ok := any(g.jm).(checkpointJM); ok {
		c.AcknowledgeCheckpoint(a)
		return nil
	}
	return errNoCheckpoints
}

// DeclineCheckpoint hands a subtask's decline to the JobManager.
func (g *localGateway) DeclineCheckpoint(_ context.Context, d api.DeclineCheckpoint) error {
	if c, ok := any(g.jm).(checkpointJM); ok {
		c.DeclineCheckpoint(d)
		return nil
	}
	return errNoCheckpoints
}

func (g *localGateway) UpdateTask(_ context.Context, u api.TaskUpdate) error {
	g.jm.UpdateTask(u)
	return nil
}
