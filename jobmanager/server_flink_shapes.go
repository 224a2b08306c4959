package jobmanager

import (
	"net"
	"strconv"
	"strings"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/metrics"
)

// The pure halves of Flink's REST handlers: status, graph, times and
// metric reports in, Flink's shapes out (golden-tested in
// testdata/flink_rest).

// flinkVertexID is a vertex id in Flink's form (a JobVertexID is 32 hex
// digits): Floe's 16-digit id, zero-padded on the left.
func flinkVertexID(id string) string {
	if len(id) < 32 {
		return strings.Repeat("0", 32-len(id)) + id
	}
	return id
}

// flinkJobState spells a job state as Flink's JobStatus does.
func flinkJobState(s api.JobState) string {
	if s == api.JobCanceling {
		return "CANCELLING"
	}
	return string(s)
}

// flinkExecutionStates are Flink's ExecutionState values, in its order.
var flinkExecutionStates = []string{"CREATED", "SCHEDULED", "DEPLOYING", "RUNNING", "FINISHED", "CANCELING", "CANCELED",
	"FAILED", "RECONCILING", "INITIALIZING"}

func stateCounts(upper bool) map[string]int {
	m := make(map[string]int, len(flinkExecutionStates))
	for _, s := range flinkExecutionStates {
		if !upper {
			s = strings.ToLower(s)
		}
		m[s] = 0
	}
	return m
}

// vertexState aggregates subtask states as Flink does for a job vertex.
func vertexState(states []api.ExecutionState) string {
	if len(states) == 0 {
		return string(api.Created)
	}
	n := map[api.ExecutionState]int{}
	for _, s := range states {
		n[s]++
	}
	for _, s := range []api.ExecutionState{api.Failed, api.Canceling, api.Canceled, api.Running, api.Scheduled} {
		if n[s] > 0 {
			return string(s)
		}
	}
	if n[api.Finished] == len(states) {
		return string(api.Finished)
	}
	if n[api.Finished] > 0 {
		return string(api.Running)
	}
	return string(api.Created)
}

// jobSpan is a job's start, end and duration (ms) at now.
func jobSpan(st api.JobStatus, info JobInfo, now int64) (start, end, dur int64) {
	start, end = info.Start(), info.End(st.State)
	if start == 0 {
		start = -1
	}
	switch {
	case start < 0:
		dur = -1
	case end >= 0:
		dur = end - start
	default:
		dur = now - start
	}
	return start, end, dur
}

// ioMetrics sums the I/O figures of subtasks.
func ioMetrics(subs ...api.TaskMetrics) api.FlinkIOMetrics {
	io := api.FlinkIOMetrics{ReadBytesComplete: true, WriteBytesComplete: true, ReadRecordsComplete: true, WriteRecordsComplete: true}
	for _, s := range subs {
		m := s.Metrics
		io.ReadRecords += int64(m[metrics.NumRecordsIn])
		io.WriteRecords += int64(m[metrics.NumRecordsOut])
		io.ReadBytes += int64(m[metrics.NumBytesIn])
		io.WriteBytes += int64(m[metrics.NumBytesOut])
		io.AccumulatedBackpressuredTime += int64(m[metrics.AccumulatedBackPressuredTimeMs])
		io.AccumulatedIdleTime += int64(m[metrics.AccumulatedIdleTimeMs])
		io.AccumulatedBusyTime += float64(int64(m[metrics.AccumulatedBusyTimeMs]))
	}
	return io
}

// flinkJobView is what the job paths build from.
type flinkJobView struct {
	status api.JobStatus
	info   JobInfo
	// subtasks are the newest metric reports of the job's subtasks.
	subtasks []subtaskMetrics
	now      int64
}

func (v flinkJobView) metricsOf(vertex int) []api.TaskMetrics {
	var out []api.TaskMetrics
	for _, s := range v.subtasks {
		if s.metrics.Vertex == vertex {
			out = append(out, s.metrics)
		}
	}
	return out
}

