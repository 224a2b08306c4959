package jobmanager

import (
	"context"
	"sync"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/metrics"
)

// Metrics are a JobManager's metrics under Flink's names: scope
// jobmanager (TaskManagers, slots, running jobs, the process) and a
// jobmanager.job group per unfinished job (uptime, restarts, checkpoint
// figures), which Run keeps. The control server serves them over REST and
// Prometheus; a local run (package localcluster) puts them in the registry
// of its in-process TaskManagers.
type Metrics struct {
	jm   *JobManager
	root *metrics.Group

	mu   sync.Mutex
	jobs map[string]*metrics.Group // groups of the unfinished jobs
}

// NewMetrics registers jm's metrics in reg.
func NewMetrics(jm *JobManager, reg *metrics.Registry) *Metrics {
	m := &Metrics{jm: jm, root: reg.Root(metrics.ScopeJobManager), jobs: map[string]*metrics.Group{}}
	metrics.RegisterProcess(m.root)
	o := func() api.Overview { return jm.Overview() }
	m.root.Gauge(metrics.NumRegisteredTaskManagers, func() float64 { return float64(o().TaskManagers) })
	m.root.Gauge(metrics.TaskSlotsTotal, func() float64 { return float64(o().SlotsTotal) })
	m.root.Gauge(metrics.TaskSlotsAvailable, func() float64 { return float64(o().SlotsFree) })
	m.root.Gauge(metrics.NumRunningJobs, func() float64 { return float64(o().Jobs[api.JobRunning]) })
	return m
}

// Run keeps the job groups (SyncJobs) every metricsInterval, calling also
// (may be nil) after each, until ctx ends.
func (m *Metrics) Run(ctx context.Context, also func()) {
	t := time.NewTicker(metricsInterval)
	defer t.Stop()
	for {
		m.SyncJobs()
		if also != nil {
			also()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SyncJobs adds a group (scope jobmanager.job) for every unfinished job
// and closes the groups of jobs that ended, as Flink drops a job's metrics
// when it ends.
func (m *Metrics) SyncJobs() {
	live := map[string]bool{}
	for _, j := range m.jm.Jobs() {
		if j.State.Terminal() {
			continue
		}
		live[j.ID] = true
		m.mu.Lock()
		_, ok := m.jobs[j.ID]
		m.mu.Unlock()
		if ok {
			continue
		}
		g := m.root.Child(metrics.ScopeJob, metrics.Label{Key: metrics.VarJobID, Value: j.ID}, metrics.Label{Key: metrics.VarJobName, Value: j.Name})
		registerJobMetrics(m.jm, g, j.ID)
		m.mu.Lock()
		m.jobs[j.ID] = g
		m.mu.Unlock()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, g := range m.jobs {
		if !live[id] {
			g.Close()
			delete(m.jobs, id)
		}
	}
}

// job returns the group of unfinished job id (nil: none).
func (m *Metrics) job(id string) *metrics.Group {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.jobs[id]
}

// registerJobMetrics adds Flink's job metrics: uptime (ms RUNNING in the
// current run, 0 otherwise), numRestarts, and the checkpoint figures.
func registerJobMetrics(jm *JobManager, g *metrics.Group, id string) {
	g.Gauge(metrics.Uptime, func() float64 {
		st, err := jm.Status(id)
		info, ok := jm.JobInfo(id)
		if err != nil || !ok || st.State != api.JobRunning {
			return 0
		}
		return float64(time.Now().UnixMilli() - info.Times[api.JobRunning])
	})
	g.Gauge(metrics.NumRestarts, func() float64 {
		st, _ := jm.Status(id)
		return float64(st.Restarts)
	})
	ck := func(f func(CheckpointStats) float64) func() float64 {
		return func() float64 { st, _ := jm.CheckpointStats(id); return f(st) }
	}
	g.Gauge(metrics.NumberOfCompletedCheckpoints, ck(func(st CheckpointStats) float64 { return float64(st.Completed) }))
	g.Gauge(metrics.NumberOfFailedCheckpoints, ck(func(st CheckpointStats) float64 { return float64(st.Failed) }))
	g.Gauge(metrics.NumberOfInProgressCheckpoints, ck(func(st CheckpointStats) float64 { return float64(st.InProgress) }))
	g.Gauge(metrics.TotalNumberOfCheckpoints, ck(func(st CheckpointStats) float64 {
		return float64(st.Completed + st.Failed + st.InProgress)
	}))
	g.Gauge(metrics.LastCheckpointDuration, ck(func(st CheckpointStats) float64 {
		if st.Latest == nil {
			return -1
		}
		return float64(st.Latest.Duration.Milliseconds())
	}))
	g.Gauge(metrics.LastCheckpointSize, ck(func(st CheckpointStats) float64 {
		if st.Latest == nil {
			return -1
		}
		return float64(st.Latest.Uploaded)
	}))
	g.Gauge(metrics.LastCheckpointFullSize, ck(func(st CheckpointStats) float64 {
		if st.Latest == nil {
			return -1
		}
		return float64(st.Latest.Size)
	}))
}
