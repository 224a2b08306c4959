// Package client submits, finds, watches and stops Floe applications and
// jobs on YARN, as Flink's YarnClusterDescriptor and CLI frontend do.
//
// A YarnDescriptor deploys the three modes of ARCHITECTURE.md §2:
//
//   - Deploy validates everything it can before taking an application id
//     (the job binary with CheckJobBinary, the provided lib dirs, the queue
//     with QueueInfo) and checks the memory options against the maximum
//     container YARN returns with the new id; such errors wrap ErrBadInput
//     and leave nothing on YARN or HDFS.
//   - A per-job deployment without a job graph plans the job binary on
//     this machine (Job.Plan, contract.Plan) once it has been checked.
//     Per-job and application deployments choose the job's id (NewJobID,
//     32 hex digits as in Flink) and pass it to the AM in contract.EnvJobID,
//     so the client knows the id from the start.
//   - It then stages the files under <staging root>/<appId>/ (the binaries
//     through the content-addressed Cache, so a binary is uploaded once;
//     floe-conf.yaml, job.graph in per-job mode, and the 0600 secret),
//     builds the AM's launch context (LocalResources with the exact HDFS
//     size and modification time, the environment of the AM contract, an
//     HDTS credentials blob holding the secret) and submits it. A failed
//     submission kills the application and removes the staging folder.
//   - On a Kerberos cluster YarnOptions.Tokens (KerberosTokens) adds an
//     HDFS delegation token and an RM delegation token, renewable by the RM,
//     to that blob; without a keytab (security.kerberos.login.keytab) the
//     client prints when the HDFS token's maximum lifetime ends, the moment
//     the job loses HDFS access.
//   - WaitRunning polls the report, showing YARN's diagnostics while
//     ACCEPTED; when the application fails it returns an *ApplicationError
//     with YARN's diagnostics and the AM's last log lines, read from the
//     NodeManager web services (NodeLogs.AMLogTail).
//
// Retrieve and Connect reach a running application's JobManager (the AM's
// host and RPC port from the report; the secret from the staging folder)
// through a ClusterClient: Jobs, Job, Submit, Cancel, Shutdown, WatchJob.
// Cancelling an id the cluster does not have is an UnknownJobError
// (errors.Is ErrUnknownJob) that lists the ids, names and states it has.
// SubmitToSession checks and plans a job, puts its binary in the cache and
// submits it to a running session.
//
// ApplicationMaster failover: the submission asks for ApplicationAttempts
// attempts (yarn.application-attempts, 2 by default with checkpointing on,
// capped by the RM's yarn.resourcemanager.am.max-attempts from the client's
// Hadoop configuration, with a message), keeps containers across attempts
// and sets yarn.application-attempt-failures-validity-interval. Retrieve
// waits through a failover in progress (a later attempt not yet serving)
// and says "JobManager failed over to attempt N"; a ClusterClient the
// descriptor Follows (Retrieve's do; the attached run calls Follow) finds
// the new attempt's JobManager from the application report when its
// JobManager becomes unreachable in WatchJob, and says so once.
//
// The descriptor's parts with their own job have their own types: Staging
// is the staging root (a job concept, so it lives here and not in
// hdfsstore): each application's folder, its secret, Sweep of folders
// whose application has ended; NodeLogs reads container logs from the
// NodeManagers (`floe logs`, the failure report), and from HDFS once a
// NodeManager aggregated them (package aggregatedlog reads Hadoop's TFile
// log format); Job is a job binary with
// its arguments and parallelism, and plans itself.
//
// Example: deploy a per-job cluster for a job binary and follow its job.
//
//	d, err := client.NewYarnDescriptor(ctx, client.YarnOptions{Config: cfg, RM: rm, Store: store, Out: os.Stderr})
//	dep, err := d.Deploy(ctx, client.DeploySpec{Mode: contract.ModePerJob, JobBinary: bin, JobArgs: args, PlanOut: os.Stdout})
//	rep, err := d.WaitRunning(ctx, dep.App)
//	cc, err := client.Connect(rep, dep.Secret)
//	final, err := cc.WatchJob(ctx, dep.JobID, 500*time.Millisecond, os.Stdout)
package client
