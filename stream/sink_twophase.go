package stream

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// Committable is one unit of output a TwoPhaseCommitWriter pre-committed
// at a checkpoint barrier and commits once that checkpoint completes (for
// the file sink, the name of a pending part file). It is stored in the
// checkpoint, so it must stay meaningful in another process.
type Committable []byte

// TwoPhaseCommitWriter is a sink whose output becomes visible only when
// the checkpoint that covers it completes, which makes a job's results
// exactly-once together with replayable sources:
//
//   - Begin (fresh start) or RecoverCommit (restore) is called once,
//     before any Write;
//   - Write adds a record to the open transaction;
//   - PreCommit, at a checkpoint barrier, closes the transaction and
//     returns what must be committed later; State then returns the
//     writer's own state (names, counters) as of that barrier;
//   - Commit, after the checkpoint completed, makes committables visible.
//     It is idempotent: committing a committable again (after a restore)
//     is a no-op;
//   - RecoverCommit, on restore, commits the restored checkpoint's
//     pending committables and discards whatever was written after that
//     checkpoint;
//   - Abort discards the open transaction (cancellation, failure).
//
// TwoPhaseCommitSink drives a writer on the runtime's behalf.
type TwoPhaseCommitWriter[T any] interface {
	Begin(ctx context.Context) error
	Write(ctx context.Context, v T) error
	PreCommit(ctx context.Context, checkpointID int64) ([]Committable, error)
	State() ([]byte, error)
	Commit(ctx context.Context, cs []Committable) error
	RecoverCommit(ctx context.Context, states [][]byte, pending []Committable) error
	Abort(ctx context.Context) error
}

// TwoPhaseCommitSink drives a TwoPhaseCommitWriter through checkpoints:
// it keeps the committables of every checkpoint not yet complete and puts
// them, with the writer's state, in the operator state the runtime
// checkpoints. Its state is operator list state: one entry per subtask,
// and a restored subtask takes any number of entries (a rescale deals
// them out again). It is not safe for concurrent use; the runtime calls
// it from the sink's goroutine.
type TwoPhaseCommitSink[T any] struct {
	w       TwoPhaseCommitWriter[T]
	pending map[int64][]Committable // by checkpoint, not yet committed
}

// NewTwoPhaseCommitSink wraps w.
func NewTwoPhaseCommitSink[T any](w TwoPhaseCommitWriter[T]) *TwoPhaseCommitSink[T] {
	return &TwoPhaseCommitSink[T]{w: w, pending: map[int64][]Committable{}}
}

// Begin starts a sink with no restored state.
func (s *TwoPhaseCommitSink[T]) Begin(ctx context.Context) error { return s.w.Begin(ctx) }

// Restore starts a sink from the entries of a restored checkpoint given
// to this subtask (possibly none: it must be called whenever the job
// restores, so the writer knows not to start fresh).
func (s *TwoPhaseCommitSink[T]) Restore(ctx context.Context, entries [][]byte) error {
	var states [][]byte
	var pending []Committable
	for i, e := range entries {
		st, cs, err := decodeSinkEntry(e)
		if err != nil {
			return fmt.Errorf("restore sink state entry %d: %w", i, err)
		}
		states = append(states, st)
		pending = append(pending, cs...)
	}
	return s.w.RecoverCommit(ctx, states, pending)
}

// Write passes a record to the writer.
func (s *TwoPhaseCommitSink[T]) Write(ctx context.Context, v T) error { return s.w.Write(ctx, v) }

// Snapshot runs at the barrier of checkpoint id: the writer pre-commits,
// and the returned entry holds its state and the committables of every
// checkpoint up to id not yet known complete (a checkpoint whose
// completion notice was lost is committed on restore).
func (s *TwoPhaseCommitSink[T]) Snapshot(ctx context.Context, id int64) ([]byte, error) {
	cs, err := s.w.PreCommit(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("pre-commit checkpoint %d: %w", id, err)
	}
	if len(cs) > 0 {
		s.pending[id] = append(s.pending[id], cs...)
	}
	st, err := s.w.State()
	if err != nil {
		return nil, fmt.Errorf("sink state at checkpoint %d: %w", id, err)
	}
	var all []Committable
	for _, cid := range s.ids(id) {
		all = append(all, s.pending[cid]...)
	}
	return encodeSinkEntry(st, all), nil
}

// NotifyCheckpointComplete commits the committables of checkpoint id and
// of every earlier one still pending.
func (s *TwoPhaseCommitSink[T]) NotifyCheckpointComplete(ctx context.Context, id int64) error {
	for _, cid := range s.ids(id) {
		if err := s.w.Commit(ctx, s.pending[cid]); err != nil {
			return fmt.Errorf("commit checkpoint %d: %w", cid, err)
		}
		delete(s.pending, cid)
	}
	return nil
}

// EndOfInput commits everything written, for a bounded job that does not
// checkpoint: the output is complete once the input is.
func (s *TwoPhaseCommitSink[T]) EndOfInput(ctx context.Context) error {
	if _, err := s.Snapshot(ctx, math.MaxInt64); err != nil {
		return err
	}
	return s.NotifyCheckpointComplete(ctx, math.MaxInt64)
}

// Abort discards the writer's open transaction.
func (s *TwoPhaseCommitSink[T]) Abort(ctx context.Context) error { return s.w.Abort(ctx) }

// ids returns the pending checkpoint ids up to id, in order.
func (s *TwoPhaseCommitSink[T]) ids(id int64) []int64 {
	var out []int64
	for cid := range s.pending {
		if cid <= id {
			out = append(out, cid)
		}
	}
	slices.Sort(out)
	return out
}

// encodeSinkEntry lays out one subtask's sink state:
//
//	+---------+-------------------+---------+---------------------+-----+
//	| version | state (len+bytes) | count n | committable 1 (len+ | ... |
//	|         |                   |         | bytes)              |     |
//	+---------+-------------------+---------+---------------------+-----+
//
// lengths and the count are unsigned varints (see splitCodec).
func encodeSinkEntry(state []byte, cs []Committable) []byte {
	c := newSplitCodec().str(string(state)).uint(uint64(len(cs)))
	for _, x := range cs {
		c.str(string(x))
	}
	return c.b
}

func decodeSinkEntry(b []byte) ([]byte, []Committable, error) {
	d := newSplitDecoder("sink", b)
	state := []byte(d.str())
	n := d.uint()
	if d.err == nil && n > uint64(len(b)) {
		return nil, nil, fmt.Errorf("sink state: %d committables in %d bytes", n, len(b))
	}
	var cs []Committable
	for i := uint64(0); i < n && d.err == nil; i++ {
		cs = append(cs, Committable(d.str()))
	}
	if err := d.done(); err != nil {
		return nil, nil, err
	}
	return state, cs, nil
}
