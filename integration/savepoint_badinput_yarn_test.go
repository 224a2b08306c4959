package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/examples/ledger/ledgercheck"
	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/yarnrpc"
)

// TestYarnSavepointBadInput: `floe run -t yarn-per-job -s PATH` with a
// savepoint that does not exist, a corrupt _metadata, state of an operator
// the job does not have, or another max parallelism fails with an error
// naming the path and the problem, before YARN is asked for anything: no
// application, no staging folder. With --allowNonRestoredState the
// unknown operator's state is skipped and the job, whose operators all
// start with fresh state, runs to an exact end.
func TestYarnSavepointBadInput(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	input := ledgercheck.Generate(500, 10, 17)
	e.writeLines(t, dir+"/in/tx.txt", input)
	write := func(p string, b []byte) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		w, err := e.st.Create(ctx, p, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	savepoint := func(name string, maxP int) string {
		m := &jobmanager.CheckpointMetadata{Job: "old", ID: 3, MaxParallelism: maxP, Operators: []jobmanager.OperatorState{{
			Vertex: 0, Parallelism: 1, Subtasks: []jobmanager.SubtaskState{{Handles: []jobmanager.StateHandle{
				{Operator: "ghost-uid", Path: e.qualify(t, dir+"/"+name+"/ghost-0-0-state"), Size: 1}}}}}}}
		write(dir+"/"+name+"/_metadata", jobmanager.EncodeCheckpointMetadata(m))
		return e.qualify(t, dir+"/"+name)
	}
	write(dir+"/corrupt/_metadata", []byte("not a savepoint"))
	ghost, maxp := savepoint("ghost", 128), savepoint("maxp", 64)
	run := func(sp string, extra ...string) []string {
		args := []string{"run", "-t", "yarn-per-job", "-Dyarn.tags=" + e.tag, "-p", "1", "-s", sp,
			"-Dexecution.checkpointing.interval=1s", "-Dstate.checkpoints.dir=" + e.qualify(t, dir+"/chk")}
		return append(append(args, extra...), e.bins+"/ledger", "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out"))
	}
	for _, tc := range []struct {
		name string
		sp   string
		want []string
	}{
		{"missing savepoint", e.qualify(t, dir+"/nope"), []string{dir + "/nope/_metadata", "floe stop"}},
		{"corrupt metadata", e.qualify(t, dir+"/corrupt"), []string{dir + "/corrupt/_metadata is not a savepoint's metadata"}},
		{"state without operator", ghost, []string{`operator "ghost-uid"`, "--allowNonRestoredState"}},
		{"changed max parallelism", maxp, []string{"max parallelism is 64, the job's is 128", "pipeline.max-parallelism"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.stagingApps(t)
			out, err := e.floe(t, 2*time.Minute, "", run(tc.sp)...)
			if err == nil {
				t.Fatalf("succeeded; want an error naming %q", tc.want)
			}
			for _, w := range append(tc.want, tc.sp) {
				if !strings.Contains(out, w) {
					t.Errorf("error output lacks %q:\n%s", w, out)
				}
			}
			if apps := e.appsTagged(t); len(apps) != 0 {
				t.Errorf("YARN application left: %v", apps[0].ID)
			}
			for a := range e.stagingApps(t) {
				if !before[a] {
					t.Errorf("staging folder %s left behind", a)
				}
			}
		})
	}
	t.Run("allow non-restored state", func(t *testing.T) {
		out, err := e.floe(t, 3*time.Minute, "", run(ghost, "-n")...)
		if err != nil {
			t.Fatalf("run -n: %v\n%s", err, out)
		}
		app := ycAppIDIn(t, out)
		e.killAtEnd(t, app)
		if rep := e.waitAppEnd(t, app, 2*time.Minute); rep.FinalStatus != yarnrpc.FinalSucceeded {
			t.Fatalf("run -n ended %s: %s", rep.FinalStatus, rep.Diagnostics)
		}
		if err := ledgercheck.Check(input, e.readLines(t, dir+"/out")); err != nil {
			t.Fatalf("output of the run that skipped the unknown state: %v", err)
		}
	})
}
