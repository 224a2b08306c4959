package jobmanager

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/metrics"
)

// Flink's REST paths (see package api's Flink* shapes), next to /v1 and
// under the same rule: reads as ServerOptions.OpenReads says, mutations
// signed. Errors are Flink's {"errors": […]}.

// written tells reply that the handler wrote its answer itself.
type written struct{}

type flinkHandler func(r *http.Request) (any, error)

// routeFlink registers Flink's paths on mux; read wraps the reads.
func (s *Server) routeFlink(mux *http.ServeMux, read func(handler) http.HandlerFunc) {
	// Flink's clients put /v1 in front of every path: the paths Floe's own
	// /v1 API does not use are served there too.
	floeV1 := map[string]bool{"/overview": true, "/jobs": true, "/jobs/{id}": true, "/taskmanagers": true}
	get := func(path string, h flinkHandler) {
		hf := read(func(w http.ResponseWriter, r *http.Request, _ []byte) (any, error) {
			flinkReply(w, r, h)
			return written{}, nil
		})
		mux.HandleFunc("GET "+path, hf)
		if !floeV1[path] {
			mux.HandleFunc("GET /v1"+path, hf)
		}
	}
	get("/config", s.flinkConfig)
	get("/overview", s.flinkOverview)
	get("/jobs", s.flinkJobs)
	get("/jobs/overview", s.flinkJobsOverview)
	get("/jobs/{id}", s.withJob(func(v flinkJobView, _ *http.Request) (any, error) { return v.details(), nil }))
	get("/jobs/{id}/plan", s.withJob(func(v flinkJobView, _ *http.Request) (any, error) {
		return api.FlinkPlanResponse{Plan: v.plan()}, nil
	}))
	get("/jobs/{id}/status", s.withJob(func(v flinkJobView, _ *http.Request) (any, error) {
		return api.FlinkJobStatus{Status: flinkJobState(v.status.State)}, nil
	}))
	get("/jobs/{id}/exceptions", s.withJob(func(v flinkJobView, _ *http.Request) (any, error) { return v.exceptions(), nil }))
	get("/jobs/{id}/metrics", s.flinkJobMetrics)
	get("/jobs/{id}/vertices/{vid}", s.withVertex(func(v flinkJobView, vx vertexRef, _ *http.Request) (any, error) {
		return v.vertexDetails(vx.Vertex, s.taskManagerHosts()), nil
	}))
	get("/jobs/{id}/vertices/{vid}/backpressure", s.withVertex(func(v flinkJobView, vx vertexRef, _ *http.Request) (any, error) {
		return v.backPressure(vx.Vertex), nil
	}))
	get("/jobs/{id}/vertices/{vid}/watermarks", s.withVertex(func(v flinkJobView, vx vertexRef, _ *http.Request) (any, error) {
		return v.watermarks(vx.Vertex), nil
	}))
	get("/jobs/{id}/vertices/{vid}/metrics", s.withVertex(func(v flinkJobView, vx vertexRef, r *http.Request) (any, error) {
		return metricQuery(r, v.vertexMetrics(vx.Vertex)), nil
	}))
	get("/taskmanagers", s.flinkTaskManagers)
	get("/taskmanagers/{tmid}", s.flinkTaskManager)
	get("/taskmanagers/{tmid}/metrics", s.flinkTaskManagerMetrics)
	get("/jobmanager/config", s.flinkJobManagerConfig)
	get("/jobmanager/logs", s.jobManagerLogs)
	get("/taskmanagers/{tmid}/logs", s.taskManagerLogs)
	text := func(path string, h func(http.ResponseWriter, *http.Request) error) {
		mux.HandleFunc("GET "+path, read(func(w http.ResponseWriter, r *http.Request, _ []byte) (any, error) {
			if err := h(w, r); err != nil {
				flinkReply(w, r, func(*http.Request) (any, error) { return nil, err })
			}
			return written{}, nil
		}))
	}
	text("/jobmanager/logs/{name}", s.jobManagerLog)
	text("/taskmanagers/{tmid}/logs/{name}", s.taskManagerLog)
	text("/v1/jobmanager/logs/{name}", s.jobManagerLog)
	text("/v1/taskmanagers/{tmid}/logs/{name}", s.taskManagerLog)
	get("/jobmanager/metrics", func(r *http.Request) (any, error) {
		m := map[string]float64{}
		s.metrics.root.VisitOwn(func(p metrics.Point) { metrics.Flatten(m, p) })
		return metricQuery(r, m), nil
	})
	terminate := s.auth(func(w http.ResponseWriter, r *http.Request, _ []byte) (any, error) {
		flinkReplyStatus(w, r, http.StatusAccepted, s.flinkTerminate)
		return written{}, nil
	})
	mux.HandleFunc("PATCH /jobs/{id}", terminate)
	mux.HandleFunc("PATCH /v1/jobs/{id}", terminate)
}

