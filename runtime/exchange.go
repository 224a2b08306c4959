package runtime

import (
	"context"
	"encoding/binary"
	"fmt"
)

// BufferSize is the target size of one buffer of records. Producers hand a
// buffer to the exchange when it is full or when they go idle.
const BufferSize = 32 << 10

// PartitionID names the result partition one producer subtask writes for
// one job edge, in one execution attempt of a job.
type PartitionID struct {
	Job      string
	Attempt  int
	Edge     int // job edge index
	Producer int // producer subtask
}

func (p PartitionID) String() string {
	return fmt.Sprintf("%s#%d/e%d/p%d", p.Job, p.Attempt, p.Edge, p.Producer)
}

// GateID names the input gate of one consumer subtask.
type GateID struct {
	Job     string
	Attempt int
	Vertex  int
	Subtask int
}

func (g GateID) String() string {
	return fmt.Sprintf("%s#%d/v%d/s%d", g.Job, g.Attempt, g.Vertex, g.Subtask)
}

// Buffer is what travels through an exchange: either a batch of records
// (each a 4-byte little-endian length and the encoded record) or one event.
//
//	+--------+-------------+--------+-------------+----
//	| len u32| record bytes| len u32| record bytes| ...
//	+--------+-------------+--------+-------------+----
type Buffer struct {
	Edge     int // job edge index
	Producer int // producer subtask
	Data     []byte
	Event    Event
}

// NextRecord splits the first framed record off data.
func NextRecord(data []byte) (rec, rest []byte, err error) {
	if len(data) < 4 {
		return nil, nil, fmt.Errorf("exchange: truncated record header (%d bytes)", len(data))
	}
	n := int(binary.LittleEndian.Uint32(data))
	if n > len(data)-4 {
		return nil, nil, fmt.Errorf("exchange: record of %d bytes, %d left", n, len(data)-4)
	}
	return data[4 : 4+n], data[4+n:], nil
}

// PartitionWriter is the producer side of one job edge: one channel per
// consumer subtask it feeds. Writes block while the consumer has no room
// (backpressure) and give up when ctx ends.
type PartitionWriter interface {
	NumChannels() int
	// WriteBuffer hands framed records to channel ch; the writer owns data
	// afterwards.
	WriteBuffer(ctx context.Context, ch int, data []byte) error
	// WriteEvent sends an in-band event (a watermark or a barrier) on ch.
	WriteEvent(ctx context.Context, ch int, ev Event) error
	// NewBuffer returns an empty buffer to fill.
	NewBuffer() []byte
	// Flush ships whatever the writer itself still buffers (the producer
	// calls it when it goes idle).
	Flush()
	// Finish sends end-of-partition on every channel; nothing may be
	// written afterwards.
	Finish(ctx context.Context) error
	// Abort drops the partition after a failure or cancellation; its
	// consumers fail instead of waiting.
	Abort(err error)
}

// Location is where a producer subtask runs.
type Location struct {
	TaskManager string
	DataAddress string
}

// GateInput is one job edge feeding a gate: the producer subtasks that send
// on it, where they run, and which of their channels (subpartition) this
// consumer reads.
type GateInput struct {
	Edge         int
	Subpartition int
	Producers    []int
	Locations    []Location // parallel to Producers; may be empty in-process
}

// Element is one record or event read from an input gate. Record is valid
// until the next Next or Poll.
type Element struct {
	Edge     int
	Producer int
	Record   []byte
	Event    Event
}

// InputGate merges every channel that feeds one consumer subtask. Each
// channel ends with an EndOfPartition event. A channel is named by its edge
// and producer subtask. All methods but Ready's channel are used by the
// reading goroutine only.
type InputGate interface {
	// Next blocks for the next record or event.
	Next(ctx context.Context) (Element, error)
	// Poll returns the next element without blocking; ok is false when
	// nothing is ready.
	Poll() (el Element, ok bool, err error)
	// Ready receives a value when an element may have arrived since Poll
	// last found none, so a reader can wait for input and other events
	// in one select.
	Ready() <-chan struct{}
	// Block stops reading one channel until Unblock (aligning checkpoint
	// barriers): Next and Poll return elements of the other channels only,
	// and the blocked channel's producer is held back by the channel's
	// bound (flow control), so nothing piles up in the consumer.
	Block(edge, producer int)
	// Unblock reads the channel again.
	Unblock(edge, producer int)
	Close() error
}

// Exchange creates the two sides of data exchange for tasks. The in-process
// LocalExchange serves local execution; taskexec adapts the network data
// plane (package taskexec/netio) to the same contract across TaskManagers.
type Exchange interface {
	// OpenWriter opens producer p's partition; channel c feeds consumer
	// subtask consumers[c] of consumerVertex.
	OpenWriter(ctx context.Context, p PartitionID, consumerVertex int, consumers []int) (PartitionWriter, error)
	OpenGate(ctx context.Context, g GateID, inputs []GateInput) (InputGate, error)
}

// PartitionReleaser is implemented by exchanges whose partitions outlive
// their producing task: a finished partition of the network data plane waits
// for its consumers to read it, so when an attempt ends without them (a
// cancel, a failover) the TaskManager drops it explicitly.
type PartitionReleaser interface {
	// ReleasePartitions drops job's partitions of the attempts that match
	// and returns how many it dropped.
	ReleasePartitions(job string, attempt func(int) bool) int
}

// ForEachRecord calls fn for every record framed in data.
func ForEachRecord(data []byte, fn func(rec []byte)) error {
	for len(data) > 0 {
		if len(data) < 4 {
			return fmt.Errorf("exchange: truncated record header (%d bytes)", len(data))
		}
		n := int(binary.LittleEndian.Uint32(data))
		if n > len(data)-4 {
			return fmt.Errorf("exchange: record of %d bytes, %d left", n, len(data)-4)
		}
		fn(data[4 : 4+n])
		data = data[4+n:]
	}
	return nil
}
