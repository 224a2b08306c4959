package netio

import (
	"context"
	"fmt"
	"sync"
)

// item is one element of a subpartition's queue: a finished buffer or an
// event. Both cost the consumer one credit.
type item struct {
	buf *Buffer
	ev  Event
}

// sink is where a subpartition's sender delivers: a TCP connection or a
// local input channel. Delivery happens only while the consumer holds
// credit, so a sink never has to queue.
type sink interface {
	// sendBuffer delivers b and takes ownership of it, even on error.
	sendBuffer(b *Buffer) error
	sendEvent(e Event) error
	// sendError tells the consumer the subpartition failed.
	sendError(err error)
}

// subpartition holds the data for one consumer subtask. The producer's
// goroutine writes records into cur; full buffers, flushed buffers and
// events wait in queue until the consumer's sender has credit for them.
type subpartition struct {
	p     *ResultPartition
	index int
	wake  chan struct{} // the sender: queue or credit grew, or failure
	space chan struct{} // the writer: the queue shrank

	mu       sync.Mutex
	cur      *Buffer
	queue    []item
	credit   int
	attached bool
	finished bool  // EndOfPartition queued
	drained  bool  // EndOfPartition delivered
	err      error // failed, released, or the consumer went away
}

func newSubpartition(p *ResultPartition, i int) *subpartition {
	return &subpartition{p: p, index: i, wake: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// write copies the record header and body into buffers, shipping each one
// that fills up.
func (sp *subpartition) write(ctx context.Context, hdr, rec []byte) error {
	sp.mu.Lock()
	for len(hdr)+len(rec) > 0 {
		if err := sp.writableLocked(); err != nil {
			sp.mu.Unlock()
			return err
		}
		if sp.cur == nil {
			sp.mu.Unlock()
			b, err := sp.newBuffer(ctx)
			if err != nil {
				return err
			}
			sp.mu.Lock()
			if sp.err != nil {
				b.Recycle()
				continue
			}
			sp.cur = b
		}
		c := sp.cur
		n := copy(c.data[len(c.data):cap(c.data)], hdr)
		c.data, hdr = c.data[:len(c.data)+n], hdr[n:]
		n = copy(c.data[len(c.data):cap(c.data)], rec)
		c.data, rec = c.data[:len(c.data)+n], rec[n:]
		if c.Free() == 0 {
			sp.cur = nil
			sp.enqueueLocked(item{buf: c})
		}
	}
	sp.mu.Unlock()
	return nil
}

func (sp *subpartition) writableLocked() error {
	if sp.err != nil {
		return sp.err
	}
	if sp.finished {
		return fmt.Errorf("netio: partition %s subpartition %d: write after finish", sp.p.id, sp.index)
	}
	return nil
}

// waitSpace blocks until the queue has room.
func (sp *subpartition) waitSpace(ctx context.Context) error {
	for {
		sp.mu.Lock()
		err, full := sp.err, len(sp.queue) >= sp.p.maxQueue
		sp.mu.Unlock()
		if err != nil {
			return err
		}
		if !full {
			return nil
		}
		select {
		case <-sp.space:
		case <-sp.p.abort:
		case <-ctx.Done():
			return fmt.Errorf("netio: partition %s subpartition %d: wait for credit: %w", sp.p.id, sp.index, context.Cause(ctx))
		}
	}
}

func (sp *subpartition) newBuffer(ctx context.Context) (*Buffer, error) {
	if err := sp.waitSpace(ctx); err != nil {
		return nil, err
	}
	if b, ok := sp.p.pool.TryGet(); ok {
		return b, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-sp.p.abort:
			cancel()
		case <-ctx.Done():
		}
	}()
	b, err := sp.p.pool.Get(ctx)
	if err != nil {
		sp.mu.Lock()
		defer sp.mu.Unlock()
		if sp.err != nil {
			return nil, sp.err
		}
		return nil, fmt.Errorf("netio: partition %s subpartition %d: %w", sp.p.id, sp.index, err)
	}
	return b, nil
}

func (sp *subpartition) enqueueLocked(it item) {
	sp.queue = append(sp.queue, it)
	signal(sp.wake)
}

// flush ships the partly filled buffer. The timer (force false) leaves it
// alone while older data still waits for credit: it would not arrive any
// sooner, and would cost a whole buffer.
func (sp *subpartition) flush(force bool) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.cur == nil || sp.cur.Len() == 0 || (!force && len(sp.queue) > 0) {
		return
	}
	c := sp.cur
	sp.cur = nil
	sp.enqueueLocked(item{buf: c})
}