// flinkReply writes h's answer, or its error as Flink's error body with
// the status an *httpError carries (400 otherwise).
func flinkReply(w http.ResponseWriter, r *http.Request, h flinkHandler) {
	flinkReplyStatus(w, r, http.StatusOK, h)
}

func flinkReplyStatus(w http.ResponseWriter, r *http.Request, ok int, h flinkHandler) {
	out, err := h(r)
	if err != nil {
		status := http.StatusBadRequest
		var he *httpError
		if errors.As(err, &he) {
			status = he.status
		}
		writeJSON(w, status, api.FlinkErrors{Errors: []string{err.Error()}})
		return
	}
	writeJSON(w, ok, out)
}

func (s *Server) flinkConfig(*http.Request) (any, error) {
	name, off := time.Now().Zone()
	return api.FlinkDashboardConfig{RefreshInterval: 3000, TimezoneName: name, TimezoneOffset: off * 1000,
		FlinkVersion: api.FlinkVersion, FlinkRevision: "floe", Features: api.FlinkFeatures{WebCancel: true}}, nil
}

func (s *Server) flinkOverview(*http.Request) (any, error) {
	o := s.jm.Overview()
	return api.FlinkOverview{TaskManagers: o.TaskManagers, SlotsTotal: o.SlotsTotal, SlotsAvailable: o.SlotsFree,
		JobsRunning:  o.Jobs[api.JobRunning] + o.Jobs[api.JobCreated] + o.Jobs[api.JobRestarting] + o.Jobs[api.JobFailing] + o.Jobs[api.JobCanceling],
		JobsFinished: o.Jobs[api.JobFinished], JobsCancelled: o.Jobs[api.JobCanceled], JobsFailed: o.Jobs[api.JobFailed],
		FlinkVersion: api.FlinkVersion, FlinkCommit: "floe"}, nil
}

func (s *Server) flinkJobs(*http.Request) (any, error) {
	out := api.FlinkJobIDs{Jobs: []api.FlinkJobIDStatus{}}
	for _, j := range s.jm.Jobs() {
		out.Jobs = append(out.Jobs, api.FlinkJobIDStatus{ID: j.ID, Status: flinkJobState(j.State)})
	}
	return out, nil
}

func (s *Server) flinkJobsOverview(*http.Request) (any, error) {
	out := api.FlinkJobsOverview{Jobs: []api.FlinkJobOverview{}}
	for _, j := range s.jm.Jobs() {
		if v, err := s.jobView(j.ID); err == nil {
			out.Jobs = append(out.Jobs, v.overview())
		}
	}
	// Newest first, as Flink lists them.
	sort.SliceStable(out.Jobs, func(i, k int) bool { return out.Jobs[i].StartTime > out.Jobs[k].StartTime })
	return out, nil
}

// jobView gathers what the job paths need.
func (s *Server) jobView(id string) (flinkJobView, error) {
	st, err := s.jm.Status(id)
	if err != nil {
		return flinkJobView{}, &httpError{http.StatusNotFound, err}
	}
	info, _ := s.jm.JobInfo(id)
	return flinkJobView{status: st, info: info, subtasks: s.metrics.store.forJob(id), now: time.Now().UnixMilli()}, nil
}

func (s *Server) withJob(h func(flinkJobView, *http.Request) (any, error)) flinkHandler {
	return func(r *http.Request) (any, error) {
		v, err := s.jobView(r.PathValue("id"))
		if err != nil {
			return nil, err
		}
		return h(v, r)
	}
}

type vertexRef struct{ Vertex graph.Vertex }

func (s *Server) withVertex(h func(flinkJobView, vertexRef, *http.Request) (any, error)) flinkHandler {
	return s.withJob(func(v flinkJobView, r *http.Request) (any, error) {
		vx, ok := v.vertex(r.PathValue("vid"))
		if !ok {
			return nil, &httpError{http.StatusNotFound, fmt.Errorf("job %s has no vertex %s", v.status.ID, r.PathValue("vid"))}
		}
		return h(v, vertexRef{vx}, r)
	})
}

// taskManagerHosts maps TaskManager ids to their hosts.
func (s *Server) taskManagerHosts() map[string]string {
	out := map[string]string{}
	for _, tm := range s.jm.TaskManagerInfos() {
		if h, _, err := net.SplitHostPort(tm.DataAddress); err == nil {
			out[tm.ID] = h
		}
	}
	return out
}

