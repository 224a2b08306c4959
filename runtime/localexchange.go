package runtime

import (
	"context"
	"fmt"
	"sync"
)

// LocalExchange connects tasks in one process with bounded Go channels:
// every producer channel (one producer subtask feeding one consumer subtask
// on one edge) holds at most BuffersPerChannel buffers, so a slow consumer,
// or a consumer that blocked the channel to align checkpoint barriers,
// blocks that producer instead of growing memory.
type LocalExchange struct {
	// BuffersPerChannel bounds the buffers in flight per producer channel.
	BuffersPerChannel int

	pool  sync.Pool
	mu    sync.Mutex
	gates map[GateID]*localQueue
}

// NewLocalExchange returns an empty exchange.
func NewLocalExchange() *LocalExchange {
	x := &LocalExchange{BuffersPerChannel: 4, gates: map[GateID]*localQueue{}}
	x.pool.New = func() any { b := make([]byte, 0, BufferSize+BufferSize/4); return &b }
	return x
}

// chanKey names one producer channel of a gate.
type chanKey struct{ edge, producer int }

// localQueue holds the producer channels of one consumer subtask; signal
// wakes the consumer after a send.
type localQueue struct {
	chans  map[chanKey]chan Buffer
	signal chan struct{}
}

// channel finds or creates a producer channel of gate id; either side may
// arrive first.
func (x *LocalExchange) channel(id GateID, k chanKey) (*localQueue, chan Buffer) {
	x.mu.Lock()
	defer x.mu.Unlock()
	q, ok := x.gates[id]
	if !ok {
		q = &localQueue{chans: map[chanKey]chan Buffer{}, signal: make(chan struct{}, 1)}
		x.gates[id] = q
	}
	c, ok := q.chans[k]
	if !ok {
		c = make(chan Buffer, max(1, x.BuffersPerChannel))
		q.chans[k] = c
	}
	return q, c
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

// OpenWriter implements Exchange.
func (x *LocalExchange) OpenWriter(_ context.Context, p PartitionID, consumerVertex int, consumers []int) (PartitionWriter, error) {
	if len(consumers) == 0 {
		return nil, fmt.Errorf("open partition %s: no consumers", p)
	}
	w := &localWriter{x: x, p: p, queues: make([]*localQueue, len(consumers)), chans: make([]chan Buffer, len(consumers))}
	for i, c := range consumers {
		w.queues[i], w.chans[i] = x.channel(GateID{Job: p.Job, Attempt: p.Attempt, Vertex: consumerVertex, Subtask: c}, chanKey{p.Edge, p.Producer})
	}
	return w, nil
}

// OpenGate implements Exchange.
func (x *LocalExchange) OpenGate(_ context.Context, id GateID, inputs []GateInput) (InputGate, error) {
	g := &localGate{x: x, index: map[chanKey]int{}}
	for _, in := range inputs {
		for _, p := range in.Producers {
			k := chanKey{in.Edge, p}
			q, c := x.channel(id, k)
			g.q = q
			g.index[k] = len(g.chans)
			g.chans = append(g.chans, c)
			g.keys = append(g.keys, k)
		}
	}
	if len(g.chans) == 0 {
		return nil, fmt.Errorf("open gate %s: no input channels", id)
	}
	g.blocked = make([]bool, len(g.chans))
	return g, nil
}

type localWriter struct {
	x      *LocalExchange
	p      PartitionID
	queues []*localQueue
	chans  []chan Buffer
}

func (w *localWriter) NumChannels() int { return len(w.queues) }

func (w *localWriter) NewBuffer() []byte { return (*w.x.pool.Get().(*[]byte))[:0] }

func (w *localWriter) send(ctx context.Context, ch int, b Buffer) error {
	if ch < 0 || ch >= len(w.queues) {
		return fmt.Errorf("partition %s: channel %d out of range", w.p, ch)
	}
	b.Edge, b.Producer = w.p.Edge, w.p.Producer
	select {
	case w.chans[ch] <- b:
		select {
		case w.queues[ch].signal <- struct{}{}:
		default:
		}
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

// localGate reads its producer channels buffer by buffer, round robin
// over those not blocked, and each buffer record by record.
type localGate struct {
	x       *LocalExchange
	q       *localQueue
	chans   []chan Buffer
	keys    []chanKey
	index   map[chanKey]int
	blocked []bool
	next    int // round-robin start
	cur     Buffer
	rest    []byte
	held    []byte // the buffer rest points into, recycled when used up
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

// receive takes a buffer from the next channel, not blocked, that has one.
func (g *localGate) receive() (Buffer, bool) {
	n := len(g.chans)
	for j := 0; j < n; j++ {
		i := (g.next + j) % n
		if g.blocked[i] {
			continue
		}
		select {
		case b := <-g.chans[i]:
			g.next = (i + 1) % n
			return b, true
		default:
		}
	}
	return Buffer{}, false
}

func (g *localGate) Poll() (Element, bool, error) {
	for {
		if len(g.rest) > 0 {
			return g.fromRest()
		}
		g.recycle()
		b, ok := g.receive()
		if !ok {
			return Element{}, false, nil
		}
		el, ok, err := g.take(b)
		if ok || err != nil {
			return el, ok, err
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
		case <-g.q.signal:
		case <-ctx.Done():
			return Element{}, context.Cause(ctx)
		}
	}
}

// Ready implements InputGate.
func (g *localGate) Ready() <-chan struct{} { return g.q.signal }

// Block implements InputGate. A barrier travels in a buffer of its own, so
// no part of the channel's records is held in the gate when it blocks.
func (g *localGate) Block(edge, producer int) {
	if i, ok := g.index[chanKey{edge, producer}]; ok {
		g.blocked[i] = true
	}
}

// Unblock implements InputGate.
func (g *localGate) Unblock(edge, producer int) {
	if i, ok := g.index[chanKey{edge, producer}]; ok {
		g.blocked[i] = false
		// A send may have found the signal already taken while blocked.
		select {
		case g.q.signal <- struct{}{}:
		default:
		}
	}
}

func (g *localGate) Close() error { g.recycle(); return nil }
