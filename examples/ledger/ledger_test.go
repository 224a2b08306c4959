package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floe-yarn/floe/examples/ledger/ledgercheck"
	"github.com/floe-yarn/floe/jobmanager/api"
)

// TestLedgerRestoresExactlyOnce runs the ledger with checkpoints, takes
// checkpoint 1, lets records flow past it, fails the attempt and restores
// from it: the output must be exact (no lost or repeated transaction), for
// both state backends. It would fail if sources, keyed state or the sink
// did not snapshot or restore.
func TestLedgerRestoresExactlyOnce(t *testing.T) {
	for _, backend := range []string{"hashmap", "pebble"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			input, output := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out")
			lines := ledgercheck.Generate(4000, 37, 1)
			writeLines(t, input, lines)
			c := newCoordinator()
			ckp := checkpointing(t, backend)

			ph := startPhase(t, c, 2, 1, input, output, 2000, ckp, nil)
			acks := ph.checkpoint(1)
			assertHandles(t, acks, ckp.Dir)
			ph.fail()
			if c.count(1, api.Finished) > 0 {
				t.Fatalf("a subtask finished before the failure: the test did not fail mid-stream")
			}

			ph2 := startPhase(t, c, 2, 2, input, output, 0, ckp, &restoreFrom{1, acks})
			ph2.finish()
			checkOutput(t, lines, output)
		})
	}
}

// TestLedgerRescaleRestore restores keyed state and source splits at
// another parallelism twice (2 → 3 → 1), with an exact output.
func TestLedgerRescaleRestore(t *testing.T) {
	for _, backend := range []string{"hashmap", "pebble"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			input, output := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out")
			lines := ledgercheck.Generate(6000, 53, 2)
			writeLines(t, input, lines)
			c := newCoordinator()
			ckp := checkpointing(t, backend)

			ph := startPhase(t, c, 2, 1, input, output, 1500, ckp, nil)
			acks := ph.checkpoint(1)
			ph.fail()
			ph2 := startPhase(t, c, 3, 2, input, output, 1000, ckp, &restoreFrom{1, acks})
			acks2 := ph2.checkpoint(2)
			ph2.fail()
			ph3 := startPhase(t, c, 1, 3, input, output, 0, ckp, &restoreFrom{2, acks2})
			ph3.finish()
			checkOutput(t, lines, output)
		})
	}
}

// assertHandles checks the acknowledgements' handles follow the layout:
// files under Dir/chk-1/ that exist, keyed ones with a key-group range.
func assertHandles(t *testing.T, acks []api.AcknowledgeCheckpoint, dir string) {
	t.Helper()
	keyed, operator := 0, 0
	for _, a := range acks {
		for _, h := range a.Handles {
			if !strings.HasPrefix(h.Path, dir+"/chk-1/") || h.Operator == "" {
				t.Errorf("handle %+v: want a file of an operator under %s/chk-1/", h, dir)
			}
			if _, err := os.Stat(h.Path); err != nil {
				t.Errorf("handle %+v: %v", h, err)
			}
			if h.KeyGroupEnd > h.KeyGroupStart {
				keyed++
			} else {
				operator++
			}
		}
	}
	if keyed != 2 || operator < 2 {
		t.Errorf("checkpoint 1 has %d keyed and %d operator handles, want 2 keyed (one per keyed subtask) and sources' and sinks' operator state", keyed, operator)
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