func (s *Server) flinkJobMetrics(r *http.Request) (any, error) {
	id := r.PathValue("id")
	if _, err := s.jm.Status(id); err != nil {
		return nil, &httpError{http.StatusNotFound, err}
	}
	m := map[string]float64{}
	if g := s.metrics.job(id); g != nil {
		g.VisitOwn(func(p metrics.Point) { metrics.Flatten(m, p) })
	}
	return metricQuery(r, m), nil
}

// metricQuery answers a Flink metrics query: without ?get= the ids
// available, with it the values of the ids asked for that exist.
func metricQuery(r *http.Request, m map[string]float64) []api.FlinkMetric {
	out := []api.FlinkMetric{}
	get := r.URL.Query().Get("get")
	if get == "" {
		for id := range m {
			out = append(out, api.FlinkMetric{ID: id})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
		return out
	}
	for _, id := range strings.Split(get, ",") {
		if v, ok := m[id]; ok {
			out = append(out, api.FlinkMetric{ID: id, Value: formatMetric(v)})
		}
	}
	return out
}

func (s *Server) flinkTaskManagers(*http.Request) (any, error) {
	out := api.FlinkTaskManagers{TaskManagers: []api.FlinkTaskManager{}}
	now := time.Now().UnixMilli()
	for _, tm := range s.jm.TaskManagerInfos() {
		rep, ok := s.metrics.store.taskManager(tm.ID)
		out.TaskManagers = append(out.TaskManagers, flinkTaskManager(tm, rep, ok, now, false))
	}
	return out, nil
}

func (s *Server) findTaskManager(id string) (api.TaskManagerInfo, error) {
	for _, tm := range s.jm.TaskManagerInfos() {
		if tm.ID == id {
			return tm, nil
		}
	}
	return api.TaskManagerInfo{}, &httpError{http.StatusNotFound, fmt.Errorf("no TaskManager %s", id)}
}

func (s *Server) flinkTaskManager(r *http.Request) (any, error) {
	tm, err := s.findTaskManager(r.PathValue("tmid"))
	if err != nil {
		return nil, err
	}
	rep, ok := s.metrics.store.taskManager(tm.ID)
	return flinkTaskManager(tm, rep, ok, time.Now().UnixMilli(), true), nil
}

func (s *Server) flinkTaskManagerMetrics(r *http.Request) (any, error) {
	tm, err := s.findTaskManager(r.PathValue("tmid"))
	if err != nil {
		return nil, err
	}
	rep, _ := s.metrics.store.taskManager(tm.ID)
	return metricQuery(r, rep.Metrics), nil
}

func (s *Server) flinkJobManagerConfig(*http.Request) (any, error) {
	out := []api.FlinkConfigEntry{}
	for _, e := range s.opts.ConfigEntries {
		out = append(out, api.FlinkConfigEntry{Key: e[0], Value: e[1]})
	}
	return out, nil
}

// flinkTerminate is PATCH /jobs/:jobid?mode=cancel (signed): Flink
// answers 202 with an empty body once the cancellation is under way.
func (s *Server) flinkTerminate(r *http.Request) (any, error) {
	switch mode := strings.ToLower(r.URL.Query().Get("mode")); mode {
	case "", "cancel":
	default:
		return nil, fmt.Errorf("termination mode %q: Floe supports cancel (stop with a savepoint: POST /jobs/:jobid/stop)", mode)
	}
	if err := s.jm.Cancel(r.Context(), r.PathValue("id")); err != nil {
		if errors.Is(err, ErrJobNotFound) {
			return nil, &httpError{http.StatusNotFound, err}
		}
		return nil, err
	}
	return struct{}{}, nil
}

// jobOrFlink serves GET /v1/jobs/{id}: Floe's JobStatus to a signed
// request (Floe's clients sign every request), Flink's JobDetailsInfo to
// an unsigned one (Flink's clients ask /v1/jobs/:jobid and refuse fields
// they do not know).
func (s *Server) jobOrFlink(w http.ResponseWriter, r *http.Request, body []byte) (any, error) {
	if api.IsSigned(r) {
		return s.job(w, r, body)
	}
	flinkReply(w, r, s.withJob(func(v flinkJobView, _ *http.Request) (any, error) { return v.details(), nil }))
	return written{}, nil
}

// withPrometheus adds each TaskManager's Prometheus endpoint from its
// newest metric report.
func (s *Server) withPrometheus(tms []api.TaskManagerInfo) []api.TaskManagerInfo {
	for i, tm := range tms {
		if rep, ok := s.metrics.store.taskManager(tm.ID); ok {
			tms[i].PrometheusHost, tms[i].PrometheusPort = rep.PrometheusHost, rep.PrometheusPort
		}
	}
	return tms
}
