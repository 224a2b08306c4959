package main

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/floe-yarn/floe/examples/windows/windowscheck"
	"github.com/floe-yarn/floe/internal/jobtest"
)

// The restore tests' windows, each kind (sessions merge and carry their
// set across checkpoints), and an out-of-orderness above the input's
// disorder, so the output is the pure reference whatever the interleaving.
var testWindows = []string{"tumbling:20ms", "sliding:30ms:10ms", "session:15ms"}

const testOutOfOrderness = 50 * time.Millisecond

// TestWindowsRestoreAndRescale checkpoints the job mid-run with windows
// open, fails it and restores at another parallelism twice (2 → 3 → 1):
// window contents, session sets and timers must come back in the right
// key groups, and the exactly-once sinks must not repeat a window. The
// output equals the reference, for every window kind and state backend.
func TestWindowsRestoreAndRescale(t *testing.T) {
	forEachWindowAndBackend(t, func(t *testing.T, window, backend string) {
		dir := t.TempDir()
		input, output := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out")
		lines := windowscheck.Generate(5000, 11, 3, 10, 40, 0)
		jobtest.WriteLines(t, input, lines)
		want, err := windowscheck.Reference(lines, window)
		if err != nil {
			t.Fatal(err)
		}
		c := jobtest.NewCoordinator()
		ckp := jobtest.Checkpointing(t, jobID, backend)

		jobtest.Rescale(c, output, func(p, attempt int, last bool, from *jobtest.Restore) *jobtest.Phase {
			rate := 150.0
			if last {
				rate = 0
			}
			return startPhase(t, c, window, p, attempt, input, output, rate, ckp, from)
		})

		got, err := windowscheck.ReadLines(output)
		if err != nil {
			t.Fatal(err)
		}
		if err := windowscheck.Compare("windows", got, want); err != nil {
			t.Fatal(err)
		}
	})
}

// TestWindowsStopAndResume stops the job mid-run with a savepoint without
// drain (Flink's stop-with-savepoint: sources end after the barrier, event
// time does not end, no window fires after the barrier) and resumes from
// it at another parallelism (2 → 3): the windows open at the stop fire
// once, in the resumed run, with every record counted once. The output
// equals the reference, for every window kind and state backend.
func TestWindowsStopAndResume(t *testing.T) {
	forEachWindowAndBackend(t, func(t *testing.T, window, backend string) {
		dir := t.TempDir()
		input, output := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out")
		lines := windowscheck.Generate(4000, 11, 5, 10, 40, 0)
		jobtest.WriteLines(t, input, lines)
		want, err := windowscheck.Reference(lines, window)
		if err != nil {
			t.Fatal(err)
		}
		c := jobtest.NewCoordinator()
		ckp := jobtest.Checkpointing(t, jobID, backend)

		ph := startPhase(t, c, window, 2, 1, input, output, 150, ckp, nil)
		ph.Progress(output)
		id := c.NextID()
		acks := ph.StopWithSavepoint(id, filepath.Join(dir, "sp"))
		got, err := windowscheck.ReadLines(output)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || len(got) >= len(want) {
			t.Fatalf("after the stop: %d windows, want some but fewer than the %d of the reference", len(got), len(want))
		}
		ph2 := startPhase(t, c, window, 3, 2, input, output, 0, ckp, &jobtest.Restore{ID: id, Acks: acks})
		ph2.Finish()
		if got, err = windowscheck.ReadLines(output); err != nil {
			t.Fatal(err)
		}
		if err := windowscheck.Compare("windows", got, want); err != nil {
			t.Fatal(err)
		}
	})
}

// forEachWindowAndBackend runs f as a subtest for every test window and
// state backend.
func forEachWindowAndBackend(t *testing.T, f func(t *testing.T, window, backend string)) {
	for _, w := range testWindows {
		for _, backend := range jobtest.Backends {
			t.Run(w+"/"+backend, func(t *testing.T) { f(t, w, backend) })
		}
	}
}
