package runtime

import "fmt"

// EventKind tells in-band events apart. Events travel in the same channels
// as record buffers, in order, so an operator sees them exactly between the
// records that preceded and followed them upstream.
type EventKind uint8

// The event kinds. Stopped (Flink's EndOfData of a stop without drain)
// precedes the EndOfPartition of a channel whose producer ended because
// its job stopped with a savepoint: that end does not end event time, and
// the consumer's operators are not finished (what they would emit then
// is not covered by the savepoint).
const (
	EventNone EventKind = iota
	EndOfPartition
	Watermark
	CheckpointBarrier
	Stopped
)

func (k EventKind) String() string {
	switch k {
	case EventNone:
		return "none"
	case EndOfPartition:
		return "end-of-partition"
	case Watermark:
		return "watermark"
	case CheckpointBarrier:
		return "checkpoint-barrier"
	case Stopped:
		return "stopped"
	}
	return fmt.Sprintf("event(%d)", uint8(k))
}

// Event is an in-band control element.
type Event struct {
	Kind EventKind
	// Timestamp is the watermark's time (Watermark).
	Timestamp int64
	// CheckpointID identifies the checkpoint (CheckpointBarrier).
	CheckpointID int64
	// Savepoint is the folder of the savepoint a CheckpointBarrier
	// belongs to; empty for a checkpoint.
	Savepoint string
}
