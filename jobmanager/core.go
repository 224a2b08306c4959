package jobmanager

import (
	"fmt"
	"sort"
	"time"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/jobmanager/api"
)

// Core is the JobManager's deterministic heart: TaskManagers and their
// slots, jobs and their subtasks, placement, failover and restarts. It does
// no I/O and reads no clock: Step takes an event and the current time and
// returns the actions to carry out, in order. The same sequence of Step
// calls always yields the same actions, which is what its tests rely on.
type Core struct {
	opts    CoreOptions
	tms     map[string]*tmState
	jobs    map[string]*jobState
	order   []string       // job ids in submission order
	pending map[string]int // TaskManagers asked for and not yet registered, per pool
	// gone are TaskManagers removed (lost, idle, leaving) whose exit the
	// driver has not reported yet, with the jobs that ran on them: their
	// exit is not a failed start, and its cause joins those jobs' history.
	gone map[string][]string
	out  []Action
	now  time.Time
}

type tmState struct {
	id, pool, dataAddr string
	slots              []string // job id per slot, "" when free
	lastSeen           time.Time
	idleSince          time.Time
}

type subtaskKey struct{ vertex, subtask int }

type execution struct {
	state api.ExecutionState
	tm    string
}

type jobState struct {
	id            string
	g             *graph.JobGraph
	pool          string
	restart       api.RestartStrategy
	restarter     restarter
	stopWhy       string // which limit of the restart strategy failed the job
	state         api.JobState
	attempt       int
	restarts      int
	cause         string
	unrecoverable bool
	execs         map[subtaskKey]*execution
	slots         []api.SlotLocation
	restartAt     time.Time
	waitingSince  time.Time
	exceptions    []api.Exception
	failover      failover // the latest failover's history entry
	// checkpointing and ckpt are set when the job takes checkpoints;
	// restoredFrom is the checkpoint the current attempt was deployed from.
	checkpointing *JobCheckpointing
	ckpt          *CheckpointCoordinator
	restoredFrom  int64
	restores      int // attempts deployed from a checkpoint
}

// NewCore returns an empty core.
func NewCore(opts CoreOptions) (*Core, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	return &Core{opts: opts, tms: map[string]*tmState{}, jobs: map[string]*jobState{}, pending: map[string]int{},
		gone: map[string][]string{}}, nil
}

// Step applies one event at time now and returns the resulting actions.
func (c *Core) Step(now time.Time, ev Event) []Action {
	c.now, c.out = now, nil
	switch e := ev.(type) {
	case JobSubmitted:
		c.submit(e)
	case JobCancelRequested:
		c.cancelJob(e.Job)
	case TaskManagerRegistered:
		c.register(e)
	case Heartbeat:
		if tm, ok := c.tms[e.TaskManager]; ok {
			tm.lastSeen = now
		}
	case TaskManagerExited:
		cause := "TaskManager " + e.TaskManager + " exited: " + e.Cause
		if _, ok := c.tms[e.TaskManager]; ok {
			c.lose(e.TaskManager, cause, rankExit, false)
		} else if jobs, ok := c.gone[e.TaskManager]; ok {
			delete(c.gone, e.TaskManager)
			for _, id := range jobs {
				j := c.jobs[id]
				if j == nil {
					continue
				}
				// A job that already failed still gets its root cause: the
				// exit report can come after the failover settled.
				if !j.state.Terminal() || (j.state == api.JobFailed && j.failover.rank < rankExit) {
					c.attribute(j, e.TaskManager, cause, rankExit)
				}
			}
		} else {
			c.startFailed(e.Pool, e.TaskManager, e.Cause)
		}
	case TaskStateChanged:
		c.taskState(e)
	case Tick:
		c.tick()
	case CheckpointReport:
		if j, ok := c.jobs[e.Job]; ok {
			c.checkpointStep(j, e.Event)
		}
	}
	out := c.out
	c.out = nil
	return out
}

func (c *Core) emit(a Action) { c.out = append(c.out, a) }

