package integration

import (
	"testing"
	"time"

	"github.com/floe-yarn/floe/examples/windows/windowscheck"
	"github.com/floe-yarn/floe/yarnrpc"
)

// TestYarnWindowsExactlyOnce is issue 10's windows test on YARN:
// examples/windows per-job with parallelism 2, session windows, a
// checkpoint every second, while a TaskManager container process is killed
// with SIGKILL three times at random moments with windows open. The input's
// disorder is below the out-of-orderness, so the output must equal the
// reference (every record counted once, sessions merged over the whole
// input, no duplicate window), the job must have restored from a completed
// checkpoint, and the application must succeed.
func TestYarnWindowsExactlyOnce(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	const spec = "session:15ms"
	// 2 source subtasks at 150 lines/s: about 25 s of input.
	input := windowscheck.Generate(7500, 23, 5, 10, 40, 0)
	want, err := windowscheck.Reference(input, spec)
	if err != nil {
		t.Fatal(err)
	}
	e.writeLines(t, dir+"/in/events.txt", input)
	app, job := e.runDetached(t, "-p", "2", "-Dtaskmanager.numberOfTaskSlots=1",
		"-Dexecution.checkpointing.interval=1s", "-Dstate.checkpoints.dir="+e.qualify(t, dir+"/chk"),
		e.bins+"/windows", "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out"),
		"--window", spec, "--out-of-orderness", "50ms", "--rate", "150")
	e.killTaskManagersToEnd(t, app, job, 3)
	if err := windowscheck.Compare("windows", e.readLines(t, dir+"/out"), want); err != nil {
		t.Fatalf("output not the reference: %v", err)
	}
}

// TestYarnWindowsStopAndResume is issue 10's "stop-with-savepoint + resume
// at another parallelism in the middle of open windows" on YARN:
// examples/windows per-job at -p 2 with sliding windows (every event is in
// four windows, so windows are always open), a checkpoint every second, is
// stopped mid-input with `floe stop --savepointPath` (no drain: event time
// does not end, open windows stay in the savepoint); a run at -p 3 resumes
// from it into the same output folder and reads to the end. The combined
// output equals the reference: every window once, with every record
// counted once, including the windows that were open at the stop.
func TestYarnWindowsStopAndResume(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	const spec = "sliding:400ms:100ms"
	input := windowscheck.Generate(6000, 17, 7, 10, 40, 0)
	want, err := windowscheck.Reference(input, spec)
	if err != nil {
		t.Fatal(err)
	}
	e.writeLines(t, dir+"/in/events.txt", input)
	run := func(rate string, args ...string) (yarnrpc.ApplicationID, string) {
		// The pipeline options reach the plan and the TaskManagers alike
		// (a graph built with other key groups would not be deployed).
		args = append(args, "-Dtaskmanager.numberOfTaskSlots=1", "-Dexecution.checkpointing.interval=1s",
			"-Dstate.checkpoints.dir="+e.qualify(t, dir+"/chk"),
			"-Dpipeline.max-parallelism=64", "-Dpipeline.auto-watermark-interval=50ms",
			e.bins+"/windows", "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out"),
			"--window", spec, "--out-of-orderness", "50ms", "--rate", rate)
		return e.runDetached(t, args...)
	}
	app1, id1 := run("100", "-p", "2")
	sp1 := e.stopWithSavepoint(t, app1, id1, e.qualify(t, dir+"/sp"), true)
	if n := len(e.readLines(t, dir+"/out")); n == 0 || n >= len(want) {
		t.Fatalf("after the stop: %d windows committed, want some but fewer than the %d of the reference", n, len(want))
	}
	app2, _ := run("0", "-p", "3", "-s", sp1)
	if rep := e.waitAppEnd(t, app2, 3*time.Minute); rep.FinalStatus != yarnrpc.FinalSucceeded {
		t.Fatalf("resumed run ended %s (%s): %s", rep.State, rep.FinalStatus, rep.Diagnostics)
	}
	if err := windowscheck.Compare("windows", e.readLines(t, dir+"/out"), want); err != nil {
		t.Fatalf("output across the stop and the resume at -p 3 not the reference: %v", err)
	}
}