func (v flinkJobView) subtaskStates(vertex int) []api.SubtaskStatus {
	var out []api.SubtaskStatus
	for _, s := range v.status.Subtasks {
		if s.Vertex == vertex {
			out = append(out, s)
		}
	}
	return out
}

func (v flinkJobView) overview() api.FlinkJobOverview {
	start, end, dur := jobSpan(v.status, v.info, v.now)
	tasks := stateCounts(false)
	total := 0
	for _, s := range v.status.Subtasks {
		tasks[strings.ToLower(string(s.State))]++
		total++
	}
	tasks["total"] = total
	return api.FlinkJobOverview{JID: v.status.ID, Name: v.status.Name, StartTime: start, EndTime: end, Duration: dur,
		State: flinkJobState(v.status.State), LastModification: v.info.LastChange, Tasks: tasks}
}

func (v flinkJobView) details() api.FlinkJobDetails {
	start, end, dur := jobSpan(v.status, v.info, v.now)
	d := api.FlinkJobDetails{JID: v.status.ID, Name: v.status.Name, State: flinkJobState(v.status.State),
		StartTime: start, EndTime: end, Duration: dur, MaxParallelism: -1, Now: v.now, Timestamps: map[string]int64{},
		Vertices: []api.FlinkJobVertex{}, StatusCounts: stateCounts(true), Plan: v.plan()}
	for _, s := range []api.JobState{"INITIALIZING", api.JobCreated, api.JobRunning, api.JobFailing, api.JobFailed, "CANCELLING",
		api.JobCanceled, api.JobFinished, api.JobRestarting, "SUSPENDED", "RECONCILING"} {
		d.Timestamps[string(s)] = 0
	}
	for s, t := range v.info.Times {
		d.Timestamps[flinkJobState(s)] = t
	}
	g := v.info.Graph
	if g == nil {
		return d
	}
	d.MaxParallelism = g.MaxParallelism
	for _, vx := range g.Vertices {
		subs := v.subtaskStates(vx.Index)
		states := make([]api.ExecutionState, len(subs))
		tasks := stateCounts(true)
		for i, s := range subs {
			states[i] = s.State
			tasks[string(s.State)]++
		}
		status := vertexState(states)
		d.StatusCounts[status]++
		vEnd := int64(-1)
		if api.ExecutionState(status).Terminal() {
			vEnd = end
			if vEnd < 0 {
				vEnd = v.info.LastChange
			}
		}
		vDur := int64(-1)
		if start >= 0 {
			if vEnd >= 0 {
				vDur = vEnd - start
			} else {
				vDur = v.now - start
			}
		}
		d.Vertices = append(d.Vertices, api.FlinkJobVertex{ID: flinkVertexID(vx.ID), Name: vx.Name, MaxParallelism: g.MaxParallelism,
			Parallelism: vx.Parallelism, Status: status, StartTime: start, EndTime: vEnd, Duration: vDur, Tasks: tasks,
			Metrics: ioMetrics(v.metricsOf(vx.Index)...)})
	}
	return d
}

func (v flinkJobView) plan() api.FlinkPlan {
	p := api.FlinkPlan{JID: v.status.ID, Name: v.status.Name, Type: "STREAMING", Nodes: []api.FlinkPlanNode{}}
	g := v.info.Graph
	if g == nil {
		return p
	}
	for _, vx := range g.Vertices {
		var names []string
		for _, n := range vx.Operators {
			names = append(names, g.Operators[n].Node.Name)
		}
		n := api.FlinkPlanNode{ID: flinkVertexID(vx.ID), Parallelism: vx.Parallelism, Description: strings.Join(names, " -> ")}
		for _, e := range g.Edges {
			if e.To == vx.Index {
				n.Inputs = append(n.Inputs, api.FlinkPlanInput{Num: len(n.Inputs), ID: flinkVertexID(g.Vertices[e.From].ID),
					ShipStrategy: shipStrategy(e.Partitioner), Exchange: "pipelined_bounded"})
			}
		}
		p.Nodes = append(p.Nodes, n)
	}
	return p
}