// maxExceptions bounds a job's exception history (the oldest go first).
const maxExceptions = 64

// recordException adds a failure to the job's exception history.
func (c *Core) recordException(j *jobState, cause string) {
	j.exceptions = append(j.exceptions, api.Exception{TimeMillis: c.now.UnixMilli(), Attempt: j.attempt, Cause: cause})
	if n := len(j.exceptions); n > maxExceptions {
		j.exceptions = append([]api.Exception(nil), j.exceptions[n-maxExceptions:]...)
		j.failover.idx -= n - maxExceptions // < 0 once trimmed away
	}
}

func (c *Core) setJob(j *jobState, s api.JobState, cause string) {
	prev := j.state
	j.state = s
	if cause != "" && s != api.JobRestarting {
		j.cause = cause
	}
	c.emit(JobChanged{Job: j.id, State: s, Cause: cause})
	c.jobLeft(j, prev, s, cause)
}

func (c *Core) submit(e JobSubmitted) {
	if _, dup := c.jobs[e.Job]; dup || e.Graph == nil {
		return
	}
	j := &jobState{id: e.Job, g: e.Graph, pool: e.Pool, restart: e.Restart, restarter: restarter{s: e.Restart},
		state: api.JobCreated, waitingSince: c.now,
		failover: failover{idx: -1}}
	c.resetExecutions(j)
	c.jobs[e.Job] = j
	c.order = append(c.order, e.Job)
	if e.Ended != nil {
		// Ended under a former attempt: listed as it ended, not run.
		j.state, j.cause = e.Ended.State, e.Ended.Cause
		for _, ex := range j.execs {
			ex.state = endedSubtaskState(j.state)
		}
		if j.cause != "" {
			c.recordException(j, j.cause)
		}
		c.emit(JobChanged{Job: j.id, State: j.state, Cause: j.cause, Recovered: true})
		return
	}
	c.emit(JobChanged{Job: j.id, State: api.JobCreated})
	if e.RecoverCause != "" {
		c.recordException(j, e.RecoverCause)
	}
	cp := e.Checkpointing
	if cp == nil {
		cp = &JobCheckpointing{Backend: "hashmap"} // savepoints only
	}
	ck, err := newJobCoordinator(j, cp)
	if err != nil {
		c.recordException(j, err.Error())
		c.setJob(j, api.JobFailed, err.Error())
		return
	}
	j.checkpointing, j.ckpt = cp, ck
	if e.Restore != nil || e.RestoreOwned {
		ev := CheckpointRestored{Owned: e.RestoreOwned, Found: e.Found, SkipIDs: e.SkipIDs}
		if e.Restore != nil {
			ev.Checkpoints = []*CheckpointMetadata{e.Restore}
		}
		c.checkpointStep(j, ev)
	}
	c.schedule(j)
}

// ensureSlots returns the free slots of j's pool that j would run in, or,
// when the pool has too few, asks for the TaskManagers it lacks beyond
// those already asked for and returns false.
func (c *Core) ensureSlots(j *jobState) ([]api.SlotLocation, bool) {
	need := j.g.Slots()
	free := c.freeSlots(j.pool)
	if len(free) >= need {
		return free[:need], true
	}
	missing := need - len(free) - c.pending[j.pool]*c.opts.SlotsPerTaskManager
	if missing > 0 {
		n := (missing + c.opts.SlotsPerTaskManager - 1) / c.opts.SlotsPerTaskManager
		c.pending[j.pool] += n
		c.emit(StartTaskManagers{Pool: j.pool, Count: n, Slots: c.opts.SlotsPerTaskManager})
	}
	return nil, false
}

func (c *Core) resetExecutions(j *jobState) {
	j.execs = map[subtaskKey]*execution{}
	for _, v := range j.g.Vertices {
		for i := 0; i < v.Parallelism; i++ {
			j.execs[subtaskKey{v.Index, i}] = &execution{state: api.Created}
		}
	}
}

