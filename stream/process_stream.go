package stream

import (
	"github.com/floe-yarn/floe/runtime"
)

// ProcessStreamContext is what a ProcessStream function sees (Flink's
// ProcessFunction.Context): the record's timestamp, the operator's
// watermark, the wall clock, where it runs, and the side outputs
// (Output). It offers no timers: as in Flink, timers belong to keyed
// streams (KeyedProcess), where they can live in keyed state.
type ProcessStreamContext struct {
	sub int
	tc  *runtime.TimeContext
	wm  int64
	sideOutputs
}

// Timestamp is the event timestamp of the record being processed; false
// when it has none (no AssignTimestampsAndWatermarks or watermark
// strategy upstream).
func (c *ProcessStreamContext) Timestamp() (int64, bool) {
	if c.tc == nil {
		return 0, false
	}
	return c.tc.Timestamp()
}

// CurrentWatermark is the operator's input watermark:
// runtime.MinWatermark until the first one arrives, and always on a
// stream without timestamps.
func (c *ProcessStreamContext) CurrentWatermark() int64 { return c.wm }

// CurrentProcessingTime is the wall clock in Unix milliseconds.
func (c *ProcessStreamContext) CurrentProcessingTime() int64 { return c.tc.ProcessingTime() }

// Subtask is the index of the parallel instance running the function.
func (c *ProcessStreamContext) Subtask() int { return c.sub }

// ProcessStream calls fn for every record of a stream that is not keyed
// (Flink's DataStream.process with a ProcessFunction); fn emits any
// number of results, and records of any type to side outputs with
// Output(ctx, tag, v), read with SideOutput. It chains like FlatMap.
// Results keep the record's timestamp.
func ProcessStream[I, O any](in Stream[I], fn func(ctx *ProcessStreamContext, v I, emit func(O))) Stream[O] {
	env := in.env
	oc := codecFor[O](env, "ProcessStream")
	n := env.addNode("process", "ProcessStream", typeName[O]())
	env.nodes[n].factory = &factory[I, O]{env: env, node: n, in: in.codec, out: oc,
		openSide: func(rc runtime.OperatorContext, emit func(O), sides sideOutputs) (*instance[I], error) {
			emit = countedEmit(rc, emit)
			ctx := &ProcessStreamContext{sub: rc.Subtask, tc: rc.Time, wm: runtime.MinWatermark, sideOutputs: sides}
			return &instance[I]{
				in: func(v I) { fn(ctx, v, emit) },
				watermark: func(wm int64) {
					if wm != runtime.IdleWatermark {
						ctx.wm = wm
					}
					if rc.Time != nil {
						rc.Time.EmitWatermark(wm)
					}
				},
			}, nil
		}}
	in.connect(n)
	return newStream(env, n, oc)
}
