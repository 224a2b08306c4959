package integration

import (
	"context"
	"path"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/yarnrpc"
)

// TestYarnApplicationProvidedLibDirs runs wordcount in application mode
// with the framework in a provided lib dir and the job binary on HDFS: the
// client uploads no binary (the cache gains no entry), the staging folder
// holds only the configuration and the secret, and the counts are right.
func TestYarnApplicationProvidedLibDirs(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	lib := dir + "/lib"
	for _, f := range []struct{ local, remote string }{{e.bins + "/floe", lib + "/floe"}, {e.bins + "/wordcount", dir + "/jobs/wordcount"}} {
		if err := e.st.Upload(ctx, f.local, f.remote, nil); err != nil {
			t.Fatal(err)
		}
	}
	want := e.writeWords(t, dir+"/in/words.txt", 2000, 3)
	before := e.cacheEntries(t)

	out, err := e.floe(t, 4*time.Minute, "", "run-application", "-t", "yarn-application", "-d",
		"-Dyarn.provided.lib.dirs="+e.qualify(t, lib), "-Dyarn.tags="+e.tag,
		e.qualify(t, dir+"/jobs/wordcount"), "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out"))
	if err != nil {
		t.Fatalf("floe run-application: %v", err)
	}
	app := ycAppIDIn(t, out)
	e.killAtEnd(t, app)
	// Staging folder contents, read while the application runs (the AM
	// removes it at the end; then it is simply gone, which is fine too).
	if fis, err := e.st.List(ctx, e.stagingDir(app)); err == nil {
		var names []string
		for _, fi := range fis {
			// ha/ is the AM's job store (high-availability.storageDir
			// defaults into the staging folder), not an upload.
			if n := path.Base(fi.Path); n != "ha" {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		if strings.Join(names, ",") != "floe-conf.yaml,secret" {
			t.Errorf("staging folder holds uploads %v, want only floe-conf.yaml and secret", names)
		}
	}
	if m := regexp.MustCompile(`\(([0-9.]+ (B|KiB|MiB)) uploaded\)`).FindStringSubmatch(out); m == nil || m[2] == "MiB" {
		t.Errorf("upload figure %v: the framework or job binary was uploaded", m)
	}
	after := e.cacheEntries(t)
	for k := range after {
		if !before[k] {
			t.Errorf("the cache gained %s: something was uploaded", k)
		}
	}
	rep := e.waitAppEnd(t, app, 3*time.Minute)
	if rep.FinalStatus.String() != "SUCCEEDED" {
		t.Fatalf("application ended %s/%s: %s", rep.State, rep.FinalStatus, rep.Diagnostics)
	}
	ycSameCounts(t, e.readCounts(t, dir+"/out"), want)
	e.waitStagingGone(t, app, 30*time.Second)
}

// TestYarnApplicationLocalBinary: application mode with a local job
// binary (uploaded through the cache), attached, via `floe run -t
// yarn-application`: the AM plans the job itself, starts two TaskManager
// containers of one slot for parallelism 2, the counts are right, the
// application SUCCEEDS and its staging folder is gone.
//
// Merged with the application half of TestAMPerJobWordCount.
func TestYarnApplicationLocalBinary(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	want := e.writeWords(t, dir+"/in/words.txt", 1000, 4)
	out, err := e.floe(t, 4*time.Minute, "", "run", "-t", "yarn-application", "-Dyarn.tags="+e.tag,
		"-p", "2", "-Dtaskmanager.numberOfTaskSlots=1", e.bins+"/wordcount", "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out"))
	if err != nil {
		t.Fatalf("floe run -t yarn-application: %v", err)
	}
	app := ycAppIDIn(t, out)
	e.killAtEnd(t, app)
	ycSameCounts(t, e.readCounts(t, dir+"/out"), want)
	if rep := e.waitAppEnd(t, app, time.Minute); rep.FinalStatus != yarnrpc.FinalSucceeded {
		t.Errorf("application ended %s/%s: %s", rep.State, rep.FinalStatus, rep.Diagnostics)
	}
	e.waitStagingGone(t, app, 30*time.Second)
	if logs := e.containerLogs(app, "taskmanager.log"); len(logs) != 2 {
		t.Errorf("%d TaskManager logs, want 2", len(logs))
	}
}

// TestYarnAMFailureReport: when the AM fails, the client prints YARN's
// diagnostics and the AM's last log lines, read from the NodeManager.
// The AM is made to fail for real: the provided lib dir's "floe" is the
// wordcount binary, which exits with its usage text.
func TestYarnAMFailureReport(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := e.st.Upload(ctx, e.bins+"/wordcount", dir+"/badlib/floe", nil); err != nil {
		t.Fatal(err)
	}
	out, err := e.floe(t, 3*time.Minute, "", "run-application", "-t", "yarn-application", "-Dyarn.tags="+e.tag,
		"-Dyarn.provided.lib.dirs="+e.qualify(t, dir+"/badlib"), e.bins+"/wordcount", "--input", "x", "--output", "y")
	if err == nil {
		t.Fatal("succeeded with a broken AM")
	}
	app := ycAppIDIn(t, out)
	e.killAtEnd(t, app)
	for _, s := range []string{"YARN diagnostics:", "Last lines of the ApplicationMaster's log:", "jobmanager.err: usage: wordcount"} {
		if !strings.Contains(out, s) {
			t.Errorf("failure report lacks %q", s)
		}
	}
	if strings.Contains(strings.ToLower(out), "check the logs") && !strings.Contains(out, "jobmanager.err:") {
		t.Errorf("the report only says to check the logs")
	}
	e.waitStagingGone(t, app, 30*time.Second)
}
