package stream

import (
	"context"
	"fmt"
	"io"
	"strconv"
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
// instance i emits records i, i+p, i+2p, … Its position is an index, so it
// resumes from a checkpoint.
func FromSlice[T any](env *Environment, records []T) Stream[T] {
	return addSplitSource(env, "collection", "Collection", Source[T](&strideSource[T]{
		name: "collection", end: int64(len(records)), bounded: true,
		at: func(i int64) T { return records[i] },
	}))
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
// takes the i with i % p == s), for tests and benchmarks. Its position is
// the next i, so it resumes from a checkpoint.
func Generate[T any](env *Environment, fn func(i int64) T, opts GeneratorOptions) Stream[T] {
	return addSplitSource(env, "generator", "Generator", Source[T](&strideSource[T]{
		name: "generator", end: opts.Count, bounded: opts.Count > 0, rate: opts.RatePerSecond, at: fn,
	}))
}

// strideSource is the Source of FromSlice and Generate: split s of p
// holds the indexes s, s+p, s+2p, … below end (no end when end is 0 and
// the source is unbounded); its state is the next index and the stride.
type strideSource[T any] struct {
	name    string
	end     int64
	bounded bool
	rate    float64 // records per second over all subtasks; 0: no limit
	at      func(i int64) T
}

func (s *strideSource[T]) Info() SourceInfo {
	return SourceInfo{Bounded: s.bounded, Replayable: true}
}

func (s *strideSource[T]) Splits(_ context.Context, parallelism int) ([]SplitState, error) {
	out := make([]SplitState, parallelism)
	for i := range out {
		out[i] = strideCursor{id: int64(i), next: int64(i), stride: int64(parallelism)}.state(s.name)
	}
	return out, nil
}

func (s *strideSource[T]) Reader(_ context.Context, rc ReaderContext) (SplitReader[T], error) {
	r := &strideReader[T]{src: s, idle: rc.Idle}
	if s.rate > 0 {
		r.rate = s.rate / float64(max(rc.Parallelism, 1))
	}
	return r, nil
}

// strideCursor is the position in one stride split.
type strideCursor struct {
	id           int64 // the first index, naming the split
	next, stride int64
}

func (c strideCursor) state(name string) SplitState {
	return SplitState{ID: name + "-" + strconv.FormatInt(c.id, 10),
		Data: newSplitCodec().uint(uint64(c.id)).uint(uint64(c.next)).uint(uint64(c.stride)).b}
}

type strideReader[T any] struct {
	src     *strideSource[T]
	idle    func()
	cursors []strideCursor
	rate    float64 // per subtask
	start   time.Time
	emitted int64
}

func (r *strideReader[T]) AddSplits(splits []SplitState) error {
	for _, sp := range splits {
		d := newSplitDecoder(r.src.name, sp.Data)
		c := strideCursor{id: int64(d.uint()), next: int64(d.uint()), stride: int64(d.uint())}
		if err := d.done(); err != nil {
			return fmt.Errorf("split %s: %w", sp.ID, err)
		}
		if c.stride <= 0 {
			return fmt.Errorf("split %s: stride %d", sp.ID, c.stride)
		}
		r.cursors = append(r.cursors, c)
	}
	return nil
}

func (r *strideReader[T]) Next(ctx context.Context) (T, error) {
	for len(r.cursors) > 0 {
		c := &r.cursors[0]
		if r.src.end > 0 && c.next >= r.src.end {
			r.cursors = r.cursors[1:]
			continue
		}
		if r.rate > 0 {
			if err := r.pace(ctx); err != nil {
				var zero T
				return zero, err
			}
		}
		i := c.next
		c.next += c.stride
		r.emitted++
		return r.src.at(i), nil
	}
	var zero T
	return zero, io.EOF
}

// emitBatch emits up to limit records, or returns io.EOF when every split
// is read. Without a rate limit it loops over the current split directly.
func (r *strideReader[T]) emitBatch(ctx context.Context, emit func(T), limit int) (int, error) {
	if r.rate > 0 || len(r.cursors) == 0 {
		v, err := r.Next(ctx)
		if err != nil {
			return 0, err
		}
		emit(v)
		return 1, nil
	}
	c := &r.cursors[0]
	end, at := r.src.end, r.src.at
	n := 0
	for ; n < limit; n++ {
		if end > 0 && c.next >= end {
			r.cursors = r.cursors[1:]
			break
		}
		i := c.next
		c.next += c.stride
		emit(at(i))
	}
	r.emitted += int64(n)
	return n, nil
}

// pace waits until the next record is due under the rate limit. Fast
// generators look at the clock every checkEvery records, slow ones at
// every record.
func (r *strideReader[T]) pace(ctx context.Context) error {
	if r.start.IsZero() {
		r.start = time.Now()
	}
	if r.emitted%checkEvery != 0 && r.rate >= checkEvery {
		return nil
	}
	due := r.start.Add(time.Duration(float64(r.emitted) / r.rate * float64(time.Second)))
	if wait := time.Until(due); wait > 0 {
		if r.idle != nil {
			r.idle()
		}
		return sleepCtx(ctx, wait)
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

func (r *strideReader[T]) Snapshot() []SplitState {
	out := make([]SplitState, 0, len(r.cursors))
	for _, c := range r.cursors {
		if r.src.end > 0 && c.next >= r.src.end {
			continue
		}
		out = append(out, c.state(r.src.name))
	}
	return out
}

func (r *strideReader[T]) Close() error { return nil }

// CurrentSplit implements SplitAwareReader.
func (r *strideReader[T]) CurrentSplit() string {
	if len(r.cursors) == 0 {
		return ""
	}
	return r.src.name + "-" + strconv.FormatInt(r.cursors[0].id, 10)
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
