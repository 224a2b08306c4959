package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestYarnShipFiles: Flink's -yt ships a local folder into every
// container's working folder; the job reads it by a relative path in its
// TaskManagers. A path that does not exist is refused before anything
// runs on YARN.
func TestYarnShipFiles(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	local := t.TempDir()
	data := filepath.Join(local, "shipped", "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	_, counts := wordInput(t, data)
	want := map[string]int64{}
	for w, n := range counts {
		want[w] = int64(n)
	}
	out, err := e.floe(t, 4*time.Minute, "", "run", "-m", "yarn-cluster", "-Dyarn.tags="+e.tag, "-p", "2",
		"-yt", filepath.Join(local, "shipped"), e.bins+"/wordcount", "--input", "shipped/data/words.txt", "--output", e.qualify(t, dir+"/out"))
	if err != nil {
		t.Fatalf("floe run -yt: %v", err)
	}
	app := ycAppIDIn(t, out)
	e.killAtEnd(t, app)
	ycSameCounts(t, e.readCounts(t, dir+"/out"), want)

	// After the application ended, floe logs lists every container with
	// its role, node and state, and --container takes a TaskManager id.
	e.waitAppEnd(t, app, time.Minute)
	listing := regexp.MustCompile(`(?m)^  container_\S+_000001\s+JobManager \(AM\)\s+on \S+\s+FINISHED$`)
	var logs string
	var tms [][]string
	// A NodeManager may report a container RUNNING for a moment after
	// the application ended, while it stops it.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Second) {
		var err error
		logs, err = e.floe(t, time.Minute, "", "logs", "-Dyarn.application.id="+app.String(), "--file", "taskmanager.log", "--tail", "2")
		if err != nil {
			t.Fatalf("floe logs: %v", err)
		}
		tms = regexp.MustCompile(`(?m)^  container_\S+\s+TaskManager (tm-\d+)\s+on \S+\s+FINISHED$`).FindAllStringSubmatch(logs, -1)
		if listing.MatchString(logs) && len(tms) == 2 && strings.Count(logs, ": taskmanager.log (") == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("floe logs of the ended application, for a minute: want the AM and 2 TaskManagers FINISHED and both taskmanager.log files:\n%s", logs)
		}
	}
	one, err := e.floe(t, time.Minute, "", "logs", "-Dyarn.application.id="+app.String(), "--container", tms[0][1], "--tail", "1")
	if err != nil || strings.Count(one, "TaskManager "+tms[0][1]) != 1 || strings.Contains(one, "JobManager (AM)") {
		t.Fatalf("floe logs --container %s: %v\n%s", tms[0][1], err, one)
	}

	missing := filepath.Join(local, "not-there")
	out, err = e.floe(t, 2*time.Minute, "", "run", "-m", "yarn-cluster", "-Dyarn.tags="+e.tag,
		"-yt", missing, e.bins+"/wordcount", "--input", "x", "--output", e.qualify(t, dir+"/out2"))
	if err == nil || !strings.Contains(out, "yarn.ship-files") || !strings.Contains(out, missing+": no such file or folder") {
		t.Fatalf("floe run -yt %s: %v\n%s\nwant an error naming yarn.ship-files and the path", missing, err, out)
	}
	if strings.Contains(out, "Submitted application") {
		t.Fatalf("an application was submitted for a bad -yt:\n%s", out)
	}
}
