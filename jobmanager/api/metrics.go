package api

// MetricReport (MsgMetrics, TM → JM, every few seconds) carries a
// TaskManager's metrics as its registry last published them, flattened to
// Flink's metric names (histograms as <name>_count, _min, _max, _mean,
// _stddev, _p50 … _p999, as Flink's metric query service dumps them).
type MetricReport struct {
	Version     int    `json:"version"`
	TaskManager string `json:"taskManager"`
	// TimeMillis is when the TaskManager took the figures (Unix ms).
	TimeMillis int64 `json:"timestamp"`
	// PrometheusPort is the TaskManager's Prometheus endpoint port (0:
	// none); PrometheusHost the host it listens on.
	PrometheusHost string `json:"prometheusHost,omitempty"`
	PrometheusPort int    `json:"prometheusPort,omitempty"`
	// Metrics are the TaskManager's own (Status.JVM.Memory.Heap.Used, …).
	Metrics map[string]float64 `json:"metrics,omitempty"`
	Tasks   []TaskMetrics      `json:"tasks,omitempty"`
	// Logs are the TaskManager's log files (in its container's log
	// folder; none outside YARN).
	Logs []FlinkLogInfo `json:"logs,omitempty"`
}

// TaskMetrics are one subtask's metrics and its operators'.
type TaskMetrics struct {
	Job       string             `json:"job"`
	Attempt   int                `json:"attempt"`
	Vertex    int                `json:"vertex"`
	Subtask   int                `json:"subtask"`
	Metrics   map[string]float64 `json:"metrics"`
	Operators []OperatorMetrics  `json:"operators,omitempty"`
}

// OperatorMetrics are one operator's metrics within a subtask (user
// metrics among them).
type OperatorMetrics struct {
	ID      string             `json:"id"`
	Name    string             `json:"name"`
	Metrics map[string]float64 `json:"metrics"`
}
