package netio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// DefaultMaxRecordSize bounds a record's length as read from the wire.
const DefaultMaxRecordSize = 64 << 20

// Element is one record or event read from an input gate.
type Element struct {
	// Channel is the index of the input channel in the gate.
	Channel int
	// Record is the encoded record, nil for an event. It stays valid only
	// until the next call to Next or Poll: copy (decode) it before then.
	Record []byte
	// Event is the in-band event; its Kind is 0 for a record.
	Event Event
}

// IsEvent reports whether the element is an event.
func (e Element) IsEvent() bool { return e.Event.Kind != 0 }

// GateOptions configures an InputGate.
type GateOptions struct {
	// MaxRecordSize rejects longer records (a corrupt length must not
	// allocate gigabytes). 0 means DefaultMaxRecordSize.
	MaxRecordSize int
}

// InputGate merges the input channels of one consumer subtask, one per
// upstream producer subtask. Within a channel, records and events come in
// the order they were emitted; across channels the gate takes whichever
// has data, a buffer at a time. Next and Poll must be called from one
// goroutine.
type InputGate struct {
	chans []*InputChannel

	mu       sync.Mutex
	readyQ   []int
	inReady  []bool
	paused   []bool
	signal   chan struct{}
	closed   bool
	cur      int
	finished int
}

// NewInputGate takes ownership of channels; element Channel fields are
// indexes into this slice. Close the gate to close them.
func NewInputGate(channels []*InputChannel, opts GateOptions) (*InputGate, error) {
	if len(channels) == 0 {
		return nil, errors.New("netio: input gate without channels")
	}
	if opts.MaxRecordSize <= 0 {
		opts.MaxRecordSize = DefaultMaxRecordSize
	}
	g := &InputGate{
		chans:   channels,
		inReady: make([]bool, len(channels)),
		paused:  make([]bool, len(channels)),
		signal:  make(chan struct{}, 1),
		cur:     -1,
	}
	for i, ch := range channels {
		ch.mu.Lock()
		if ch.gate != nil {
			ch.mu.Unlock()
			return nil, fmt.Errorf("netio: channel %s is already in a gate", ch.desc)
		}
		ch.gate, ch.index = g, i
		ch.d.max = opts.MaxRecordSize
		ch.mu.Unlock()
		g.ready(i) // it may have received data before joining
	}
	return g, nil
}

// NumChannels returns the number of input channels.
func (g *InputGate) NumChannels() int { return len(g.chans) }

// ready queues channel i for reading.
func (g *InputGate) ready(i int) {
	g.mu.Lock()
	if !g.inReady[i] {
		g.inReady[i] = true
		g.readyQ = append(g.readyQ, i)
	}
	g.mu.Unlock()
	signal(g.signal)
}

// Ready receives a value when an element may have arrived since Poll last
// found none, so a reader can wait for input and other events in one
// select (Next waits on it too).
func (g *InputGate) Ready() <-chan struct{} { return g.signal }

// Pause stops reading channel i until Resume: Next and Poll return only
// elements of other channels. Its producer is held back by flow control
// once the channel's credit is used up. This is how an operator aligns
// checkpoint barriers: it pauses each channel that delivered the barrier
// until all have. Pause and Resume are called from the reading goroutine.
func (g *InputGate) Pause(i int) {
	g.mu.Lock()
	g.paused[i] = true
	g.mu.Unlock()
	if g.cur == i {
		g.cur = -1
	}
}

// Resume lets channel i be read again.
func (g *InputGate) Resume(i int) {
	g.mu.Lock()
	g.paused[i] = false
	g.mu.Unlock()
	g.ready(i)
}

// Next returns the next record or event, waiting until one arrives or ctx
// ends. After every channel delivered its EndOfPartition event (each is
// returned, with its channel index) Next returns io.EOF. A failed channel
// (producer failure, lost connection) makes Next return its error.
func (g *InputGate) Next(ctx context.Context) (Element, error) {
	for {
		el, ok, err := g.Poll()
		if ok || err != nil {
			return el, err
		}
		select {
		case <-g.signal:
		case <-ctx.Done():
			return Element{}, fmt.Errorf("netio: input gate: %w", context.Cause(ctx))
		}
	}
}

// Poll is Next without waiting: ok is false when no element is ready.
func (g *InputGate) Poll() (el Element, ok bool, err error) {
	for {
		if g.cur < 0 {
			g.mu.Lock()
			if g.closed {
				g.mu.Unlock()
				return Element{}, false, ErrClosed
			}
			if len(g.readyQ) == 0 {
				done := g.finished == len(g.chans)
				g.mu.Unlock()
				if done {
					return Element{}, false, io.EOF
				}
				return Element{}, false, nil
			}
			i := g.readyQ[0]
			g.readyQ = g.readyQ[1:]
			g.inReady[i] = false
			paused := g.paused[i]
			g.mu.Unlock()
			if paused {
				continue // Resume queues it again
			}
			g.cur = i
		}
		i := g.cur
		ch := g.chans[i]
		if ch.eop {
			g.cur = -1
			continue
		}
		el, avail, yield, err := ch.next()
		if err != nil {
			return Element{}, false, err
		}
		if avail {
			el.Channel = i
			if el.Event.Kind == EndOfPartition {
				g.finished++
				g.cur = -1
			}
			return el, true, nil
		}
		g.cur = -1
		if yield {
			// Let the other channels have a turn; come back if more waits.
			ch.mu.Lock()
			more := len(ch.queue) > 0 || ch.err != nil
			ch.mu.Unlock()
			if more {
				g.ready(i)
			}
		}
	}
}

// Close closes every channel: remote producers are told to stop sending,
// buffers go back to their pools. Next and Poll then return ErrClosed.
func (g *InputGate) Close() error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.closed = true
	g.mu.Unlock()
	for _, ch := range g.chans {
		ch.close()
	}
	return nil
}