// event ships the partly filled buffer, then queues e.
func (sp *subpartition) event(ctx context.Context, e Event) error {
	if err := sp.waitSpace(ctx); err != nil {
		return err
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if err := sp.writableLocked(); err != nil {
		return err
	}
	if c := sp.cur; c != nil {
		sp.cur = nil
		if c.Len() > 0 {
			sp.enqueueLocked(item{buf: c})
		} else {
			c.Recycle()
		}
	}
	sp.enqueueLocked(item{ev: e})
	if e.Kind == EndOfPartition {
		sp.finished = true
	}
	return nil
}

// abort fails the subpartition unless its consumer already has everything.
func (sp *subpartition) abort(err error) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.abortLocked(err)
}

func (sp *subpartition) abortLocked(err error) {
	if sp.drained || sp.err != nil {
		return
	}
	sp.err = err
	if sp.cur != nil {
		sp.cur.Recycle()
		sp.cur = nil
	}
	for i, it := range sp.queue {
		if it.buf != nil {
			it.buf.Recycle()
		}
		sp.queue[i] = item{}
	}
	sp.queue = sp.queue[:0]
	signal(sp.wake)
	signal(sp.space)
}

// attach makes the caller the subpartition's one consumer, with an initial
// credit.
func (sp *subpartition) attach(credit int) error {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.err != nil {
		return sp.err
	}
	if sp.attached {
		return fmt.Errorf("%w: partition %s subpartition %d already has a consumer", ErrProtocol, sp.p.id, sp.index)
	}
	sp.attached = true
	sp.credit = credit
	signal(sp.wake)
	return nil
}

func (sp *subpartition) addCredit(n int) {
	sp.mu.Lock()
	sp.credit += n
	sp.mu.Unlock()
	signal(sp.wake)
}

// serve delivers the queue to s as credit allows, until end of partition,
// failure, or ctx ends (the consumer went away). It runs on its own
// goroutine, one per attached consumer.
func (sp *subpartition) serve(ctx context.Context, s sink) {
	for {
		sp.mu.Lock()
		for sp.err == nil && (len(sp.queue) == 0 || sp.credit == 0) {
			sp.mu.Unlock()
			select {
			case <-sp.wake:
			case <-ctx.Done():
				sp.abort(fmt.Errorf("%w: consumer of partition %s subpartition %d went away: %w",
					ErrPartitionReleased, sp.p.id, sp.index, context.Cause(ctx)))
			}
			sp.mu.Lock()
		}
		if err := sp.err; err != nil {
			sp.mu.Unlock()
			if ctx.Err() == nil {
				s.sendError(err)
			}
			return
		}
		it := sp.queue[0]
		sp.queue[0] = item{}
		sp.queue = sp.queue[1:]
		sp.credit--
		sp.mu.Unlock()
		signal(sp.space)

		var err error
		if it.buf != nil {
			err = s.sendBuffer(it.buf)
		} else {
			err = s.sendEvent(it.ev)
		}
		if err != nil {
			sp.abort(fmt.Errorf("%w: partition %s subpartition %d: send: %w", ErrPartitionReleased, sp.p.id, sp.index, err))
			return
		}
		if it.buf == nil && it.ev.Kind == EndOfPartition {
			sp.mu.Lock()
			sp.drained = true
			sp.mu.Unlock()
			sp.p.subDrained()
			return
		}
	}
}
