package netio

import (
	"encoding/binary"
	"fmt"
)

// EventKind tells in-band events apart. The values match runtime.EventKind.
type EventKind uint8

// Event kinds, carried end to end in order with the records: the end of a
// channel, event time, checkpoints, and Stopped, which precedes the
// EndOfPartition of a producer stopped with a savepoint (runtime.Stopped).
const (
	EndOfPartition    EventKind = 1
	Watermark         EventKind = 2
	CheckpointBarrier EventKind = 3
	Stopped           EventKind = 4
)

func (k EventKind) String() string {
	switch k {
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

// Event is an in-band control element of a channel. It sits between the
// records its producer emitted before and after it.
type Event struct {
	Kind EventKind
	// Timestamp is the watermark's event time (Watermark), or the time the
	// checkpoint was triggered (CheckpointBarrier).
	Timestamp int64
	// CheckpointID identifies the checkpoint (CheckpointBarrier).
	CheckpointID int64
	// Savepoint is the folder of the savepoint a CheckpointBarrier
	// belongs to (empty for a checkpoint), as Flink's barrier carries its
	// target location: every task writes its savepoint state there.
	Savepoint string
}

// endOfPartition is the event that closes every channel.
var endOfPartition = Event{Kind: EndOfPartition}

// WatermarkEvent returns a watermark at event time ts.
func WatermarkEvent(ts int64) Event { return Event{Kind: Watermark, Timestamp: ts} }

// BarrierEvent returns the checkpoint barrier of checkpoint id, triggered at ts.
func BarrierEvent(id, ts int64) Event {
	return Event{Kind: CheckpointBarrier, CheckpointID: id, Timestamp: ts}
}

// Event payload of an event frame:
//
//	+------+-----------------------------------------------+
//	| kind | fields                                        |
//	| 1 B  | EndOfPartition: none                          |
//	|      | Watermark: varint timestamp                   |
//	|      | CheckpointBarrier: varint id, varint timestamp|
//	|      |   [, uvarint n, n bytes savepoint folder]     |
//	|      | Stopped: none                                 |
//	+------+-----------------------------------------------+
//
// The savepoint folder is present only in a savepoint's barrier, so a
// checkpoint's barrier keeps its two fields.

func appendEvent(dst []byte, e Event) []byte {
	dst = append(dst, byte(e.Kind))
	switch e.Kind {
	case Watermark:
		dst = binary.AppendVarint(dst, e.Timestamp)
	case CheckpointBarrier:
		dst = binary.AppendVarint(dst, e.CheckpointID)
		dst = binary.AppendVarint(dst, e.Timestamp)
		if e.Savepoint != "" {
			dst = binary.AppendUvarint(dst, uint64(len(e.Savepoint)))
			dst = append(dst, e.Savepoint...)
		}
	}
	return dst
}

func parseEvent(b []byte) (Event, error) {
	if len(b) < 1 {
		return Event{}, fmt.Errorf("%w: empty event", ErrProtocol)
	}
	e := Event{Kind: EventKind(b[0])}
	b = b[1:]
	var fields []*int64
	switch e.Kind {
	case EndOfPartition, Stopped:
	case Watermark:
		fields = []*int64{&e.Timestamp}
	case CheckpointBarrier:
		fields = []*int64{&e.CheckpointID, &e.Timestamp}
	default:
		return Event{}, fmt.Errorf("%w: unknown event kind %d", ErrProtocol, e.Kind)
	}
	for _, f := range fields {
		v, n := binary.Varint(b)
		if n <= 0 {
			return Event{}, fmt.Errorf("%w: truncated %s event", ErrProtocol, e.Kind)
		}
		*f, b = v, b[n:]
	}
	if e.Kind == CheckpointBarrier && len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || n == 0 || n > uint64(len(b)-k) {
			return Event{}, fmt.Errorf("%w: bad savepoint folder in %s event", ErrProtocol, e.Kind)
		}
		e.Savepoint, b = string(b[k:k+int(n)]), b[k+int(n):]
	}
	if len(b) != 0 {
		return Event{}, fmt.Errorf("%w: %d trailing bytes after %s event", ErrProtocol, len(b), e.Kind)
	}
	return e, nil
}

func validEvent(e Event) error {
	switch e.Kind {
	case EndOfPartition, Watermark, CheckpointBarrier, Stopped:
		return nil
	}
	return fmt.Errorf("netio: unknown event kind %d", e.Kind)
}
