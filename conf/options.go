package conf

import "sort"

// Option declares one configuration option: its key, its type, its default
// (as text, parsed like any other value) and a one-line description.
type Option struct {
	Key     string
	Type    Type
	Default string
	Doc     string
}

// Keys of the declared options, for the typed getters on Config. The
// declaration table below is the single place their type, default and doc
// live; later issues add their options there.
const (
	YarnApplicationName         = "yarn.application.name"
	YarnApplicationQueue        = "yarn.application.queue"
	YarnApplicationPriority     = "yarn.application.priority"
	YarnApplicationType         = "yarn.application.type"
	YarnApplicationID           = "yarn.application.id"
	YarnTags                    = "yarn.tags"
	YarnApplicationAttempts     = "yarn.application-attempts"
	YarnAttemptFailuresValidity = "yarn.application-attempt-failures-validity-interval"
	HAStorageDir                = "high-availability.storageDir"
	YarnAdoptTaskManagers       = "yarn.application-master.adopt-taskmanagers"
	YarnContainersVcores        = "yarn.containers.vcores"
	YarnAppMasterVcores         = "yarn.appmaster.vcores"
	YarnStagingDirectory        = "yarn.staging-directory"
	YarnProvidedLibDirs         = "yarn.provided.lib.dirs"
	YarnShipFiles               = "yarn.ship-files"
	YarnPropertiesFile          = "yarn.properties-file.location"
	JobManagerProcessSize       = "jobmanager.memory.process.size"
	TaskManagerProcessSize      = "taskmanager.memory.process.size"
	TaskManagerSlots            = "taskmanager.numberOfTaskSlots"
	ParallelismDefault          = "parallelism.default"
	TaskManagerTimeout          = "resourcemanager.taskmanager-timeout"
	ExecutionTarget             = "execution.target"
	RestartStrategyType         = "restart-strategy.type"
	RestartFixedDelayAttempts   = "restart-strategy.fixed-delay.attempts"
	RestartFixedDelayDelay      = "restart-strategy.fixed-delay.delay"
	RestartExpInitialBackoff    = "restart-strategy.exponential-delay.initial-backoff"
	RestartExpMaxBackoff        = "restart-strategy.exponential-delay.max-backoff"
	RestartExpMultiplier        = "restart-strategy.exponential-delay.backoff-multiplier"
	RestartExpResetThreshold    = "restart-strategy.exponential-delay.reset-backoff-threshold"
	RestartExpJitter            = "restart-strategy.exponential-delay.jitter-factor"
	RestartExpAttempts          = "restart-strategy.exponential-delay.attempts-before-reset-backoff"
	RestartFailureRateMax       = "restart-strategy.failure-rate.max-failures-per-interval"
	RestartFailureRateWindow    = "restart-strategy.failure-rate.failure-rate-interval"
	RestartFailureRateDelay     = "restart-strategy.failure-rate.delay"
	CheckpointingInterval       = "execution.checkpointing.interval"
	CheckpointingMode           = "execution.checkpointing.mode"
	CheckpointingTimeout        = "execution.checkpointing.timeout"
	CheckpointingMinPause       = "execution.checkpointing.min-pause"
	CheckpointingTolerable      = "execution.checkpointing.tolerable-failed-checkpoints"
	CheckpointingIncremental    = "execution.checkpointing.incremental"
	CheckpointsDir              = "state.checkpoints.dir"
	CheckpointRetention         = "execution.checkpointing.externalized-checkpoint-retention"
	CheckpointsNumRetained      = "state.checkpoints.num-retained"
	SavepointsDir               = "state.savepoints.dir"
	SavepointPath               = "execution.savepoint.path"
	SavepointIgnoreUnclaimed    = "execution.savepoint.ignore-unclaimed-state"
	StateBackendType            = "state.backend.type"
	MaxParallelism              = "pipeline.max-parallelism"
	AutoWatermarkInterval       = "pipeline.auto-watermark-interval"
	HeartbeatInterval           = "heartbeat.interval"
	HeartbeatTimeout            = "heartbeat.timeout"
	RestAddress                 = "rest.address"
	RestPort                    = "rest.port"
	LocalNumberTaskManager      = "local.number-taskmanager"
	TaskManagerNetworkMemory    = "taskmanager.network.memory"
	JobManagerRPCAddress        = "jobmanager.rpc.address"
	EnvSSHOpts                  = "env.ssh.opts"
	TaskManagerHost             = "taskmanager.host"
	TaskManagerRegistration     = "taskmanager.registration.timeout"
	SlotRequestTimeout          = "slot.request.timeout"
)

// Metric reporter options (package metrics reads them).
const (
	MetricsPromFactoryClass = "metrics.reporter.prom.factory.class"
	MetricsPromPort         = "metrics.reporter.prom.port"
)

// declarations is the table of every option Floe reads. Keys and defaults
// follow Flink where Flink has the option; where Floe differs the doc says so.
func declarations() []Option {
	return append(baseDeclarations(), securityDeclarations()...)
}

