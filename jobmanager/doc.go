// Package jobmanager coordinates jobs without knowing the platform: the
// dispatcher and REST API, per-job scheduling of subtasks into slots, and
// failover.
//
// Core is deterministic, in the style of etcd's raft: Step(now, event)
// returns actions and does no I/O. Events are job submissions and
// cancellations, TaskManager registrations, heartbeats and exits, subtask
// state reports, checkpoint reports and Ticks (time passing). Actions are
// StartTaskManagers, StopTaskManager, Deploy, Cancel, JobChanged and the
// checkpoint actions below. The core
//
//   - places a job when its pool (job binary) has Slots() free slots —
//     TaskManagers in id order, slot sharing: job slot i runs subtask i of
//     every vertex — and otherwise asks the resource driver for more
//     TaskManagers, failing the job if they cannot start or the slots do not
//     come within SlotRequestTimeout;
//   - tracks subtasks through CREATED, SCHEDULED, RUNNING, FINISHED,
//     FAILED, CANCELING, CANCELED and jobs through CREATED, RUNNING,
//     FAILING, RESTARTING, CANCELING, CANCELED, FAILED, FINISHED;
//   - on the first failure cancels the other subtasks, and once all are
//     final asks the job's restart strategy (restart.go: Flink's none,
//     fixed-delay, exponential-delay, failure-rate, decided with time from
//     the events and jitter hashed from the job id) whether and when to
//     restart it as a new attempt; a job the strategy stops fails with a
//     cause saying which limit stopped it (failures marked unrecoverable,
//     like a fingerprint mismatch, fail at once);
//   - declares a TaskManager lost after HeartbeatTimeout without a
//     heartbeat, or when the driver reports its exit, failing its subtasks;
//   - attributes a failover to its root cause: a subtask failing with a
//     data-plane symptom (netio's connection lost, partition released or
//     not found) is explained by the loss of a TaskManager the job ran on,
//     and a heartbeat loss by that TaskManager's exit report, whichever
//     order they arrive in (rootcause.go);
//   - releases TaskManagers idle for IdleTimeout.
//
// Its tests are scripts in testdata/ (go test -update rewrites them).
//
// JobManager is the I/O shell: one goroutine feeds the core and carries
// out actions through a ResourceDriver (start/stop TaskManagers: the
// ProcessDriver here, goroutines in local execution, YARN containers in
// package am) and TaskManagerGateways. Server is the control API (package
// api): clients submit, watch and cancel jobs over signed HTTP; each
// TaskManager holds one control channel (a signed upgrade on the same
// port) on which it registers, the JobManager pushes deploy, cancel and
// shutdown as the core emits them, and the TaskManager pushes subtask
// states, with heartbeats both ways. The Server's TaskManager table loses
// an entry when the TaskManager is released, lost or shut down. Every
// mutation is signed with the per-application secret and authenticated
// from its headers before any body is read; unsigned ones are rejected
// with 401 (without reading their bodies) and logged; the one exception
// is the dashboard's buttons (server_dashboard.go), which carry an expiring
// sign-in code derived from the secret in a body of at most 4 KiB. Signed bodies are
// bounded one by one (MaxBodyBytes) and together (MaxInFlightBytes). Reads (overview, job list, a job's status
// with its exception history, TaskManagers) are signed too unless
// ServerOptions.OpenReads serves them openly (on YARN, for the web proxy).
// Each job keeps an exception history: one entry per failover, naming its
// root cause, and the exit of a TaskManager (on YARN with the container's
// exit status) that explains none. When a peer noticed the loss first, the
// entry names the exit and keeps the symptom after it ("[first noticed as:
// …]"); a failed job's final reason is its last failover's root cause.
//
// CheckpointCoordinator (one per job with execution.checkpointing.interval
// set, embedded in Core) is the deterministic half of checkpointing: it
// triggers aligned checkpoints on its clock, collects acknowledgements with
// their state handles, has the shell write chk-<n>/_metadata atomically,
// notifies tasks, retains state.checkpoints.num-retained checkpoints with
// reference-counted shared (incremental) files, deletes what a failed or
// subsumed checkpoint leaves, and fails the job past
// execution.checkpointing.tolerable-failed-checkpoints. Its tests are
// recorded scripts in testdata/checkpoint/.
//
// Core wires it (core_checkpoint.go): every job has a coordinator, which
// triggers periodic checkpoints only when execution.checkpointing.interval
// is set and otherwise only savepoints (deploys then say SavepointsOnly:
// sinks commit as they roll, keyed state is still on the backend, so a
// savepoint can snapshot it), as Flink takes savepoints of any job. A
// submission carries JobCheckpointing (JobCheckpointingFrom: the cluster's floe-conf.yaml and
// -D under the options the client sends, under the options the job's code
// set, carried in the job graph (JobConfigLookup: the code wins, as in
// Flink); checkpointing on without
// state.checkpoints.dir, or state.backend.type rocksdb, is refused at
// submission); the job's folder is state.checkpoints.dir/<job-id>; every
// Deploy carries it (DeployTask.Checkpointing) and, once a checkpoint
// completed, the subtask's handles of the latest one for its key-group
// range (DeployTask.Restore); all subtasks RUNNING starts the coordinator's
// clock (the subtasks of source vertices get the triggers), leaving RUNNING
// or a subtask finishing stops it, Ticks feed it and NextWake tells the
// shell when. Its actions become SendTrigger and SendNotify to the
// TaskManagers hosting the subtasks, WriteCheckpointMetadata and
// DeleteCheckpointFiles for the shell, and FailJobForCheckpoints fails the
// attempt like a task failure. A submission logs SubmissionWarnings (floe
// run prints them too): ReplayWarning when it checkpoints in EXACTLY_ONCE
// mode but reads a source which cannot replay, RollingCommitWarning when it
// takes no checkpoints but writes an unbounded source into files. When a
// job ends, its checkpoints go or stay
// as Flink's execution.checkpointing.externalized-checkpoint-retention
// says: the default NO_EXTERNALIZED_CHECKPOINTS deletes the job's folder
// however it ends, DELETE_ON_CANCELLATION keeps it when the job fails,
// RETAIN_ON_CANCELLATION keeps it always. The shell (checkpoint_shell.go)
// sends the messages over the control channel, turns acknowledgements and
// declines into CheckpointReport events, and runs the storage actions in
// order on one worker goroutine (CheckpointStorage; hdfsstore by default,
// hdfs:// and local paths), feeding their results back; the worker ends
// with Run. GET /v1/jobs/{id}/checkpoints and Flink's
// /jobs/{id}/checkpoints serve the coordinator's figures with Flink's
// field names.
//
// A JobRecorder (Options.Recorder; on YARN the ApplicationMaster's job
// store) is told of each submission before the job is accepted, of each
// checkpoint after its _metadata is written and before the coordinator
// completes it (a refusal, such as a fenced attempt's, aborts the
// checkpoint: it is never notified, so sinks commit only what a new
// attempt would restore), and of each final state. A new JobManager
// attempt resubmits a job with Submission.Recover (Recovery): the job's
// latest completed checkpoint is adopted as its own (CheckpointRestored
// with Owned, the chk-<n> folders found cleaned), and the failover's cause
// opens the job's exception history. A TaskManager the JobManager did not
// start may register with its container and pool when the resource driver
// adopts it (Adopter: on YARN, a TaskManager of a former ApplicationMaster
// attempt); it then stands in for one the core asked for, under its own id
// (Options.TaskManagerIDPrefix keeps new ids apart).
//
// Savepoints: POST /v1/jobs/{id}/savepoints (signed; TriggerSavepoint)
// asks the job's coordinator for a checkpoint flagged Savepoint whose
// _metadata goes to target/savepoint-<short id>-<random>/ (SavepointDir);
// it is never retained nor deleted (a failover restores it while it is
// newer than the latest checkpoint: its notice let the sinks commit), and
// the request is answered with the
// folder once complete (synchronously, within api.SavepointWait, where
// Flink answers a trigger id to poll). A submission with
// execution.savepoint.path reads <path>/_metadata (errors name the path),
// matches it to the job's operators by UID (MatchSavepoint; unknown
// operators are an error unless execution.savepoint.ignore-unclaimed-state,
// a changed max parallelism always is) and deploys the first attempt from
// it, rescaling through key groups and union source state; an operator
// with no state at all in the savepoint starts fresh (api.TaskRestore.Fresh).
// LoadSavepoint does the reading and matching for the CLI too, so a
// per-job run from a bad savepoint fails before YARN is asked for
// anything. A savepoint is self-contained: the trigger and the barriers
// carry its folder, every task writes its state there, in the canonical
// format whatever the backend, so it references nothing of the job's
// checkpoint folder and outlives it.
//
// Stop with savepoint (Flink's stop; StopWithSavepoint, POST
// /v1/jobs/{id}/stop synchronous, Flink's POST /jobs/{id}/stop answering a
// request id): a synchronous savepoint whose trigger carries Stop (and
// Drain). The sources emit nothing after its barrier and wait; on
// completion the tasks are notified (sinks commit) and the sources end,
// so the job ends FINISHED and a per-job application SUCCEEDED; the
// coordinator triggers nothing more. A failed one is aborted: the
// sources go on, the job keeps running, the savepoint's folder is
// deleted. Flink's POST /jobs/{id}/savepoints and /stop run in a goroutine
// of the Server and are polled at GET /jobs/{id}/savepoints/{triggerid}
// (server_stop.go).
//
// Finished subtasks (FLIP-147): a subtask that finishes while the job runs
// (a source subtask without a split) is acknowledged implicitly with no
// state (CheckpointTaskFinished); checkpoints and savepoints go on, and a
// restore of that checkpoint gives it nothing to read.
//
// Flink's REST API (server_flink*.go) is served next to /v1 with Flink's
// field names and types (golden shapes in testdata/flink_rest; Flink's own
// RestClusterClient is exercised by TestFlinkRESTClient): /config,
// /overview, /jobs, /jobs/overview, /jobs/:jobid (and /status, /plan,
// /exceptions, /checkpoints, /metrics?get=), /jobs/:jobid/vertices/:vid
// (per-subtask records and bytes, /backpressure, /watermarks,
// /metrics?get=), /taskmanagers, /taskmanagers/:tmid (with /metrics and
// /logs, a log's tail fetched from the TaskManager over its control
// channel), /jobmanager/config, /jobmanager/logs, /jobmanager/metrics, and
// PATCH /jobs/:jobid (cancel; signed like every mutation). Flink's clients
// prefix /v1: those paths are served under /v1 too where Floe's own /v1 API
// has none, and an unsigned GET /v1/jobs/:jobid (Floe's clients always
// sign) answers Flink's JobDetailsInfo. Vertex ids are Floe's, zero-padded
// to Flink's 32 hex digits. The dashboard (package dashboard) is served at
// /.
//
// Metrics (metrics_*.go): TaskManagers send their figures every two
// seconds (MsgMetrics); the Server keeps each TaskManager's newest report
// and each subtask's newest figures (kept after the job ends) for the REST
// API. The JobManager's own metrics (scope jobmanager and jobmanager.job:
// uptime, numRestarts, checkpoint counts and the last checkpoint's
// duration and size, TaskManagers and slots, memory and goroutines) are
// served at /jobmanager/metrics and /jobs/:jobid/metrics, and to
// Prometheus when metrics.reporter.prom.factory.class names Flink's
// Prometheus reporter factory: the JobManager then binds the first free
// port of metrics.reporter.prom.port and every TaskManager it starts gets
// the same range (contract.EnvPrometheusPorts); /v1/taskmanagers names
// each TaskManager's endpoint.
//
//	drv, _ := jobmanager.NewProcessDriver(jobmanager.ProcessDriverOptions{SecretFile: path})
//	jm, _ := jobmanager.New(ctx, jobmanager.Options{Driver: drv, Core: jobmanager.CoreOptions{SlotsPerTaskManager: 2}})
//	srv, _ := jobmanager.NewServer(jm, jobmanager.ServerOptions{Addr: "127.0.0.1:8081", Secret: secret})
//	jm.SetAddress(srv.Addr())
//	go srv.Serve(ctx)
//	jm.Run(ctx)
package jobmanager
