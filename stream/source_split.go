package stream

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/floe-yarn/floe/runtime"
)

// Source is a source of records made of splits, in the spirit of Flink's
// FLIP-27: Splits lists the work (byte ranges of files, slices of a
// collection, strides of a sequence, partitions of a topic) and a
// SplitReader per parallel subtask reads the splits assigned to it.
//
// A split is known only by its state: SplitState holds what the split is
// and how far it has been read, so the same value is what the enumerator
// hands out, what a checkpoint stores and what a restore hands back. A
// checkpoint of a source operator is therefore the list of every reader's
// Snapshot; on restore (possibly with another parallelism) the list is
// dealt out again with AssignSplits and the readers continue where they
// stopped, losing and repeating nothing.
type Source[T any] interface {
	// Info tells whether the source ends by itself and whether it can
	// be replayed from a snapshot.
	Info() SourceInfo
	// Splits lists the splits for a job of the given parallelism, each
	// at its start. It must return the same list in every subtask (the
	// subtasks enumerate independently and each takes its share).
	Splits(ctx context.Context, parallelism int) ([]SplitState, error)
	// Reader opens the reader of one subtask; it has no split until
	// AddSplits.
	Reader(ctx context.Context, rc ReaderContext) (SplitReader[T], error)
}

// SourceInfo describes a Source.
type SourceInfo struct {
	// Bounded sources end when every split is read.
	Bounded bool
	// Replayable sources resume from a SplitReader.Snapshot. A source
	// that is not (a socket) gives at most at-least-once results even in
	// EXACTLY_ONCE mode; see Environment.NonReplayableSources.
	Replayable bool
	// MaxParallelism caps the source's parallelism (0: no cap).
	MaxParallelism int
}

// ReaderContext is what a SplitReader knows of its subtask.
type ReaderContext struct {
	Subtask     int
	Parallelism int
	// Idle flushes the subtask's buffered output; a reader calls it
	// before it waits (for a rate limit, for data to arrive).
	Idle func()
}

// SplitState is one split and the position reached in it, serialisable
// at any record boundary. ID names the split (unique within the source);
// Data is the source's own encoding of the split and its position.
type SplitState struct {
	ID   string
	Data []byte
}

// SplitReader reads the splits assigned to one subtask. Next and
// Snapshot are called from one goroutine; Snapshot is called between two
// Next calls (a record boundary) and must be cheap: it only encodes
// positions.
type SplitReader[T any] interface {
	// AddSplits assigns splits (fresh from Splits or restored from a
	// snapshot) to the reader.
	AddSplits(splits []SplitState) error
	// Next returns the next record of the assigned splits, or io.EOF
	// when every assigned split is read (a reader of an unbounded split
	// blocks instead, until ctx ends).
	Next(ctx context.Context) (T, error)
	// Snapshot returns the state of every assigned split not yet fully
	// read, positioned after the last record Next returned.
	Snapshot() []SplitState
	// Close releases the reader's resources.
	Close() error
}

// SplitAssigner is implemented by a Source that deals its splits out
// itself, fresh and restored alike, instead of with AssignSplits: a source
// whose readers discover new splits while running (partitions added to a
// Kafka topic) needs every split to have one owner by a rule each reader
// can compute alone. It must return parallelism lists whose union is
// splits.
type SplitAssigner interface {
	AssignSplits(splits []SplitState, parallelism int) [][]SplitState
}

// SplitCheckpointListener is implemented by a SplitReader that acts when
// a checkpoint completes (the Kafka source commits its offsets to the
// consumer group, for monitoring). states are the split states the
// reader's Snapshot returned at that checkpoint's barrier. It is called
// from the reader's goroutine, between Next calls or inside the reader's
// ReaderContext.Idle; an error fails the subtask.
type SplitCheckpointListener interface {
	NotifyCheckpointComplete(ctx context.Context, checkpointID int64, states []SplitState) error
}

