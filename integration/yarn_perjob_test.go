package integration

import (
	"strings"
	"testing"
	"time"
)

// TestYarnPerJobWordCount runs wordcount on HDFS input in per-job mode,
// attached, with parallelism 2 on TaskManagers of one slot: the command
// exits 0 when the job FINISHED, the counts are right, the AM started two
// TaskManager containers (each logging to its taskmanager.log), the
// application SUCCEEDED and its staging folder is gone.
//
// Merged with the per-job half of TestAMPerJobWordCount.
func TestYarnPerJobWordCount(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	want := e.writeWords(t, dir+"/in/words.txt", 3000, 1)
	out, err := e.floe(t, 4*time.Minute, "", "run", "-t", "yarn-per-job", "-Dyarn.tags="+e.tag,
		"-p", "2", "-Dtaskmanager.numberOfTaskSlots=1", e.bins+"/wordcount", "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out"))
	if err != nil {
		t.Fatalf("floe run -t yarn-per-job: %v", err)
	}
	app := ycAppIDIn(t, out)
	e.killAtEnd(t, app)
	for _, s := range []string{"JobManager web interface: http://", "YARN tracking URL: http://", "FINISHED"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q", s)
		}
	}
	ycSameCounts(t, e.readCounts(t, dir+"/out"), want)
	rep := e.waitAppEnd(t, app, time.Minute)
	if rep.FinalStatus.String() != "SUCCEEDED" {
		t.Errorf("application ended %s/%s: %s", rep.State, rep.FinalStatus, rep.Diagnostics)
	}
	e.waitStagingGone(t, app, 30*time.Second)
	if logs := e.containerLogs(app, "taskmanager.log"); len(logs) != 2 {
		t.Errorf("%d TaskManager logs, want 2", len(logs))
	}

	// The same binaries again: the cache sends only the small files.
	dir2 := e.testDir(t)
	want2 := e.writeWords(t, dir2+"/in/words.txt", 500, 2)
	out, err = e.floe(t, 4*time.Minute, "", "run", "-t", "yarn-per-job", "-Dyarn.tags="+e.tag,
		e.bins+"/wordcount", "--input", e.qualify(t, dir2+"/in"), "--output", e.qualify(t, dir2+"/out"))
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if !strings.Contains(out, "KiB uploaded)") && !strings.Contains(out, " B uploaded)") {
		t.Errorf("second submission uploaded megabytes; the cache should have the binaries")
	}
	ycSameCounts(t, e.readCounts(t, dir2+"/out"), want2)
}

// TestYarnPerJobFailedJob: a job whose input does not exist FAILS; the
// client exits non-zero with the failure cause (the file system's "file
// does not exist", not just the path, which holds "missing" itself) and
// YARN's final status, not "check the logs".
func TestYarnPerJobFailedJob(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	out, err := e.floe(t, 4*time.Minute, "", "run", "-t", "yarn-per-job", "-Dyarn.tags="+e.tag,
		e.bins+"/wordcount", "--input", e.qualify(t, dir+"/missing"), "--output", e.qualify(t, dir+"/out"))
	if err == nil {
		t.Fatalf("a job over a missing input succeeded")
	}
	app := ycAppIDIn(t, out)
	e.killAtEnd(t, app)
	for _, w := range []string{"file does not exist", "final status FAILED"} {
		if !strings.Contains(out, w) {
			t.Errorf("the error does not give the cause: no %q in\n%s", w, out)
		}
	}
	e.waitAppEnd(t, app, time.Minute)
	e.waitStagingGone(t, app, 30*time.Second)
}
