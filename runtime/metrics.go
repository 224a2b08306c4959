package runtime

import (
	"sync/atomic"
	"time"

	"github.com/floe-yarn/floe/metrics"
)

// taskMetrics are a task's figures (metrics.TaskIO) and the published
// per-output record counts its operators report. The task goroutine adds
// to plain fields per record and per buffer and publishes at safe points
// and before waiting for input, so reporters never slow the record path.
type taskMetrics struct {
	io    *metrics.TaskIO
	group *metrics.Group
	// outRecords[i] is outputs[i].Records as last published.
	outRecords []atomic.Int64
}

// initMetrics registers the task's metrics in opts.Metrics (a throwaway
// group when the TaskManager keeps none).
func (t *task) initMetrics() {
	g := t.opts.Metrics
	if g == nil {
		g = metrics.NewRegistry().Root(metrics.ScopeTask)
	}
	t.m = taskMetrics{io: metrics.NewTaskIO(time.Now()), group: g}
	t.m.io.Register(g)
}

// operatorGroup returns operator n's group with its I/O figures: the chain
// head's input is the task's, an operator's output the records of its
// network outputs. Counts inside a chain are not kept (they would cost a
// call per record per operator); those operators report no I/O counts.
func (t *task) operatorGroup(n int) *metrics.Group {
	op := t.g.Operators[n]
	og := t.m.group.Child(metrics.ScopeOperator, metrics.Label{Key: metrics.VarOperatorID, Value: op.ID},
		metrics.Label{Key: metrics.VarOperatorName, Value: op.Node.Name})
	io := t.m.io
	if n == t.v.Operators[0] && !t.v.Source {
		og.Gauge(metrics.NumRecordsIn, func() float64 { r, _, _, _ := io.Published(); return float64(r) })
		og.Meter(metrics.NumRecordsInPerSecond, func() float64 { r, _, _, _ := io.Published(); return float64(r) })
	}
	var outs []int
	for i, o := range t.outputs {
		if o.Edge.FromNode == n {
			outs = append(outs, i)
		}
	}
	if len(outs) > 0 {
		sum := func() float64 {
			var s int64
			for _, i := range outs {
				s += t.m.outRecords[i].Load()
			}
			return float64(s)
		}
		og.Gauge(metrics.NumRecordsOut, sum)
		og.Meter(metrics.NumRecordsOutPerSecond, sum)
	}
	io.RegisterWatermarks(og)
	return og
}

// publish makes the task's figures visible to reporters.
func (t *task) publish() {
	var recs, bytes, bp int64
	for i, o := range t.outputs {
		recs += o.Records
		bytes += o.Bytes
		bp += o.BackPressuredNanos
		if i < len(t.m.outRecords) { // not yet made when building failed
			t.m.outRecords[i].Store(o.Records)
		}
	}
	io := t.m.io
	io.RecordsOut, io.BytesOut, io.BackPressuredNanos = recs, bytes, bp
	io.Publish()
}

// idleSince adds the time since start to the task's idle time.
func (t *task) idleSince(start time.Time) { t.m.io.IdleNanos += int64(time.Since(start)) }