// assignSplits deals splits out with the source's own SplitAssigner, or
// with AssignSplits.
func assignSplits(src any, splits []SplitState, parallelism int) [][]SplitState {
	if a, ok := src.(SplitAssigner); ok {
		return a.AssignSplits(splits, parallelism)
	}
	return AssignSplits(splits, parallelism)
}

// AssignSplits deals splits out to parallelism readers: split i goes to
// reader i % parallelism. It is used both for fresh splits and for the
// union of the snapshots of a restored job, so a rescale moves whole
// splits, each with its position.
func AssignSplits(splits []SplitState, parallelism int) [][]SplitState {
	if parallelism <= 0 {
		return nil
	}
	out := make([][]SplitState, parallelism)
	for i, s := range splits {
		out[i%parallelism] = append(out[i%parallelism], s)
	}
	return out
}

// FromSource adds a Source to the job under name.
func FromSource[T any](env *Environment, src Source[T], name string) Stream[T] {
	return addSplitSource(env, "source", name, src)
}

// NonReplayableSources names the job's sources that cannot resume from a
// checkpoint (SourceInfo.Replayable false): with them a job checkpointing
// in EXACTLY_ONCE mode really gets at-least-once results for their
// records, which the submission should say.
func (e *Environment) NonReplayableSources() []string {
	var out []string
	for _, n := range e.nodes {
		if n.gn.Kind == "source" && !n.replayable {
			out = append(out, n.gn.Name)
		}
	}
	return out
}

// addSplitSource adds a source operator whose subtasks each enumerate the
// splits, take their share (AssignSplits) and read them.
func addSplitSource[T any](env *Environment, kind, name string, src Source[T]) Stream[T] {
	return addSplitSourceWith(env, kind, name, src, nil)
}

// addSplitSourceWith is addSplitSource with a watermark strategy (nil:
// none; see FromSourceWithWatermarks).
func addSplitSourceWith[T any](env *Environment, kind, name string, src Source[T], strategy *WatermarkStrategy[T]) Stream[T] {
	c := codecFor[T](env, name)
	interval := env.autoWatermarkInterval()
	info := src.Info()
	s := addSource(env, kind, name, info.Bounded, info.MaxParallelism, c, func(oc runtime.OperatorContext, emit func(T)) (*instance[struct{}], error) {
		var r SplitReader[T]              // set while running; snapshots read it between records
		snaps := map[int64][]SplitState{} // by checkpoint, for a SplitCheckpointListener
		inst := &instance[struct{}]{}
		emitted := new(int64)
		oc.RecordsOut(emitted)
		var wms *splitWatermarks[T]
		if strategy != nil {
			wms = newSplitWatermarks(*strategy, oc.Time)
			emit = wms.wrap(emit)
			everyInterval(oc.Time, interval, func(now int64) {
				if wms.reader != nil {
					wms.periodic(now)
				}
			})
		}
		inst.runSafe = func(ctx context.Context, idle, safePoint func()) error {
			mine, err := sourceSplits(ctx, src, oc)
			if err != nil {
				return fmt.Errorf("source %s subtask %d: %w", name, oc.Subtask, err)
			}
			rd, err := src.Reader(ctx, ReaderContext{Subtask: oc.Subtask, Parallelism: oc.Parallelism, Idle: idle})
			if err != nil {
				return fmt.Errorf("source %s subtask %d: open reader: %w", name, oc.Subtask, err)
			}
			defer func() { _ = rd.Close() }() // a reader holds nothing to flush
			if err := rd.AddSplits(mine); err != nil {
				return fmt.Errorf("source %s subtask %d: %w", name, oc.Subtask, err)
			}
			r = rd
			if wms != nil {
				wms.setReader(rd)
			}
			return drain(ctx, rd, emit, safePoint, emitted)
		}
		inst.run = func(ctx context.Context, idle func()) error { return inst.runSafe(ctx, idle, func() {}) }
		if oc.Checkpointing != nil {
			inst.snapshot = func(_ context.Context, cp runtime.CheckpointMeta) (runtime.OperatorSnapshot, error) {
				if r == nil {
					return runtime.OperatorSnapshot{}, fmt.Errorf("source %s subtask %d: snapshot before the reader opened", name, oc.Subtask)
				}
				ss := r.Snapshot()
				if _, ok := r.(SplitCheckpointListener); ok {
					snaps[cp.ID] = ss
				}
				return runtime.OperatorSnapshot{State: encodeSourceState(oc.Subtask, oc.Parallelism, ss)}, nil
			}
			inst.complete = func(id int64) error {
				l, ok := r.(SplitCheckpointListener)
				ss, done := snaps[id]
				for cid := range snaps {
					if cid <= id {
						delete(snaps, cid)
					}
				}
				if !ok || !done {
					return nil
				}
				if err := l.NotifyCheckpointComplete(context.Background(), id, ss); err != nil {
					return fmt.Errorf("source %s subtask %d: checkpoint %d complete: %w", name, oc.Subtask, id, err)
				}
				return nil
			}
			inst.aborted = func(id int64) { delete(snaps, id) }
		}
		return inst, nil
	})
	env.nodes[s.node].replayable = info.Replayable
	return s
}

