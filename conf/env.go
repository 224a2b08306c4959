package conf

// The environment-variable contract between the client, the ApplicationMaster
// (JobManager) and the TaskManagers. Floe sets these when it launches a
// process; the job binary reads EnvRole to decide which role it plays.
const (
	// EnvRole selects the role a job binary plays: RoleLocal, RolePlan or
	// RoleTaskManager. Unset means RoleLocal.
	EnvRole = "FLOE_ROLE"
	// EnvJobManagerAddress is the host:port of the JobManager's control
	// endpoint, given to TaskManagers.
	EnvJobManagerAddress = "FLOE_JOBMANAGER_ADDRESS"
	// EnvTaskManagerID is the id of the TaskManager a container runs.
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
	// EnvParallelism is the default parallelism `floe run -p` hands to the
	// job binary's plan role.
	EnvParallelism = "FLOE_PARALLELISM"
	// EnvPlanFile is where the plan role writes the serialized job graph
	// (stdout when unset).
	EnvPlanFile = "FLOE_PLAN_FILE"
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

// Values of EnvRole.
const (
	RoleLocal       = "local"
	RolePlan        = "plan"
	RoleTaskManager = "taskmanager"
)

// SecretAlias is the alias of the per-application secret in the secret-keys
// section of a YARN container's token file.
const SecretAlias = "floe.application.secret"

// FileName is the name of Floe's configuration file inside EnvConfDir.
const FileName = "floe-conf.yaml"
