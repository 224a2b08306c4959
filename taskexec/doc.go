// Package taskexec is the TaskManager: it registers its slots with a
// JobManager, runs subtasks (operator chains) in them, exchanges records
// with other TaskManagers and sends heartbeats.
//
// A TaskManager runs every deployed subtask in its own goroutine with
// runtime.RunTask and reports RUNNING, then FINISHED, FAILED (with the
// cause, a panic's stack included) or CANCELED. Before running anything it
// compares the job graph fingerprint the JobManager sent with the one its
// own binary built, and refuses a mismatch as an unrecoverable failure.
//
// The JobManager is reached through a JobManagerGateway: in-process for
// local execution, or a control channel (api.Dial, RunRemote) on which the
// JobManager pushes deploy, cancel and shutdown and the TaskManager pushes
// subtask states, with heartbeats both ways at the JobManager's declared
// api.Timing. A dropped channel is reopened at once, re-registering; a
// TaskManager that cannot reach its JobManager for JobManagerTimeout, or
// that the JobManager no longer knows, exits, so nothing is left behind.
//
// ApplicationMaster failover (failover.go): a TaskManager launched with the
// job store's folder, its pool and its container (RemoteOptions.JobStoreDir,
// Pool, Container) keeps trying every 500 ms once its JobManager is gone,
// and looks in the job store for the newest attempt's JobManager
// (attempt-<n>/_ready); when that is another address it cancels every task
// of the old JobManager without reporting them (the new one redeploys the
// jobs from their latest checkpoint), releases their partitions and
// registers afresh with container and pool, so that the new attempt adopts
// it. TaskManagers dial their JobManager, so a former attempt, even one
// still alive, cannot reach it any more.
//
// Checkpoints: a subtask deployed with api.TaskCheckpointing gets a
// buffered command channel; TriggerCheckpoint (for source subtasks) and
// NotifyCheckpoint (every subtask of the attempt) put commands in it
// without blocking (a full buffer declines a trigger, drops a notice —
// the next completion commits the earlier ones). A trigger for a source
// that already finished is acknowledged with no state (FLIP-147), for a
// subtask not running otherwise declined. The acknowledgement writes each
// operator's inline state to Dir/chk-<n>/<operator>-<vertex>-<subtask>-state
// (a savepoint's to its own folder, which the trigger and the barriers
// carry; hdfsstore: hdfs:// or local), adds the handles operators
// uploaded, and goes to the JobManager through a CheckpointGateway with the
// alignment time; DeployTask.Restore's handles reach the operators by UID
// (its Fresh operators, new to a savepoint, open without a restore). A
// trigger's Stop and Drain (stop-with-savepoint) reach the source task.
//
// RunProcess is the TaskManager process of a job binary in the taskmanager
// role: it reads the contract's environment (id, JobManager address, slots,
// network memory, JobManager timeout, the NodeManager host to listen on,
// the container id, pool and job store folder),
// the application secret (a 0600 secret file, or the YARN container's
// token file through yarnrpc's Credentials), opens the container's log
// file, and calls RunRemote.
//
// NetExchange adapts the data plane (package netio: bounded buffer pool,
// credit-based flow control, authenticated TCP) to runtime.Exchange;
// producers on the same TaskManager are read without a socket.
//
// Metrics (metrics.go): the TaskManager keeps a metrics.Registry with its
// own group (scope taskmanager: memory, goroutines, garbage collection)
// and a job/task group per subtask it runs (operators below), samples the
// meters and sends a MetricReport to the JobManager every
// Options.MetricsInterval (2s), with its log files. With
// contract.EnvPrometheusPorts set (metrics.reporter.prom.port) it serves
// the registry to Prometheus on the first free port of that range, on its
// data host. A log request from the JobManager is answered with the tail
// of a file of its log folder (logs.go).
//
//	err := taskexec.RunProcess(ctx, taskexec.ProcessOptions{Program: program})
//	// or, with everything explicit:
//	err := taskexec.RunRemote(ctx, taskexec.RemoteOptions{ID: "tm-1", Slots: 2,
//		JobManagerAddress: "127.0.0.1:8081", Secret: secret, Program: program})
package taskexec
