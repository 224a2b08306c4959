package stream

import (
	"fmt"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/runtime"
)

// hasTimestamps reports whether records of node carry event timestamps:
// the node assigns them, or one of its inputs has them.
func (e *Environment) hasTimestamps(node int) bool {
	if node < 0 || node >= len(e.nodes) {
		return false
	}
	if e.nodes[node].assignsTimestamps {
		return true
	}
	for _, ed := range e.edges {
		if ed.To == node && e.hasTimestamps(ed.From) {
			return true
		}
	}
	return false
}

// streamHasTimestamps reports whether every producer of s has timestamps.
func streamHasTimestamps[T any](s Stream[T]) bool {
	for _, u := range s.ups {
		if !s.env.hasTimestamps(u.node) {
			return false
		}
	}
	return len(s.ups) > 0
}

// timestampEdges returns the job's edges with Timestamps set on those
// whose producer has timestamps: their records carry them and watermarks
// flow along them. Jobs without event time pay nothing.
func (e *Environment) timestampEdges() []graph.Edge {
	ts := make([]bool, len(e.nodes))
	for n := range e.nodes {
		ts[n] = e.nodes[n].assignsTimestamps
	}
	// Edges go forward (from < to), so one pass in node order suffices.
	for n := range e.nodes {
		for _, ed := range e.edges {
			if ed.To == n && ts[ed.From] {
				ts[n] = true
			}
		}
	}
	out := make([]graph.Edge, len(e.edges))
	for i, ed := range e.edges {
		ed.Timestamps = ts[ed.From]
		out[i] = ed
	}
	return out
}

// AssignTimestampsAndWatermarks gives the records of in event timestamps
// (the strategy's timestamp assigner; without one the records must
// already have timestamps) and generates watermarks with the strategy's
// generator, one per parallel instance. Upstream watermarks are dropped,
// except the final one of a bounded input.
func AssignTimestampsAndWatermarks[T any](in Stream[T], s WatermarkStrategy[T]) Stream[T] {
	env := in.env
	if err := s.check(); err != nil {
		env.fail(fmt.Errorf("AssignTimestampsAndWatermarks: %w", err))
	} else if s.assigner == nil && !streamHasTimestamps(in) {
		env.fail(fmt.Errorf("AssignTimestampsAndWatermarks: the stream has no timestamps for the strategy to read: add WithTimestampAssigner to the strategy"))
	}
	interval := env.autoWatermarkInterval()
	n := addOperator(in, "timestamps", "Timestamps/Watermarks", in.codec, func(oc runtime.OperatorContext, emit func(T)) (*instance[T], error) {
		tc := oc.Time
		g := newWatermarkGen(s, tc.ProcessingTime())
		sent := runtime.MinWatermark
		idleSent := false
		flush := func() {
			if !g.changed {
				return
			}
			g.changed = false
			if g.idle {
				if !idleSent {
					idleSent = true
					tc.EmitWatermark(runtime.IdleWatermark)
				}
				return
			}
			idleSent = false
			if g.wm > sent {
				sent = g.wm
				tc.EmitWatermark(g.wm)
			}
		}
		oc.OneToOne()
		inst := &instance[T]{in: func(v T) {
			ts, ok := tc.Timestamp()
			if !ok {
				ts = runtime.MinWatermark
			}
			if s.assigner != nil {
				ts = s.assigner(v, ts)
				tc.SetTimestamp(ts)
			}
			g.onEvent(v, ts)
			emit(v)
			if g.changed {
				flush()
			}
		}}
		inst.watermark = func(wm int64) {
			if wm == runtime.MaxWatermark {
				sent = wm
				tc.EmitWatermark(wm)
			}
		}
		everyInterval(tc, interval, func(now int64) {
			g.periodic(now)
			flush()
		})
		return inst, nil
	})
	env.nodes[n].assignsTimestamps = true
	return newStream(env, n, in.codec)
}
