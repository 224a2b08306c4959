package stream

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/rs/zerolog"

	"github.com/floe-yarn/floe/runtime"
)

// SinkContext is what a sink opened by AddTwoPhaseCommitSink knows of its
// subtask and of the job's checkpoints.
type SinkContext struct {
	Job         string
	Attempt     int
	Subtask     int
	Parallelism int
	// Checkpointing tells whether the job takes periodic checkpoints. Without
	// checkpoints a TwoPhaseCommitWriter commits only at savepoints and at
	// the end of a bounded input.
	Checkpointing bool
	// RestoredCheckpoint is the id of the checkpoint (or savepoint) the
	// subtask restores from; 0 on a fresh start.
	RestoredCheckpoint int64
	Logger             zerolog.Logger
}

// AddTwoPhaseCommitSink adds a sink built on a TwoPhaseCommitWriter, for
// connectors outside this package (the Kafka sink): open is called once
// per parallel instance and returns the writer and what to close when
// the instance ends (may be nil). The writer is driven by a
// TwoPhaseCommitSink: Begin or RecoverCommit before the first record,
// PreCommit at each barrier, Commit when that checkpoint completes,
// everything committed at the end of a bounded input, Abort when the
// instance is cancelled or fails.
func AddTwoPhaseCommitSink[T any](in Stream[T], name string, open func(ctx context.Context, sc SinkContext) (TwoPhaseCommitWriter[T], io.Closer, error)) Sink {
	return addSink(in, name, func(oc runtime.OperatorContext) (*instance[T], error) {
		ctx := context.Background()
		sc := SinkContext{Job: oc.Job, Attempt: oc.Attempt, Subtask: oc.Subtask, Parallelism: oc.Parallelism,
			Checkpointing: oc.Checkpointing != nil && !oc.Checkpointing.SavepointsOnly, Logger: oc.Logger}
		if oc.Restore != nil {
			sc.RestoredCheckpoint = oc.Restore.Checkpoint
		}
		w, closer, err := open(ctx, sc)
		if err != nil {
			return nil, fmt.Errorf("sink %s subtask %d: %w", name, oc.Subtask, err)
		}
		closeRes := func() error {
			if closer == nil {
				return nil
			}
			return closer.Close()
		}
		s := NewTwoPhaseCommitSink[T](w)
		if err := startSink(ctx, s, oc); err != nil {
			_ = s.Abort(ctx) // the start error is the cause
			return nil, errors.Join(fmt.Errorf("sink %s subtask %d: %w", name, oc.Subtask, err), closeRes())
		}
		finished := false
		return &instance[T]{
			snapshot: func(ctx context.Context, cp runtime.CheckpointMeta) (runtime.OperatorSnapshot, error) {
				b, err := s.Snapshot(ctx, cp.ID)
				return runtime.OperatorSnapshot{State: b}, err
			},
			complete: func(id int64) error { return s.NotifyCheckpointComplete(ctx, id) },
			in: func(v T) {
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
			close: func() error {
				var err error
				if !finished {
					err = s.Abort(ctx)
				}
				return errors.Join(err, closeRes())
			},
		}, nil
	})
}
