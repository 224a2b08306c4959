package taskexec

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/metrics"
)

// MetricsGateway is the optional part of a JobManagerGateway that takes
// the TaskManager's metric reports.
type MetricsGateway interface {
	ReportMetrics(ctx context.Context, r api.MetricReport) error
}

// defaultMetricsInterval is how often a TaskManager samples its meters
// and reports to the JobManager.
const defaultMetricsInterval = 2 * time.Second

// initMetrics makes the TaskManager's root group (scope taskmanager, with
// tm_id and host) and its process gauges.
func (tm *TaskManager) initMetrics() {
	if tm.opts.Metrics == nil {
		tm.opts.Metrics = metrics.NewRegistry()
	}
	host, _ := os.Hostname()
	tm.metrics = tm.opts.Metrics.Root(metrics.ScopeTaskManager,
		metrics.Label{Key: metrics.VarHost, Value: host}, metrics.Label{Key: metrics.VarTMID, Value: tm.opts.ID})
	metrics.RegisterProcess(tm.metrics)
}

// taskGroup is the group of the subtask d deploys, with Flink's job and
// task variables, under a job group of its own; closing the job group
// removes the subtask's metrics.
func (tm *TaskManager) taskGroup(d api.DeployTask) (job, task *metrics.Group) {
	g := tm.opts.Program.Graph()
	vid, vname := "", ""
	if d.Vertex >= 0 && d.Vertex < len(g.Vertices) {
		vid, vname = g.Vertices[d.Vertex].ID, g.Vertices[d.Vertex].Name
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d/%d/%d", d.Job, d.Attempt, d.Vertex, d.Subtask))
	job = tm.metrics.Child(metrics.ScopeJob,
		metrics.Label{Key: metrics.VarJobID, Value: d.Job}, metrics.Label{Key: metrics.VarJobName, Value: d.JobName})
	return job, job.Child(metrics.ScopeTask,
		metrics.Label{Key: metrics.VarTaskID, Value: vid},
		metrics.Label{Key: metrics.VarTaskAttemptID, Value: hex.EncodeToString(sum[:16])},
		metrics.Label{Key: metrics.VarTaskName, Value: vname},
		metrics.Label{Key: metrics.VarTaskAttemptNum, Value: strconv.Itoa(d.Attempt)},
		metrics.Label{Key: metrics.VarSubtaskIndex, Value: strconv.Itoa(d.Subtask)})
}

// MetricReport is the TaskManager's figures now, as the JobManager gets
// them.
func (tm *TaskManager) MetricReport(now time.Time) api.MetricReport {
	r := api.MetricReport{Version: api.Version, TaskManager: tm.opts.ID, TimeMillis: now.UnixMilli(),
		PrometheusHost: tm.opts.PrometheusHost, PrometheusPort: tm.opts.PrometheusPort, Metrics: map[string]float64{}, Logs: tm.logFiles()}
	tm.metrics.VisitOwn(func(p metrics.Point) { metrics.Flatten(r.Metrics, p) })
	tm.mu.Lock()
	type entry struct {
		key taskKey
		g   *metrics.Group
	}
	var tasks []entry
	for k, rt := range tm.tasks {
		if rt.metrics != nil {
			tasks = append(tasks, entry{k, rt.metrics})
		}
	}
	tm.mu.Unlock()
	for _, e := range tasks {
		tr := api.TaskMetrics{Job: e.key.job, Attempt: e.key.attempt, Vertex: e.key.vertex, Subtask: e.key.subtask, Metrics: map[string]float64{}}
		ops := map[string]int{}
		e.g.Visit(func(p metrics.Point) {
			if len(p.Scope) == 0 || p.Scope[len(p.Scope)-1] != metrics.ScopeOperator {
				metrics.Flatten(tr.Metrics, p)
				return
			}
			id := p.Label(metrics.VarOperatorID)
			i, ok := ops[id]
			if !ok {
				i = len(tr.Operators)
				ops[id] = i
				tr.Operators = append(tr.Operators, api.OperatorMetrics{ID: id, Name: p.Label(metrics.VarOperatorName), Metrics: map[string]float64{}})
			}
			metrics.Flatten(tr.Operators[i].Metrics, p)
		})
		r.Tasks = append(r.Tasks, tr)
	}
	return r
}

// reportMetrics samples the meters and sends the report when the gateway
// takes reports.
func (tm *TaskManager) reportMetrics(ctx context.Context, now time.Time) {
	tm.opts.Metrics.Update(now)
	mg, ok := tm.opts.JobManager.(MetricsGateway)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := mg.ReportMetrics(ctx, tm.MetricReport(now)); err != nil {
		tm.log.Debug().Err(err).Msg("metric report")
	}
}

// ReportMetrics sends a metric report on the control channel (dropped
// while the channel is down: the next one follows in seconds).
func (g *channelGateway) ReportMetrics(_ context.Context, r api.MetricReport) error {
	g.mu.Lock()
	ch := g.ch
	g.mu.Unlock()
	if ch == nil {
		return nil
	}
	return ch.Send(api.MsgMetrics, r)
}

// servePrometheus starts the Prometheus endpoint of o.Metrics on the first
// free port of ports, on listenAddr's host (all interfaces when it names
// none), and records it in o; the returned function stops it and waits.
func servePrometheus(ctx context.Context, o *Options, listenAddr, ports string) (func(), error) {
	host := ""
	if h, _, err := net.SplitHostPort(listenAddr); err == nil {
		host = h
	}
	rep, err := metrics.Listen(metrics.ReporterOptions{Host: host, Ports: ports, Registry: o.Metrics, Update: -1})
	if err != nil {
		return nil, err
	}
	o.PrometheusHost, o.PrometheusPort = host, rep.Port()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := rep.Serve(ctx); err != nil {
			o.Logger.Warn().Err(err).Msg("prometheus endpoint")
		}
	}()
	o.Logger.Info().Int("port", rep.Port()).Msg("prometheus endpoint listening")
	return func() { cancel(); <-done }, nil
}
