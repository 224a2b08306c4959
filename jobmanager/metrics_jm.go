package jobmanager

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/metrics"
)

// jmMetrics are the control server's metrics: the JobManager's
// (Metrics) in reg, its Prometheus endpoint when configured, and
// the TaskManagers' reports.
type jmMetrics struct {
	*Metrics
	reg  *metrics.Registry
	prom *metrics.Reporter // nil when off
	// promPorts is metrics.reporter.prom.port when the reporter is on;
	// TaskManagers get it (contract.EnvPrometheusPorts in JobManager.tmEnv).
	promPorts string
	store     *metricStore
}

// metricsInterval is how often the JobManager samples its meters and
// refreshes its job groups.
const metricsInterval = 2 * time.Second

// initMetrics builds the JobManager's registry and, when the cluster's
// configuration turns it on, binds its Prometheus endpoint.
func (s *Server) initMetrics() error {
	reg := metrics.NewRegistry()
	s.metrics = &jmMetrics{Metrics: NewMetrics(s.jm, reg), reg: reg, store: newMetricStore()}
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
	s.metrics.prom, s.metrics.promPorts = rep, ports
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
		m.Run(ctx, func() { m.reg.Update(time.Now()) })
	}()
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
