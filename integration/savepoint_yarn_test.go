package integration

import (
	"context"
	"io"
	"path"
	"regexp"
	"testing"
	"time"

	"github.com/floe-yarn/floe/examples/ledger/ledgercheck"
	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/yarnrpc"
)

var savepointPathRE = regexp.MustCompile(`Savepoint completed\. Path: (\S+)`)

// TestYarnSavepointCommand: `floe savepoint JOBID TARGET_DIR` on a running
// per-job ledger with checkpoints every second prints the savepoint's
// folder, target/savepoint-<short job id>-<random>, whose _metadata decodes
// as a completed checkpoint; the job goes on running; an unknown job is an
// error naming the jobs the cluster has.
func TestYarnSavepointCommand(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	input := ledgercheck.Generate(6000, 40, 7)
	e.writeLines(t, dir+"/in/tx.txt", input)
	app, job := e.runDetached(t, "-p", "2", "-Dtaskmanager.numberOfTaskSlots=1",
		"-Dexecution.checkpointing.interval=1s", "-Dstate.checkpoints.dir="+e.qualify(t, dir+"/chk"),
		e.bins+"/ledger", "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out"), "--rate", "150")
	cc := e.jobManager(t, app)
	waitUntil(t, 2*time.Minute, "job running with a completed checkpoint", func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		j, err := cc.Job(ctx, job)
		if err != nil {
			return false, nil
		}
		st, err := cc.JM.Checkpoints(ctx, job)
		return err == nil && st.Counts.Completed > 0 && allRunning(j), nil
	})
	target := e.qualify(t, dir+"/sp")
	out, err := e.floe(t, 3*time.Minute, "", "savepoint", "-t", "yarn-per-job", "-Dyarn.application.id="+app.String(), job, target)
	if err != nil {
		t.Fatalf("floe savepoint: %v\n%s", err, out)
	}
	m := savepointPathRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no savepoint path in %q", out)
	}
	if want := jobmanager.SavepointDir(target, job, ""); len(m[1]) <= len(want) || m[1][:len(want)] != want {
		t.Fatalf("savepoint folder %s, want %s<random>", m[1], want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := e.st.Open(ctx, dir+"/sp/"+path.Base(m[1])+"/_metadata")
	if err != nil {
		t.Fatalf("savepoint _metadata: %v", err)
	}
	raw, err := io.ReadAll(r)
	_ = r.Close() // read-only
	if err != nil {
		t.Fatalf("savepoint _metadata: %v", err)
	}
	md, err := jobmanager.DecodeCheckpointMetadata(raw)
	if err != nil {
		t.Fatalf("savepoint _metadata: %v", err)
	}
	if md.Job != job || len(md.Handles()) == 0 {
		t.Fatalf("savepoint _metadata of job %s with %d handles, want job %s with handles", md.Job, len(md.Handles()), job)
	}
	j, err := cc.Job(ctx, job)
	if err != nil || j.State.Terminal() {
		t.Fatalf("job after the savepoint: %+v, %v; want it running", j.State, err)
	}
	if out, err := e.floe(t, time.Minute, "", "savepoint", "-t", "yarn-per-job", "-Dyarn.application.id="+app.String(), "nope", target); err == nil {
		t.Fatalf("savepoint of an unknown job: no error\n%s", out)
	}
}

// TestYarnLedgerResumeFromSavepoint: a per-job ledger with parallelism 2
// takes a savepoint mid-run (`floe savepoint`) and is cancelled; a run with
// parallelism 1 starts from it (`floe run -s`), takes a savepoint and is
// cancelled in turn; a run with parallelism 3 starts from that one and
// reads to the end, all into the same output folder: the combined output is
// exactly once (ledgercheck). Savepoints are self-contained: each run's
// checkpoint folder is deleted on cancel, and the next run restores from
// the savepoint's own files. The interval is long, so no checkpoint after
// the savepoint commits output.
func TestYarnLedgerResumeFromSavepoint(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	input := ledgercheck.Generate(6000, 40, 11)
	e.writeLines(t, dir+"/in/tx.txt", input)
	common := []string{"-Dtaskmanager.numberOfTaskSlots=1", "-Dexecution.checkpointing.interval=1h",
		"-Dstate.checkpoints.dir=" + e.qualify(t, dir+"/chk")}
	job := func(rate string) []string {
		return []string{e.bins + "/ledger", "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out"), "--rate", rate}
	}
	// savepointAndCancel starts a run, takes a savepoint a few seconds in,
	// cancels it and returns the savepoint's path.
	savepointAndCancel := func(args ...string) string {
		app, id := e.runDetached(t, append(append(args, common...), job("100")...)...)
		cc := e.jobManager(t, app)
		waitUntil(t, 2*time.Minute, "job running", func() (bool, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			j, err := cc.Job(ctx, id)
			// Not allRunning: at -p 3 a source subtask without a split
			// finishes at once.
			return err == nil && string(j.State) == "RUNNING", nil
		})
		time.Sleep(3 * time.Second) // some input read before the savepoint
		out, err := e.floe(t, 3*time.Minute, "", "savepoint", "-t", "yarn-per-job", "-Dyarn.application.id="+app.String(), id, e.qualify(t, dir+"/sp"))
		if err != nil {
			t.Fatalf("floe savepoint: %v\n%s", err, out)
		}
		m := savepointPathRE.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no savepoint path in %q", out)
		}
		if _, err := e.floe(t, 2*time.Minute, "", "cancel", "-t", "yarn-per-job", "-Dyarn.application.id="+app.String(), id); err != nil {
			t.Fatal(err)
		}
		return m[1]
	}
	sp1 := savepointAndCancel("-p", "2")
	sp2 := savepointAndCancel("-p", "1", "-s", sp1)
	app2, id2 := e.runDetached(t, append(append([]string{"-p", "3", "-s", sp2}, common...), job("300")...)...)
	cc2 := e.jobManager(t, app2)
	restored := false
	waitUntil(t, 5*time.Minute, "the resumed application to end", func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if st, err := cc2.JM.Checkpoints(ctx, id2); err == nil && st.Latest.Restored != nil {
			restored = true
		}
		r, err := e.rm.ApplicationReport(ctx, app2)
		if err != nil || !r.State.Terminal() {
			return false, nil
		}
		if r.FinalStatus != yarnrpc.FinalSucceeded {
			t.Errorf("resumed application ended %s: %s", r.FinalStatus, r.Diagnostics)
		}
		return true, nil
	})
	if !restored {
		t.Error("the resumed job never reported a restore from the savepoint")
	}
	if err := ledgercheck.Check(input, e.readLines(t, dir+"/out")); err != nil {
		t.Fatalf("output not exactly once across the savepoint: %v", err)
	}
}
