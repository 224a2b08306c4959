package main

import (
	"testing"

	"github.com/floe-yarn/floe/examples/ledger/job"
	"github.com/floe-yarn/floe/internal/jobtest"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/stream"
)

const jobID = "ledger-test-job"

// startPhase runs attempt of the ledger job at parallelism p on a
// TaskManager of its own (jobtest.Start), restoring from when set.
func startPhase(t *testing.T, c *jobtest.Coordinator, p, attempt int, input, output string, rate float64, ckp *api.TaskCheckpointing, from *jobtest.Restore) *jobtest.Phase {
	t.Helper()
	env := stream.NewEnvironment(stream.Options{Parallelism: p})
	job.Build(env, input, output, rate)
	prog, err := env.Program("ledger")
	if err != nil {
		t.Fatal(err)
	}
	return jobtest.Start(t, c, prog, jobID, attempt, ckp, from)
}
