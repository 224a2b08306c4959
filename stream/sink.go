package stream

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/runtime"
)

// Sink is a terminal operator; its methods set the operator's properties.
type Sink struct {
	env  *Environment
	node int
}

func (s Sink) op() *graph.Node { return &s.env.nodes[s.node].gn }

// Name sets the sink's name.
func (s Sink) Name(name string) Sink { s.op().Name = name; return s }

// UID fixes the sink's operator id.
func (s Sink) UID(uid string) Sink { s.op().UID = uid; return s }

// Parallelism sets the sink's number of parallel instances.
func (s Sink) Parallelism(p int) Sink {
	if p <= 0 {
		s.env.fail(fmt.Errorf("sink %q: parallelism %d must be positive", s.op().Name, p))
		return s
	}
	s.op().Parallelism = p
	return s
}

// DisableChaining keeps the sink in a task of its own.
func (s Sink) DisableChaining() Sink { s.op().DisableChaining = true; return s }

func addSink[T any](in Stream[T], name string, open func(oc runtime.OperatorContext) (*instance[T], error)) Sink {
	n := addOperator[T, struct{}](in, "sink", name, nil, func(oc runtime.OperatorContext, _ func(struct{})) (*instance[T], error) {
		return open(oc)
	})
	return Sink{env: in.env, node: n}
}

// ForEach is a sink calling fn for every record. Each parallel instance
// calls fn from its own goroutine.
func ForEach[T any](in Stream[T], fn func(T)) Sink {
	return addSink(in, "ForEach", func(runtime.OperatorContext) (*instance[T], error) {
		// Its numRecordsIn is what the operator feeding it emitted
		// (OperatorContext.RecordsOut).
		return &instance[T]{in: fn}, nil
	})
}

// Discard is a sink that drops every record (for benchmarks).
func (s Stream[T]) Discard() Sink {
	return addSink(s, "Discard", func(runtime.OperatorContext) (*instance[T], error) {
		return &instance[T]{in: func(T) {}}, nil
	})
}

// Print writes every record on a line of the environment's output
// (standard output by default), prefixed with "i> " (the instance, from 1)
// when the sink runs in parallel.
func (s Stream[T]) Print() Sink {
	env := s.env
	return addSink(s, "Print", func(oc runtime.OperatorContext) (*instance[T], error) {
		prefix := ""
		if oc.Parallelism > 1 {
			prefix = strconv.Itoa(oc.Subtask+1) + "> "
		}
		var line []byte
		return &instance[T]{in: func(v T) {
			line = appendText(append(line[:0], prefix...), v)
			line = append(line, '\n')
			env.printMu.Lock()
			_, _ = env.stdout.Write(line)
			env.printMu.Unlock()
		}}, nil
	})
}

// appendText formats v as a line: strings as they are, fmt.Stringers with
// String, anything else with fmt's %v.
func appendText[T any](b []byte, v T) []byte {
	switch x := any(v).(type) {
	case string:
		return append(b, x...)
	case []byte:
		return append(b, x...)
	case fmt.Stringer:
		return append(b, x.String()...)
	}
	return fmt.Append(b, v)
}

// WriteText writes the records as text lines to part files in folder dir
// (local path, file:// or hdfs://) through the exactly-once file sink,
// with the default FileSinkOptions: see FileSink.
func WriteText[T any](in Stream[T], dir string) Sink {
	return FileSink(in, dir, FileSinkOptions{})
}

