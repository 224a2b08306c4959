package api

// JobSummary is one job in a JobList.
type JobSummary struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	State    JobState `json:"state"`
	Attempt  int      `json:"attempt"`
	Restarts int      `json:"restarts"`
}

// JobList answers GET /v1/jobs: every job the JobManager knows, in
// submission order.
type JobList struct {
	Version int          `json:"version"`
	Jobs    []JobSummary `json:"jobs"`
}

// TaskManagerInfo describes one registered TaskManager.
type TaskManagerInfo struct {
	ID string `json:"id"`
	// Pool names the job binary the TaskManager was started from.
	Pool        string `json:"pool"`
	Slots       int    `json:"slots"`
	FreeSlots   int    `json:"freeSlots"`
	DataAddress string `json:"dataAddress,omitempty"`
	// Location is where the resource driver runs it (on YARN: the
	// container id and node); empty when the driver does not say.
	Location string `json:"location,omitempty"`
	// PrometheusHost and PrometheusPort locate its Prometheus endpoint
	// (metrics.reporter.prom.*), from its metric reports; 0 when off.
	PrometheusHost string `json:"prometheusHost,omitempty"`
	PrometheusPort int    `json:"prometheusPort,omitempty"`
}

// TaskManagerList answers GET /v1/taskmanagers.
type TaskManagerList struct {
	Version      int               `json:"version"`
	TaskManagers []TaskManagerInfo `json:"taskManagers"`
}

// Overview answers GET /v1/overview: the cluster at a glance.
type Overview struct {
	Version      int `json:"version"`
	TaskManagers int `json:"taskManagers"`
	SlotsTotal   int `json:"slotsTotal"`
	SlotsFree    int `json:"slotsFree"`
	// PendingTaskManagers are asked for and not yet registered.
	PendingTaskManagers int `json:"pendingTaskManagers"`
	// Jobs counts the jobs by state (states without jobs are left out).
	Jobs map[JobState]int `json:"jobs"`
	// Mode is the deployment (session, per-job, application; empty
	// outside YARN).
	Mode string `json:"mode,omitempty"`
	// PrometheusPort is the JobManager's own Prometheus endpoint
	// (metrics.reporter.prom.*), on the JobManager's host; 0 when off.
	PrometheusPort int `json:"prometheusPort,omitempty"`
}

// ShutdownRequest asks the cluster to end (POST /v1/cluster/shutdown);
// running jobs are canceled first.
type ShutdownRequest struct {
	Version int    `json:"version"`
	Reason  string `json:"reason,omitempty"`
}
