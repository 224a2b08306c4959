package netio

import (
	"encoding/binary"
	"fmt"
	"sync"
)

// DefaultCredits is the number of buffers a consumer grants each input
// channel unless told otherwise (Flink's exclusive buffers per channel,
// plus a few floating ones).
const DefaultCredits = 4

// rxItem is one received element of a channel.
type rxItem struct {
	buf *Buffer
	ev  Event
}

// channelBackend is what differs between a remote and a local channel:
// how a consumed element gives its credit back, and how closing works.
type channelBackend interface {
	// release gives b back (to the channel's receive buffers or the
	// producer's pool) with one credit; b is nil for a consumed event.
	release(b *Buffer)
	// close tells the producer side the consumer went away and waits for
	// the backend's goroutines.
	close()
}

// InputChannel is the consumer's end of one subpartition: remote (Client.
// Dial) or local (DialLocal). Read it through an InputGate.
type InputChannel struct {
	desc    string
	backend channelBackend

	mu     sync.Mutex
	queue  []rxItem
	err    error
	closed bool
	gate   *InputGate
	index  int

	// Owned by the gate's reading goroutine.
	d   deserializer
	eop bool
}

func newInputChannel(desc string) *InputChannel {
	return &InputChannel{desc: desc}
}

// String describes the channel (partition, subpartition, transport).
func (ch *InputChannel) String() string { return ch.desc }

// push appends a received element; false when the channel is closed (the
// caller then disposes of the element).
func (ch *InputChannel) push(it rxItem) bool {
	ch.mu.Lock()
	if ch.closed {
		ch.mu.Unlock()
		return false
	}
	ch.queue = append(ch.queue, it)
	g, idx := ch.gate, ch.index
	ch.mu.Unlock()
	if g != nil {
		g.ready(idx)
	}
	return true
}

// fail records a terminal error; one after end of partition is ignored.
func (ch *InputChannel) fail(err error) {
	ch.mu.Lock()
	if ch.closed || ch.err != nil {
		ch.mu.Unlock()
		return
	}
	ch.err = err
	g, idx := ch.gate, ch.index
	ch.mu.Unlock()
	if g != nil {
		g.ready(idx)
	}
}

// pop returns the next received element.
func (ch *InputChannel) pop() (rxItem, bool, error) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if len(ch.queue) > 0 {
		it := ch.queue[0]
		ch.queue[0] = rxItem{}
		ch.queue = ch.queue[1:]
		return it, true, nil
	}
	return rxItem{}, false, ch.err
}

// next returns the channel's next record or event. avail is false when
// nothing is ready; yield is true when a buffer was used up, so that the
// gate can move on to another channel.
func (ch *InputChannel) next() (el Element, avail, yield bool, err error) {
	for {
		if ch.d.buf != nil {
			rec, ok, err := ch.d.record()
			if err != nil {
				return Element{}, false, false, fmt.Errorf("netio: channel %s: %w", ch.desc, err)
			}
			if ok {
				return Element{Record: rec}, true, false, nil
			}
			ch.backend.release(ch.d.buf)
			ch.d.buf = nil
			yield = true
		}
		it, ok, err := ch.pop()
		if err != nil && !ch.eop {
			return Element{}, false, false, fmt.Errorf("netio: channel %s: %w", ch.desc, err)
		}
		if !ok {
			return Element{}, false, yield, nil
		}
		if it.buf == nil {
			if ch.d.partial() {
				return Element{}, false, false, fmt.Errorf("netio: channel %s: %w: %s inside a record", ch.desc, ErrProtocol, it.ev.Kind)
			}
			ch.backend.release(nil)
			if it.ev.Kind == EndOfPartition {
				ch.eop = true
			}
			return Element{Event: it.ev}, true, false, nil
		}
		ch.d.buf, ch.d.pos = it.buf, 0
	}
}

// close drops everything queued and detaches from the producer.
func (ch *InputChannel) close() {
	ch.mu.Lock()
	if ch.closed {
		ch.mu.Unlock()
		return
	}
	ch.closed = true
	q := ch.queue
	ch.queue = nil
	ch.mu.Unlock()
	if ch.d.buf != nil {
		q = append(q, rxItem{buf: ch.d.buf})
		ch.d.buf = nil
	}
	ch.backend.close()
	for _, it := range q {
		if it.buf != nil {
			it.buf.Recycle()
		}
	}
}

// deserializer cuts records out of a channel's buffers. A record is a
// uvarint length and the bytes; both may span buffers. A record inside one
// buffer is returned in place; a spanning one is assembled in span.
type deserializer struct {
	buf *Buffer
	pos int
	max int

	lb   [binary.MaxVarintLen64]byte // length bytes seen so far
	lbn  int
	body bool // reading a spanning record's body into span
	want int
	span []byte
	err  error // sticky: the stream is broken
}

func (d *deserializer) partial() bool { return d.lbn > 0 || d.body }

// record returns the next complete record; ok is false when the current
// buffer is used up (the caller releases it and supplies the next).
func (d *deserializer) record() (rec []byte, ok bool, err error) {
	if d.err != nil {
		return nil, false, d.err
	}
	rec, ok, d.err = d.cut()
	return rec, ok, d.err
}

func (d *deserializer) cut() (rec []byte, ok bool, err error) {
	if cap(d.span) > 4*DefaultBufferSize && !d.body {
		d.span = nil // do not pin the memory of one huge record
	}
	for {
		data := d.buf.data[d.pos:]
		if len(data) == 0 {
			return nil, false, nil
		}
		switch {
		case d.body:
			n := min(d.want-len(d.span), len(data))
			d.span = append(d.span, data[:n]...)
			d.pos += n
			if len(d.span) == d.want {
				d.body = false
				return d.span, true, nil
			}
		case d.lbn == 0:
			if l, k := binary.Uvarint(data); k > 0 && l <= uint64(len(data)-k) {
				if l > uint64(d.max) {
					return nil, false, fmt.Errorf("%w: %d bytes, at most %d", ErrRecordTooLarge, l, d.max)
				}
				d.pos += k + int(l)
				return data[k : k+int(l) : k+int(l)], true, nil
			}
			fallthrough
		default:
			// Collect the length byte by byte; it may span buffers.
			c := data[0]
			d.pos++
			d.lb[d.lbn] = c
			d.lbn++
			if c >= 0x80 {
				if d.lbn == len(d.lb) {
					return nil, false, fmt.Errorf("%w: bad record length", ErrProtocol)
				}
				continue
			}
			l, k := binary.Uvarint(d.lb[:d.lbn])
			d.lbn = 0
			if k <= 0 {
				return nil, false, fmt.Errorf("%w: bad record length", ErrProtocol)
			}
			if l > uint64(d.max) {
				return nil, false, fmt.Errorf("%w: %d bytes, at most %d", ErrRecordTooLarge, l, d.max)
			}
			d.want = int(l)
			if cap(d.span) < d.want {
				d.span = make([]byte, 0, d.want)
			}
			d.span = d.span[:0]
			if d.want == 0 {
				return d.span, true, nil
			}
			d.body = true
		}
	}
}
