package runtime

import (
	"context"
	"fmt"
	"sync"
)

// LocalExchange connects tasks in one process with bounded Go channels: a
// gate holds at most a fixed number of buffers per producer channel, so a
// slow consumer blocks its producers instead of growing memory.
type LocalExchange struct {
	// BuffersPerChannel bounds the buffers in flight per producer channel.
	BuffersPerChannel int

	pool  sync.Pool
	mu    sync.Mutex
	gates map[GateID]*localQueue
}

// NewLocalExchange returns an empty exchange.
func NewLocalExchange() *LocalExchange {
	x := &LocalExchange{BuffersPerChannel: 2, gates: map[GateID]*localQueue{}}
	x.pool.New = func() any { b := make([]byte, 0, BufferSize+BufferSize/4); return &b }
	return x
}

// localQueue is the buffer queue of one consumer subtask.
type localQueue struct{ ch chan Buffer }

// queue finds or creates a gate's queue; either side may arrive first.
func (x *LocalExchange) queue(id GateID, channels int) *localQueue {
	x.mu.Lock()
	defer x.mu.Unlock()
	q, ok := x.gates[id]
	if !ok {
		q = &localQueue{ch: make(chan Buffer, max(4, x.BuffersPerChannel*channels))}
		x.gates[id] = q
	}
	return q
}

// Release forgets every gate of a job attempt.
func (x *LocalExchange) Release(job string, attempt int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for id := range x.gates {
		if id.Job == job && id.Attempt == attempt {
			delete(x.gates, id)
		}
	}
}

// channelsHint is the queue capacity basis when a producer opens it first.
const channelsHint = 4

// OpenWriter implements Exchange.
func (x *LocalExchange) OpenWriter(_ context.Context, p PartitionID, consumerVertex int, consumers []int) (PartitionWriter, error) {
	if len(consumers) == 0 {
		return nil, fmt.Errorf("open partition %s: no consumers", p)
	}
	w := &localWriter{x: x, p: p, queues: make([]*localQueue, len(consumers))}
	for i, c := range consumers {
		w.queues[i] = x.queue(GateID{Job: p.Job, Attempt: p.Attempt, Vertex: consumerVertex, Subtask: c}, channelsHint)
	}
	return w, nil
}

// OpenGate implements Exchange.
func (x *LocalExchange) OpenGate(_ context.Context, id GateID, inputs []GateInput) (InputGate, error) {
	n := 0
	for _, in := range inputs {
		n += len(in.Producers)
	}
	return &localGate{x: x, q: x.queue(id, n)}, nil
}

type localWriter struct {
	x      *LocalExchange
	p      PartitionID
	queues []*localQueue
}

func (w *localWriter) NumChannels() int { return len(w.queues) }

func (w *localWriter) NewBuffer() []byte { return (*w.x.pool.Get().(*[]byte))[:0] }

func (w *localWriter) send(ctx context.Context, ch int, b Buffer) error {
	if ch < 0 || ch >= len(w.queues) {
		return fmt.Errorf("partition %s: channel %d out of range", w.p, ch)
	}
	b.Edge, b.Producer = w.p.Edge, w.p.Producer
	select {
	case w.queues[ch].ch <- b:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("partition %s: write: %w", w.p, context.Cause(ctx))
	}
}

func (w *localWriter) WriteBuffer(ctx context.Context, ch int, data []byte) error {
	return w.send(ctx, ch, Buffer{Data: data})
}

func (w *localWriter) WriteEvent(ctx context.Context, ch int, ev Event) error {
	return w.send(ctx, ch, Buffer{Event: ev})
}

func (w *localWriter) Flush() {}

func (w *localWriter) Finish(ctx context.Context) error {
	for ch := range w.queues {
		if err := w.send(ctx, ch, Buffer{Event: Event{Kind: EndOfPartition}}); err != nil {
			return err
		}
	}
	return nil
}

// Abort does nothing: consumers of a failed producer are canceled by the
// JobManager, and their context ends their wait.
func (w *localWriter) Abort(error) {}

// localGate reads a queue buffer by buffer, record by record.
type localGate struct {
	x    *LocalExchange
	q    *localQueue
	cur  Buffer
	rest []byte
	held []byte // the buffer rest points into, recycled when used up
}

func (g *localGate) recycle() {
	if g.held != nil {
		if cap(g.held) >= BufferSize && cap(g.held) <= 4*BufferSize {
			b := g.held[:0]
			g.x.pool.Put(&b)
		}
		g.held = nil
	}
}

// take turns a dequeued buffer into the next element.
func (g *localGate) take(b Buffer) (Element, bool, error) {
	if b.Event.Kind != EventNone {
		return Element{Edge: b.Edge, Producer: b.Producer, Event: b.Event}, true, nil
	}
	g.cur, g.rest, g.held = b, b.Data, b.Data
	return g.fromRest()
}

func (g *localGate) fromRest() (Element, bool, error) {
	if len(g.rest) == 0 {
		g.recycle()
		return Element{}, false, nil
	}
	rec, rest, err := NextRecord(g.rest)
	if err != nil {
		return Element{}, false, fmt.Errorf("input edge %d from subtask %d: %w", g.cur.Edge, g.cur.Producer, err)
	}
	g.rest = rest
	return Element{Edge: g.cur.Edge, Producer: g.cur.Producer, Record: rec}, true, nil
}

func (g *localGate) Poll() (Element, bool, error) {
	for {
		if len(g.rest) > 0 {
			return g.fromRest()
		}
		g.recycle()
		select {
		case b := <-g.q.ch:
			el, ok, err := g.take(b)
			if ok || err != nil {
				return el, ok, err
			}
		default:
			return Element{}, false, nil
		}
	}
}

func (g *localGate) Next(ctx context.Context) (Element, error) {
	for {
		el, ok, err := g.Poll()
		if ok || err != nil {
			return el, err
		}
		select {
		case b := <-g.q.ch:
			el, ok, err := g.take(b)
			if ok || err != nil {
				return el, err
			}
		case <-ctx.Done():
			return Element{}, context.Cause(ctx)
		}
	}
}

func (g *localGate) Close() error { g.recycle(); return nil }
