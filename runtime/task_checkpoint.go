package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// checkpoints is a task's checkpoint state: the hooks, the aligner of its
// input channels and the uploads in flight.
type checkpoints struct {
	ctx       context.Context // the task's
	uploadCtx context.Context // ends when the task fails
	hooks     CheckpointHooks
	uploads   sync.WaitGroup

	gate     InputGate // nil in a source task
	channels [][2]int  // (edge, producer) of each aligner channel
	index    map[[2]int]int
	aligner  *Aligner
	barrier  CheckpointMeta // the newest barrier seen
	read     int            // elements read
	// stopping marks the channels whose producer sent Stopped: their
	// end comes from a stop with savepoint.
	stopping map[int]bool
}

// checkEvery is how many input elements a busy task reads between looks at
// its checkpoint commands.
const checkEvery = 256

// runSource runs a source chain, with safe points for checkpoints. A
// source stopped by a completed stop-with-savepoint ends normally.
func (t *task) runSource(ctx context.Context, head Operator) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if a, ok := r.(abort); ok && errors.Is(a.err, errStopped) {
				t.stopped = true
				err = nil
				return
			}
			panic(r)
		}
	}()
	if sp, ok := head.(SafePointSource); ok {
		return sp.RunWithSafePoint(ctx, t.idle, t.safePoint)
	}
	return head.Run(ctx, t.idle)
}

// idle is the idle callback of sources: flush, then a safe point.
func (t *task) idle() {
	t.flush()
	t.safePoint()
}

// safePoint handles the checkpoint commands that wait, between records.
// Its failures travel up through the source's Run as an abort panic, as
// the emitters' do.
func (t *task) safePoint() {
	t.tm.time.fireDue()
	t.publish()
	for {
		select {
		case c := <-t.opts.Checkpoints.Commands:
			if err := t.command(c); err != nil {
				panic(abort{err})
			}
		default:
			return
		}
	}
}

// openGate opens the task's input gate and an aligner for its channels.
func (t *task) openGate(ctx context.Context, inputs []GateInput) (InputGate, error) {
	gate, err := t.opts.Exchange.OpenGate(ctx, GateID{Job: t.opts.Job, Attempt: t.opts.Attempt, Vertex: t.v.Index, Subtask: t.opts.Subtask}, inputs)
	if err != nil {
		return nil, err
	}
	t.cp.gate, t.cp.index = gate, map[[2]int]int{}
	for _, in := range inputs {
		for _, p := range in.Producers {
			t.cp.index[[2]int{in.Edge, p}] = len(t.cp.channels)
			t.cp.channels = append(t.cp.channels, [2]int{in.Edge, p})
		}
	}
	t.cp.aligner = NewAligner(t.opts.Checkpoints.Mode, len(t.cp.channels))
	return gate, nil
}

// next waits for the gate's next element, carrying out checkpoint commands
// meanwhile.
func (t *task) next(ctx context.Context, gate InputGate) (Element, error) {
	for {
		select {
		case <-t.tm.timerC():
			t.tm.timerAt = time.Time{} // drained: rearm
			t.tm.time.fireDue()
			t.flush()
		case <-gate.Ready():
		case c := <-t.opts.Checkpoints.Commands:
			if err := t.command(c); err != nil {
				return Element{}, err
			}
		case <-ctx.Done():
			return Element{}, context.Cause(ctx)
		}
		el, ok, err := gate.Poll()
		if ok || err != nil {
			return el, err
		}
	}
}

// barrier feeds a checkpoint barrier to the aligner.
func (t *task) barrier(el Element) error {
	if el.Event.CheckpointID > t.cp.barrier.ID {
		t.cp.barrier = CheckpointMeta{ID: el.Event.CheckpointID, Timestamp: el.Event.Timestamp, Mode: t.opts.Checkpoints.Mode,
			Savepoint: el.Event.Savepoint}
	}
	return t.align(t.cp.aligner.Barrier(time.Now(), t.cp.index[[2]int{el.Edge, el.Producer}], el.Event.CheckpointID))
}

// command carries out one checkpoint command on the task goroutine.
func (t *task) command(c CheckpointCommand) error {
	id := c.Meta.ID
	switch c.Kind {
	case TriggerCheckpoint:
		if !t.v.Source {
			// Only sources inject barriers; others get them in-band.
			t.opts.Logger.Debug().Int64("checkpoint", id).Msg("trigger ignored by a task that is not a source")
			return nil
		}
		if c.Meta.Stop {
			return t.stopWithSavepoint(c.Meta)
		}
		return t.checkpoint(c.Meta, 0)
	case CompleteCheckpoint:
		for _, n := range t.v.Operators {
			if cp, ok := t.ops[n].(Checkpointer); ok {
				t.current = t.g.Operators[n].Node.Name
				if err := cp.NotifyCheckpointComplete(id); err != nil {
					return fmt.Errorf("notify %s of completed checkpoint %d: %w", t.current, id, err)
				}
			}
		}
	case AbortCheckpoint:
		if t.cp.aligner != nil {
			t.unblock(t.cp.aligner.Abort(id).Unblock)
		}
		for _, n := range t.v.Operators {
			if cp, ok := t.ops[n].(Checkpointer); ok {
				t.current = t.g.Operators[n].Node.Name
				cp.NotifyCheckpointAborted(id)
			}
		}
	}
	t.current = t.v.Name
	return nil
}

