package stream

import (
	"context"
	"time"

	"github.com/floe-yarn/floe/runtime"
)

// addSource adds a source operator emitting O.
func addSource[O any](env *Environment, kind, name string, bounded bool, maxParallelism int, c runtime.Codec[O],
	open func(oc runtime.OperatorContext, emit func(O)) (*instance[struct{}], error)) Stream[O] {
	n := env.addNode("source", name, typeName[O]())
	env.nodes[n].gn.Bounded = bounded
	env.nodes[n].gn.MaxParallelism = maxParallelism
	env.nodes[n].kind = kind
	env.nodes[n].factory = &factory[struct{}, O]{env: env, node: n, out: c, open: open}
	return newStream(env, n, c)
}

// checkEvery is how many records a source emits between looks at ctx.
const checkEvery = 1024

// FromSlice is a bounded source of the given records. With parallelism p,
// instance i emits records i, i+p, i+2p, …
func FromSlice[T any](env *Environment, records []T) Stream[T] {
	c := codecFor[T](env, "FromSlice")
	return addSource(env, "collection", "Collection", true, 0, c, func(oc runtime.OperatorContext, emit func(T)) (*instance[struct{}], error) {
		return &instance[struct{}]{run: func(ctx context.Context, idle func()) error {
			for i := oc.Subtask; i < len(records); i += oc.Parallelism {
				if i%checkEvery == 0 && ctx.Err() != nil {
					return context.Cause(ctx)
				}
				emit(records[i])
			}
			return nil
		}}, nil
	})
}

// GeneratorOptions control Generate.
type GeneratorOptions struct {
	// Count is the number of records over all instances; 0 is unbounded.
	Count int64
	// RatePerSecond caps records per second over all instances; 0 is
	// as fast as the pipeline takes them.
	RatePerSecond float64
}

// Generate is a source calling fn(i) for i = 0, 1, 2, … (instance s of p
// takes the i with i % p == s), for tests and benchmarks.
func Generate[T any](env *Environment, fn func(i int64) T, opts GeneratorOptions) Stream[T] {
	c := codecFor[T](env, "Generate")
	return addSource(env, "generator", "Generator", opts.Count > 0, 0, c, func(oc runtime.OperatorContext, emit func(T)) (*instance[struct{}], error) {
		return &instance[struct{}]{run: func(ctx context.Context, idle func()) error {
			p := int64(oc.Parallelism)
			rate := opts.RatePerSecond / float64(p)
			start := time.Now()
			var emitted int64
			for i := int64(oc.Subtask); opts.Count == 0 || i < opts.Count; i += p {
				if emitted%checkEvery == 0 {
					if ctx.Err() != nil {
						return context.Cause(ctx)
					}
					if rate > 0 {
						due := start.Add(time.Duration(float64(emitted) / rate * float64(time.Second)))
						if wait := time.Until(due); wait > 0 {
							idle()
							if err := sleepCtx(ctx, wait); err != nil {
								return err
							}
						}
					}
				}
				if rate > 0 && rate < checkEvery && emitted > 0 {
					// Slow generators pace every record.
					due := start.Add(time.Duration(float64(emitted) / rate * float64(time.Second)))
					if wait := time.Until(due); wait > 0 {
						idle()
						if err := sleepCtx(ctx, wait); err != nil {
							return err
						}
					}
				}
				emit(fn(i))
				emitted++
			}
			return nil
		}}, nil
	})
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