// FileSink writes the records as text lines to part files in folder dir
// (local path, file:// or hdfs://), named part-<uid>-<subtask>-<counter>
// (see FileWriter). A part file is written under a hidden name and
// appears under its visible one only complete and committed: when the
// checkpoint after it completes, or, in a job without periodic
// checkpoints, when it rolls (by size or time, and at a savepoint) and at
// the end of a bounded input. A
// cancelled or failed subtask removes its uncommitted file.
//
// A folder holding visible files of another run is refused when the job
// starts, unless opts.Overwrite.
func FileSink[T any](in Stream[T], dir string, opts FileSinkOptions) Sink {
	env := in.env
	if err := checkPath(dir); err != nil {
		env.fail(fmt.Errorf("WriteText: %w", err))
	}
	s := addSink(in, "TextFile "+dir, func(oc runtime.OperatorContext) (*instance[T], error) {
		ctx := context.Background()
		store, d, err := openStore(ctx, dir)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", dir, err)
		}
		o := opts
		// Without periodic checkpoints part files commit when they roll
		// (a savepoint rolls them too); with them, when the checkpoint
		// after them completes.
		o.CommitOnRoll = oc.Checkpointing == nil || oc.Checkpointing.SavepointsOnly
		w, err := NewFileWriter(FileWriterOptions[T]{FileSinkOptions: o, Store: store, Dir: d,
			Job: oc.Job, Attempt: oc.Attempt, Subtask: oc.Subtask})
		var s *TwoPhaseCommitSink[T]
		if err == nil {
			s = NewTwoPhaseCommitSink[T](w)
			err = startSink(ctx, s, oc)
		}
		if err != nil {
			_ = store.Close() // read-only so far: the error above is the cause
			return nil, fmt.Errorf("subtask %d: %w", oc.Subtask, err)
		}
		finished := false
		n := oc.RecordsIn()
		return &instance[T]{
			snapshot: func(ctx context.Context, cp runtime.CheckpointMeta) (runtime.OperatorSnapshot, error) {
				b, err := s.Snapshot(ctx, cp.ID)
				return runtime.OperatorSnapshot{State: b}, err
			},
			complete: func(id int64) error { return s.NotifyCheckpointComplete(ctx, id) },
			in: func(v T) {
				*n++
				if err := s.Write(ctx, v); err != nil {
					panic(err)
				}
			},
			finish: func(ctx context.Context) error {
				if err := s.EndOfInput(ctx); err != nil {
					return err
				}
				finished = true
				return nil
			},
			// close runs after finish, or alone when the task is cancelled;
			// uncommitted output is discarded then.
			close: func() error {
				var err error
				if !finished {
					err = s.Abort(ctx)
				}
				return errors.Join(err, store.Close())
			},
		}, nil
	})
	s.op().CommitsOnRoll = true // a submission without checkpoints warns (jobmanager.RollingCommitWarning)
	return s
}

// startSink begins a two-phase-commit sink, or restores it from the
// operator state of the restored checkpoint (committing what that
// checkpoint pre-committed, discarding what was written after it).
func startSink[T any](ctx context.Context, s *TwoPhaseCommitSink[T], oc runtime.OperatorContext) error {
	if oc.Restore == nil || oc.Checkpointing == nil {
		return s.Begin(ctx)
	}
	entries, err := oc.Restore.ReadAll(ctx, oc.Checkpointing.Storage, runtime.OperatorStateOnly)
	if err != nil {
		return err
	}
	return s.Restore(ctx, entries)
}

// ForEachSubtask is ForEach whose function also gets the index of the
// parallel instance that received the record.
func ForEachSubtask[T any](in Stream[T], fn func(subtask int, v T)) Sink {
	return addSink(in, "ForEach", func(oc runtime.OperatorContext) (*instance[T], error) {
		sub := oc.Subtask
		return &instance[T]{in: func(v T) { fn(sub, v) }}, nil
	})
}

// AddSink adds a custom sink. open is called once per parallel instance
// (with its index) and returns the function receiving that instance's
// records and end, called when a bounded input ends (end may be nil), not
// when the job stops with a savepoint (`floe stop` without --drain).
func AddSink[T any](in Stream[T], name string, open func(subtask int) (write func(T), end func() error, err error)) Sink {
	return addSink(in, name, func(oc runtime.OperatorContext) (*instance[T], error) {
		write, end, err := open(oc.Subtask)
		if err != nil {
			return nil, err
		}
		inst := &instance[T]{in: write} // counted by the operator feeding it, as ForEach
		if end != nil {
			inst.finish = func(ctx context.Context) error {
				if runtime.StoppedWithSavepoint(ctx) {
					return nil
				}
				return end()
			}
		}
		return inst, nil
	})
}
