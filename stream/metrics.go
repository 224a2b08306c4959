package stream

import (
	"github.com/floe-yarn/floe/metrics"
	"github.com/floe-yarn/floe/runtime"
)

// metricGroup names the metric group type for files that do not import
// package metrics.
type metricGroup = metrics.Group

// RuntimeContext is what a rich function learns when its parallel
// instance opens (Flink's RuntimeContext): which instance it is, and its
// operator's metric group for user-defined counters, gauges and
// histograms (Flink's getMetricGroup()), reported to the REST API and
// Prometheus under the operator's scope.
type RuntimeContext struct {
	Subtask, Parallelism int
	Metrics              *metrics.Group
}

func runtimeContext(oc runtime.OperatorContext) RuntimeContext {
	g := oc.Metrics
	if g == nil {
		g = metrics.NewRegistry().Root(metrics.ScopeOperator)
	}
	return RuntimeContext{Subtask: oc.Subtask, Parallelism: oc.Parallelism, Metrics: g}
}

// RichMap is Map with a function made per parallel instance: open runs
// once per instance, before its first record, and may register metrics.
func RichMap[I, O any](in Stream[I], open func(rc RuntimeContext) func(I) O) Stream[O] {
	c := codecFor[O](in.env, "RichMap")
	n := addOperator(in, "map", "Map", c, func(oc runtime.OperatorContext, emit func(O)) (*instance[I], error) {
		fn := open(runtimeContext(oc))
		return &instance[I]{in: func(v I) { emit(fn(v)) }}, nil
	})
	return newStream(in.env, n, c)
}

// RichFlatMap is FlatMap with a function made per parallel instance.
func RichFlatMap[I, O any](in Stream[I], open func(rc RuntimeContext) func(v I, emit func(O))) Stream[O] {
	c := codecFor[O](in.env, "RichFlatMap")
	n := addOperator(in, "flatmap", "FlatMap", c, func(oc runtime.OperatorContext, emit func(O)) (*instance[I], error) {
		fn := open(runtimeContext(oc))
		return &instance[I]{in: func(v I) { fn(v, emit) }}, nil
	})
	return newStream(in.env, n, c)
}

// Metrics is the keyed process operator's metric group (user metrics).
func (c *KeyedContext[K, S]) Metrics() *metrics.Group { return c.metrics }
