package metrics

import (
	"testing"
	"time"
)

func TestMeterRate(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tests := []struct {
		name    string
		samples []float64 // one per 5 s
		want    float64
	}{
		{"no samples", nil, 0},
		{"one sample", []float64{10}, 0},
		{"steady", []float64{0, 50, 100}, 10},
		{"window keeps the last minute", []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 60, 120}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := NewRegistry()
			var v float64
			m := reg.Root(ScopeTaskManager).Meter("m", func() float64 { return v })
			for i, s := range tc.samples {
				v = s
				reg.Update(t0.Add(time.Duration(i) * 5 * time.Second))
			}
			if got := m.Rate(); got != tc.want {
				t.Errorf("rate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestGroupsVisitAndClose(t *testing.T) {
	reg := NewRegistry()
	tm := reg.Root(ScopeTaskManager, Label{VarTMID, "tm-1"})
	task := tm.Child(ScopeJob, Label{VarJobID, "j"}).Child(ScopeTask, Label{VarSubtaskIndex, "0"})
	op := task.Child(ScopeOperator, Label{VarOperatorName, "Map"})
	op.Counter("myCounter").Add(3)
	op.Counter("myCounter").Inc() // the same counter
	op.Gauge("g", func() float64 { return 7 })
	op.Histogram("h", 4).Update(5)
	got := map[string]Point{}
	reg.Visit(func(p Point) { got[p.Identifier()] = p })
	c, ok := got["taskmanager.job.task.operator.myCounter"]
	if !ok || c.Value != 4 || c.Label(VarTMID) != "tm-1" || c.Label(VarOperatorName) != "Map" || c.Label(VarSubtaskIndex) != "0" {
		t.Fatalf("counter point = %+v (found %v)", c, ok)
	}
	if g := got["taskmanager.job.task.operator.g"]; g.Value != 7 {
		t.Errorf("gauge = %v", g.Value)
	}
	if h := got["taskmanager.job.task.operator.h"]; h.Histogram == nil || h.Histogram.Count != 1 || h.Histogram.Max != 5 {
		t.Errorf("histogram = %+v", h.Histogram)
	}
	task.Close()
	n := 0
	reg.Visit(func(Point) { n++ })
	if n != 0 {
		t.Errorf("%d points after the task group closed, want 0", n)
	}
}

func TestHistogramStatistics(t *testing.T) {
	h := NewHistogram(10)
	for i := int64(1); i <= 20; i++ {
		h.Update(i)
	}
	st := h.Statistics()
	// The window holds 11..20.
	if st.Count != 20 || st.Min != 11 || st.Max != 20 || st.Mean != 15.5 {
		t.Errorf("statistics = %+v", st)
	}
	if st.Quantiles[0] != 15.5 {
		t.Errorf("median = %v, want 15.5", st.Quantiles[0])
	}
}

func TestPrometheusNames(t *testing.T) {
	tests := []struct {
		name  string
		scope []string
		id    string
		want  string
	}{
		{"operator", []string{"taskmanager", "job", "task", "operator"}, "numRecordsIn", "flink_taskmanager_job_task_operator_numRecordsIn"},
		{"dotted", []string{"taskmanager"}, "Status.JVM.Memory.Heap.Used", "flink_taskmanager_Status_JVM_Memory_Heap_Used"},
		{"job", []string{"jobmanager", "job"}, "uptime", "flink_jobmanager_job_uptime"},
		{"odd characters", []string{"taskmanager"}, "my-metric", "flink_taskmanager_my_metric"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := PrometheusName(tc.scope, tc.id); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestParsePorts(t *testing.T) {
	tests := []struct {
		spec    string
		want    int // number of ports
		wantErr bool
	}{
		{"9249", 1, false},
		{"9250-9260", 11, false},
		{"9250-9251,9300", 3, false},
		{"9260-9250", 0, true},
		{"port", 0, true},
		{"70000", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParsePorts(tc.spec)
			if (err != nil) != tc.wantErr || len(got) != tc.want {
				t.Errorf("ParsePorts(%q) = %v, %v", tc.spec, got, err)
			}
		})
	}
}
