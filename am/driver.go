package am

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/yarnrpc"
	"github.com/rs/zerolog"
)

// Allocator is the part of yarnrpc.AMRMClient the driver uses: asks,
// releases and the allocate heartbeat.
type Allocator interface {
	AddRequest(req yarnrpc.ContainerRequest, n int32)
	RemoveRequest(req yarnrpc.ContainerRequest, n int32)
	Release(id yarnrpc.ContainerID)
	Allocate(ctx context.Context, progress float32) (yarnrpc.AllocateResponse, error)
}

// Launcher starts containers on their NodeManagers (yarnrpc.NMClient).
type Launcher interface {
	StartContainer(ctx context.Context, ctr yarnrpc.Container, clc yarnrpc.ContainerLaunchContext) error
}

// DriverOptions configure a Driver.
type DriverOptions struct {
	Allocator Allocator
	Launcher  Launcher
	// LaunchContext builds a TaskManager's container launch context
	// (see TaskManagerLaunch.Build).
	LaunchContext func(ctx context.Context, spec jobmanager.TaskManagerSpec, ctr yarnrpc.Container) (yarnrpc.ContainerLaunchContext, error)
	// Resource is the size of a TaskManager container
	// (taskmanager.memory.process.size, yarn.containers.vcores).
	Resource yarnrpc.Resource
	// Priority of TaskManager requests (default 1; the AM itself is 0).
	Priority int32
	// FastInterval is the heartbeat while requests are pending (default
	// 500 ms); SlowInterval otherwise (default 5 s, Flink's
	// yarn.heartbeat.interval; it must stay well below the RM's AM
	// liveness expiry, 10 min by default).
	FastInterval time.Duration
	SlowInterval time.Duration
	// Progress reports the application's progress (0..1) with each
	// heartbeat; nil means 0.
	Progress func() float32
	Logger   zerolog.Logger
}

// Driver is the JobManager's resource driver on YARN: each TaskManager is a
// container asked of the ResourceManager and launched on its NodeManager
// with the job binary. It implements jobmanager.ResourceDriver.
//
// Containers the RM allocates beyond the pending TaskManagers are released
// at once. A container that completes without the JobManager having asked
// for it to stop is reported to the JobManager with YARN's exit status and
// diagnostics; the JobManager fails the job's subtasks on it, records the
// cause in the job's exception history, and asks for a replacement when the
// job restarts.
type Driver struct {
	opts DriverOptions
	log  zerolog.Logger
	req  yarnrpc.ContainerRequest
	wake chan struct{}

	mu          sync.Mutex
	workers     map[string]*worker // by TaskManager id
	queue       []string           // TaskManagers waiting for a container, in request order
	byContainer map[yarnrpc.ContainerID]string
	headroom    yarnrpc.Resource // the RM's last answer: what the application may still get
	nodes       int32            // the RM's last count of cluster nodes
	wg          sync.WaitGroup
	// adoptable are former attempts' containers not adopted yet (adopt.go).
	adoptable  map[yarnrpc.ContainerID]yarnrpc.Container
	adoptUntil time.Time
}

type workerState int

const (
	waiting   workerState = iota // asked of the RM
	launching                    // container allocated, being started
	running                      // started on its NodeManager
)

type worker struct {
	spec     jobmanager.TaskManagerSpec
	exited   func(cause string)
	state    workerState
	ctr      yarnrpc.Container
	stopping bool // the JobManager asked for it to stop
	deferred bool // waiting, not asked of YARN yet (adoption)
}

// NewDriver validates opts and fills defaults.
func NewDriver(opts DriverOptions) (*Driver, error) {
	switch {
	case opts.Allocator == nil || opts.Launcher == nil || opts.LaunchContext == nil:
		return nil, errors.New("yarn driver: Allocator, Launcher and LaunchContext are required")
	case opts.Resource.MemoryMB <= 0 || opts.Resource.VCores <= 0:
		return nil, fmt.Errorf("yarn driver: TaskManager container size %v: memory and vcores must be positive", opts.Resource)
	}
	if opts.Priority <= 0 {
		opts.Priority = 1
	}
	if opts.FastInterval <= 0 {
		opts.FastInterval = 500 * time.Millisecond
	}
	if opts.SlowInterval <= 0 {
		opts.SlowInterval = 5 * time.Second
	}
	return &Driver{
		opts: opts, log: opts.Logger.With().Str("component", "yarn-driver").Logger(),
		req:  yarnrpc.ContainerRequest{Priority: opts.Priority, Capability: opts.Resource},
		wake: make(chan struct{}, 1), workers: map[string]*worker{}, byContainer: map[yarnrpc.ContainerID]string{},
	}, nil
}

