package runtime

import (
	"sync/atomic"
	"time"

	"github.com/floe-yarn/floe/metrics"
)

// taskMetrics are a task's figures (metrics.TaskIO) and the published
// per-output and per-operator record counts its operators report. The task
// goroutine adds to plain fields per record and per buffer and publishes at
// safe points and before waiting for input, so reporters never slow the
// record path.
type taskMetrics struct {
	io    *metrics.TaskIO
	group *metrics.Group
	// outRecords[i] is outputs[i].Records as last published.
	outRecords []atomic.Int64
	// in and out are the operators' own counts by node index: the records
	// into an operator (OperatorContext.RecordsIn) and out of its main
	// output (OperatorContext.RecordsOut), for those that keep them.
	in, out map[int]*opCount
	// oneToOne holds the operators that emit a record per record in
	// (OperatorContext.OneToOne).
	oneToOne map[int]bool
	// pred is the chained operator feeding each operator inside the chain.
	pred map[int]int
	// headIn is the chain head's input: the task's records in (its n
	// unused: publish reads io.RecordsIn).
	headIn opCount
}

// opCount is an operator's count: n is added to on the task goroutine,
// pub is *n as last published.
type opCount struct {
	n   *int64
	pub atomic.Int64
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

// operatorGroup returns operator n's group, with its watermarks; its
// record counts are registered once every operator is open
// (registerRecordCounts).
func (t *task) operatorGroup(n int) *metrics.Group {
	op := t.g.Operators[n]
	og := t.m.group.Child(metrics.ScopeOperator, metrics.Label{Key: metrics.VarOperatorID, Value: op.ID},
		metrics.Label{Key: metrics.VarOperatorName, Value: op.Node.Name})
	t.m.io.RegisterWatermarks(og)
	return og
}

// into is the count of the records into operator n: its own, else the
// task's input for the chain head (none for a source), else what its
// chained predecessor emitted (outOf); nil when nobody counts them.
func (t *task) into(n int) *opCount {
	if c, ok := t.m.in[n]; ok {
		return c
	}
	if n == t.v.Operators[0] {
		if t.v.Source {
			return nil
		}
		return &t.m.headIn
	}
	if p, ok := t.m.pred[n]; ok {
		return t.outOf(p)
	}
	return nil
}

// outOf is the count of the records operator n emitted on its main
// output: its own, or its input's for a one-to-one operator; nil when it
// does not say.
func (t *task) outOf(n int) *opCount {
	if c, ok := t.m.out[n]; ok {
		return c
	}
	if t.m.oneToOne[n] {
		return t.into(n)
	}
	return nil
}

// registerRecordCounts adds numRecordsIn/Out (and their rates) to each
// operator's group. Counts are derived rather than kept per operator
// (one add per record on this machine's chained pipeline instead of one
// per operator): an operator's input is the chain head's task input or
// what its chained predecessor emitted (into); its output is its own
// count (outOf), else what its chained consumers took plus its network
// outputs' records, reported when every consumer's count is known.
func (t *task) registerRecordCounts(groups map[int]*metrics.Group) {
	gauge := func(g *metrics.Group, name, rate string, c *opCount) {
		f := func() float64 { return float64(c.pub.Load()) }
		g.Gauge(name, f)
		g.Meter(rate, f)
	}
	for _, n := range t.v.Operators {
		og := groups[n]
		if c := t.into(n); c != nil {
			gauge(og, metrics.NumRecordsIn, metrics.NumRecordsInPerSecond, c)
		}
		if c := t.outOf(n); c != nil {
			gauge(og, metrics.NumRecordsOut, metrics.NumRecordsOutPerSecond, c)
			continue
		}
		var outs []int
		for i, o := range t.outputs {
			if o.Edge.FromNode == n {
				outs = append(outs, i)
			}
		}
		var chained []*opCount
		for _, to := range t.tm.chainOut[n] {
			c := t.into(to)
			if c == nil {
				chained, outs = nil, nil // a consumer nobody counts for: no total
				break
			}
			chained = append(chained, c)
		}
		if len(outs) == 0 && len(chained) == 0 {
			continue
		}
		f := func() float64 {
			var s int64
			for _, i := range outs {
				s += t.m.outRecords[i].Load()
			}
			for _, c := range chained {
				s += c.pub.Load()
			}
			return float64(s)
		}
		og.Gauge(metrics.NumRecordsOut, f)
		og.Meter(metrics.NumRecordsOutPerSecond, f)
	}
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
	for _, c := range t.m.in {
		c.pub.Store(*c.n)
	}
	for _, c := range t.m.out {
		c.pub.Store(*c.n)
	}
	t.m.headIn.pub.Store(t.m.io.RecordsIn)
	io := t.m.io
	io.RecordsOut, io.BytesOut, io.BackPressuredNanos = recs, bytes, bp
	io.Publish()
}

// idleSince adds the time since start to the task's idle time.
func (t *task) idleSince(start time.Time) { t.m.io.IdleNanos += int64(time.Since(start)) }
