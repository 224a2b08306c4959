package job

import (
	"context"
	"fmt"
	"time"

	"github.com/floe-yarn/floe/stream"
)

// lineSource parses the lines of a text file source (local or hdfs://)
// with parse, at most rate lines per second per subtask (0: unlimited). Its
// splits and positions are the text source's, so it resumes exactly from a
// checkpoint. A bad line fails the job, naming the file and byte offset.
type lineSource[T any] struct {
	inner stream.Source[string]
	rate  float64
	what  string
	parse func(string) (T, bool, error)
}

func (s *lineSource[T]) Info() stream.SourceInfo { return s.inner.Info() }

func (s *lineSource[T]) Splits(ctx context.Context, p int) ([]stream.SplitState, error) {
	return s.inner.Splits(ctx, p)
}

func (s *lineSource[T]) Reader(ctx context.Context, rc stream.ReaderContext) (stream.SplitReader[T], error) {
	r, err := s.inner.Reader(ctx, rc)
	if err != nil {
		return nil, err
	}
	return &lineReader[T]{SplitReader: r, s: s, idle: rc.Idle}, nil
}

// lineReader parses and paces one subtask's lines. While it waits for the
// rate it calls idle, which flushes output and lets checkpoints through.
type lineReader[T any] struct {
	stream.SplitReader[string]
	s     *lineSource[T]
	idle  func()
	start time.Time
	n     int64
}

// CurrentSplit names the split being read, for per-split watermarks.
func (r *lineReader[T]) CurrentSplit() string {
	if s, ok := r.SplitReader.(stream.SplitAwareReader); ok {
		return s.CurrentSplit()
	}
	return ""
}

func (r *lineReader[T]) Next(ctx context.Context) (T, error) {
	var zero T
	for {
		if err := r.pace(ctx); err != nil {
			return zero, err
		}
		line, err := r.SplitReader.Next(ctx)
		if err != nil {
			return zero, err
		}
		r.n++
		v, ok, err := r.s.parse(line)
		if err != nil {
			if lp, isLP := r.SplitReader.(stream.LinePositioner); isLP {
				path, off := lp.LastLine()
				return zero, fmt.Errorf("%s input %s at byte %d: %w", r.s.what, path, off, err)
			}
			return zero, fmt.Errorf("%s input: %w", r.s.what, err)
		}
		if ok {
			return v, nil
		}
	}
}

// pace waits until the next line is due.
func (r *lineReader[T]) pace(ctx context.Context) error {
	if r.s.rate <= 0 {
		return nil
	}
	if r.start.IsZero() {
		r.start = time.Now()
	}
	due := r.start.Add(time.Duration(float64(r.n) / r.s.rate * float64(time.Second)))
	for {
		wait := time.Until(due)
		if wait <= 0 {
			return nil
		}
		if r.idle != nil {
			r.idle()
		}
		t := time.NewTimer(min(wait, 50*time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		case <-t.C:
		}
	}
}
