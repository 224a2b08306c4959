package contract

import "strings"

// Environment variables Floe sets when it launches a process. The job
// binary reads EnvRole to decide which role it plays.
const (
	// EnvRole selects the role a job binary plays: RoleLocal, RolePlan or
	// RoleTaskManager. Unset means RoleLocal.
	EnvRole = "FLOE_ROLE"
	// EnvJobManagerAddress is the host:port of the JobManager's control
	// endpoint, given to TaskManagers.
	EnvJobManagerAddress = "FLOE_JOBMANAGER_ADDRESS"
	// EnvTaskManagerID is the id of the TaskManager a process runs.
	EnvTaskManagerID = "FLOE_TM_ID"
	// EnvSecretFile is the path of a 0600 file holding the per-application
	// secret, for processes started outside YARN. In YARN containers the
	// secret comes from the container's token file under SecretAlias.
	EnvSecretFile = "FLOE_SECRET_FILE"
	// EnvTaskManagerSlots is a TaskManager's slot count, set by the
	// resource driver.
	EnvTaskManagerSlots = "FLOE_TM_SLOTS"
	// EnvNetworkMemory is a TaskManager's network buffer budget in bytes.
	EnvNetworkMemory = "FLOE_TM_NETWORK_BYTES"
	// EnvJobManagerTimeout is how long (ms) a TaskManager keeps trying an
	// unreachable JobManager before it exits.
	EnvJobManagerTimeout = "FLOE_JM_TIMEOUT_MS"
	// EnvTaskManagerHost is the host a standalone TaskManager's data port
	// listens on (taskmanager.host of its worker); on YARN the
	// NodeManager's host is used instead.
	EnvTaskManagerHost = "FLOE_TM_HOST"
	// EnvTaskManagerPool is the pool (job binary) a TaskManager was
	// started for; EnvJobStoreDir is the ApplicationMaster's job store,
	// where a TaskManager that lost its JobManager finds the address of
	// the attempt that took over (<dir>/attempt-<n>/_ready, JSON with
	// "attempt" and "address").
	EnvTaskManagerPool = "FLOE_TM_POOL"
	EnvJobStoreDir     = "FLOE_JOB_STORE_DIR"
	// EnvPrometheusPorts turns a TaskManager's Prometheus endpoint on: the
	// JobManager's metrics.reporter.prom.port (a port or a range).
	EnvPrometheusPorts = "FLOE_METRICS_PROM_PORTS"
	// EnvParallelism is the default parallelism (`floe run -p`) handed to
	// the job binary's plan role and to the AM.
	EnvParallelism = "FLOE_PARALLELISM"
	// EnvPlanFile is where the plan role writes the serialized job graph
	// (stdout when unset).
	EnvPlanFile = "FLOE_PLAN_FILE"
	// EnvLogLevel is the zerolog level of every Floe process ("debug",
	// "info", …); see LogLevel.
	EnvLogLevel = "FLOE_LOG_LEVEL"
	// EnvConfDir is the folder holding floe-conf.yaml.
	EnvConfDir = "FLOE_CONF_DIR"
	// EnvHadoopConfDir and EnvYarnConfDir name the folders holding
	// Hadoop's *-site.xml files, as in Hadoop's own scripts.
	EnvHadoopConfDir = "HADOOP_CONF_DIR"
	EnvYarnConfDir   = "YARN_CONF_DIR"
	// EnvHadoopUserName overrides the user name Floe acts as on a cluster
	// without Kerberos, as in Hadoop.
	EnvHadoopUserName = "HADOOP_USER_NAME"
)

// Variables the Floe client sets for the ApplicationMaster container.
const (
	// EnvYarnMode is the application's Mode.
	EnvYarnMode = "FLOE_YARN_MODE"
	// EnvStagingDir is the fully qualified <staging root>/<appId> folder.
	EnvStagingDir = "FLOE_STAGING_DIR"
	// EnvJobBinary is the job binary's HDFS URI (per-job and application).
	EnvJobBinary = "FLOE_JOB_BINARY"
	// EnvJobArgs are the job binary's arguments, a JSON array of strings.
	EnvJobArgs = "FLOE_JOB_ARGS"
	// EnvJobID is the id the AM gives the job of a per-job or application
	// cluster, chosen by the client so it knows the id from the start.
	EnvJobID = "FLOE_JOB_ID"
	// EnvShipFiles carries the files of yarn.ship-files (-yt) to the AM
	// (EncodeShipFiles), so that it localizes them into every TaskManager
	// container too.
	EnvShipFiles = "FLOE_SHIP_FILES"
	// EnvAppAttempts is the number of ApplicationMaster attempts the
	// application was submitted with: an attempt that is not the last
	// keeps the staging folder (and the job store in it) on SIGTERM.
	EnvAppAttempts = "FLOE_APP_ATTEMPTS"
)

// Values of EnvRole.
const (
	RoleLocal       = "local"
	RolePlan        = "plan"
	RoleTaskManager = "taskmanager"
)

// Mode is how a Floe cluster lives on YARN (the value of EnvYarnMode).
type Mode string

// The three YARN modes.
const (
	ModeSession     Mode = "session"
	ModePerJob      Mode = "per-job"
	ModeApplication Mode = "application"
)

// SecretAlias is the alias of the per-application secret in the secret-keys
// section of a YARN container's token file.
const SecretAlias = "floe.application.secret"

// WithoutRoleEnv is env without the variables that give a process its
// Floe role, so that a parent's own role never leaks into a child
// TaskManager started from it.
func WithoutRoleEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case EnvRole, EnvJobManagerAddress, EnvTaskManagerID, EnvSecretFile, EnvTaskManagerSlots, EnvNetworkMemory,
			EnvJobManagerTimeout, EnvTaskManagerHost:
			continue
		}
		out = append(out, kv)
	}
	return out
}
