// Package jobstore is the ApplicationMaster's job store on HDFS: what a new
// application attempt needs to resume the jobs of a failed one, without
// ZooKeeper.
//
// # Layout
//
// Under the store's root (high-availability.storageDir, by default
// <staging folder>/ha) each attempt n that ever took over has a folder
// attempt-<n>:
//
//	attempt-<n>/_ready                the takeover of attempt n is complete;
//	                                  JSON with its JobManager's address, which
//	                                  TaskManagers of former attempts follow
//	attempt-<n>/<job>.job             the submission: graph, job binary (HDFS
//	                                  path, size, modification time), arguments,
//	                                  environment, restart strategy, checkpointing
//	attempt-<n>/<job>.checkpoint      the latest completed checkpoint: its id and
//	                                  chk-<id>/_metadata path
//	attempt-<n>/<job>.final           the final state of a finished job
//
// Every record is JSON carrying the attempt that wrote it, written with
// hdfsstore.CreateAtomic (a hidden file, then a rename), so a reader sees a
// whole record or the previous one.
//
// # Fencing
//
// An attempt the ResourceManager gave up on may still be alive: paused
// (SIGSTOP, a long GC-like stall, a partitioned host) and resumed after a
// new attempt took over. Such a zombie must never complete a checkpoint,
// commit a sink, or overwrite the store. The mechanism holds whatever the
// zombie's timing, because it rests on the NameNode's linearizable
// namespace, not on clocks:
//
//  1. Take over (Open): attempt n first creates attempt-<n> (the fence),
//     then lists the root and reads the newest attempt-<k> (k < n) holding
//     _ready, copies its records into attempt-<n> and writes _ready there.
//     An attempt that finds an attempt-<m> with m > n at Open is itself a
//     zombie and fails with ErrFenced.
//  2. Write, then check: every write of attempt n goes into attempt-<n>
//     only, and after it commits, the writer lists the root; if any
//     attempt-<m> with m > n exists, the write returns ErrFenced. Either a
//     zombie's write committed before the new attempt listed (then the new
//     attempt read it: nothing is lost), or the new attempt's fence existed
//     before the zombie's check (then the zombie learns it is fenced).
//     Records the zombie writes after the new attempt copied land in its own
//     attempt-<k>, which nobody reads again: the store is never overwritten
//     by a zombie.
//  3. The JobManager records a checkpoint in the store after its _metadata
//     is written and before it tells any task the checkpoint completed
//     (jobmanager.JobRecorder); a fenced record aborts the checkpoint, so
//     a zombie's checkpoints are never notified and two-phase-commit sinks
//     never commit them. Savepoints pass the same check.
//  4. TaskManagers dial their JobManager, never the reverse. A TaskManager
//     that lost its JobManager and found a newer attempt's address in
//     _ready drops every task of the old one and registers with the new
//     one; from then on the old JobManager cannot reach it. Containers
//     nobody adopts are released (YARN stops them). A zombie's next
//     heartbeat to the ResourceManager is answered with
//     ApplicationAttemptNotFound, on which it exits without unregistering
//     or deleting the staging folder.
//
// Checkpoint folders: a zombie may still write a chk-<n>/_metadata the
// store never names (its record fails after the write) and then delete
// that chk-<n> as the abort of its checkpoint. The new attempt's
// checkpoint ids therefore continue 1000 after the highest chk-<n> it found
// (am.CheckpointIDGap, jobmanager.CheckpointRestored.SkipIDs): the zombie
// stops at its next ResourceManager heartbeat, long before it could
// trigger that many. The job's checkpoint folder is removed when the job
// ends (Flink's default retention). In practice YARN also kills an expired
// attempt's container: the NodeManager's SIGKILL ends even a stopped
// process.
package jobstore
