package integration

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/yarnrpc"
)

// TestYarnLogsAggregation: `floe logs` of a finished per-job application
// with log aggregation off and on. The minicluster's NodeManager 1 keeps
// container logs (aggregation off); NodeManager 2 aggregates them to HDFS
// when an application ends (yarn.log-aggregation-enable on, Hadoop's TFile
// format), after which it no longer serves them. Each case stops the other
// NodeManager so that every container of the application runs on the one
// under test.
func TestYarnLogsAggregation(t *testing.T) {
	e := newYC(t)
	startNM := func(n string) {
		if out, err := exec.Command(e.c.Script, "start-nm", n).CombinedOutput(); err != nil {
			t.Errorf("minicluster.sh start-nm %s: %v\n%s", n, err, out)
		}
	}
	for _, c := range []struct {
		name       string
		on, off    string // the NodeManager that runs the application, the one stopped
		aggregated bool
	}{{"off", "1", "2", false}, {"on", "2", "1", true}} {
		t.Run("aggregation "+c.name, func(t *testing.T) {
			e.c.Run(t, "stop-nm", c.off)
			defer startNM(c.off)
			dir := e.testDir(t)
			want := e.writeWords(t, dir+"/in/words.txt", 500, 7)
			out, err := e.floe(t, 4*time.Minute, "", "run", "-t", "yarn-per-job", "-Dyarn.tags="+e.tag, "-p", "2",
				e.bins+"/wordcount", "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out"))
			if err != nil {
				t.Fatalf("floe run: %v", err)
			}
			app := ycAppIDIn(t, out)
			e.killAtEnd(t, app)
			ycSameCounts(t, e.readCounts(t, dir+"/out"), want)
			e.waitAppEnd(t, app, time.Minute)

			am := yarnrpc.NewContainerID(yarnrpc.ApplicationAttemptID{App: app, Attempt: 1}, 0, 1)
			if c.aggregated {
				// The NodeManager uploads, then stops serving the logs.
				waitUntil(t, time.Minute, "NodeManager 2 to hand "+app.String()+"'s logs to HDFS", func() (bool, error) {
					return e.aggregatedLogFile(t, app) != "" && !e.nmServesLogs(t, am), nil
				})
			} else if !e.nmServesLogs(t, am) || e.aggregatedLogFile(t, app) != "" {
				t.Fatalf("with aggregation off the NodeManager should serve %s's logs and nothing be on HDFS", am)
			}

			logs, err := e.floe(t, 2*time.Minute, "", "logs", "-Dyarn.application.id="+app.String())
			if err != nil {
				t.Fatalf("floe logs: %v\n%s", err, logs)
			}
			listing := regexp.MustCompile(`(?m)^  ` + am.String() + `\s+JobManager \(AM\)\s+on \S+\s+FINISHED$`)
			tms := regexp.MustCompile(`(?m)^  container_\S+\s+TaskManager (tm-\d+)\s+on \S+\s+FINISHED$`).FindAllStringSubmatch(logs, -1)
			if !listing.MatchString(logs) || len(tms) != 2 {
				t.Fatalf("floe logs: want the AM and 2 TaskManagers listed FINISHED:\n%s", logs)
			}
			// The AM's log says the job finished; each TaskManager's log is there.
			if strings.Count(logs, ": jobmanager.log (") != 1 || !strings.Contains(logs, `"state":"FINISHED"`) ||
				strings.Count(logs, ": taskmanager.log (") != 2 || strings.Contains(logs, "launch_container.sh") {
				t.Fatalf("floe logs: want the AM's jobmanager.log (with the job FINISHED) and both taskmanager.log files, not YARN's own:\n%s", logs)
			}
			one, err := e.floe(t, time.Minute, "", "logs", "-Dyarn.application.id="+app.String(), "--container", tms[1][1], "--file", "taskmanager.log")
			if err != nil || strings.Count(one, ": taskmanager.log (") != 1 || !strings.Contains(one, `"tm":"`+tms[1][1]+`"`) {
				t.Fatalf("floe logs --container %s: %v\n%s", tms[1][1], err, one)
			}
		})
	}
}

// aggregatedLogFile returns a complete aggregated log file of app on HDFS
// ("" when there is none yet).
func (e *ycEnv) aggregatedLogFile(t *testing.T, app yarnrpc.ApplicationID) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dir := fmt.Sprintf("/tmp/logs/%s/bucket-logs-tfile/%04d/%s", e.user, app.ID%10000, app)
	fis, err := e.st.List(ctx, dir)
	if err != nil {
		return ""
	}
	for _, fi := range fis {
		if !strings.HasSuffix(fi.Path, ".tmp") && fi.Size > 0 {
			return fi.Path
		}
	}
	return ""
}

// nmServesLogs reports whether a NodeManager lists container c's logs.
func (e *ycEnv) nmServesLogs(t *testing.T, c yarnrpc.ContainerID) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nodes, err := e.rm.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+n.HTTPAddress+"/ws/v1/node/containers/"+c.String()+"/logs", nil)
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			continue
		}
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return true
		}
	}
	return false
}
