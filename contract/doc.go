// Package contract declares, once, everything Floe's processes agree on
// across a process boundary: the environment variables the client, the
// ApplicationMaster, the process driver and the job binary pass each other,
// the roles a job binary plays and the YARN modes, the names of staged files
// and localized links, the container commands, and the parsers of values
// that cross those boundaries (log level, shell quoting). Every side imports
// this package, so a change that breaks one side fails to compile.
//
// It also holds Plan, the one launcher of a job binary's plan role: how a
// job binary is started in each role (its environment, the plan file, the
// timeout) is part of the contract, and the client (-t remote, yarn-session,
// yarn-per-job) and the ApplicationMaster (application mode) both plan
// jobs, so the runner lives here, below both, rather than in either.
//
// Hadoop's own contract (HADOOP_TOKEN_FILE_LOCATION, CONTAINER_ID, NM_HOST,
// LOG_DIRS) is declared in yarnrpc; the JobManager ↔ TaskManager messages in
// jobmanager/api.
//
// The package imports nothing of Floe, so every binary (the floe CLI, the
// ApplicationMaster and every job binary) can link it.
//
//	switch os.Getenv(contract.EnvRole) {
//	case contract.RolePlan:        // print the job graph
//	case contract.RoleTaskManager: // serve slots
//	}
package contract
