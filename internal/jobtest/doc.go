// Package jobtest is the examples' checkpoint harness: a test JobManager
// (Coordinator) for one real TaskManager per attempt (Phase) that
// triggers, completes and restores checkpoints by hand, so that a test can
// fail a job at a chosen point and restore it at another parallelism, in
// process, with the real runtime, state backends and sinks.
//
//	c := jobtest.NewCoordinator()
//	ph := jobtest.Start(t, c, prog, "ledger-test-job", 1, ckp, nil)
//	ph.Progress(output)                  // records flowed
//	id := c.NextID()
//	acks := ph.Checkpoint(id)            // completed checkpoint id
//	ph.Fail()                            // attempt 1 fails
//	ph2 := jobtest.Start(t, c, prog2, "ledger-test-job", 2, ckp, &jobtest.Restore{ID: id, Acks: acks})
//	ph2.Finish()
//
// Restore hands each new subtask its handles as the checkpoint coordinator
// does (RestoreHandles).
package jobtest
