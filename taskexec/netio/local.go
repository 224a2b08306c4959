package netio

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// LocalOptions configures a local input channel.
type LocalOptions struct {
	// Credits is how many buffers the producer may hand over before the
	// consumer has read one; 0 means DefaultCredits.
	Credits int
	// RequestTimeout bounds the wait for the producer to register the
	// partition; 0 means DefaultRequestTimeout.
	RequestTimeout time.Duration
}

// DialLocal opens an input channel on subpartition sub of partition id,
// produced in this TaskManager and registered (now or later) in reg. No
// socket is involved: the producer's buffers are handed to the consumer,
// under the same credit rules as over TCP. It does not wait for the
// partition; a partition that does not show up within the request timeout
// fails the channel with ErrPartitionNotFound.
func DialLocal(reg *Registry, id PartitionID, sub int, opts LocalOptions) (*InputChannel, error) {
	if reg == nil {
		return nil, fmt.Errorf("netio: local channel to %s: no registry", id)
	}
	if sub < 0 {
		return nil, fmt.Errorf("netio: local channel to %s: subpartition %d", id, sub)
	}
	if opts.Credits <= 0 {
		opts.Credits = DefaultCredits
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	ch := newInputChannel(fmt.Sprintf("%s[%d] (local)", id, sub))
	ctx, cancel := context.WithCancel(context.Background())
	lb := &localBackend{cancel: cancel, done: make(chan struct{})}
	ch.backend = lb
	go lb.run(ctx, reg, id, sub, opts, ch)
	return ch, nil
}

type localBackend struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu sync.Mutex
	sp *subpartition
}

func (lb *localBackend) run(ctx context.Context, reg *Registry, id PartitionID, sub int, opts LocalOptions, ch *InputChannel) {
	defer close(lb.done)
	p, err := reg.await(ctx, id, opts.RequestTimeout)
	if err != nil {
		ch.fail(err)
		return
	}
	sp, err := p.sub(sub)
	if err == nil {
		lb.mu.Lock()
		lb.sp = sp
		lb.mu.Unlock()
		err = sp.attach(opts.Credits)
	}
	if err != nil {
		ch.fail(err)
		return
	}
	sp.serve(ctx, localSink{ch})
}

func (lb *localBackend) release(b *Buffer) {
	if b != nil {
		b.Recycle()
	}
	lb.mu.Lock()
	sp := lb.sp
	lb.mu.Unlock()
	if sp != nil {
		sp.addCredit(1)
	}
}

func (lb *localBackend) close() {
	lb.cancel()
	<-lb.done
}

// localSink hands buffers to the consumer's channel directly.
type localSink struct{ ch *InputChannel }

func (s localSink) sendBuffer(b *Buffer) error {
	if !s.ch.push(rxItem{buf: b}) {
		b.Recycle()
		return ErrClosed
	}
	return nil
}

func (s localSink) sendEvent(e Event) error {
	if !s.ch.push(rxItem{ev: e}) {
		return ErrClosed
	}
	return nil
}

func (s localSink) sendError(err error) { s.ch.fail(err) }