func (d *Driver) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// StartTaskManager implements jobmanager.ResourceDriver: it asks the RM for
// one more container; the heartbeat loop launches the TaskManager in it.
func (d *Driver) StartTaskManager(_ context.Context, spec jobmanager.TaskManagerSpec, exited func(string)) error {
	d.mu.Lock()
	if _, dup := d.workers[spec.ID]; dup {
		d.mu.Unlock()
		return fmt.Errorf("yarn driver: TaskManager %s already started", spec.ID)
	}
	w := &worker{spec: spec, exited: exited, state: waiting, deferred: d.adopting()}
	d.workers[spec.ID] = w
	d.queue = append(d.queue, spec.ID)
	if !w.deferred {
		d.opts.Allocator.AddRequest(d.req, 1)
	}
	d.mu.Unlock()
	d.log.Info().Str("tm", spec.ID).Stringer("resource", d.opts.Resource).Msg("requesting TaskManager container")
	d.poke()
	return nil
}

// StopTaskManager implements jobmanager.ResourceDriver: a TaskManager still
// waiting for a container is withdrawn from the asks; a running one has its
// container released (the RM stops it).
func (d *Driver) StopTaskManager(_ context.Context, id string) error {
	d.mu.Lock()
	w := d.workers[id]
	if w == nil || w.stopping {
		d.mu.Unlock()
		return nil
	}
	w.stopping = true
	switch w.state {
	case waiting:
		d.dequeue(id)
		delete(d.workers, id)
		if !w.deferred {
			d.opts.Allocator.RemoveRequest(d.req, 1)
		}
		d.mu.Unlock()
		d.log.Info().Str("tm", id).Msg("withdrew the container request of a TaskManager no longer needed")
		w.exited("stopped before a container was allocated")
		return nil
	case running:
		d.opts.Allocator.Release(w.ctr.ID)
		d.log.Info().Str("tm", id).Stringer("container", w.ctr.ID).Msg("releasing TaskManager container")
	}
	// launching: the launch goroutine releases it once the start returns.
	d.mu.Unlock()
	d.poke()
	return nil
}

func (d *Driver) dequeue(id string) {
	for i, q := range d.queue {
		if q == id {
			d.queue = append(d.queue[:i], d.queue[i+1:]...)
			return
		}
	}
}

// DescribeTaskManager says which container and node run a TaskManager
// (jobmanager.TaskManagerDescriber).
func (d *Driver) DescribeTaskManager(id string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if w := d.workers[id]; w != nil && w.state != waiting {
		return fmt.Sprintf("%s on %s", w.ctr.ID, w.ctr.Node)
	}
	return ""
}

// Counts returns how many TaskManagers wait for a container and how many
// have one (launching or running).
func (d *Driver) Counts() (waitingForContainer, withContainer int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.queue), len(d.byContainer)
}

// ErrAttemptOver is returned by Run when the RM ended this application
// attempt (it forgot the attempt, or sent AM_SHUTDOWN).
var ErrAttemptOver = errors.New("the ResourceManager ended this application attempt")

