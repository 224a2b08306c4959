package runtime

import (
	"context"
	"errors"
	"fmt"
)

// Stop with savepoint in a source task (Flink's synchronous savepoint): a
// trigger with CheckpointMeta.Stop makes the source, at a safe point,
// (with Drain) emit a MAX watermark, then take its part of the savepoint
// and forward the barrier like any checkpoint's, and then emit nothing
// more: it waits for the coordinator's verdict on the task goroutine. When
// the savepoint completes, the chain is notified (sinks commit) and the
// source ends as if exhausted, so end-of-partition follows the barrier and
// the job finishes. When it is aborted the source goes on where it
// stopped and the job keeps running.

// stoppedKey marks the context of Operator.Finish in a task that ended
// because its job stopped with a savepoint without drain.
type stoppedKey struct{}

// StoppedWithSavepoint reports whether ctx, the context of
// Operator.Finish, belongs to a task that ends because its job stopped
// with a savepoint without drain (`floe stop` without --drain): its input
// did not end, so an operator emits nothing at its end (output after the
// savepoint's barrier would be repeated by the job that resumes from it);
// a sink still commits what precedes the barrier.
func StoppedWithSavepoint(ctx context.Context) bool {
	v, _ := ctx.Value(stoppedKey{}).(bool)
	return v
}

// errStopped ends a source whose stop-with-savepoint completed; runSource
// turns it into a normal end.
var errStopped = errors.New("source stopped with a savepoint")

// stopWithSavepoint takes a source's part of the stop-with-savepoint meta
// and waits for its outcome: errStopped when it completed, nil when it was
// aborted (the source goes on), another error when the task must fail.
func (t *task) stopWithSavepoint(meta CheckpointMeta) error {
	if meta.Drain {
		// --drain ends event time before the savepoint's barrier: the
		// chain fires every timer and window, downstream gets MaxWatermark.
		t.watermarkTo(t.v.Operators[0], MaxWatermark)
	}
	if err := t.checkpoint(meta, 0); err != nil {
		return err
	}
	t.flush() // the barrier goes out now: nothing follows it until the verdict
	t.opts.Logger.Info().Int64("checkpoint", meta.ID).Str("savepoint", meta.Savepoint).Bool("drain", meta.Drain).
		Msg("source stopped at a savepoint barrier; waiting for the savepoint to complete")
	for {
		select {
		case c := <-t.opts.Checkpoints.Commands:
			switch {
			case c.Kind == CompleteCheckpoint && c.Meta.ID >= meta.ID:
				if err := t.command(c); err != nil {
					return err
				}
				t.opts.Logger.Info().Int64("checkpoint", meta.ID).Msg("savepoint completed: the source ends")
				return errStopped
			case c.Kind == AbortCheckpoint && c.Meta.ID == meta.ID:
				t.opts.Logger.Info().Int64("checkpoint", meta.ID).Msg("savepoint aborted: the source goes on")
				return t.command(c)
			case c.Kind == TriggerCheckpoint:
				t.decline(c.Meta.ID, fmt.Errorf("the source is stopping with savepoint %d", meta.ID))
			default:
				if err := t.command(c); err != nil {
					return err
				}
			}
		case <-t.cp.ctx.Done():
			return fmt.Errorf("waiting for savepoint %d: %w", meta.ID, context.Cause(t.cp.ctx))
		}
	}
}
