package integration

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestYarnSlotWaitDiagnostics: a job that asks for more than the cluster
// has says within seconds why it waits (slots missing, YARN's pending
// container requests and headroom), and fails after slot.request.timeout
// with that reason; the application ends and leaves nothing behind.
func TestYarnSlotWaitDiagnostics(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	e.writeWords(t, dir+"/in/words.txt", 100, 1)
	start := time.Now()
	out, err := e.floe(t, 3*time.Minute, "", "run", "-t", "yarn-per-job", "-Dyarn.tags="+e.tag, "-p", "12",
		"-Dtaskmanager.numberOfTaskSlots=1", "-Dtaskmanager.memory.process.size=2048m", "-Dslot.request.timeout=20s",
		"-Drestart-strategy.type=none", e.bins+"/wordcount", "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out"))
	if err == nil {
		t.Fatalf("a job needing 12 × 2 GiB TaskManagers on 16 GiB of NodeManagers finished:\n%s", out)
	}
	app := ycAppIDIn(t, out)
	e.killAtEnd(t, app)
	waiting := regexp.MustCompile(`Job [0-9a-f]{32} waited \d+s for 12 slots \(\d+ free, \d+ missing; \d+ TaskManager\(s\) of 1 slots asked for, not registered yet\); the job fails after slot.request.timeout \(20s\); YARN: \d+ container request\(s\) of <memory:2048, vCores:1> pending; the application's headroom`)
	if !waiting.MatchString(out) {
		t.Fatalf("no slot-wait diagnostics in the client's output:\n%s", out)
	}
	if !strings.Contains(out, "could not get 12 slots within slot.request.timeout (20s)") {
		t.Fatalf("the failure does not name slot.request.timeout:\n%s", out)
	}
	if d := time.Since(start); d > 2*time.Minute {
		t.Logf("note: the run took %s", d)
	}
	e.waitAppEnd(t, app, time.Minute)
	e.waitStagingGone(t, app, 30*time.Second)
}