func baseDeclarations() []Option {
	return []Option{
		{YarnApplicationName, TypeString, "", "Name of the YARN application; empty means a name derived from the job or session."},
		{YarnApplicationQueue, TypeString, "default", "YARN queue to submit the application to."},
		{YarnApplicationPriority, TypeInt, "-1", "YARN application priority; -1 keeps the cluster default, non-negative values need priority scheduling."},
		{YarnApplicationType, TypeString, "Floe", "YARN application type shown by `yarn application -list`."},
		{YarnApplicationID, TypeString, "", "Id of a running YARN application (session) to submit to or operate on, e.g. application_1700000000000_0001."},
		{YarnTags, TypeString, "", "Comma-separated YARN application tags."},
		{YarnApplicationAttempts, TypeInt, "1", "Number of ApplicationMaster attempts; when unset, 2 with execution.checkpointing.interval set (a new attempt resumes the jobs from the job store), else 1. Capped by the ResourceManager's yarn.resourcemanager.am.max-attempts."},
		{YarnAttemptFailuresValidity, TypeDuration, "10 s", "Only AM attempt failures within this window count against yarn.application-attempts (Flink's default, 10 s); 0 counts every failure."},
		{YarnAdoptTaskManagers, TypeBool, "true", "Floe: a new ApplicationMaster attempt adopts the TaskManagers YARN kept from the former one (they register with its JobManager and the jobs resume on them); false releases them and starts new ones."},
		{HAStorageDir, TypeString, "", "Folder of the ApplicationMaster's job store on HDFS (jobs, their latest completed checkpoint, finished jobs' states), fenced by attempt; empty means <staging folder>/ha."},
		{YarnContainersVcores, TypeInt, "-1", "Vcores per TaskManager container; -1 means taskmanager.numberOfTaskSlots."},
		{YarnAppMasterVcores, TypeInt, "1", "Vcores of the ApplicationMaster (JobManager) container."},
		{YarnStagingDirectory, TypeString, "", "Folder under which /.floe/<appId>/ staging folders are made; empty means the user's home on fs.defaultFS."},
		{YarnProvidedLibDirs, TypeList, "", "Pre-uploaded, world-readable folders holding the floe binary and its default config; when set nothing of the framework is uploaded."},
		{YarnShipFiles, TypeList, "", "Local or remote files and folders to ship to every container."},
		{YarnPropertiesFile, TypeString, "", "Folder of the yarn-session properties file that later `floe run` picks up; empty means the OS temp folder."},
		{JobManagerProcessSize, TypeMemory, "256m", "Memory of the JobManager (ApplicationMaster) container; Floe needs far less than Flink's 1600m."},
		{TaskManagerProcessSize, TypeMemory, "256m", "Memory of each TaskManager container; Floe's default is small where Flink's example config uses 1728m."},
		{TaskManagerSlots, TypeInt, "1", "Number of slots each TaskManager offers."},
		{ParallelismDefault, TypeInt, "1", "Parallelism of operators that do not set their own."},
		{TaskManagerTimeout, TypeDuration, "30 s", "How long an idle TaskManager is kept before it is released."},
		{ExecutionTarget, TypeString, "", "Where a job runs: local, remote, yarn-session, yarn-per-job or yarn-application; empty means local."},
		{RestartStrategyType, TypeString, "", "Restart strategy: none (off, disable), fixed-delay (fixeddelay), exponential-delay (exponentialdelay) or failure-rate (failurerate); empty means exponential-delay when execution.checkpointing.interval is set, else the cluster's default (none, or 3 restarts 1 s apart on YARN)."},
		{RestartFixedDelayAttempts, TypeInt, "1", "Attempts of the fixed-delay restart strategy before the job fails."},
		{RestartFixedDelayDelay, TypeDuration, "1 s", "Delay between two restarts of the fixed-delay strategy."},
		{RestartExpInitialBackoff, TypeDuration, "1 s", "First delay of the exponential-delay restart strategy."},
		{RestartExpMaxBackoff, TypeDuration, "1 min", "Largest delay of the exponential-delay restart strategy (before jitter)."},
		{RestartExpMultiplier, TypeString, "1.2", "Factor the exponential-delay backoff grows by on every failure (a number >= 1; Flink's default since 1.19)."},
		{RestartExpResetThreshold, TypeDuration, "1 h", "A job that runs this long without failure starts the exponential-delay backoff (and its attempts) over."},
		{RestartExpJitter, TypeString, "0.1", "Fraction of the exponential-delay backoff added or taken at random (0 to 1), so that many jobs do not restart in step."},
		{RestartExpAttempts, TypeInt, "2147483647", "Restarts the exponential-delay strategy allows before the backoff resets; the default is unbounded."},
		{RestartFailureRateMax, TypeInt, "1", "Failures the failure-rate restart strategy restarts within one failure-rate-interval; one more fails the job."},
		{RestartFailureRateWindow, TypeDuration, "1 min", "Sliding window over which the failure-rate restart strategy counts failures."},
		{RestartFailureRateDelay, TypeDuration, "1 s", "Delay between two restarts of the failure-rate strategy."},
		{CheckpointingInterval, TypeDuration, "0", "Interval between checkpoints; 0 (unset) turns checkpointing off. With it set and restart-strategy.type unset, jobs restart with exponential-delay."},
		{CheckpointingMode, TypeString, "EXACTLY_ONCE", "Checkpointing mode: EXACTLY_ONCE (tasks with several inputs align barriers) or AT_LEAST_ONCE (barriers are forwarded on first arrival)."},
		{CheckpointingTimeout, TypeDuration, "10 min", "A checkpoint not complete this long after its trigger is aborted."},
		{CheckpointingMinPause, TypeDuration, "0", "Least time between the end of one checkpoint and the trigger of the next."},
		{CheckpointingTolerable, TypeInt, "0", "Consecutive checkpoint failures tolerated before the job fails over; 0 means the first failure does."},
		{CheckpointingIncremental, TypeBool, "false", "State backends that can (pebble) upload only the files earlier retained checkpoints do not already hold."},
		{CheckpointsDir, TypeString, "", "Folder (hdfs:// or local) under which checkpoints are written, as <dir>/<job-id>/chk-<n>/; required when checkpointing is on."},
		{CheckpointRetention, TypeString, "NO_EXTERNALIZED_CHECKPOINTS", "What happens to a job's retained checkpoints when it ends (Flink's default, NO_EXTERNALIZED_CHECKPOINTS, deletes them however it ends): DELETE_ON_CANCELLATION keeps them when the job fails, RETAIN_ON_CANCELLATION keeps them however it ends."},
		{CheckpointsNumRetained, TypeInt, "1", "Number of completed checkpoints kept; older ones are deleted."},
		{SavepointsDir, TypeString, "", "Default folder for savepoints when a savepoint command names none."},
		{SavepointPath, TypeString, "", "Savepoint folder (holding _metadata) a job starts from (floe run -s)."},
		{SavepointIgnoreUnclaimed, TypeBool, "false", "Start from a savepoint even when some of its state matches no operator of the job (floe run -n)."},
		{StateBackendType, TypeString, "hashmap", "Keyed state backend: hashmap (in memory) or pebble (github.com/cockroachdb/pebble, on local disk; Floe's counterpart of Flink's rocksdb)."},
		{MaxParallelism, TypeInt, "128", "Number of key groups keyed state is partitioned into: the upper bound of a rescale; it cannot change across a restore."},
		{AutoWatermarkInterval, TypeDuration, "200 ms", "How often periodic watermark generators emit (Flink's default, 200 ms); the job's code may set its own."},
		{HeartbeatInterval, TypeDuration, "10 s", "Interval of heartbeats between JobManager and TaskManagers."},
		{HeartbeatTimeout, TypeDuration, "50 s", "A TaskManager or JobManager that sends no heartbeat for this long is declared lost."},
		{RestAddress, TypeString, "", "Address clients use to reach the JobManager's REST endpoint; on YARN it is taken from the application report."},
		{RestPort, TypeInt, "8081", "Port of the JobManager's REST endpoint; on YARN a free port is chosen unless set."},
		{LocalNumberTaskManager, TypeInt, "1", "Number of in-process TaskManagers when a job runs locally."},
		{TaskManagerNetworkMemory, TypeMemory, "64m", "Budget of network buffers per TaskManager for data exchange (Flink splits this into fraction/min/max)."},
		{JobManagerRPCAddress, TypeString, "localhost", "Host of a standalone cluster's JobManager: where scripts/taskmanager.sh's TaskManagers and the CLI's -m default reach it (with rest.port)."},
		{EnvSSHOpts, TypeString, "", "Options for ssh when scripts/start-cluster.sh and stop-cluster.sh reach the workers that are not this host (e.g. -p 2222 -i key); the FLOE_SSH_OPTS environment variable wins."},
		{TaskManagerHost, TypeString, "", "Host a standalone TaskManager's data port listens on and is reached at; empty means the address it reaches the JobManager from."},
		{TaskManagerRegistration, TypeDuration, "5 min", "A standalone TaskManager that cannot reach its JobManager for this long stops."},
		{SlotRequestTimeout, TypeDuration, "5 min", "A job that cannot get its slots within this time fails (on YARN: containers not granted; standalone: no registered TaskManager with enough free slots)."},
		{MetricsPromFactoryClass, TypeString, "", "Set to org.apache.flink.metrics.prometheus.PrometheusReporterFactory to serve metrics to Prometheus from the JobManager and every TaskManager."},
		{MetricsPromPort, TypeString, "9249", "Port, or range like 9250-9260, of the Prometheus endpoints; each process takes the first free one."},
	}
}

// Declared returns every declared option, sorted by key.
func Declared() []Option {
	opts := declarations()
	sort.Slice(opts, func(i, j int) bool { return opts[i].Key < opts[j].Key })
	return opts
}

// Lookup returns the declaration of key.
func Lookup(key string) (Option, bool) {
	for _, o := range declarations() {
		if o.Key == key {
			return o, true
		}
	}
	return Option{}, false
}
