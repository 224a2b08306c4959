package integration

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/examples/ledger/ledgercheck"
)

// TestYarnLedgerExactlyOnce is issue 9's exactly-once test on YARN:
// examples/ledger per-job with parallelism 2 and a checkpoint every second,
// on each state backend, while TaskManager container processes are killed
// with SIGKILL five times at random moments. The output must hold, for every
// account, exactly the seqs 1…n with exact balances (ledgercheck), the job
// must have restored from a completed checkpoint (not restarted from
// scratch), and the application must succeed.
func TestYarnLedgerExactlyOnce(t *testing.T) {
	for _, backend := range []string{"hashmap", "pebble"} {
		t.Run(backend, func(t *testing.T) { ledgerUnderKills(t, backend, 5) })
	}
}

func ledgerUnderKills(t *testing.T, backend string, kills int) {
	e := newYC(t)
	dir := e.testDir(t)
	// 2 source subtasks at 150 lines/s: about 30 s of input, long enough
	// for five kills with recovery in between.
	input := ledgercheck.Generate(9000, 40, uint64(len(backend)))
	e.writeLines(t, dir+"/in/tx.txt", input)
	app, job := e.runDetached(t, "-p", "2", "-Dtaskmanager.numberOfTaskSlots=1",
		"-Dexecution.checkpointing.interval=1s", "-Dstate.checkpoints.dir="+e.qualify(t, dir+"/chk"),
		"-Dstate.backend.type="+backend,
		e.bins+"/ledger", "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out"), "--rate", "150")
	e.killTaskManagersToEnd(t, app, job, kills)
	if err := ledgercheck.Check(input, e.readLines(t, dir+"/out")); err != nil {
		t.Fatalf("output not exactly once: %v", err)
	}
}

// writeLines writes lines to the file p on HDFS.
func (e *ycEnv) writeLines(t *testing.T, p string, lines []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w, err := e.st.Create(ctx, p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, strings.Join(lines, "\n")+"\n"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
