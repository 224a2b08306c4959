package stream

import (
	"github.com/floe-yarn/floe/runtime"
)

// Map applies fn to every record.
func Map[I, O any](in Stream[I], fn func(I) O) Stream[O] {
	c := codecFor[O](in.env, "Map")
	n := addOperator(in, "map", "Map", c, func(oc runtime.OperatorContext, emit func(O)) (*instance[I], error) {
		oc.OneToOne()
		return &instance[I]{in: func(v I) { emit(fn(v)) }}, nil
	})
	return newStream(in.env, n, c)
}

// FlatMap calls fn for every record; fn emits any number of results.
func FlatMap[I, O any](in Stream[I], fn func(v I, emit func(O))) Stream[O] {
	c := codecFor[O](in.env, "FlatMap")
	n := addOperator(in, "flatmap", "FlatMap", c, func(oc runtime.OperatorContext, emit func(O)) (*instance[I], error) {
		emit = countedEmit(oc, emit)
		return &instance[I]{in: func(v I) { fn(v, emit) }}, nil
	})
	return newStream(in.env, n, c)
}

// Filter keeps the records for which keep returns true.
func (s Stream[T]) Filter(keep func(T) bool) Stream[T] {
	n := addOperator(s, "filter", "Filter", s.codec, func(oc runtime.OperatorContext, emit func(T)) (*instance[T], error) {
		kept := new(int64)
		oc.RecordsOut(kept)
		return &instance[T]{in: func(v T) {
			if keep(v) {
				*kept++
				emit(v)
			}
		}}, nil
	})
	return newStream(s.env, n, s.codec)
}

// Filter keeps the records for which keep returns true (function form of
// Stream.Filter).
func Filter[T any](in Stream[T], keep func(T) bool) Stream[T] { return in.Filter(keep) }
