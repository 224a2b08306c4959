package jobmanager

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/metrics"
)

// jmMetrics are the JobManager's metrics (scope jobmanager and
// jobmanager.job), its Prometheus endpoint when configured, and the
// TaskManagers' reports.
type jmMetrics struct {
	reg  *metrics.Registry
	root *metrics.Group
	prom *metrics.Reporter // nil when off
	// promPorts is metrics.reporter.prom.port when the reporter is on;
	// TaskManagers get it (contract.EnvPrometheusPorts in JobManager.tmEnv).
	promPorts string
	store     *metricStore

	mu   sync.Mutex
	jobs map[string]*metrics.Group // groups of the unfinished jobs
}

// metricsInterval is how often the JobManager samples its meters and
// refreshes its job groups.
const metricsInterval = 2 * time.Second

// initMetrics builds the JobManager's registry and, when the cluster's
// configuration turns it on, binds its Prometheus endpoint.
func (s *Server) initMetrics() error {
	reg := metrics.NewRegistry()
	m := &jmMetrics{reg: reg, root: reg.Root(metrics.ScopeJobManager), store: newMetricStore(), jobs: map[string]*metrics.Group{}}
	metrics.RegisterProcess(m.root)
	o := func() api.Overview { return s.jm.Overview() }
	m.root.Gauge(metrics.NumRegisteredTaskManagers, func() float64 { return float64(o().TaskManagers) })
	m.root.Gauge(metrics.TaskSlotsTotal, func() float64 { return float64(o().SlotsTotal) })
	m.root.Gauge(metrics.TaskSlotsAvailable, func() float64 { return float64(o().SlotsFree) })
	m.root.Gauge(metrics.NumRunningJobs, func() float64 { return float64(o().Jobs[api.JobRunning]) })
	s.metrics = m
	if s.opts.Config == nil {
		return nil
	}
	ports, on, err := metrics.PrometheusPorts(s.opts.Config)
	if err != nil || !on {
		return err
	}
	rep, err := metrics.Listen(metrics.ReporterOptions{Ports: ports, Registry: reg, Update: -1})
	if err != nil {
		return fmt.Errorf("control server: %w", err)
	}
	m.prom, m.promPorts = rep, ports
	s.jm.mu.Lock()
	s.jm.tmEnv = append(s.jm.tmEnv, contract.EnvPrometheusPorts+"="+ports)
	s.jm.mu.Unlock()
	s.log.Info().Int("port", rep.Port()).Msg("prometheus endpoint listening")
	return nil
}

// PrometheusPort is the JobManager's Prometheus endpoint port (0: off).
func (s *Server) PrometheusPort() int {
	if s.metrics.prom == nil {
		return 0
	}
	return s.metrics.prom.Port()
}

// runMetrics samples the meters, keeps a group per unfinished job and
// serves the Prometheus endpoint until ctx ends.
func (s *Server) runMetrics(ctx context.Context, wg *sync.WaitGroup) {
	m := s.metrics
	if m.prom != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.prom.Serve(ctx); err != nil {
				s.log.Warn().Err(err).Msg("prometheus endpoint")
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(metricsInterval)
		defer t.Stop()
		for {
			s.syncJobGroups()
			m.reg.Update(time.Now())
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// syncJobGroups adds a group (scope jobmanager.job) for every unfinished
// job and closes the groups of jobs that ended, as Flink drops a job's
// metrics when it ends.
func (s *Server) syncJobGroups() {
	m := s.metrics
	live := map[string]bool{}
	for _, j := range s.jm.Jobs() {
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
		s.registerJobMetrics(g, j.ID)
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

// registerJobMetrics adds Flink's job metrics: uptime (ms RUNNING in the
// current run, 0 otherwise), numRestarts, and the checkpoint figures.
func (s *Server) registerJobMetrics(g *metrics.Group, id string) {
	jm := s.jm
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

// ConfigEntries lists cfg's options set by a file or -D (not defaults), as
// GET /jobmanager/config shows them.
func ConfigEntries(cfg *conf.Config) [][2]string {
	var out [][2]string
	for _, e := range cfg.Entries() {
		if e.Known && e.Source.Kind != conf.SourceDefault {
			out = append(out, [2]string{e.Option.Key, e.Value})
		}
	}
	return out
}
