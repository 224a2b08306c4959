package integration

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/metrics"
)

// TestYarnMetricsPrometheus runs an unbounded job with a user counter on
// YARN with Flink's Prometheus reporter on a port range: each
// TaskManager's endpoint is found through the REST API
// (/v1/taskmanagers), scraped twice with numRecordsOut rising, and the
// user metric is visible both in the scrape (Flink's Prometheus name and
// labels) and in the vertex metrics of the REST API. The JobManager's
// endpoint (its port in /v1/overview) serves the job's metrics: uptime,
// checkpoint counts.
func TestYarnMetricsPrometheus(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	app, job := e.runDetached(t, "-p", "2", "-Dtaskmanager.numberOfTaskSlots=1",
		"-Dmetrics.reporter.prom.factory.class="+metrics.PrometheusFactoryClass, "-Dmetrics.reporter.prom.port=9250-9290",
		"-Dexecution.checkpointing.interval=1s", "-Dstate.checkpoints.dir="+e.qualify(t, dir+"/chk"),
		e.bins+"/testjob", "--mode", "metrics")
	cc := e.jobManager(t, app)
	e.waitJob(t, cc, job, "running", allRunning)

	get := func(path string, out any) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return cc.JM.Do(ctx, http.MethodGet, path, nil, out)
	}
	// Every TaskManager's endpoint, once both reported.
	var endpoints []string
	waitUntil(t, time.Minute, "TaskManagers' Prometheus endpoints in the REST API", func() (bool, error) {
		var tms api.TaskManagerList
		if err := get("/v1/taskmanagers", &tms); err != nil || len(tms.TaskManagers) != 2 {
			return false, nil
		}
		endpoints = endpoints[:0]
		for _, tm := range tms.TaskManagers {
			if tm.PrometheusPort == 0 {
				return false, nil
			}
			if tm.PrometheusPort < 9250 || tm.PrometheusPort > 9290 {
				return false, fmt.Errorf("TaskManager %s: Prometheus port %d outside 9250-9290", tm.ID, tm.PrometheusPort)
			}
			endpoints = append(endpoints, net.JoinHostPort(tm.PrometheusHost, strconv.Itoa(tm.PrometheusPort)))
		}
		return true, nil
	})
	if endpoints[0] == endpoints[1] {
		t.Fatalf("both TaskManagers on %s", endpoints[0])
	}

	// numRecordsOut of the job's source tasks rises between two scrapes.
	out := func() (float64, map[string]float64) {
		sums := map[string]float64{}
		var total float64
		for _, ep := range endpoints {
			for name, v := range scrape(t, ep, job) {
				sums[name] += v
				if strings.HasPrefix(name, "flink_taskmanager_job_task_numRecordsOut{") {
					total += v
				}
			}
		}
		return total, sums
	}
	var first float64
	waitUntil(t, time.Minute, "records out in the first scrape", func() (bool, error) {
		first, _ = out()
		return first > 0, nil
	})
	var second float64
	var all map[string]float64
	waitUntil(t, time.Minute, "numRecordsOut rising", func() (bool, error) {
		second, all = out()
		return second > first, nil
	})
	t.Logf("numRecordsOut %v then %v", first, second)
	// Map's operator metrics, summed over its subtasks.
	ofMap := func(metric string) float64 {
		var sum float64
		for name, v := range all {
			if strings.HasPrefix(name, metric+"{") && strings.Contains(name, `operator_name="Map"`) {
				sum += v
			}
		}
		return sum
	}
	if ofMap("flink_taskmanager_job_task_operator_recordsSeen") <= 0 {
		t.Errorf("user counter recordsSeen not in the scrape (or zero)")
	}
	// Map runs chained behind the source: its own input count is there.
	if ofMap("flink_taskmanager_job_task_operator_numRecordsIn") <= 0 {
		t.Errorf("numRecordsIn of the chained Map not in the scrape (or zero)")
	}

	// The same user metric through the REST API (vertex metrics).
	var d api.FlinkJobDetails
	if err := get("/jobs/"+job, &d); err != nil || len(d.Vertices) == 0 {
		t.Fatalf("GET /jobs/%s: %v %+v", job, err, d)
	}
	src := d.Vertices[0]
	waitUntil(t, time.Minute, "recordsSeen in the REST vertex metrics", func() (bool, error) {
		var ms []api.FlinkMetric
		if err := get("/jobs/"+job+"/vertices/"+src.ID+"/metrics?get=0.Map.recordsSeen,1.Map.recordsSeen", &ms); err != nil {
			return false, nil
		}
		var n float64
		for _, m := range ms {
			v, _ := strconv.ParseFloat(m.Value, 64)
			n += v
		}
		return len(ms) == 2 && n > 0, nil
	})
	// The JobManager's own endpoint (its port in /v1/overview, on the AM's
	// host): the job's uptime rises and its checkpoints are counted, under
	// Flink's Prometheus names.
	var ov api.Overview
	if err := get("/v1/overview", &ov); err != nil || ov.PrometheusPort < 9250 || ov.PrometheusPort > 9290 {
		t.Fatalf("GET /v1/overview: %v, JobManager Prometheus port %d; want one in 9250-9290", err, ov.PrometheusPort)
	}
	jmEndpoint := net.JoinHostPort(cc.Report.Host, strconv.Itoa(ov.PrometheusPort))
	for _, ep := range endpoints {
		if ep == jmEndpoint {
			t.Fatalf("the JobManager and a TaskManager both report endpoint %s", ep)
		}
	}
	jobGauge := func(name string) float64 {
		for series, v := range scrape(t, jmEndpoint, job) {
			if strings.HasPrefix(series, name+"{") {
				return v
			}
		}
		return -1
	}
	up := jobGauge("flink_jobmanager_job_uptime")
	waitUntil(t, time.Minute, "the JobManager's endpoint: uptime rising, checkpoints completed", func() (bool, error) {
		return jobGauge("flink_jobmanager_job_uptime") > up && up >= 0 &&
			jobGauge("flink_jobmanager_job_numberOfCompletedCheckpoints") >= 2, nil
	})

	// And `floe list` shows the vertices' records.
	listed, err := e.floe(t, time.Minute, "", "list", "-Dyarn.application.id="+app.String())
	if err != nil || !strings.Contains(listed, "p=2") || !strings.Contains(listed, "backpressure") {
		t.Errorf("floe list: %v\n%s", err, listed)
	}
}

// scrape reads one Prometheus endpoint and returns the samples of job
// (series with its job_id), by series name with labels.
func scrape(t *testing.T, endpoint, job string) map[string]float64 {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + endpoint + "/metrics")
	if err != nil {
		t.Fatalf("scrape %s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || !strings.Contains(line, `job_id="`+job+`"`) {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[line[:i]] = v
		}
	}
	return out
}
