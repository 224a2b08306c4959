package api

import (
	"net/http"
	"strings"
)

// Flink's REST shapes (docs/static/generated/rest_v1_dispatcher.yml of
// apache/flink, and the JSON Flink's handlers write), served next to /v1
// so that Flink's clients, the CLI's progress lines and the dashboard read
// one API. Field names and types are Flink's; times are Unix ms, -1 when
// not (yet) known.

// FlinkVersion is the Flink REST API level Floe's paths follow.
const FlinkVersion = "1.18.1"

// FlinkErrors is the body of a non-2xx reply on Flink's paths.
type FlinkErrors struct {
	Errors []string `json:"errors"`
}

// FlinkDashboardConfig answers GET /config.
type FlinkDashboardConfig struct {
	RefreshInterval int64         `json:"refresh-interval"`
	TimezoneName    string        `json:"timezone-name"`
	TimezoneOffset  int           `json:"timezone-offset"`
	FlinkVersion    string        `json:"flink-version"`
	FlinkRevision   string        `json:"flink-revision"`
	Features        FlinkFeatures `json:"features"`
}

// FlinkFeatures are the dashboard's switches.
type FlinkFeatures struct {
	WebSubmit  bool `json:"web-submit"`
	WebCancel  bool `json:"web-cancel"`
	WebRescale bool `json:"web-rescale"`
	WebHistory bool `json:"web-history"`
}

// FlinkOverview answers GET /overview.
type FlinkOverview struct {
	TaskManagers   int    `json:"taskmanagers"`
	SlotsTotal     int    `json:"slots-total"`
	SlotsAvailable int    `json:"slots-available"`
	JobsRunning    int    `json:"jobs-running"`
	JobsFinished   int    `json:"jobs-finished"`
	JobsCancelled  int    `json:"jobs-cancelled"`
	JobsFailed     int    `json:"jobs-failed"`
	FlinkVersion   string `json:"flink-version"`
	FlinkCommit    string `json:"flink-commit"`
}

// FlinkJobIDs answers GET /jobs.
type FlinkJobIDs struct {
	Jobs []FlinkJobIDStatus `json:"jobs"`
}

// FlinkJobIDStatus is one job of FlinkJobIDs.
type FlinkJobIDStatus struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// FlinkJobStatus answers GET /jobs/:jobid/status.
type FlinkJobStatus struct {
	Status string `json:"status"`
}

// FlinkJobsOverview answers GET /jobs/overview.
type FlinkJobsOverview struct {
	Jobs []FlinkJobOverview `json:"jobs"`
}

// FlinkJobOverview is one job of FlinkJobsOverview (Flink's JobDetails).
type FlinkJobOverview struct {
	JID              string         `json:"jid"`
	Name             string         `json:"name"`
	StartTime        int64          `json:"start-time"`
	EndTime          int64          `json:"end-time"`
	Duration         int64          `json:"duration"`
	State            string         `json:"state"`
	LastModification int64          `json:"last-modification"`
	Tasks            map[string]int `json:"tasks"`
}

// FlinkJobDetails answers GET /jobs/:jobid.
type FlinkJobDetails struct {
	JID            string           `json:"jid"`
	Name           string           `json:"name"`
	IsStoppable    bool             `json:"isStoppable"`
	State          string           `json:"state"`
	StartTime      int64            `json:"start-time"`
	EndTime        int64            `json:"end-time"`
	Duration       int64            `json:"duration"`
	MaxParallelism int              `json:"maxParallelism"`
	Now            int64            `json:"now"`
	Timestamps     map[string]int64 `json:"timestamps"`
	Vertices       []FlinkJobVertex `json:"vertices"`
	StatusCounts   map[string]int   `json:"status-counts"`
	Plan           FlinkPlan        `json:"plan"`
}

// FlinkJobVertex is one vertex of FlinkJobDetails.
type FlinkJobVertex struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	MaxParallelism int            `json:"maxParallelism"`
	Parallelism    int            `json:"parallelism"`
	Status         string         `json:"status"`
	StartTime      int64          `json:"start-time"`
	EndTime        int64          `json:"end-time"`
	Duration       int64          `json:"duration"`
	Tasks          map[string]int `json:"tasks"`
	Metrics        FlinkIOMetrics `json:"metrics"`
}

