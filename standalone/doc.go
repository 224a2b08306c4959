// Package standalone runs Floe clusters without YARN, as Flink's
// standalone mode does: a JobManager and TaskManagers started by scripts
// (scripts/start-cluster.sh, jobmanager.sh, taskmanager.sh,
// standalone-job.sh) on one host or many.
//
// A Floe TaskManager is a process of the job binary in the taskmanager
// role, so a host cannot offer TaskManagers before it knows the job. What
// scripts/taskmanager.sh starts on a host is therefore a worker (`floe
// taskmanager`): a small daemon that offers the host's slots
// (taskmanager.numberOfTaskSlots) to the JobManager and starts, on its
// request, TaskManager processes of the job binaries it is given — the
// role a NodeManager plays on YARN. The JobManager cannot start anything
// itself: its ResourceDriver (Driver) places every TaskManager request on
// a registered worker with enough free slots, and waits for one (at most
// slot.request.timeout) when none has them.
//
// # Protocol
//
// Every request is signed with the cluster secret (jobmanager/api); the
// JobManager serves, next to its control API:
//
//	POST /v1/workers/{id}/poll   WorkerPoll -> WorkerCommands   (long poll)
//	PUT  /v1/blobs/{sha256}      the bytes of a job binary      (client upload)
//	GET  /v1/blobs/{sha256}      the bytes back                 (worker download)
//
// A worker polls in a loop: each poll says which TaskManagers it runs and
// which ended since the last poll (with their cause), and waits up to
// WaitMillis for commands: start a TaskManager from a blob, stop one, or
// shut down (the cluster ends: standalone application mode). A worker that
// stops polling for the worker timeout (heartbeat.timeout) is lost and its
// TaskManagers are reported ended; a TaskManager the JobManager placed on
// a worker that no longer lists it has ended too (the worker restarted).
//
// # Job binaries
//
// Flink's BlobServer serves jars to TaskManagers; here the client uploads
// the job binary to the JobManager (`floe run -m`), addressed by its
// SHA-256, and a submission names it "blob:<sha256>". A worker downloads a
// blob once, checks its digest, and caches it in its folder; the
// JobManager keeps blobs in its blob folder until it exits. A submission
// that names a local path (a client on the JobManager's host) is copied
// into the blob store on first use.
//
// # The cluster secret
//
// scripts/start-cluster.sh (and jobmanager.sh, standalone-job.sh) writes
// the cluster's secret to SecretFileName in the configuration folder,
// readable only by its user; workers and the CLI find it there
// (FindSecretFile), so nothing has to be exported by hand. FLOE_SECRET_FILE
// overrides it.
package standalone
