package jobmanager

import (
	"sort"
	"sync"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// metricStore keeps the TaskManagers' newest metric reports for the REST
// API: each TaskManager's own figures while it is registered, and each
// subtask's newest figures (of its newest attempt) for as long as the
// JobManager runs, so that a finished job still shows what it read and
// wrote.
type metricStore struct {
	mu    sync.Mutex
	tms   map[string]api.MetricReport
	tasks map[metricKey]subtaskMetrics
}

type metricKey struct {
	job             string
	vertex, subtask int
}

type subtaskMetrics struct {
	tm      string
	at      int64 // report time (ms)
	metrics api.TaskMetrics
}

func newMetricStore() *metricStore {
	return &metricStore{tms: map[string]api.MetricReport{}, tasks: map[metricKey]subtaskMetrics{}}
}

// put takes a report of TaskManager tm (the channel's, whatever the
// report says).
func (m *metricStore) put(tm string, r api.MetricReport) {
	r.TaskManager = tm
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range r.Tasks {
		k := metricKey{t.Job, t.Vertex, t.Subtask}
		if old, ok := m.tasks[k]; ok && old.metrics.Attempt > t.Attempt {
			continue
		}
		m.tasks[k] = subtaskMetrics{tm: tm, at: r.TimeMillis, metrics: t}
	}
	r.Tasks = nil
	m.tms[tm] = r
}

// drop forgets TaskManager tm's own figures (it is gone).
func (m *metricStore) drop(tm string) {
	m.mu.Lock()
	delete(m.tms, tm)
	m.mu.Unlock()
}

// taskManager returns tm's newest report (without its tasks).
func (m *metricStore) taskManager(tm string) (api.MetricReport, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.tms[tm]
	return r, ok
}

// forJob returns the figures of every subtask of job, by vertex and then
// subtask.
func (m *metricStore) forJob(job string) []subtaskMetrics {
	m.mu.Lock()
	var out []subtaskMetrics
	for k, s := range m.tasks {
		if k.job == job {
			out = append(out, s)
		}
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].metrics, out[j].metrics
		if a.Vertex != b.Vertex {
			return a.Vertex < b.Vertex
		}
		return a.Subtask < b.Subtask
	})
	return out
}