func (t *task) unblock(chans []int) {
	for _, i := range chans {
		t.cp.gate.Unblock(t.cp.channels[i][0], t.cp.channels[i][1])
	}
}

// align applies the aligner's action to the gate and takes the checkpoint
// whose barriers are all in.
func (t *task) align(act AlignAction) error {
	if act.Abort != 0 {
		t.decline(act.Abort, fmt.Errorf("barrier of checkpoint %d overtaken by a newer one before alignment", act.Abort))
	}
	t.unblock(act.Unblock)
	for _, i := range act.Block {
		t.cp.gate.Block(t.cp.channels[i][0], t.cp.channels[i][1])
	}
	if act.Complete == 0 {
		return nil
	}
	meta := t.cp.barrier
	if meta.ID != act.Complete {
		meta = CheckpointMeta{ID: act.Complete, Mode: t.opts.Checkpoints.Mode}
	}
	return t.checkpoint(meta, act.Alignment)
}

func (t *task) decline(id int64, err error) {
	if t.cp.hooks.Decline != nil {
		t.cp.hooks.Decline(id, fmt.Errorf("%s subtask %d: %w", t.v.Name, t.opts.Subtask, err))
	}
}

// checkpoint takes the task's part of a checkpoint at its barrier: it
// forwards the barrier after every record emitted before it, takes the
// synchronous snapshot of every Checkpointer of the chain in chain order,
// and hands the uploads to a goroutine that acknowledges when they are
// done. A failed snapshot declines the checkpoint but keeps the task
// running (the barrier is forwarded anyway, so downstream tasks do not
// stay blocked).
func (t *task) checkpoint(meta CheckpointMeta, alignment time.Duration) error {
	ev := Event{Kind: CheckpointBarrier, CheckpointID: meta.ID, Timestamp: meta.Timestamp, Savepoint: meta.Savepoint}
	for _, o := range t.outputs {
		if err := o.Broadcast(ev); err != nil {
			return fmt.Errorf("forward barrier of checkpoint %d on edge %d: %w", meta.ID, o.Edge.Index, err)
		}
	}
	var snaps []OperatorSnapshot
	for _, n := range t.v.Operators {
		c, ok := t.ops[n].(Checkpointer)
		if !ok {
			continue
		}
		op := t.g.Operators[n]
		t.current = op.Node.Name
		s, err := c.SnapshotState(t.cp.ctx, meta)
		if err != nil {
			t.current = t.v.Name
			t.decline(meta.ID, fmt.Errorf("snapshot %s (%s): %w", op.Node.Name, op.ID, err))
			return nil
		}
		if s.Operator == "" {
			s.Operator = op.ID
		}
		snaps = append(snaps, s)
	}
	t.current = t.v.Name
	if t.cp.hooks.Ack == nil {
		return nil
	}
	t.cp.uploads.Add(1)
	go func() {
		defer t.cp.uploads.Done()
		t.upload(meta, snaps, alignment)
	}()
	return nil
}

// upload runs the asynchronous parts of a snapshot one after the other and
// acknowledges, or declines on the first failure.
func (t *task) upload(meta CheckpointMeta, snaps []OperatorSnapshot, alignment time.Duration) {
	id := meta.ID
	var op string
	defer func() {
		if r := recover(); r != nil {
			t.decline(id, fmt.Errorf("upload of %s panicked: %v", op, r))
		}
	}()
	for i := range snaps {
		up := snaps[i].Upload
		if up == nil {
			continue
		}
		op = snaps[i].Operator
		hs, err := up(t.cp.uploadCtx)
		if err != nil {
			t.decline(id, fmt.Errorf("upload state of %s: %w", op, err))
			return
		}
		snaps[i].Handles = append(snaps[i].Handles, hs...)
		snaps[i].Upload = nil
	}
	for i := range snaps {
		for j := range snaps[i].Handles {
			if snaps[i].Handles[j].Operator == "" {
				snaps[i].Handles[j].Operator = snaps[i].Operator
			}
		}
	}
	t.cp.hooks.Ack(meta, snaps, alignment)
}