// FlinkIOMetrics are a vertex's or subtask's records and bytes (Flink's
// IOMetricsInfo) and its time shares.
type FlinkIOMetrics struct {
	ReadBytes                    int64   `json:"read-bytes"`
	ReadBytesComplete            bool    `json:"read-bytes-complete"`
	WriteBytes                   int64   `json:"write-bytes"`
	WriteBytesComplete           bool    `json:"write-bytes-complete"`
	ReadRecords                  int64   `json:"read-records"`
	ReadRecordsComplete          bool    `json:"read-records-complete"`
	WriteRecords                 int64   `json:"write-records"`
	WriteRecordsComplete         bool    `json:"write-records-complete"`
	AccumulatedBackpressuredTime int64   `json:"accumulated-backpressured-time"`
	AccumulatedIdleTime          int64   `json:"accumulated-idle-time"`
	AccumulatedBusyTime          float64 `json:"accumulated-busy-time"`
}

// FlinkPlanResponse answers GET /jobs/:jobid/plan.
type FlinkPlanResponse struct {
	Plan FlinkPlan `json:"plan"`
}

// FlinkPlan is a job's dataflow plan (Flink's JSON plan).
type FlinkPlan struct {
	JID   string          `json:"jid"`
	Name  string          `json:"name"`
	Type  string          `json:"type"`
	Nodes []FlinkPlanNode `json:"nodes"`
}

// FlinkPlanNode is one vertex of a plan.
type FlinkPlanNode struct {
	ID                  string           `json:"id"`
	Parallelism         int              `json:"parallelism"`
	Operator            string           `json:"operator"`
	OperatorStrategy    string           `json:"operator_strategy"`
	Description         string           `json:"description"`
	Inputs              []FlinkPlanInput `json:"inputs,omitempty"`
	OptimizerProperties struct{}         `json:"optimizer_properties"`
}

// FlinkPlanInput is one input edge of a plan node.
type FlinkPlanInput struct {
	Num          int    `json:"num"`
	ID           string `json:"id"`
	ShipStrategy string `json:"ship_strategy"`
	Exchange     string `json:"exchange"`
}

// FlinkExceptions answers GET /jobs/:jobid/exceptions.
type FlinkExceptions struct {
	RootException    *string                 `json:"root-exception"`
	Timestamp        *int64                  `json:"timestamp"`
	AllExceptions    []FlinkExecutionFailure `json:"all-exceptions"`
	Truncated        bool                    `json:"truncated"`
	ExceptionHistory FlinkExceptionHistory   `json:"exceptionHistory"`
}

// FlinkExecutionFailure is one entry of all-exceptions (unused: Floe
// reports failures in the history).
type FlinkExecutionFailure struct {
	Exception string `json:"exception"`
	Task      string `json:"task"`
	Location  string `json:"location"`
	Timestamp int64  `json:"timestamp"`
}

// FlinkExceptionHistory is a job's failures, newest first.
type FlinkExceptionHistory struct {
	Entries   []FlinkRootException `json:"entries"`
	Truncated bool                 `json:"truncated"`
}

// FlinkRootException is one failover's root cause.
type FlinkRootException struct {
	ExceptionName        string               `json:"exceptionName"`
	Stacktrace           string               `json:"stacktrace"`
	Timestamp            int64                `json:"timestamp"`
	TaskName             *string              `json:"taskName"`
	Location             *string              `json:"location"`
	ConcurrentExceptions []FlinkRootException `json:"concurrentExceptions"`
}

// FlinkVertexDetails answers GET /jobs/:jobid/vertices/:vertexid.
type FlinkVertexDetails struct {
	ID             string                `json:"id"`
	Name           string                `json:"name"`
	Parallelism    int                   `json:"parallelism"`
	MaxParallelism int                   `json:"maxParallelism"`
	Now            int64                 `json:"now"`
	Subtasks       []FlinkSubtaskDetails `json:"subtasks"`
}

// FlinkSubtaskDetails is one subtask of a vertex, with its I/O.
type FlinkSubtaskDetails struct {
	Subtask       int            `json:"subtask"`
	Status        string         `json:"status"`
	Attempt       int            `json:"attempt"`
	Host          string         `json:"host"`
	StartTime     int64          `json:"start-time"`
	EndTime       int64          `json:"end-time"`
	Duration      int64          `json:"duration"`
	Metrics       FlinkIOMetrics `json:"metrics"`
	TaskManagerID string         `json:"taskmanager-id"`
	StartTimeOld  int64          `json:"start_time"`
}

// FlinkBackPressure answers GET …/vertices/:vertexid/backpressure.
type FlinkBackPressure struct {
	Status            string                     `json:"status"`
	BackpressureLevel string                     `json:"backpressure-level"`
	EndTimestamp      int64                      `json:"end-timestamp"`
	Subtasks          []FlinkSubtaskBackPressure `json:"subtasks"`
}

