package client

import (
	"testing"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
)

func TestProgressLine(t *testing.T) {
	job := func(in, out int64) api.FlinkJobDetails {
		return api.FlinkJobDetails{JID: "0123", State: "RUNNING", Vertices: []api.FlinkJobVertex{
			{Metrics: api.FlinkIOMetrics{WriteRecords: out}}, {Metrics: api.FlinkIOMetrics{ReadRecords: in}}}}
	}
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var p Progress
	steps := []struct {
		name string
		at   time.Time
		d    api.FlinkJobDetails
		ckpt int64
		want string
	}{
		{"first has no rates", t0, job(0, 1000), 0, "12:00:00 Job 0123 RUNNING: in - rec/s, out - rec/s (total in 0, out 1,000), checkpoints 0"},
		{"rates over 5 s", t0.Add(5 * time.Second), job(5000, 11000), 2, "12:00:05 Job 0123 RUNNING: in 1,000 rec/s, out 2,000 rec/s (total in 5,000, out 11,000), checkpoints 2"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if got := p.Line(s.at, s.d, s.ckpt); got != s.want {
				t.Errorf("got  %q\nwant %q", got, s.want)
			}
		})
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1500: "-1,500"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}