// Run heartbeats until ctx ends (nil) or the RM ends the attempt
// (ErrAttemptOver). Failed heartbeats are logged and retried: a
// ResourceManager that restarts is waited for, and the AMRMClient
// re-registers itself when the new one does not know the attempt.
func (d *Driver) Run(ctx context.Context) error {
	defer d.wg.Wait()
	failures := 0
	for {
		err := d.Heartbeat(ctx)
		switch {
		case errors.Is(err, ErrAttemptOver):
			return err
		case ctx.Err() != nil:
			return nil
		case err != nil:
			failures++
			ev := d.log.Warn()
			if failures > 1 {
				ev = d.log.Debug()
			}
			ev.Err(err).Int("failures", failures).Msg("heartbeat to the ResourceManager failed; retrying")
		default:
			if failures > 0 {
				d.log.Info().Int("failures", failures).Msg("heartbeat to the ResourceManager works again")
			}
			failures = 0
		}
		t := time.NewTimer(d.interval(failures))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-d.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// interval is the pause before the next heartbeat: FastInterval while
// TaskManagers wait for containers or the RM is unreachable, SlowInterval
// otherwise.
func (d *Driver) interval(failures int) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.queue) > 0 || failures > 0 {
		return d.opts.FastInterval
	}
	return d.opts.SlowInterval
}

// Heartbeat is one allocate call and its consequences: launches,
// surplus releases and completions.
func (d *Driver) Heartbeat(ctx context.Context) error {
	d.endAdoption()
	var progress float32
	if d.opts.Progress != nil {
		progress = d.opts.Progress()
	}
	resp, err := d.opts.Allocator.Allocate(ctx, progress)
	if errors.Is(err, yarnrpc.ErrAttemptNotFound) || errors.Is(err, yarnrpc.ErrAMShutdown) {
		return fmt.Errorf("%w: %v", ErrAttemptOver, err)
	}
	if err != nil {
		return err
	}
	if resp.Reregistered {
		d.log.Warn().Msg("the ResourceManager restarted; registered again, TaskManagers kept")
	}
	d.mu.Lock()
	d.headroom, d.nodes = resp.Available, resp.NumClusterNodes
	d.mu.Unlock()
	d.allocated(ctx, resp.Allocated)
	d.completed(resp.Completed)
	return nil
}

// Waiting implements jobmanager.WaitExplainer: the container requests YARN
// has not granted and what the RM says the application may still get.
func (d *Driver) Waiting() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.queue) == 0 {
		return ""
	}
	return fmt.Sprintf("YARN: %d container request(s) of %v pending; the application's headroom in its queue is %v on %d node(s)",
		len(d.queue), d.opts.Resource, d.headroom, d.nodes)
}

func (d *Driver) allocated(ctx context.Context, ctrs []yarnrpc.Container) {
	for _, ctr := range ctrs {
		d.mu.Lock()
		if len(d.queue) == 0 {
			d.opts.Allocator.Release(ctr.ID)
			d.mu.Unlock()
			d.log.Info().Stringer("container", ctr.ID).Stringer("node", ctr.Node).Msg("returned excess container")
			continue
		}
		id := d.queue[0]
		d.queue = d.queue[1:]
		w := d.workers[id]
		w.state, w.ctr = launching, ctr
		d.byContainer[ctr.ID] = id
		d.mu.Unlock()
		d.log.Info().Str("tm", id).Stringer("container", ctr.ID).Stringer("node", ctr.Node).Stringer("resource", ctr.Resource).
			Msg("container allocated; launching TaskManager")
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.launch(ctx, id, w, ctr)
		}()
	}
}

func (d *Driver) launch(ctx context.Context, id string, w *worker, ctr yarnrpc.Container) {
	clc, err := d.opts.LaunchContext(ctx, w.spec, ctr)
	if err == nil {
		err = d.opts.Launcher.StartContainer(ctx, ctr, clc)
	}
	d.mu.Lock()
	if d.workers[id] != w || w.ctr.ID != ctr.ID {
		d.mu.Unlock() // completed while starting: already reported
		return
	}
	if err != nil {
		delete(d.workers, id)
		delete(d.byContainer, ctr.ID)
		d.opts.Allocator.Release(ctr.ID)
		d.mu.Unlock()
		d.log.Error().Err(err).Str("tm", id).Stringer("container", ctr.ID).Msg("could not start TaskManager container; released it")
		w.exited(fmt.Sprintf("start %s on %s: %v", ctr.ID, ctr.Node, err))
		return
	}
	w.state = running
	if w.stopping {
		d.opts.Allocator.Release(ctr.ID)
	}
	d.mu.Unlock()
	d.log.Info().Str("tm", id).Stringer("container", ctr.ID).Msg("TaskManager container started")
	d.poke()
}