// sourceSplits returns the splits of one source subtask: its share of the
// fresh splits, or, on restore, the split states of the handles it was
// given. At the parallelism of the checkpoint a subtask given its own old
// state keeps its splits; given every old subtask's state (union, as a
// rescale needs) it takes its share (AssignSplits) of all of them; an old
// subtask without state finished before the checkpoint (it acknowledged
// with none), so a JobManager must hand a source restored at another
// parallelism every old subtask's operator state.
func sourceSplits[T any](ctx context.Context, src Source[T], oc runtime.OperatorContext) ([]SplitState, error) {
	if oc.Restore == nil {
		splits, err := src.Splits(ctx, oc.Parallelism)
		if err != nil {
			return nil, fmt.Errorf("list splits: %w", err)
		}
		return assignSplits(src, splits, oc.Parallelism)[oc.Subtask], nil
	}
	parts, err := oc.Restore.ReadAll(ctx, oc.Checkpointing.Storage, runtime.OperatorStateOnly)
	if err != nil {
		return nil, err
	}
	bySubtask := map[int][]SplitState{}
	oldP := -1
	for i, p := range parts {
		sub, par, ss, err := decodeSourceState(p)
		if err != nil {
			return nil, fmt.Errorf("restore checkpoint %d: %s: %w", oc.Restore.Checkpoint, oc.Restore.Handles[i].Path, err)
		}
		if oldP >= 0 && par != oldP {
			return nil, fmt.Errorf("restore checkpoint %d: source states of parallelism %d and %d", oc.Restore.Checkpoint, oldP, par)
		}
		oldP, bySubtask[sub] = par, ss
	}
	if len(parts) == 0 {
		return nil, nil // a subtask whose splits were all read
	}
	if oldP == oc.Parallelism && len(bySubtask) == 1 {
		if own, ok := bySubtask[oc.Subtask]; ok {
			return own, nil
		}
	}
	var all []SplitState
	var absent []int
	for sub := 0; sub < oldP; sub++ {
		ss, ok := bySubtask[sub]
		if !ok {
			absent = append(absent, sub)
		}
		all = append(all, ss...)
	}
	if len(absent) > 0 {
		// A subtask that finished before the checkpoint has no state; one
		// the JobManager did not hand over would lose its splits.
		oc.Logger.Info().Ints("absent", absent).Int("oldParallelism", oldP).
			Msg("restoring splits without the state of these old subtasks: they must have finished before the checkpoint")
	}
	return assignSplits(src, all, oc.Parallelism)[oc.Subtask], nil
}

