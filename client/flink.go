package client

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// FlinkJob returns a job's details from Flink's path (/jobs/:jobid): its
// vertices with their records and bytes read and written.
func (c *ClusterClient) FlinkJob(ctx context.Context, id string) (api.FlinkJobDetails, error) {
	var d api.FlinkJobDetails
	err := c.JM.Do(ctx, http.MethodGet, "/jobs/"+id, nil, &d)
	return d, err
}

// BackPressure returns a vertex's backpressure (Flink's
// /jobs/:jobid/vertices/:vertexid/backpressure).
func (c *ClusterClient) BackPressure(ctx context.Context, id, vertex string) (api.FlinkBackPressure, error) {
	var b api.FlinkBackPressure
	err := c.JM.Do(ctx, http.MethodGet, "/jobs/"+id+"/vertices/"+vertex+"/backpressure", nil, &b)
	return b, err
}

// VertexLines describes a job's vertices, one line each: parallelism,
// status, records in and out, and backpressure (when known).
func (c *ClusterClient) VertexLines(ctx context.Context, id string) ([]string, error) {
	d, err := c.FlinkJob(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range d.Vertices {
		line := fmt.Sprintf("%-28s p=%-3d %-9s in %s out %s", trimName(v.Name, 28), v.Parallelism, v.Status,
			Count(v.Metrics.ReadRecords), Count(v.Metrics.WriteRecords))
		if d.State == "RUNNING" {
			if bp, err := c.BackPressure(ctx, id, v.ID); err == nil {
				worst := 0.0
				for _, s := range bp.Subtasks {
					worst = max(worst, s.Ratio)
				}
				line += fmt.Sprintf(" backpressure %s (%.0f%%)", bp.BackpressureLevel, worst*100)
			}
		}
		out = append(out, line)
	}
	return out, nil
}

func trimName(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// Count writes n with thousands separators.
func Count(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Progress turns successive job details into one-line summaries: records
// read and written per second over all vertices since the previous call,
// and the checkpoints completed.
type Progress struct {
	at      time.Time
	in, out int64
	started bool
}

// Line is the summary at now; the first call has no rates yet.
func (p *Progress) Line(now time.Time, d api.FlinkJobDetails, completedCheckpoints int64) string {
	var in, out int64
	for _, v := range d.Vertices {
		in += v.Metrics.ReadRecords
		out += v.Metrics.WriteRecords
	}
	rate := func(n, last int64) string {
		if !p.started || !now.After(p.at) {
			return "-"
		}
		return Count(int64(float64(n-last) / now.Sub(p.at).Seconds()))
	}
	line := fmt.Sprintf("%s Job %s %s: in %s rec/s, out %s rec/s (total in %s, out %s), checkpoints %d",
		now.Format("15:04:05"), d.JID, d.State, rate(in, p.in), rate(out, p.out), Count(in), Count(out), completedCheckpoints)
	p.at, p.in, p.out, p.started = now, in, out, true
	return line
}