// FlinkSubtaskBackPressure is one subtask's share of time backpressured,
// idle and busy (ratios in [0, 1]).
type FlinkSubtaskBackPressure struct {
	Subtask           int     `json:"subtask"`
	BackpressureLevel string  `json:"backpressure-level"`
	Ratio             float64 `json:"ratio"`
	IdleRatio         float64 `json:"idleRatio"`
	BusyRatio         float64 `json:"busyRatio"`
}

// FlinkMetric is one metric of a metrics query (GET …/metrics?get=…):
// the value is text, as Flink sends it; without get only ids are listed.
type FlinkMetric struct {
	ID    string `json:"id"`
	Value string `json:"value,omitempty"`
}

// FlinkTaskManagers answers GET /taskmanagers.
type FlinkTaskManagers struct {
	TaskManagers []FlinkTaskManager `json:"taskmanagers"`
}

// FlinkTaskManager is one TaskManager (Flink's TaskManagerInfo); the
// details (GET /taskmanagers/:tmid) add Metrics. (Flink's clients refuse
// unknown fields: Floe's own additions, like the Prometheus endpoint, are
// in /v1/taskmanagers.)
type FlinkTaskManager struct {
	ID                     string                   `json:"id"`
	Path                   string                   `json:"path"`
	DataPort               int                      `json:"dataPort"`
	JMXPort                int                      `json:"jmxPort"`
	TimeSinceLastHeartbeat int64                    `json:"timeSinceLastHeartbeat"`
	SlotsNumber            int                      `json:"slotsNumber"`
	FreeSlots              int                      `json:"freeSlots"`
	TotalResource          FlinkResource            `json:"totalResource"`
	FreeResource           FlinkResource            `json:"freeResource"`
	Hardware               FlinkHardware            `json:"hardware"`
	MemoryConfiguration    map[string]int64         `json:"memoryConfiguration"`
	Metrics                *FlinkTaskManagerMetrics `json:"metrics,omitempty"`
}

// FlinkResource is a resource profile.
type FlinkResource struct {
	CPUCores          float64            `json:"cpuCores"`
	TaskHeapMemory    int                `json:"taskHeapMemory"`
	TaskOffHeapMemory int                `json:"taskOffHeapMemory"`
	ManagedMemory     int                `json:"managedMemory"`
	NetworkMemory     int                `json:"networkMemory"`
	ExtendedResources map[string]float64 `json:"extendedResources"`
}

// FlinkHardware describes a TaskManager's host.
type FlinkHardware struct {
	CPUCores       int   `json:"cpuCores"`
	PhysicalMemory int64 `json:"physicalMemory"`
	FreeMemory     int64 `json:"freeMemory"`
	ManagedMemory  int64 `json:"managedMemory"`
}

// FlinkTaskManagerMetrics are a TaskManager's memory figures (the Go heap
// stands for the JVM heap) and garbage collections.
type FlinkTaskManagerMetrics struct {
	HeapUsed          int64                   `json:"heapUsed"`
	HeapCommitted     int64                   `json:"heapCommitted"`
	HeapMax           int64                   `json:"heapMax"`
	NonHeapUsed       int64                   `json:"nonHeapUsed"`
	NonHeapCommitted  int64                   `json:"nonHeapCommitted"`
	NonHeapMax        int64                   `json:"nonHeapMax"`
	DirectCount       int64                   `json:"directCount"`
	DirectUsed        int64                   `json:"directUsed"`
	DirectMax         int64                   `json:"directMax"`
	MappedCount       int64                   `json:"mappedCount"`
	MappedUsed        int64                   `json:"mappedUsed"`
	MappedMax         int64                   `json:"mappedMax"`
	GarbageCollectors []FlinkGarbageCollector `json:"garbageCollectors"`
}

// FlinkGarbageCollector is one collector's count and time (ms).
type FlinkGarbageCollector struct {
	Name  string `json:"name"`
	Count int64  `json:"count"`
	Time  int64  `json:"time"`
}

// FlinkConfigEntry is one option of GET /jobmanager/config.
type FlinkConfigEntry struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// FlinkLogList answers GET /jobmanager/logs and /taskmanagers/:tmid/logs.
type FlinkLogList struct {
	Logs []FlinkLogInfo `json:"logs"`
}

// FlinkLogInfo is one log file.
type FlinkLogInfo struct {
	Name  string `json:"name"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime"`
}

// IsSigned reports whether r carries Floe's signature scheme (checked or
// not): Floe's clients sign every request, Flink's never do.
func IsSigned(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Authorization"), AuthScheme+" ")
}