func (d *Driver) completed(sts []yarnrpc.ContainerStatus) {
	for _, st := range sts {
		d.mu.Lock()
		id, ok := d.byContainer[st.ID]
		if !ok {
			if _, was := d.adoptable[st.ID]; was {
				// A former attempt's container that ended before it was
				// adopted; with the last of them gone, the asks held back
				// go out now (endAdoption only sees containers left).
				delete(d.adoptable, st.ID)
				if len(d.adoptable) == 0 {
					d.flushDeferred()
				}
			}
			d.mu.Unlock()
			d.log.Debug().Stringer("container", st.ID).Int32("exit_status", st.ExitStatus).Msg("released container completed")
			continue
		}
		w := d.workers[id]
		delete(d.byContainer, st.ID)
		delete(d.workers, id)
		d.mu.Unlock()
		cause := ContainerExit(st, w.ctr.Node)
		if w.stopping {
			d.log.Info().Str("tm", id).Stringer("container", st.ID).Int32("exit_status", st.ExitStatus).Msg("TaskManager container ended")
		} else {
			d.log.Warn().Str("tm", id).Stringer("container", st.ID).Stringer("node", w.ctr.Node).Int32("exit_status", st.ExitStatus).
				Str("exit", ExitStatusText(st.ExitStatus)).Str("diagnostics", st.Diagnostics).Msg("TaskManager container completed unexpectedly")
		}
		w.exited(cause)
	}
}

// ReleaseAll releases every container and withdraws every ask (the
// application is ending). It does not wait for the RM.
func (d *Driver) ReleaseAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, q := range d.queue {
		if !d.workers[q].deferred {
			n++
		}
	}
	if n > 0 {
		d.opts.Allocator.RemoveRequest(d.req, int32(n))
	}
	for id := range d.adoptable {
		d.opts.Allocator.Release(id)
	}
	d.adoptable = nil
	ids := make([]string, 0, len(d.byContainer))
	for _, id := range d.byContainer {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		w := d.workers[id]
		w.stopping = true
		d.opts.Allocator.Release(w.ctr.ID)
	}
}

// ContainerExit describes a completed container for logs and the
// exception history: id, node, exit status with its meaning, and YARN's
// diagnostics (whitespace collapsed, at most 600 characters).
func ContainerExit(st yarnrpc.ContainerStatus, node yarnrpc.NodeID) string {
	s := fmt.Sprintf("container %s on %s exited with status %d (%s)", st.ID, node, st.ExitStatus, ExitStatusText(st.ExitStatus))
	if diag := strings.Join(strings.Fields(st.Diagnostics), " "); diag != "" {
		if len(diag) > 600 {
			diag = diag[:600] + "…"
		}
		s += ": " + diag
	}
	return s
}

// ExitStatusText names a YARN container exit status (ContainerExitStatus)
// or, for a process exit code, what it usually means.
func ExitStatusText(code int32) string {
	switch code {
	case yarnrpc.ExitSuccess:
		return "success"
	case yarnrpc.ExitInvalid:
		return "invalid: the container never ran"
	case yarnrpc.ExitAborted:
		return "aborted: released, or lost with its node"
	case yarnrpc.ExitDisksFailed:
		return "disks failed"
	case yarnrpc.ExitPreempted:
		return "preempted"
	case yarnrpc.ExitKilledExceededVMem:
		return "killed: exceeded its virtual memory limit"
	case yarnrpc.ExitKilledExceededPMem:
		return "killed: exceeded its physical memory limit"
	case yarnrpc.ExitKilledByAppMaster:
		return "killed by the ApplicationMaster"
	case yarnrpc.ExitKilledByResourceManager:
		return "killed by the ResourceManager"
	case yarnrpc.ExitKilledAfterAppCompletion:
		return "killed after the application completed"
	case 137:
		return "killed by SIGKILL"
	case 143:
		return "terminated by SIGTERM"
	}
	if code > 128 && code < 128+65 {
		return fmt.Sprintf("killed by signal %d", code-128)
	}
	return "process exit code"
}