// shipStrategy names a partitioner as Flink's plan does.
func shipStrategy(p graph.Partitioner) string {
	switch p {
	case graph.Hash:
		return "HASH"
	case graph.Rebalance:
		return "REBALANCE"
	case graph.Broadcast:
		return "BROADCAST"
	}
	return "FORWARD"
}

func (v flinkJobView) exceptions() api.FlinkExceptions {
	out := api.FlinkExceptions{AllExceptions: []api.FlinkExecutionFailure{}, ExceptionHistory: api.FlinkExceptionHistory{Entries: []api.FlinkRootException{}}}
	ex := v.status.Exceptions
	for i := len(ex) - 1; i >= 0; i-- {
		e := ex[i]
		name, _, _ := strings.Cut(e.Cause, "\n")
		if len(name) > 200 {
			name = name[:200] + "…"
		}
		out.ExceptionHistory.Entries = append(out.ExceptionHistory.Entries, api.FlinkRootException{ExceptionName: name,
			Stacktrace: e.Cause, Timestamp: e.TimeMillis, ConcurrentExceptions: []api.FlinkRootException{}})
	}
	if len(ex) > 0 {
		last := ex[len(ex)-1]
		out.RootException, out.Timestamp = &last.Cause, &last.TimeMillis
	}
	return out
}

// vertex returns the vertex with Flink id vid.
func (v flinkJobView) vertex(vid string) (graph.Vertex, bool) {
	if v.info.Graph == nil {
		return graph.Vertex{}, false
	}
	for _, vx := range v.info.Graph.Vertices {
		if vx.ID == vid || flinkVertexID(vx.ID) == vid {
			return vx, true
		}
	}
	return graph.Vertex{}, false
}

func (v flinkJobView) vertexDetails(vx graph.Vertex, hosts map[string]string) api.FlinkVertexDetails {
	start, _, _ := jobSpan(v.status, v.info, v.now)
	out := api.FlinkVertexDetails{ID: flinkVertexID(vx.ID), Name: vx.Name, Parallelism: vx.Parallelism, MaxParallelism: v.info.Graph.MaxParallelism,
		Now: v.now, Subtasks: []api.FlinkSubtaskDetails{}}
	ms := map[int]api.TaskMetrics{}
	for _, m := range v.metricsOf(vx.Index) {
		ms[m.Subtask] = m
	}
	for _, s := range v.subtaskStates(vx.Index) {
		end, dur := int64(-1), int64(-1)
		if s.State.Terminal() {
			end = v.info.LastChange
		}
		if start >= 0 {
			dur = v.now - start
			if end >= 0 {
				dur = end - start
			}
		}
		out.Subtasks = append(out.Subtasks, api.FlinkSubtaskDetails{Subtask: s.Subtask, Status: string(s.State), Attempt: v.status.Attempt,
			Host: hosts[s.TaskManager], StartTime: start, EndTime: end, Duration: dur, Metrics: ioMetrics(ms[s.Subtask]),
			TaskManagerID: s.TaskManager, StartTimeOld: start})
	}
	return out
}

// backPressureLevel is Flink's level of a backpressured share of time.
func backPressureLevel(ratio float64) string {
	switch {
	case ratio <= 0.10:
		return "ok"
	case ratio <= 0.5:
		return "low"
	}
	return "high"
}

