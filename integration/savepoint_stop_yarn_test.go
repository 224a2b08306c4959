package integration

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/examples/ledger/ledgercheck"
	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/yarnrpc"
)

// TestYarnLedgerStopWithSavepoint is issue 9's "stop with savepoint and
// rescale": a per-job ledger at -p 2 (hashmap, a checkpoint every second,
// --rate) is stopped mid-run with `floe stop --savepointPath`: the
// command prints the savepoint, the application ends SUCCEEDED and its
// staging folder is removed. A run at -p 3 with the pebble backend and no
// periodic checkpoints at all (no interval, no state.checkpoints.dir: as
// in Flink, savepoints need neither) resumes from it (one of its source
// subtasks has no split and finishes at once, yet the stop works) and is
// stopped in turn; a run at -p 1 with hashmap resumes from that one and
// reads to the end; all into the same output folder, whose combined
// output is exactly once (ledgercheck). Each savepoint holds every file it
// references under its own folder, although each run's checkpoint folder
// is deleted when it ends.
func TestYarnLedgerStopWithSavepoint(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	input := ledgercheck.Generate(6000, 40, 13)
	e.writeLines(t, dir+"/in/tx.txt", input)
	target := e.qualify(t, dir+"/sp")
	periodic := []string{"-Dexecution.checkpointing.interval=1s", "-Dstate.checkpoints.dir=" + e.qualify(t, dir+"/chk")}
	run := func(rate string, args ...string) (yarnrpc.ApplicationID, string) {
		args = append(args, "-Dtaskmanager.numberOfTaskSlots=1",
			e.bins+"/ledger", "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out"), "--rate", rate)
		return e.runDetached(t, args...)
	}
	// midRun checks that a stop left the input partly read: the sinks
	// committed what precedes the savepoint, not the rest.
	midRun := func(after string, before int) int {
		n := len(e.readLines(t, dir+"/out"))
		if n <= before || n >= len(input) {
			t.Fatalf("after %s: %d committed lines (%d before), want more, and fewer than the %d of the input", after, n, before, len(input))
		}
		return n
	}
	app1, id1 := run("100", append([]string{"-p", "2"}, periodic...)...)
	sp1 := e.stopWithSavepoint(t, app1, id1, target, true)
	n := midRun("the first stop", 0)
	app2, id2 := run("100", "-p", "3", "-s", sp1, "-Dstate.backend.type=pebble")
	sp2 := e.stopWithSavepoint(t, app2, id2, target, false)
	midRun("the second stop", n)
	if e.exists(t, dir+"/chk/"+id2) {
		t.Errorf("the run without periodic checkpoints wrote a checkpoint folder %s", dir+"/chk/"+id2)
	}
	app3, _ := run("0", append([]string{"-p", "1", "-s", sp2, "-Dstate.backend.type=hashmap"}, periodic...)...)
	if rep := e.waitAppEnd(t, app3, 3*time.Minute); rep.FinalStatus != yarnrpc.FinalSucceeded {
		t.Fatalf("last run ended %s (%s): %s", rep.State, rep.FinalStatus, rep.Diagnostics)
	}
	if err := ledgercheck.Check(input, e.readLines(t, dir+"/out")); err != nil {
		t.Fatalf("output not exactly once across two stops with savepoints: %v", err)
	}
}

// stopWithSavepoint waits until the per-job application app runs job id
// with a completed checkpoint (without periodic checkpoints: with every
// subtask running or finished, then a few seconds of input read), stops
// it with `floe stop --savepointPath target`, checks that the application
// ends SUCCEEDED without staging folder and that the savepoint is
// self-contained, and returns the savepoint's folder.
func (e *ycEnv) stopWithSavepoint(t *testing.T, app yarnrpc.ApplicationID, id, target string, periodic bool) string {
	t.Helper()
	cc := e.jobManager(t, app)
	waitUntil(t, 2*time.Minute, "job running with a completed checkpoint", func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		j, err := cc.Job(ctx, id)
		if err != nil || string(j.State) != "RUNNING" {
			return false, nil
		}
		if !periodic {
			for _, s := range j.Subtasks {
				if s.State != api.Running && s.State != api.Finished {
					return false, nil
				}
			}
			return len(j.Subtasks) > 0, nil
		}
		st, err := cc.JM.Checkpoints(ctx, id)
		return err == nil && st.Counts.Completed > 1, nil
	})
	if !periodic {
		time.Sleep(3 * time.Second) // some input read before the savepoint
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		st, err := cc.JM.Checkpoints(ctx, id)
		cancel()
		if err != nil || st.Counts.Completed+st.Counts.InProgress+st.Counts.Failed != 0 {
			t.Fatalf("a job without execution.checkpointing.interval: checkpoints %+v (%v), want none", st.Counts, err)
		}
	}
	out, err := e.floe(t, 3*time.Minute, "", "stop", "-t", "yarn-per-job", "-Dyarn.application.id="+app.String(),
		"--savepointPath", target, id)
	if err != nil {
		t.Fatalf("floe stop: %v\n%s", err, out)
	}
	m := savepointPathRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no savepoint path in %q", out)
	}
	if rep := e.waitAppEnd(t, app, 2*time.Minute); rep.FinalStatus != yarnrpc.FinalSucceeded {
		t.Fatalf("application stopped with a savepoint ended %s (%s): %s", rep.State, rep.FinalStatus, rep.Diagnostics)
	}
	e.waitStagingGone(t, app, time.Minute)
	e.selfContained(t, m[1], id)
	return m[1]
}

// selfContained checks that the savepoint at sp (qualified) belongs to job
// and that every file its _metadata names lies under sp and exists.
func (e *ycEnv) selfContained(t *testing.T, sp, job string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	local := sp
	if i := strings.Index(sp, "://"); i >= 0 {
		rest := sp[i+3:]
		local = rest[strings.Index(rest, "/"):]
	}
	r, err := e.st.Open(ctx, local+"/_metadata")
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
		t.Fatalf("savepoint %s: %v", sp, err)
	}
	if md.Job != job || len(md.Handles()) == 0 {
		t.Fatalf("savepoint %s: job %s with %d handles, want job %s with handles", sp, md.Job, len(md.Handles()), job)
	}
	for _, h := range md.Handles() {
		if !strings.HasPrefix(h.Path, sp+"/") {
			t.Errorf("savepoint %s references %s outside its folder", sp, h.Path)
			continue
		}
		if !e.exists(t, local+strings.TrimPrefix(h.Path, sp)) {
			t.Errorf("savepoint %s: %s is missing", sp, h.Path)
		}
	}
}
