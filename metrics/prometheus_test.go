package metrics

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/floe-yarn/floe/conf"
)

// TestReporterServesFlinkNames scrapes a reporter that took the second
// port of a range whose first port is busy.
func TestReporterServesFlinkNames(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	reg := NewRegistry()
	task := reg.Root(ScopeTaskManager, Label{VarTMID, "tm-1"}).Child(ScopeJob, Label{VarJobID, "0123"}).
		Child(ScopeTask, Label{VarTaskName, "Map"}, Label{VarSubtaskIndex, "1"})
	task.Child(ScopeOperator, Label{VarOperatorName, "Map"}).Counter(NumRecordsIn).Add(42)
	task.Child(ScopeOperator, Label{VarOperatorName, "Sink"}).Histogram("latency", 8).Update(3)

	rep, err := Listen(ReporterOptions{Host: "127.0.0.1", Ports: strconv.Itoa(port) + "-" + strconv.Itoa(port+20), Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Port() == port {
		t.Fatalf("reporter took the busy port %d", port)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = rep.Serve(ctx) }()
	defer func() { cancel(); wg.Wait() }()

	resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(rep.Port()) + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	for _, want := range []string{
		`flink_taskmanager_job_task_operator_numRecordsIn{job_id="0123",operator_name="Map",subtask_index="1",task_name="Map",tm_id="tm-1"} 42`,
		`flink_taskmanager_job_task_operator_latency{job_id="0123",operator_name="Sink",subtask_index="1",task_name="Map",tm_id="tm-1",quantile="0.5"} 3`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("scrape lacks %s:\n%s", want, body)
		}
	}
}

func TestPrometheusPorts(t *testing.T) {
	tests := []struct {
		name    string
		cfg     map[string]string
		want    string
		on      bool
		wantErr string
	}{
		{"off", nil, "", false, ""},
		{"default port", map[string]string{conf.MetricsPromFactoryClass: PrometheusFactoryClass}, "9249", true, ""},
		{"range", map[string]string{conf.MetricsPromFactoryClass: PrometheusFactoryClass, conf.MetricsPromPort: "9250-9260"}, "9250-9260", true, ""},
		{"other reporter", map[string]string{conf.MetricsPromFactoryClass: "org.apache.flink.metrics.jmx.JMXReporterFactory"}, "", false, "Prometheus reporter only"},
		{"bad port", map[string]string{conf.MetricsPromFactoryClass: PrometheusFactoryClass, conf.MetricsPromPort: "x"}, "", false, "want a port or a range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, on, err := PrometheusPorts(func(k string) (string, bool) { v, ok := tc.cfg[k]; return v, ok })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want || on != tc.on {
				t.Errorf("got %q, %v, %v", got, on, err)
			}
		})
	}
}
