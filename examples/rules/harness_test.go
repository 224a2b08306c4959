package main

import (
	"testing"

	"github.com/floe-yarn/floe/examples/rules/job"
	"github.com/floe-yarn/floe/internal/jobtest"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/stream"
)

const jobID = "rules-test-job"

// startPhase runs attempt of the rules job at parallelism p on a
// TaskManager of its own (jobtest.Start), restoring from when set.
func startPhase(t *testing.T, c *jobtest.Coordinator, p, attempt int, o job.Options, ckp *api.TaskCheckpointing, from *jobtest.Restore) *jobtest.Phase {
	t.Helper()
	env := stream.NewEnvironment(stream.Options{Parallelism: p})
	job.Build(env, o)
	prog, err := env.Program("rules")
	if err != nil {
		t.Fatal(err)
	}
	return jobtest.Start(t, c, prog, jobID, attempt, ckp, from)
}