// encodeSourceState is a source subtask's checkpointed state: its subtask
// and parallelism, then its split states, with splitCodec (count, then ID
// and Data of each).
func encodeSourceState(subtask, parallelism int, ss []SplitState) []byte {
	c := newSplitCodec().uint(uint64(subtask)).uint(uint64(parallelism)).uint(uint64(len(ss)))
	for _, s := range ss {
		c.str(s.ID).str(string(s.Data))
	}
	return c.b
}

func decodeSourceState(b []byte) (subtask, parallelism int, out []SplitState, err error) {
	d := newSplitDecoder("source", b)
	sub, par, n := d.uint(), d.uint(), d.uint()
	if d.err == nil && (n > uint64(len(b)) || par == 0 || sub >= par || par > 1<<20) {
		return 0, 0, nil, fmt.Errorf("source state: subtask %d of %d with %d splits in %d bytes", sub, par, n, len(b))
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		out = append(out, SplitState{ID: d.str(), Data: []byte(d.str())})
	}
	return int(sub), int(par), out, d.done()
}

// batchReader is a SplitReader's optional fast path: emitBatch emits up
// to max records without a call per record through the interface. Its
// snapshot is valid between batches.
type batchReader[T any] interface {
	emitBatch(ctx context.Context, emit func(T), limit int) (n int, err error)
}

// drain emits every record of r until io.EOF or ctx ends, calling
// safePoint between batches of records and adding what it emitted to
// *emitted (by the batch on the fast path).
func drain[T any](ctx context.Context, r SplitReader[T], emit func(T), safePoint func(), emitted *int64) error {
	if br, ok := r.(batchReader[T]); ok {
		for {
			safePoint()
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			n, err := br.emitBatch(ctx, emit, checkEvery)
			*emitted += int64(n)
			if err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
		}
	}
	for n := 1; ; n++ {
		if n%checkEvery == 0 {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			safePoint()
		}
		v, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		emit(v)
		*emitted++
	}
}

// splitCodec encodes the fields of a split state as unsigned varints
// after a version byte:
//
//	+---------+----------+----------+-----+
//	| version | uvarint0 | uvarint1 | ... |
//	+---------+----------+----------+-----+
//
// Strings are a uvarint length and the bytes.
type splitCodec struct{ b []byte }

const splitCodecVersion = 1

func newSplitCodec() *splitCodec { return &splitCodec{b: []byte{splitCodecVersion}} }

func (c *splitCodec) uint(v uint64) *splitCodec { c.b = binary.AppendUvarint(c.b, v); return c }

func (c *splitCodec) str(s string) *splitCodec {
	c.b = binary.AppendUvarint(c.b, uint64(len(s)))
	c.b = append(c.b, s...)
	return c
}

// splitDecoder reads what splitCodec wrote; the first error sticks.
type splitDecoder struct {
	b   []byte
	err error
}

func newSplitDecoder(what string, b []byte) *splitDecoder {
	d := &splitDecoder{b: b}
	if len(b) == 0 || b[0] != splitCodecVersion {
		d.err = fmt.Errorf("%s state: unknown version (%d bytes)", what, len(b))
		return d
	}
	d.b = b[1:]
	return d
}

func (d *splitDecoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = fmt.Errorf("split state: truncated varint")
		return 0
	}
	if n != len(binary.AppendUvarint(nil, v)) {
		// One value, one encoding: state bytes compare and hash equal.
		d.err = fmt.Errorf("split state: overlong varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *splitDecoder) str() string {
	n := d.uint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.err = fmt.Errorf("split state: string of %d bytes, %d left", n, len(d.b))
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// done returns the sticky error, or one for trailing bytes.
func (d *splitDecoder) done() error {
	if d.err == nil && len(d.b) > 0 {
		d.err = fmt.Errorf("split state: %d trailing bytes", len(d.b))
	}
	return d.err
}