// freeSlots lists the pool's free slots, TaskManagers in id order.
func (c *Core) freeSlots(pool string) []api.SlotLocation {
	var out []api.SlotLocation
	for _, id := range c.tmIDs() {
		tm := c.tms[id]
		if tm.pool != pool {
			continue
		}
		for s, job := range tm.slots {
			if job == "" {
				out = append(out, api.SlotLocation{TaskManager: id, Slot: s, DataAddress: tm.dataAddr})
			}
		}
	}
	return out
}

func (c *Core) tmIDs() []string {
	ids := make([]string, 0, len(c.tms))
	for id := range c.tms {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// schedule places a CREATED job when its pool has enough free slots, and
// asks for more TaskManagers when it has not.
func (c *Core) schedule(j *jobState) {
	if j.state != api.JobCreated {
		return
	}
	free, ok := c.ensureSlots(j)
	if !ok {
		return
	}
	j.slots = free
	for _, s := range j.slots {
		c.tms[s.TaskManager].slots[s.Slot] = j.id
	}
	c.setJob(j, api.JobRunning, "")
	j.restoredFrom = 0
	if j.ckpt != nil && j.ckpt.Latest() != nil {
		j.restoredFrom = j.ckpt.Latest().ID
		j.restores++
	}
	for _, v := range j.g.Vertices {
		for i := 0; i < v.Parallelism; i++ {
			loc := j.slots[i]
			ex := j.execs[subtaskKey{v.Index, i}]
			ex.state, ex.tm = api.Scheduled, loc.TaskManager
			ckp, restore := c.deploySettings(j, v.Index, v.Parallelism, i)
			c.emit(Deploy{TaskManager: loc.TaskManager, Task: api.DeployTask{
				Job: j.id, JobName: j.g.Name, Attempt: j.attempt, Vertex: v.Index, Subtask: i, Slot: loc.Slot,
				Fingerprint: j.g.Fingerprint, Slots: j.slots, Checkpointing: ckp, Restore: restore,
			}})
		}
	}
}

func (c *Core) register(e TaskManagerRegistered) {
	if tm, ok := c.tms[e.TaskManager]; ok {
		tm.lastSeen = c.now
		return
	}
	c.tms[e.TaskManager] = &tmState{id: e.TaskManager, pool: e.Pool, dataAddr: e.DataAddress,
		slots: make([]string, e.Slots), lastSeen: c.now, idleSince: c.now}
	if c.pending[e.Pool] > 0 {
		c.pending[e.Pool]--
	}
	for _, id := range c.order {
		c.schedule(c.jobs[id])
	}
}

func (c *Core) startFailed(pool, tm, cause string) {
	if c.pending[pool] > 0 {
		c.pending[pool]--
	}
	for _, id := range c.order {
		j := c.jobs[id]
		if j.pool == pool && j.state == api.JobCreated && len(c.freeSlots(pool)) < j.g.Slots() {
			why := fmt.Sprintf("TaskManager %s for the job could not start: %s", tm, cause)
			c.recordException(j, why)
			if j.restarter.failed(c.now, j.id, j.restarts).restart {
				// A container can die before its TaskManager registers (a lost
				// node, a kill); the restart strategy bounds how often a
				// replacement is asked for (at once) before the job gives up.
				j.restarts++
				c.schedule(j)
				continue
			}
			c.setJob(j, api.JobFailed, why)
		}
	}
}

func (c *Core) releaseSlots(j *jobState) {
	for _, s := range j.slots {
		if tm, ok := c.tms[s.TaskManager]; ok && tm.slots[s.Slot] == j.id {
			tm.slots[s.Slot] = ""
			if tm.busy() == 0 {
				tm.idleSince = c.now
			}
		}
	}
	j.slots = nil
}

func (tm *tmState) busy() int {
	n := 0
	for _, j := range tm.slots {
		if j != "" {
			n++
		}
	}
	return n
}

func (c *Core) taskState(e TaskStateChanged) {
	j, ok := c.jobs[e.Job]
	if !ok || e.Attempt != j.attempt {
		return // a late report from an earlier attempt
	}
	ex, ok := j.execs[subtaskKey{e.Vertex, e.Subtask}]
	if !ok || ex.state.Terminal() {
		return
	}
	switch e.State {
	case api.Running:
		if ex.state == api.Scheduled {
			ex.state = api.Running
			if j.state == api.JobRunning && c.started(j) {
				c.checkpointRunning(j)
			}
		}
	case api.Finished:
		was := ex.state
		ex.state = api.Finished
		if j.state == api.JobRunning && c.all(j, api.Finished) {
			c.releaseSlots(j)
			c.setJob(j, api.JobFinished, "")
			return
		}
		if j.state == api.JobRunning && c.started(j) {
			c.checkpointFinished(j, was, CheckpointTask{Vertex: e.Vertex, Subtask: e.Subtask})
		}
		c.settle(j)
	case api.Failed:
		ex.state = api.Failed
		rank := rankTask
		if isSymptom(e.Cause) && !e.Unrecoverable {
			rank = rankSymptom
		}
		c.fail(j, fmt.Sprintf("%s (subtask %d/%d) on %s failed: %s", c.vertexName(j, e.Vertex), e.Subtask+1,
			j.g.Vertices[e.Vertex].Parallelism, ex.tm, e.Cause), rank, "", e.Unrecoverable)
	case api.Canceled:
		if ex.state != api.Canceling {
			// Not asked for: the TaskManager is going away (SIGTERM from
			// its NodeManager when its container is killed). It is lost:
			// nothing more is placed on it, and its subtasks fail.
			cause := "canceled by its TaskManager, unasked (the TaskManager is shutting down)"
			if e.Cause != "" {
				cause += ": " + e.Cause
			}
			cause = fmt.Sprintf("%s (subtask %d/%d) on %s %s", c.vertexName(j, e.Vertex), e.Subtask+1,
				j.g.Vertices[e.Vertex].Parallelism, ex.tm, cause)
			if _, ok := c.tms[ex.tm]; ok {
				c.lose(ex.tm, cause, rankLoss, false)
			} else {
				ex.state = api.Failed
				c.fail(j, cause, rankLoss, ex.tm, false)
			}
			return
		}
		ex.state = api.Canceled
		c.settle(j)
	}
}

func (c *Core) vertexName(j *jobState, v int) string {
	if v >= 0 && v < len(j.g.Vertices) {
		return j.g.Vertices[v].Name
	}
	return fmt.Sprintf("vertex %d", v)
}

func (c *Core) all(j *jobState, s api.ExecutionState) bool {
	for _, ex := range j.execs {
		if ex.state != s {
			return false
		}
	}
	return true
}

// fail starts failover for a running job: the first failure is the cause
// (until a better one explains it, see attribute); every other subtask is
// canceled before the job restarts or fails. tm is the TaskManager a
// rankLoss or rankExit cause names.
func (c *Core) fail(j *jobState, cause string, rank causeRank, tm string, unrecoverable bool) {
	if unrecoverable {
		j.unrecoverable = true
	}
	if j.state == api.JobRunning {
		j.cause = cause
		c.openFailover(j, cause, rank, tm)
		c.setJob(j, api.JobFailing, cause)
		c.cancelExecutions(j)
	}
	c.settle(j)
}

func (c *Core) cancelExecutions(j *jobState) {
	for _, v := range j.g.Vertices {
		for i := 0; i < v.Parallelism; i++ {
			ex := j.execs[subtaskKey{v.Index, i}]
			switch ex.state {
			case api.Created:
				ex.state = api.Canceled
			case api.Scheduled, api.Running:
				ex.state = api.Canceling
				c.emit(Cancel{TaskManager: ex.tm, Task: api.CancelTask{Job: j.id, Attempt: j.attempt, Vertex: v.Index, Subtask: i}})
			}
		}
	}
}

// settle ends failover or cancellation once every subtask is terminal.
func (c *Core) settle(j *jobState) {
	if j.state != api.JobFailing && j.state != api.JobCanceling {
		return
	}
	for _, ex := range j.execs {
		if !ex.state.Terminal() {
			return
		}
	}
	c.releaseSlots(j)
	switch j.state {
	case api.JobCanceling:
		c.setJob(j, api.JobCanceled, "")
	default:
		// The restart strategy decides, with time from the events (restart.go).
		var d restartDecision
		if !j.unrecoverable {
			d = j.restarter.failed(c.now, j.id, j.restarts)
		}
		if !d.restart {
			j.stopWhy = d.stop
			c.setJob(j, api.JobFailed, finalCause(j, j.cause))
			return
		}
		j.restarts++
		j.restartAt = c.now.Add(d.delay)
		msg := fmt.Sprintf("restart %d in %v after: %s", j.restarts, d.delay, j.cause)
		if j.restart.Kind() == api.RestartFixedDelay {
			msg = fmt.Sprintf("restart %d of %d after: %s", j.restarts, j.restart.Attempts, j.cause)
		}
		c.setJob(j, api.JobRestarting, msg)
		if c.now.Before(j.restartAt) {
			// Replacements for lost TaskManagers start during the
			// backoff, as Flink's resource manager asks for new workers
			// as soon as one is lost: the delay and the start overlap.
			c.ensureSlots(j)
		}
		c.restartDue(j)
	}
}

// finalCause is a failed job's reason: the cause of its last failover, and
// which limit of the restart strategy stopped it ("after 3 restarts",
// "failure rate exceeded: 3 failures within 1m0s") when it could restart.
func finalCause(j *jobState, cause string) string {
	if j.stopWhy != "" && !j.unrecoverable {
		return cause + " (" + j.stopWhy + ")"
	}
	return cause
}

func (c *Core) restartDue(j *jobState) {
	if j.state != api.JobRestarting || c.now.Before(j.restartAt) {
		return
	}
	j.attempt++
	c.resetExecutions(j)
	j.waitingSince = c.now
	c.setJob(j, api.JobCreated, "")
	c.schedule(j)
}

func (c *Core) cancelJob(id string) {
	j, ok := c.jobs[id]
	if !ok {
		return
	}
	switch j.state {
	case api.JobCreated, api.JobRestarting:
		c.setJob(j, api.JobCanceled, "")
	case api.JobRunning, api.JobFailing:
		c.setJob(j, api.JobCanceling, "")
		c.cancelExecutions(j)
		c.settle(j)
	}
}

// lose removes a TaskManager; its subtasks fail. rank is rankLoss or
// rankExit: how much cause says about why it went.
func (c *Core) lose(id, cause string, rank causeRank, stop bool) {
	delete(c.tms, id)
	c.gone[id] = nil
	if stop {
		c.emit(StopTaskManager{TaskManager: id, Cause: cause})
	}
	for _, jid := range c.order {
		j := c.jobs[jid]
		if j.state.Terminal() {
			continue
		}
		hit, used := false, false
		for _, v := range j.g.Vertices {
			for i := 0; i < v.Parallelism; i++ {
				ex := j.execs[subtaskKey{v.Index, i}]
				used = used || ex.tm == id
				if ex.tm == id && !ex.state.Terminal() {
					ex.state = api.Failed
					hit = true
				}
			}
		}
		if used {
			c.gone[id] = append(c.gone[id], jid)
		}
		if used && j.state != api.JobRunning {
			// Already failing (a peer noticed first): the loss is the
			// root cause of that failover, or else an exception of its own.
			c.attribute(j, id, cause, rank)
		}
		if hit {
			c.fail(j, cause, rank, id, false)
		}
	}
}

func (c *Core) tick() {
	for _, id := range c.tmIDs() {
		tm := c.tms[id]
		if c.now.Sub(tm.lastSeen) > c.opts.HeartbeatTimeout {
			c.lose(id, fmt.Sprintf("TaskManager %s lost: no heartbeat for %v", id, c.now.Sub(tm.lastSeen).Round(time.Millisecond)), rankLoss, true)
		}
	}
	for _, id := range c.order {
		j := c.jobs[id]
		c.checkpointStep(j, CheckpointTick{})
		c.restartDue(j)
		if j.state == api.JobCreated && c.now.Sub(j.waitingSince) >= c.opts.SlotRequestTimeout {
			why := fmt.Sprintf("could not get %d slots within slot.request.timeout (%v): %s", j.g.Slots(), c.opts.SlotRequestTimeout, c.waiting(j))
			c.recordException(j, why)
			c.setJob(j, api.JobFailed, why)
		}
	}
	for _, id := range c.tmIDs() {
		tm := c.tms[id]
		if tm.busy() == 0 && c.now.Sub(tm.idleSince) >= c.opts.IdleTimeout && !c.poolWaiting(tm.pool) {
			delete(c.tms, id)
			c.gone[id] = nil
			c.emit(StopTaskManager{TaskManager: id, Cause: "idle"})
		}
	}
}

// poolWaiting reports whether a job of the pool waits to be (re)scheduled.
func (c *Core) poolWaiting(pool string) bool {
	for _, j := range c.jobs {
		if j.pool == pool && (j.state == api.JobCreated || j.state == api.JobRestarting) {
			return true
		}
	}
	return false
}

// Job returns a job's status.
func (c *Core) Job(id string) (api.JobStatus, bool) {
	j, ok := c.jobs[id]
	if !ok {
		return api.JobStatus{}, false
	}
	st := api.JobStatus{Version: api.Version, ID: j.id, Name: j.g.Name, State: j.state, Attempt: j.attempt, Restarts: j.restarts}
	if j.state == api.JobFailed || j.state == api.JobFailing || j.state == api.JobRestarting {
		st.Cause = j.cause
	}
	if j.state == api.JobFailed && st.Cause == "" {
		st.Cause = "job failed"
	}
	if j.state == api.JobCreated {
		st.Waiting = c.waiting(j) + fmt.Sprintf("; the job fails after slot.request.timeout (%s)", c.opts.SlotRequestTimeout)
	}
	for _, v := range j.g.Vertices {
		for i := 0; i < v.Parallelism; i++ {
			ex := j.execs[subtaskKey{v.Index, i}]
			st.Subtasks = append(st.Subtasks, api.SubtaskStatus{Vertex: v.Index, Subtask: i, State: ex.state, TaskManager: ex.tm})
		}
	}
	st.Exceptions = append([]api.Exception(nil), j.exceptions...)
	return st, true
}

// endedSubtaskState is the state every subtask of a job that ended under
// a former attempt is listed in.
func endedSubtaskState(s api.JobState) api.ExecutionState {
	if s == api.JobFinished {
		return api.Finished
	}
	return api.Canceled
}

// waiting says why a CREATED job has no slots yet.
func (c *Core) waiting(j *jobState) string {
	need, free := j.g.Slots(), len(c.freeSlots(j.pool))
	return fmt.Sprintf("waited %s for %d slots (%d free, %d missing; %d TaskManager(s) of %d slots asked for, not registered yet)",
		c.now.Sub(j.waitingSince).Round(time.Second), need, free, max(0, need-free), c.pending[j.pool], c.opts.SlotsPerTaskManager)
}

// TaskManagers lists the registered TaskManagers in id order.
func (c *Core) TaskManagers() []string { return c.tmIDs() }

// TaskManagerInfos describes the registered TaskManagers in id order.
func (c *Core) TaskManagerInfos() []api.TaskManagerInfo {
	out := make([]api.TaskManagerInfo, 0, len(c.tms))
	for _, id := range c.tmIDs() {
		tm := c.tms[id]
		out = append(out, api.TaskManagerInfo{ID: id, Pool: tm.pool, Slots: len(tm.slots),
			FreeSlots: len(tm.slots) - tm.busy(), DataAddress: tm.dataAddr})
	}
	return out
}

// PendingTaskManagers counts TaskManagers asked for and not yet registered.
func (c *Core) PendingTaskManagers() int {
	n := 0
	for _, p := range c.pending {
		n += p
	}
	return n
}
