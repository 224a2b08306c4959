package main

import (
	"testing"

	"github.com/floe-yarn/floe/examples/windows/job"
	"github.com/floe-yarn/floe/internal/jobtest"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/stream"
)

const jobID = "windows-test-job"

// startPhase runs attempt of the windows job over window at parallelism p
// on a TaskManager of its own (jobtest.Start), restoring from when set.
func startPhase(t *testing.T, c *jobtest.Coordinator, window string, p, attempt int, input, output string, rate float64, ckp *api.TaskCheckpointing, from *jobtest.Restore) *jobtest.Phase {
	t.Helper()
	env := stream.NewEnvironment(stream.Options{Parallelism: p})
	if err := job.Build(env, job.Options{Input: input, Output: output, Window: window, Rate: rate, OutOfOrderness: testOutOfOrderness}); err != nil {
		t.Fatal(err)
	}
	prog, err := env.Program("windows")
	if err != nil {
		t.Fatal(err)
	}
	return jobtest.Start(t, c, prog, jobID, attempt, ckp, from)
}
