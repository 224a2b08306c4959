package integration

import (
	"strings"
	"testing"
	"time"
)

// TestYarnPerJobWordCount runs wordcount on HDFS input in per-job mode,
// attached: the command exits 0 when the job FINISHED, the counts are
// right, the application SUCCEEDED and its staging folder is gone.
func TestYarnPerJobWordCount(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	want := e.writeWords(t, dir+"/in/words.txt", 3000, 1)
	out, err := e.floe(t, 4*time.Minute, "", "run", "-t", "yarn-per-job", "-Dyarn.tags="+e.tag,
		e.bins+"/wordcount", "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out"))
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
// client exits non-zero with the failure cause, not "check the logs".
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
	if !strings.Contains(out, "missing") {
		t.Errorf("the error does not name the cause (the missing input):\n%s", out)
	}
	e.waitAppEnd(t, app, time.Minute)
	e.waitStagingGone(t, app, 30*time.Second)
}
