package runtime

import (
	"fmt"
	"time"
)

// CheckpointingMode is the guarantee checkpoints give (Flink's
// execution.checkpointing.mode).
type CheckpointingMode uint8

// The modes. ExactlyOnce aligns barriers: a channel that delivered barrier n
// is blocked until every channel did, so no record after the cut reaches
// the snapshot. AtLeastOnce only tracks barriers: nothing blocks, and
// records after the cut on an early channel are in the snapshot and are
// replayed again after a failure.
const (
	ExactlyOnce CheckpointingMode = iota
	AtLeastOnce
)

func (m CheckpointingMode) String() string {
	switch m {
	case ExactlyOnce:
		return "EXACTLY_ONCE"
	case AtLeastOnce:
		return "AT_LEAST_ONCE"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// AlignAction is what the task does after the aligner saw a barrier or the
// end of a channel. Fields are applied in order: Abort, Unblock, Block,
// Complete.
type AlignAction struct {
	// Abort is the checkpoint given up because a newer barrier overtook
	// it (0: none).
	Abort int64
	// Unblock lists the channels to read again.
	Unblock []int
	// Block lists the channels to stop reading.
	Block []int
	// Complete is the checkpoint whose barrier arrived on every channel:
	// the task snapshots its operators and forwards the barrier (0: none).
	Complete int64
	// Alignment is how long Complete blocked channels (the time from its
	// first barrier to its last in ExactlyOnce; 0 in AtLeastOnce).
	Alignment time.Duration
}

// Aligner aligns checkpoint barriers of a task's input channels. It is a
// deterministic core: the task feeds it barriers and channel ends with the
// current time and applies the returned actions to its input gate.
//
// A checkpoint is pending from its first barrier until its barrier arrived
// on every channel that has not ended; a channel that ended counts as
// having delivered every barrier. A barrier newer than the pending one
// aborts the pending one (its blocked channels are unblocked) and starts
// the newer; a barrier not newer than the last started one is stale and
// ignored.
type Aligner struct {
	mode    CheckpointingMode
	ended   []bool
	arrived []bool
	blocked []int
	open    int   // channels not ended
	pending int64 // 0: none
	count   int   // channels that delivered pending
	last    int64 // newest checkpoint started
	start   time.Time
}

// NewAligner returns an aligner for a task with n input channels.
func NewAligner(mode CheckpointingMode, n int) *Aligner {
	return &Aligner{mode: mode, ended: make([]bool, n), arrived: make([]bool, n), open: n}
}

// Pending returns the checkpoint being aligned, 0 when none.
func (a *Aligner) Pending() int64 { return a.pending }

// Barrier handles barrier id arriving on channel ch at now.
func (a *Aligner) Barrier(now time.Time, ch int, id int64) AlignAction {
	var act AlignAction
	if a.ended[ch] || id < a.last || (id == a.last && a.pending == 0) {
		return act // stale: completed or given up
	}
	if a.pending != 0 && id > a.pending {
		act.Abort = a.pending
		act.Unblock = a.reset()
	}
	if a.pending == 0 {
		a.pending, a.last, a.start, a.count = id, id, now, 0
	}
	if !a.arrived[ch] {
		a.arrived[ch] = true
		a.count++
	}
	if a.count == a.open {
		a.complete(now, &act)
		return act
	}
	if a.mode == ExactlyOnce {
		a.blocked = append(a.blocked, ch)
		act.Block = []int{ch}
	}
	return act
}

// EndOfPartition handles the end of channel ch at now: it counts as having
// delivered the pending barrier and every later one.
func (a *Aligner) EndOfPartition(now time.Time, ch int) AlignAction {
	var act AlignAction
	if a.ended[ch] {
		return act
	}
	a.ended[ch] = true
	a.open--
	if a.pending == 0 {
		return act
	}
	if a.arrived[ch] {
		// Not possible while blocked; in AtLeastOnce the channel may end
		// after its barrier.
		a.arrived[ch] = false
		a.count--
	}
	if a.count == a.open {
		a.complete(now, &act)
	}
	return act
}

// Abort gives up checkpoint id (the coordinator aborted it) if it is the
// pending one, unblocking its channels.
func (a *Aligner) Abort(id int64) AlignAction {
	if id == 0 || id != a.pending {
		return AlignAction{}
	}
	return AlignAction{Abort: id, Unblock: a.reset()}
}

func (a *Aligner) complete(now time.Time, act *AlignAction) {
	act.Complete = a.pending
	if a.mode == ExactlyOnce {
		act.Alignment = now.Sub(a.start)
	}
	act.Unblock = append(act.Unblock, a.reset()...)
}

// reset ends the pending checkpoint and returns the channels it blocked.
func (a *Aligner) reset() []int {
	b := a.blocked
	a.blocked = nil
	a.pending, a.count = 0, 0
	clear(a.arrived)
	return b
}
