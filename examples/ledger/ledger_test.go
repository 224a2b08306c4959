package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/examples/ledger/ledgercheck"
	"github.com/floe-yarn/floe/internal/jobtest"
	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/jobmanager/api"
)

// TestLedgerRestoresExactlyOnce runs the ledger with checkpoints: records
// flow, checkpoint 1 completes (its output is committed), records flow
// past it, checkpoint 2 is taken but never completes, the attempt fails
// and restores from checkpoint 1. The output must be exact (no lost or
// repeated transaction), for both state backends: it would fail if
// sources, keyed state or the sink did not snapshot or restore, or if the
// sink kept what checkpoint 2 pre-committed.
func TestLedgerRestoresExactlyOnce(t *testing.T) {
	for _, backend := range jobtest.Backends {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			input, output := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out")
			lines := ledgercheck.Generate(4000, 37, 1)
			jobtest.WriteLines(t, input, lines)
			c := jobtest.NewCoordinator()
			ckp := jobtest.Checkpointing(t, jobID, backend)

			ph := startPhase(t, c, 2, 1, input, output, 500, ckp, nil)
			ph.Progress(output)
			id := c.NextID()
			acks := ph.Checkpoint(id)
			assertHandles(t, acks, ckp.Dir, id)
			testutil.WaitFor(t, 60*time.Second, "the completed checkpoint's output committed", func() bool {
				v, _ := jobtest.OutputBytes(output)
				return v > 0
			})
			ph.Progress(output)
			ph.Fail()
			committed, err := ledgercheck.ReadLines(output)
			if err != nil || len(committed) == 0 || len(committed) >= len(lines) {
				t.Fatalf("before the restore %d of %d lines are committed (%v): want some, not all", len(committed), len(lines), err)
			}
			if c.Count(1, api.Finished) > 0 {
				t.Fatalf("a subtask finished before the failure: the test did not fail mid-stream")
			}

			ph2 := startPhase(t, c, 2, 2, input, output, 0, ckp, &jobtest.Restore{ID: id, Acks: acks})
			ph2.Finish()
			checkOutput(t, lines, output)
		})
	}
}

// TestLedgerRescaleRestore restores keyed state and source splits at
// another parallelism twice (2 → 3 → 1), with an exact output.
func TestLedgerRescaleRestore(t *testing.T) {
	for _, backend := range jobtest.Backends {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			input, output := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out")
			lines := ledgercheck.Generate(6000, 53, 2)
			jobtest.WriteLines(t, input, lines)
			c := jobtest.NewCoordinator()
			ckp := jobtest.Checkpointing(t, jobID, backend)

			jobtest.Rescale(c, output, func(p, attempt int, last bool, from *jobtest.Restore) *jobtest.Phase {
				rate := 500.0
				if last {
					rate = 0
				}
				return startPhase(t, c, p, attempt, input, output, rate, ckp, from)
			})
			checkOutput(t, lines, output)
		})
	}
}

// TestLedgerStopAndResumeWithoutCheckpoints runs the ledger as a job
// without periodic checkpoints (no interval, no checkpoint folder: the
// deploy says SavepointsOnly), stops it mid-run with a savepoint and
// resumes at another parallelism (2 → 3) from it: as in Flink, a job
// takes savepoints whether it checkpoints or not. The savepoint commits
// the output before it, its state lies in its own folder, and the
// combined output is exact, for both state backends.
func TestLedgerStopAndResumeWithoutCheckpoints(t *testing.T) {
	for _, backend := range []string{"hashmap", "pebble"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			input, output, sp := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out"), filepath.Join(dir, "sp")
			lines := ledgercheck.Generate(6000, 41, 3)
			jobtest.WriteLines(t, input, lines)
			c := jobtest.NewCoordinator()
			ckp := &api.TaskCheckpointing{Mode: "EXACTLY_ONCE", Backend: backend, SavepointsOnly: true}

			ph := startPhase(t, c, 2, 1, input, output, 300, ckp, nil)
			time.Sleep(2 * time.Second) // some of the input read (300 lines/s per source subtask)
			id := c.NextID()
			acks := ph.StopWithSavepoint(id, sp)
			for _, a := range acks {
				for _, h := range a.Handles {
					if !strings.HasPrefix(h.Path, sp+"/") {
						t.Errorf("savepoint handle %s outside the savepoint folder %s", h.Path, sp)
					}
				}
			}
			committed, err := ledgercheck.ReadLines(output)
			if err != nil || len(committed) == 0 || len(committed) >= len(lines) {
				t.Fatalf("after the stop %d of %d lines are committed (%v): want some, not all", len(committed), len(lines), err)
			}
			ph2 := startPhase(t, c, 3, 2, input, output, 0, ckp, &jobtest.Restore{ID: id, Acks: acks})
			ph2.Finish()
			checkOutput(t, lines, output)
		})
	}
}

// assertHandles checks the acknowledgements' handles follow the layout:
// files under Dir/chk-<id>/ (shared ones under Dir/shared/) that exist,
// keyed ones with a key-group range.
func assertHandles(t *testing.T, acks []api.AcknowledgeCheckpoint, dir string, id int64) {
	t.Helper()
	ranges, operator := map[[2]int]bool{}, 0
	for _, a := range acks {
		for _, h := range a.Handles {
			want := fmt.Sprintf("%s/chk-%d/", dir, id)
			if h.Shared {
				want = dir + "/shared/" // incremental Pebble files
			}
			if !strings.HasPrefix(h.Path, want) || h.Operator == "" {
				t.Errorf("handle %+v: want a file of an operator under %s", h, want)
			}
			if _, err := os.Stat(h.Path); err != nil {
				t.Errorf("handle %+v: %v", h, err)
			}
			if h.KeyGroupEnd > h.KeyGroupStart {
				ranges[[2]int{h.KeyGroupStart, h.KeyGroupEnd}] = true
			} else {
				operator++
			}
		}
	}
	if len(ranges) != 2 || operator < 2 {
		t.Errorf("checkpoint %d has keyed handles of %d key-group ranges and %d operator handles, want 2 ranges (one per keyed subtask) and sources' and sinks' operator state", id, len(ranges), operator)
	}
}

func checkOutput(t *testing.T, input []string, output string) {
	t.Helper()
	out, err := ledgercheck.ReadLines(output)
	if err != nil {
		t.Fatal(err)
	}
	if err := ledgercheck.Check(input, out); err != nil {
		t.Fatal(err)
	}
}
