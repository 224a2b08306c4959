package runtime

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/floe-yarn/floe/graph"
)

// RecordOutput batches one producer subtask's records for one job edge into
// a buffer per consumer channel. It is used by one task goroutine only.
type RecordOutput struct {
	Edge           graph.JobEdge
	w              PartitionWriter
	ctx            context.Context
	bufs           [][]byte
	subtask        int
	maxParallelism int
	rr             int
	time           *taskTime // the task's, for edges with timestamps
	lastWM         int64     // the last watermark sent
	idleSent       bool      // IdleWatermark sent since the last watermark
	// Records counts the records written (all channels); Bytes the bytes
	// of the buffers handed to the exchange, and BackPressuredNanos the
	// time spent handing them (blocked while the consumer lags).
	Records            int64
	Bytes              int64
	BackPressuredNanos int64
}

// NewRecordOutput wraps w for producer subtask `subtask` of e.
func NewRecordOutput(ctx context.Context, e graph.JobEdge, w PartitionWriter, subtask, maxParallelism int) *RecordOutput {
	o := &RecordOutput{Edge: e, w: w, ctx: ctx, bufs: make([][]byte, w.NumChannels()), subtask: subtask, maxParallelism: maxParallelism,
		rr: subtask % max(1, w.NumChannels()), lastWM: MinWatermark}
	for i := range o.bufs {
		o.bufs[i] = w.NewBuffer()
	}
	return o
}

// abort carries an exchange error up through user code to the task, which
// recovers it; emitting has no error result so chained calls stay cheap.
type abort struct{ err error }

func (o *RecordOutput) flush(ch int) {
	if len(o.bufs[ch]) == 0 {
		return
	}
	start := time.Now()
	o.Bytes += int64(len(o.bufs[ch]))
	err := o.w.WriteBuffer(o.ctx, ch, o.bufs[ch])
	o.BackPressuredNanos += int64(time.Since(start))
	if err != nil {
		panic(abort{err})
	}
	o.bufs[ch] = o.w.NewBuffer()
}

// Flush hands every non-empty buffer to the exchange.
func (o *RecordOutput) Flush() {
	for ch := range o.bufs {
		o.flush(ch)
	}
	o.w.Flush()
}

// Broadcast flushes every channel's pending records and then writes ev on
// every channel, so ev follows everything emitted before it (a checkpoint
// barrier marks the cut).
func (o *RecordOutput) Broadcast(ev Event) error {
	for ch := range o.bufs {
		if len(o.bufs[ch]) > 0 {
			o.Bytes += int64(len(o.bufs[ch]))
			if err := o.w.WriteBuffer(o.ctx, ch, o.bufs[ch]); err != nil {
				return err
			}
			o.bufs[ch] = o.w.NewBuffer()
		}
	}
	for ch := range o.bufs {
		if err := o.w.WriteEvent(o.ctx, ch, ev); err != nil {
			return err
		}
	}
	o.w.Flush()
	return nil
}

// end flushes and sends end-of-partition on every channel.
func (o *RecordOutput) end() error {
	o.Flush()
	return o.w.Finish(o.ctx)
}

func (o *RecordOutput) put(ch int, b []byte, start int) {
	binary.LittleEndian.PutUint32(b[start:], uint32(len(b)-start-4))
	o.bufs[ch] = b
	o.Records++
	if len(b) >= BufferSize {
		o.flush(ch)
	}
}

// Emitter returns the function that encodes records of type T with c and
// routes them by the edge's partitioner. For hash edges, key hashes the
// record's key.
//
// On an edge with timestamps every record carries the task's current
// event timestamp in front of its bytes (timestampCodec).
func Emitter[T any](o *RecordOutput, c Codec[T], key func(T) uint64) (func(T), error) {
	n := len(o.bufs)
	if o.Edge.Timestamps {
		if o.time == nil {
			o.time = &taskTime{}
		}
		c = timestampCodec[T]{c: c, t: o.time}
	}
	switch o.Edge.Partitioner {
	case graph.Forward:
		// A forward partition has one channel: the consumer with our index.
		ch := 0
		if n != 1 {
			return nil, fmt.Errorf("forward edge %d: %d channels, want 1", o.Edge.Index, n)
		}
		return func(v T) {
			b := o.bufs[ch]
			start := len(b)
			b = c.Append(append(b, 0, 0, 0, 0), v)
			o.put(ch, b, start)
		}, nil
	case graph.Rebalance:
		return func(v T) {
			o.rr++
			if o.rr >= n {
				o.rr = 0
			}
			ch := o.rr
			b := o.bufs[ch]
			start := len(b)
			b = c.Append(append(b, 0, 0, 0, 0), v)
			o.put(ch, b, start)
		}, nil
	case graph.Broadcast:
		return func(v T) {
			b := o.bufs[0]
			start := len(b)
			b = c.Append(append(b, 0, 0, 0, 0), v)
			binary.LittleEndian.PutUint32(b[start:], uint32(len(b)-start-4))
			rec := b[start:]
			for ch := 1; ch < n; ch++ {
				o.bufs[ch] = append(o.bufs[ch], rec...)
				if len(o.bufs[ch]) >= BufferSize {
					o.flush(ch)
				}
			}
			o.bufs[0] = b
			o.Records++
			if len(b) >= BufferSize {
				o.flush(0)
			}
		}, nil
	case graph.Hash:
		if key == nil {
			return nil, fmt.Errorf("hash edge %d: no key hash", o.Edge.Index)
		}
		maxp := o.maxParallelism
		return func(v T) {
			ch := SubtaskForKeyGroup(KeyGroup(key(v), maxp), maxp, n)
			b := o.bufs[ch]
			start := len(b)
			b = c.Append(append(b, 0, 0, 0, 0), v)
			o.put(ch, b, start)
		}, nil
	}
	return nil, fmt.Errorf("edge %d: unknown partitioner %q", o.Edge.Index, o.Edge.Partitioner)
}
