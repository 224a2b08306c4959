package metrics

import "math"

// Scopes, as Flink's scope formats name their levels.
const (
	ScopeJobManager  = "jobmanager"
	ScopeTaskManager = "taskmanager"
	ScopeJob         = "job"
	ScopeTask        = "task"
	ScopeOperator    = "operator"
)

// Variables (labels) of the scopes, as Flink's Prometheus reporter names
// them (Flink's <job_id> and so on without the angle brackets).
const (
	VarHost           = "host"
	VarTMID           = "tm_id"
	VarJobID          = "job_id"
	VarJobName        = "job_name"
	VarTaskID         = "task_id"
	VarTaskAttemptID  = "task_attempt_id"
	VarTaskAttemptNum = "task_attempt_num"
	VarTaskName       = "task_name"
	VarSubtaskIndex   = "subtask_index"
	VarOperatorID     = "operator_id"
	VarOperatorName   = "operator_name"
)

// Metric names (Flink's).
const (
	NumRecordsIn                   = "numRecordsIn"
	NumRecordsOut                  = "numRecordsOut"
	NumRecordsInPerSecond          = "numRecordsInPerSecond"
	NumRecordsOutPerSecond         = "numRecordsOutPerSecond"
	NumBytesIn                     = "numBytesIn"
	NumBytesOut                    = "numBytesOut"
	NumBytesInPerSecond            = "numBytesInPerSecond"
	NumBytesOutPerSecond           = "numBytesOutPerSecond"
	BusyTimeMsPerSecond            = "busyTimeMsPerSecond"
	BackPressuredTimeMsPerSecond   = "backPressuredTimeMsPerSecond"
	IdleTimeMsPerSecond            = "idleTimeMsPerSecond"
	CurrentInputWatermark          = "currentInputWatermark"
	CurrentOutputWatermark         = "currentOutputWatermark"
	AccumulatedBusyTimeMs          = "accumulatedBusyTimeMs"
	AccumulatedIdleTimeMs          = "accumulatedIdleTimeMs"
	AccumulatedBackPressuredTimeMs = "accumulatedBackPressuredTimeMs"

	Uptime                        = "uptime"
	NumRestarts                   = "numRestarts"
	NumberOfCompletedCheckpoints  = "numberOfCompletedCheckpoints"
	NumberOfFailedCheckpoints     = "numberOfFailedCheckpoints"
	NumberOfInProgressCheckpoints = "numberOfInProgressCheckpoints"
	TotalNumberOfCheckpoints      = "totalNumberOfCheckpoints"
	LastCheckpointDuration        = "lastCheckpointDuration"
	LastCheckpointSize            = "lastCheckpointSize"
	LastCheckpointFullSize        = "lastCheckpointFullSize"
	NumRegisteredTaskManagers     = "numRegisteredTaskManagers"
	NumRunningJobs                = "numRunningJobs"
	TaskSlotsAvailable            = "taskSlotsAvailable"
	TaskSlotsTotal                = "taskSlotsTotal"
	StatusMemoryHeapUsed          = "Status.JVM.Memory.Heap.Used"
	StatusMemoryHeapCommitted     = "Status.JVM.Memory.Heap.Committed"
	StatusMemoryNonHeapUsed       = "Status.JVM.Memory.NonHeap.Used"
	StatusThreadsCount            = "Status.JVM.Threads.Count"
	StatusGarbageCollectorCount   = "Status.JVM.GarbageCollector.All.Count"
	StatusGarbageCollectorTime    = "Status.JVM.GarbageCollector.All.Time"
	StatusGoGoroutines            = "Status.Go.Goroutines"
	StatusGoMemoryTotalFromOS     = "Status.Go.Memory.Sys"
)

// NoWatermark is Flink's value of a watermark gauge before the first
// watermark: Long.MIN_VALUE.
const NoWatermark int64 = math.MinInt64
