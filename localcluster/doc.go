// Package localcluster runs a job inside the current process on an
// embedded cluster: a JobManager (package jobmanager, the same
// deterministic core that runs in the ApplicationMaster) and in-process
// TaskManagers (package taskexec) that exchange records through a
// runtime.LocalExchange instead of TCP. It is Floe's counterpart of
// Flink's MiniCluster, and what a job binary does when a person runs it
// directly (stream's "local" role).
//
// Its driver of the JobManager's resource interface starts TaskManagers as
// goroutines, up to Options.TaskManagers of Options.Slots slots each; the
// JobManager schedules, restarts (Options.RestartAttempts, or any
// strategy in Options.Restart), checkpoints (Options.Checkpointing, which
// stream builds from floe-conf.yaml, -D and the job's code) and cancels
// exactly as on YARN. Run returns when the job ends, with a *JobError
// unless it finished; ending ctx cancels the job. Every goroutine has ended
// when Run returns.
//
// Only the local role links this package's JobManager into a job binary;
// stream imports it, and it imports jobmanager and taskexec.
//
// # Example
//
// With Options.Progress set (stream sets it to standard error when a job
// binary is run directly) Run prints what Flink's local run prints: the
// job id at submission, a line on each state change and every few seconds
// (subtasks running and finished, restarts with the last cause's first
// line), and the runtime at the end; the full error, a panic's stack
// included, is the one Run returns.
//
// With Options.PrometheusPorts (stream sets it from Flink's
// metrics.reporter.prom.* keys) the JobManager's metrics (job uptime,
// restarts, checkpoint counts; jobmanager.Metrics) and the
// TaskManagers' — task, operator and user metrics — are served under
// Flink's Prometheus names while the job runs, as Flink's MiniCluster runs
// its reporters.
//
//	prog, err := env.Program("wordcount") // a stream.Environment
//	err = localcluster.Run(ctx, localcluster.Options{Program: prog,
//		TaskManagers: 2, Slots: 2, Logger: log})
//	var je *localcluster.JobError
//	if errors.As(err, &je) {
//		fmt.Println(je.Status.State, je.Status.Cause)
//	}
package localcluster
