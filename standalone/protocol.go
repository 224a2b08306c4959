package standalone

// Endpoints of the JobManager for workers and clients (signed).
const (
	PathWorkerPoll = "/v1/workers/{id}/poll"
	PathBlob       = "/v1/blobs/{digest}"
	// BlobPrefix marks a job binary stored in the JobManager's blob store.
	BlobPrefix = "blob:"
	// ProtocolVersion is the worker protocol's version.
	ProtocolVersion = 1
)

// WorkerPoll is what a worker reports on every poll.
type WorkerPoll struct {
	Version int `json:"version"`
	// Host is where the worker's TaskManagers listen (taskmanager.host).
	Host  string `json:"host"`
	Slots int    `json:"slots"`
	// Running are the TaskManagers alive on the worker now.
	Running []string `json:"running,omitempty"`
	// Exited are the TaskManagers that ended since the last answered poll.
	Exited []Exit `json:"exited,omitempty"`
	// WaitMillis is how long the JobManager may hold the poll when it has
	// no command.
	WaitMillis int64 `json:"waitMillis"`
}

// Exit reports one ended TaskManager.
type Exit struct {
	TaskManager string `json:"taskManager"`
	Cause       string `json:"cause"`
}

// WorkerCommands is the JobManager's answer to a poll.
type WorkerCommands struct {
	Version int      `json:"version"`
	Start   []Start  `json:"start,omitempty"`
	Stop    []string `json:"stop,omitempty"`
	// Shutdown, when set, ends the worker: the cluster is going away.
	Shutdown string `json:"shutdown,omitempty"`
}

// Start asks a worker to run one TaskManager.
type Start struct {
	TaskManager string `json:"taskManager"`
	// Blob is the job binary's SHA-256 (hex).
	Blob  string   `json:"blob"`
	Args  []string `json:"args,omitempty"`
	Env   []string `json:"env,omitempty"`
	Slots int      `json:"slots"`
	// NetworkMemory is the TaskManager's network buffer budget (bytes).
	NetworkMemory int64 `json:"networkMemory,omitempty"`
	// JobManagerTimeoutMillis is how long it tolerates an unreachable
	// JobManager.
	JobManagerTimeoutMillis int64 `json:"jobManagerTimeoutMillis,omitempty"`
}
