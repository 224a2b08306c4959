package integration

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/floe-yarn/floe/client"
	"github.com/floe-yarn/floe/examples/ledger/ledgercheck"
	"github.com/floe-yarn/floe/jobmanager/api"
)

// TestYarnRecoveryBench is issue 9's recovery figure, run by `make
// bench-yarn` (scripts/bench-yarn.sh sets FLOE_BENCH_YARN=1; otherwise it
// is skipped): examples/ledger per-job with parallelism 2 (one slot per
// TaskManager) and a checkpoint every second, on each state backend; five
// times, once a checkpoint completed since the last restore, one
// TaskManager container process gets SIGKILL, and the test measures, from
// the JobManager's REST API polled every 50 ms, the time until the job is
// RUNNING again with every subtask running and a new restore from a
// completed checkpoint counted (and, on the way, until the JobManager saw
// the loss). Rows: each backend with the default restart strategy of a
// checkpointing job (exponential-delay), and hashmap with fixed-delay 0 s
// to show the part the restart delay takes. It reports medians; it asserts
// nothing about speed.
func TestYarnRecoveryBench(t *testing.T) {
	if os.Getenv("FLOE_BENCH_YARN") == "" {
		t.Skip("set FLOE_BENCH_YARN=1 (make bench-yarn)")
	}
	runs := 5
	if n, err := strconv.Atoi(os.Getenv("FLOE_BENCH_RUNS")); err == nil && n > 0 {
		runs = n
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nRecovery after SIGKILL of a TaskManager container (ledger per-job, -p 2, checkpoint every 1 s; medians of %d)\n", runs)
	fmt.Fprintf(&b, "%-34s %9s %10s  %s\n", "backend-restart strategy", "detected", "recovered", "recovered per kill (restored checkpoint)")
	// The default strategy with checkpointing is exponential-delay (first
	// delay 1 s, growing); fixed-delay 0 s shows the time without it.
	noDelay := []string{"-Drestart-strategy.type=fixed-delay", "-Drestart-strategy.fixed-delay.attempts=100", "-Drestart-strategy.fixed-delay.delay=0 s"}
	for _, c := range []struct {
		name, backend string
		args          []string
	}{
		{"hashmap-exponential-delay", "hashmap", nil},
		{"pebble-exponential-delay", "pebble", nil},
		{"hashmap-fixed-delay-0s", "hashmap", noDelay},
	} {
		t.Run(c.name, func(t *testing.T) {
			detected, recovered, per := recoveryFigures(t, c.backend, runs, c.args...)
			fmt.Fprintf(&b, "%-34s %8.2fs %9.2fs  %s\n", c.name, median(detected), median(recovered), strings.Join(per, " "))
		})
	}
	fmt.Print(b.String())
	if p := os.Getenv("FLOE_BENCH_OUT"); p != "" {
		_ = os.WriteFile(p, []byte(b.String()), 0o644)
	}
}

// recoveryFigures runs one ledger job, kills a TaskManager runs times and
// returns the seconds until the loss was seen and until the job ran again
// restored, and a "1.23s (chk 7)" entry per kill.
func recoveryFigures(t *testing.T, backend string, runs int, args ...string) (detected, recovered []float64, per []string) {
	e := newYC(t)
	dir := e.testDir(t)
	// 2 source subtasks at 150 lines/s: about three minutes of input.
	e.writeLines(t, dir+"/in/tx.txt", ledgercheck.Generate(60000, 40, 7))
	app, job := e.runDetached(t, append(append([]string{"-p", "2", "-Dtaskmanager.numberOfTaskSlots=1",
		"-Dexecution.checkpointing.interval=1s", "-Dstate.checkpoints.dir=" + e.qualify(t, dir+"/chk"),
		"-Dstate.backend.type=" + backend}, args...),
		e.bins+"/ledger", "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out"), "--rate", "150")...)
	cc := e.jobManager(t, app)
	poll := func() (client.JobDetails, api.CheckpointingStats, bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		j, err := cc.Job(ctx, job)
		if err != nil {
			return j, api.CheckpointingStats{}, false
		}
		st, err := cc.JM.Checkpoints(ctx, job)
		return j, st, err == nil
	}
	lastRestored := int64(0)
	for k := 0; k < runs; k++ {
		var restores int
		waitUntil(t, 2*time.Minute, fmt.Sprintf("kill %d: job running with a checkpoint completed since the last restore", k+1), func() (bool, error) {
			j, st, ok := poll()
			if !ok {
				return false, nil
			}
			if j.State.Terminal() {
				return false, fmt.Errorf("job ended (%s) after %d kills", j.State, k)
			}
			restores = st.Counts.Restored
			return allRunning(j) && st.Latest.Completed != nil && st.Latest.Completed.ID > lastRestored, nil
		})
		pids := ycContainerPIDs(t, app, "taskmanager")
		if len(pids) == 0 {
			t.Fatalf("kill %d: no TaskManager process", k+1)
		}
		var start time.Time
		for cid, pid := range pids { // map order: any TaskManager
			start = time.Now()
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			t.Logf("kill %d: SIGKILL to TaskManager process %d of %s", k+1, pid, cid)
			break
		}
		var seen, done time.Duration
		deadline := start.Add(2 * time.Minute)
		for done == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("kill %d: the job did not run restored within 2 minutes", k+1)
			}
			j, st, ok := poll()
			switch {
			case !ok:
			case j.State.Terminal():
				t.Fatalf("kill %d: job ended %s: %s", k+1, j.State, j.Cause)
			case seen == 0 && !allRunning(j):
				seen = time.Since(start)
			case st.Counts.Restored > restores && st.Latest.Restored != nil && allRunning(j):
				done = time.Since(start)
				if seen == 0 {
					seen = done
				}
				lastRestored = st.Latest.Restored.ID
			}
			if done == 0 {
				time.Sleep(50 * time.Millisecond)
			}
		}
		t.Logf("kill %d: loss seen after %s, running restored from checkpoint %d after %s", k+1, seen, lastRestored, done)
		detected = append(detected, seen.Seconds())
		recovered = append(recovered, done.Seconds())
		per = append(per, fmt.Sprintf("%.2fs(chk %d)", done.Seconds(), lastRestored))
	}
	return detected, recovered, per
}