func (v flinkJobView) backPressure(vx graph.Vertex) api.FlinkBackPressure {
	out := api.FlinkBackPressure{Status: "ok", BackpressureLevel: "ok", EndTimestamp: v.now, Subtasks: []api.FlinkSubtaskBackPressure{}}
	worst := 0.0
	for _, m := range v.metricsOf(vx.Index) {
		r := m.Metrics[metrics.BackPressuredTimeMsPerSecond] / 1000
		worst = max(worst, r)
		out.Subtasks = append(out.Subtasks, api.FlinkSubtaskBackPressure{Subtask: m.Subtask, BackpressureLevel: backPressureLevel(r),
			Ratio: r, IdleRatio: m.Metrics[metrics.IdleTimeMsPerSecond] / 1000, BusyRatio: m.Metrics[metrics.BusyTimeMsPerSecond] / 1000})
	}
	out.BackpressureLevel = backPressureLevel(worst)
	return out
}

// vertexMetrics are a vertex's metrics as Flink names them in a vertex
// query: <subtask>.<metric> and <subtask>.<operator name>.<metric>.
func (v flinkJobView) vertexMetrics(vx graph.Vertex) map[string]float64 {
	out := map[string]float64{}
	for _, m := range v.metricsOf(vx.Index) {
		p := strconv.Itoa(m.Subtask) + "."
		for k, x := range m.Metrics {
			out[p+k] = x
		}
		for _, op := range m.Operators {
			for k, x := range op.Metrics {
				out[p+op.Name+"."+k] = x
			}
		}
	}
	return out
}

// watermarks are the vertex's watermark metrics (<subtask>.currentInputWatermark).
func (v flinkJobView) watermarks(vx graph.Vertex) []api.FlinkMetric {
	out := []api.FlinkMetric{}
	for _, m := range v.metricsOf(vx.Index) {
		if w, ok := m.Metrics[metrics.CurrentInputWatermark]; ok {
			out = append(out, api.FlinkMetric{ID: strconv.Itoa(m.Subtask) + "." + metrics.CurrentInputWatermark, Value: formatMetric(w)})
		}
	}
	return out
}

// formatMetric writes a value as Flink's metric queries do: integers
// without a fraction.
func formatMetric(x float64) string {
	if x == float64(int64(x)) {
		return strconv.FormatInt(int64(x), 10)
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// flinkTaskManager converts a TaskManager and its newest report.
func flinkTaskManager(tm api.TaskManagerInfo, rep api.MetricReport, haveRep bool, now int64, details bool) api.FlinkTaskManager {
	out := api.FlinkTaskManager{ID: tm.ID, Path: tm.DataAddress, JMXPort: -1, TimeSinceLastHeartbeat: 0,
		SlotsNumber: tm.Slots, FreeSlots: tm.FreeSlots, TotalResource: flinkResource(tm.Slots), FreeResource: flinkResource(tm.FreeSlots),
		MemoryConfiguration: map[string]int64{}}
	if _, p, err := net.SplitHostPort(tm.DataAddress); err == nil {
		out.DataPort, _ = strconv.Atoi(p)
	}
	if haveRep {
		out.TimeSinceLastHeartbeat = max(0, now-rep.TimeMillis)
	}
	if !details {
		return out
	}
	m := rep.Metrics
	out.Metrics = &api.FlinkTaskManagerMetrics{HeapUsed: int64(m[metrics.StatusMemoryHeapUsed]), HeapCommitted: int64(m[metrics.StatusMemoryHeapCommitted]),
		HeapMax: -1, NonHeapUsed: int64(m[metrics.StatusMemoryNonHeapUsed]), NonHeapCommitted: int64(m[metrics.StatusMemoryNonHeapUsed]), NonHeapMax: -1,
		GarbageCollectors: []api.FlinkGarbageCollector{{Name: "Go", Count: int64(m[metrics.StatusGarbageCollectorCount]), Time: int64(m[metrics.StatusGarbageCollectorTime])}}}
	return out
}

func flinkResource(slots int) api.FlinkResource {
	return api.FlinkResource{CPUCores: float64(slots), ExtendedResources: map[string]float64{}}
}
