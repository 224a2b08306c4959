// Package am is Floe's YARN ApplicationMaster: `floe jobmanager --yarn` in
// the AM container. It registers with the ResourceManager, serves the
// JobManager (package jobmanager) with a YARN resource driver, launches and
// replaces TaskManager containers through the NodeManagers, and unregisters
// when the application ends. Nothing outside this package knows that
// TaskManagers live in YARN containers.
//
// # Lifecycle (Run)
//
//   - ReadEnv checks the container environment: CONTAINER_ID, NM_HOST,
//     LOG_DIRS, HADOOP_TOKEN_FILE_LOCATION and HADOOP_CONF_DIR from the
//     NodeManager; FLOE_YARN_MODE, FLOE_STAGING_DIR, FLOE_JOB_BINARY,
//     FLOE_JOB_ARGS (a JSON array), FLOE_JOB_ID (the id the client chose for
//     the job of a per-job or application cluster, 32 hex digits),
//     FLOE_PARALLELISM and HADOOP_USER_NAME from the client (the names are
//     declared in package contract). Every missing or malformed one is named
//     in the error.
//   - The container's token file holds the AMRMToken (added by the RM) and
//     the per-application secret (contract.SecretAlias, added by the client).
//     The secret signs every mutation of the REST API and every TaskManager
//     request; it never appears in an environment variable or a command line.
//     On a Kerberos cluster it also holds the client's HDFS and RM delegation
//     tokens: the AM's hdfsstore reads HDFS with the HDFS token, and every
//     TaskManager's launch context gets both (tokens.go), so its NodeManager
//     localizes the job binary and the TaskManager reaches HDFS with them.
//     With a shipped keytab the AM and the TaskManagers log in themselves,
//     and each TaskManager launched gets a fresh HDFS token the AM obtained
//     with the keytab (freshTokens), so replacements start after the
//     submission's tokens died. After a failover, the new attempt asks the
//     RM how the former one ended (former_attempt.go) for the failover's
//     entry in the jobs' exception history.
//   - The JobManager listens on NM_HOST (rest.port when set, else a free
//     port) and registers host NM_HOST, that port and the tracking URL
//     http://NM_HOST:port/. GET endpoints are unsigned so that they work
//     through the YARN web proxy; mutations need the HMAC signature.
//   - per-job: job.graph (localized) is submitted; application: the job
//     binary (localized as ./job) runs in the plan role inside the AM
//     container first. The application ends with the job: FINISHED →
//     SUCCEEDED, FAILED → FAILED, CANCELED → KILLED, with a diagnostics line.
//     session: no job and no TaskManagers at start; jobs arrive over REST
//     and POST /v1/cluster/shutdown cancels them and ends with SUCCEEDED.
//   - At the end the AM stops the JobManager (its storage work drains),
//     removes the staging folder and the job store, then unregisters. On
//     SIGTERM (the NodeManager sends SIGKILL about 250 ms later) an
//     application of a single attempt ends, and the AM deletes the staging
//     folder and the job store at once over its already open connections
//     and logs afterwards. With more attempts SIGTERM alone does not mean
//     the application ends: a NodeManager that stops kills its containers
//     too, and YARN starts another attempt that does not count against
//     the attempts, even after the "last" one. So the AM asks the RM for
//     its own attempt report: the RM marks an attempt KILLED (before it
//     has the NodeManager stop the AM) only when the application is
//     killed, and then both go; RUNNING or FAILED, or no answer in time,
//     keeps them for that attempt, and the AM says so in its log. An AM
//     that fails before unregistering leaves the folder for the client's
//     sweep.
//
// # Failover (takeover.go, recovery.go, package jobstore)
//
// The client submits the application with yarn.application-attempts
// attempts (2 by default with checkpointing on), keeping containers across
// attempts, and yarn.application-attempt-failures-validity-interval. Right
// after registering, every attempt takes the job store over
// (jobstore.Open: high-availability.storageDir/<appId>, by default
// <staging>/ha; the fence comes first, see package jobstore) and gives the
// JobManager a JobRecorder on it: each submitted job (graph, job binary
// with its HDFS size and modification time, arguments, restart strategy,
// checkpointing) is recorded before it runs, each completed checkpoint
// before tasks are notified, each final state when reached. The takeover
// writes the attempt's JobManager address into the store (_ready), and
// every TaskManager is launched with the store's folder
// (contract.EnvJobStoreDir) and its pool. A later attempt resubmits every
// unfinished recorded job under its id from its latest completed
// checkpoint (jobmanager.Recovery: adopted as the job's own, so its
// retention and the cleanup of checkpoints in progress continue), with the
// failover and its cause in the job's exception history, and adopts the
// TaskManager containers YARN kept (RegisterApplicationMaster's containers
// from previous attempts; adopt.go): their TaskManagers, cut off from the
// dead JobManager, read the new address from the store, drop the old
// attempt's tasks and register again with their container and pool; the
// driver lets each stand in for a TaskManager the new JobManager asks for
// (jobmanager.Adopter) and holds asks to YARN back for AdoptGrace, after
// which it asks for the rest and releases what nobody adopted. The new
// attempt's own TaskManagers are named tm-a<n>-<k>, so ids never collide.
// yarn.application-master.adopt-taskmanagers false releases the kept
// containers instead and starts new TaskManagers. A per-job or
// application cluster whose job had already ended ends with that job's
// result; a session's finished jobs are not run again. An attempt that
// finds a later one in the job store (a zombie) fails without removing or
// unregistering anything.
//   - Run only connects (credentials, HDFS, the RM and NM clients, the
//     listener); the life itself is appMaster.serve, written against narrow
//     interfaces (resourceManager, Launcher, stagingStore) so that every
//     exit is unit-tested with fakes (appmaster_test.go). Its goroutines
//     (driver heartbeat, JobManager, REST endpoint, mode runner) are joined
//     by one deferred stop on every exit.
//   - Logs are zerolog JSON in <LOG_DIRS>/jobmanager.log (OpenLog);
//     TaskManagers write <LOG_DIRS>/taskmanager.log.
//
// # Resource driver (Driver)
//
// The JobManager core decides how many TaskManagers a job needs (its slots
// over taskmanager.numberOfTaskSlots, per pool: job binary and arguments)
// and when one is idle (resourcemanager.taskmanager-timeout). The Driver
// turns that into YARN calls:
//
//   - StartTaskManager adds one ask of taskmanager.memory.process.size and
//     yarn.containers.vcores (priority 1, no locality). The heartbeat runs
//     every 500 ms while asks are pending and every 5 s otherwise (Flink's
//     yarn.heartbeat.interval; well below the RM's AM liveness expiry).
//   - Each allocated container goes to the oldest waiting TaskManager and is
//     started on its NodeManager (TaskManagerLaunch: the job binary as
//     LocalResource "job" with its HDFS size and timestamp, the taskmanager
//     role's environment, credentials holding only the secret). Containers
//     beyond the waiting TaskManagers are released at once; a container that
//     cannot be started is released and reported as a failed start.
//   - StopTaskManager withdraws a waiting ask or releases the container.
//   - A container that completes without having been stopped is logged and
//     reported to the JobManager with YARN's exit status and diagnostics
//     (ContainerExit). The JobManager fails the subtasks on it, records the
//     cause in the job's exception history, and when the job restarts asks
//     for a replacement. On YARN the default restart strategy is fixed-delay
//     with DefaultRestartAttempts attempts DefaultRestartDelay apart unless
//     restart-strategy.type is configured or checkpointing is on, by the
//     configuration or the job's code (then Flink's exponential-delay,
//     unbounded) (RestartStrategy, jobmanager.JobConfig), so that a
//     lost container is recovered from.
//   - A ResourceManager restart (work-preserving) is survived: failed
//     heartbeats are retried, the AMRMClient registers again when the new RM
//     does not know the attempt and re-sends its asks, and the TaskManagers
//     keep running. Only ApplicationAttemptNotFound, AM_SHUTDOWN or the
//     RM refusing the AMRMToken of an attempt it dropped (a zombie AM
//     resumed after its attempt ended) end the loop (ErrAttemptOver).
//
// # Example
//
// cmd/floe wires it in a few lines:
//
//	env, err := am.ReadEnv(os.Getenv)
//	log, closer, err := am.OpenLog(env.LogDir, zerolog.InfoLevel)
//	cfg, err := conf.Load(conf.LoadOptions{})    // FLOE_CONF_DIR=.
//	hadoop, err := conf.LoadHadoop(env.HadoopConfDir)
//	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
//	res, err := am.Run(ctx, am.Options{Env: env, Config: cfg, Hadoop: hadoop, Logger: log})
package am
