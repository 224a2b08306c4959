package stream

import (
	"errors"
	"fmt"

	"github.com/floe-yarn/floe/metrics"
	"github.com/floe-yarn/floe/runtime"
	"github.com/rs/zerolog"
)

// RuntimeContext is what one subtask's function instance knows about
// where it runs (Flink's RuntimeContext of rich functions), given to the
// open functions of MapWith, FlatMapWith and FilterWith.
type RuntimeContext struct {
	// JobID is the job's id (32 hex digits).
	JobID string
	// OperatorName is the operator's name (Name(), or its kind).
	OperatorName string
	// Subtask is this instance's index, 0 ≤ Subtask < Parallelism.
	Subtask     int
	Parallelism int
	// Attempt counts the job's restarts: 0 for the first run.
	Attempt int
	Logger  zerolog.Logger
	// Metrics is the operator's metric group (Flink's getMetricGroup()):
	// user counters, gauges and histograms registered here are reported
	// to the REST API and Prometheus under the operator's scope.
	Metrics *metrics.Group

	closers []func() error
}

// OnClose registers f to run when the subtask ends, however it ends
// (finished, failed or cancelled), in reverse order of registration
// (Flink's close()).
func (rc *RuntimeContext) OnClose(f func() error) { rc.closers = append(rc.closers, f) }

func newRuntimeContext(oc runtime.OperatorContext) *RuntimeContext {
	name := oc.Operator.Node.Name
	if name == "" {
		name = oc.Operator.Node.Kind
	}
	g := oc.Metrics
	if g == nil {
		g = metrics.NewRegistry().Root(metrics.ScopeOperator)
	}
	return &RuntimeContext{JobID: oc.Job, OperatorName: name, Subtask: oc.Subtask, Parallelism: oc.Parallelism,
		Attempt: oc.Attempt, Logger: oc.Logger, Metrics: g}
}

func (rc *RuntimeContext) close() error {
	var errs []error
	for i := len(rc.closers) - 1; i >= 0; i-- {
		errs = append(errs, rc.closers[i]())
	}
	return errors.Join(errs...)
}

// openRich calls the user's open function for one subtask.
func openRich[F any](oc runtime.OperatorContext, what string, open func(*RuntimeContext) (F, error)) (F, *RuntimeContext, error) {
	rc := newRuntimeContext(oc)
	fn, err := open(rc)
	if err != nil {
		return fn, nil, errors.Join(fmt.Errorf("%s %q subtask %d: open: %w", what, rc.OperatorName, oc.Subtask, err), rc.close())
	}
	return fn, rc, nil
}

// MapWith is Map with a function instance per subtask: open runs once in
// every parallel subtask, on every (re)start of the job, before the first
// record, and returns that subtask's map function. Values captured by the
// returned function are the subtask's own; values captured by open itself
// (or by a function given to plain Map) are shared by every subtask in the
// process and survive restarts.
//
//	stream.MapWith(lines, func(rc *stream.RuntimeContext) (func(string) Line, error) {
//		n := 0 // this subtask's count, from 0 after every restart
//		return func(s string) Line { n++; return Line{rc.Subtask, n, s} }, nil
//	})
func MapWith[I, O any](in Stream[I], open func(rc *RuntimeContext) (func(I) O, error)) Stream[O] {
	c := codecFor[O](in.env, "MapWith")
	n := addOperator(in, "map", "Map", c, func(oc runtime.OperatorContext, emit func(O)) (*instance[I], error) {
		fn, rc, err := openRich(oc, "Map", open)
		if err != nil {
			return nil, err
		}
		oc.OneToOne()
		return &instance[I]{in: func(v I) { emit(fn(v)) }, close: rc.close}, nil
	})
	return newStream(in.env, n, c)
}

// FlatMapWith is FlatMap with a function instance per subtask (see
// MapWith).
func FlatMapWith[I, O any](in Stream[I], open func(rc *RuntimeContext) (func(v I, emit func(O)), error)) Stream[O] {
	c := codecFor[O](in.env, "FlatMapWith")
	n := addOperator(in, "flatmap", "FlatMap", c, func(oc runtime.OperatorContext, emit func(O)) (*instance[I], error) {
		emit = countedEmit(oc, emit)
		fn, rc, err := openRich(oc, "FlatMap", open)
		if err != nil {
			return nil, err
		}
		return &instance[I]{in: func(v I) { fn(v, emit) }, close: rc.close}, nil
	})
	return newStream(in.env, n, c)
}

// FilterWith is Filter with a function instance per subtask (see MapWith).
func FilterWith[T any](in Stream[T], open func(rc *RuntimeContext) (func(T) bool, error)) Stream[T] {
	n := addOperator(in, "filter", "Filter", in.codec, func(oc runtime.OperatorContext, emit func(T)) (*instance[T], error) {
		keep, rc, err := openRich(oc, "Filter", open)
		if err != nil {
			return nil, err
		}
		kept := new(int64)
		oc.RecordsOut(kept)
		return &instance[T]{in: func(v T) {
			if keep(v) {
				*kept++
				emit(v)
			}
		}, close: rc.close}, nil
	})
	return newStream(in.env, n, in.codec)
}
