package integration

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/floe-yarn/floe/examples/ledger/ledgercheck"
	"github.com/floe-yarn/floe/yarnrpc"
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
	cc := e.jobManager(t, app)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	restoredSeen := false
	for k := 0; k < kills; k++ {
		// Wait until the job runs with every subtask and has a completed
		// checkpoint since it (re)started, then a random moment more.
		waitUntil(t, 2*time.Minute, fmt.Sprintf("kill %d: job running with a completed checkpoint", k+1), func() (bool, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			j, err := cc.Job(ctx, job)
			if err != nil {
				return false, nil
			}
			if j.State.Terminal() {
				return false, fmt.Errorf("job ended (%s) after %d kills; the input is too short", j.State, k)
			}
			st, err := cc.JM.Checkpoints(ctx, job)
			if err != nil || st.Counts.Completed == 0 || !allRunning(j) {
				return false, nil
			}
			if st.Latest.Restored != nil {
				restoredSeen = true
			}
			return true, nil
		})
		time.Sleep(time.Duration(rng.Intn(2000)) * time.Millisecond)
		pids := ycContainerPIDs(t, app, "taskmanager")
		if len(pids) == 0 {
			t.Fatalf("kill %d: no TaskManager process", k+1)
		}
		for cid, pid := range pids { // map order: a random TaskManager
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			t.Logf("kill %d: SIGKILL to TaskManager process %d of %s", k+1, pid, cid)
			break
		}
	}
	waitUntil(t, 5*time.Minute, "the application to end", func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if st, err := cc.JM.Checkpoints(ctx, job); err == nil && st.Latest.Restored != nil {
			restoredSeen = true
		}
		r, err := e.rm.ApplicationReport(ctx, app)
		if err != nil || !r.State.Terminal() {
			return false, nil
		}
		if r.FinalStatus != yarnrpc.FinalSucceeded {
			t.Errorf("application ended %s: %s", r.FinalStatus, r.Diagnostics)
		}
		return true, nil
	})
	if !restoredSeen {
		t.Errorf("no restore from a completed checkpoint was seen after %d kills", kills)
	}
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
