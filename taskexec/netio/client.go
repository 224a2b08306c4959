package netio

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// DefaultDialTimeout bounds connecting and authenticating to a data server.
const DefaultDialTimeout = 10 * time.Second

// ClientOptions configures a Client.
type ClientOptions struct {
	// Secret is the per-application secret, proven to every server.
	Secret []byte
	// Pool provides the receive buffers: Credits of them per channel, taken
	// at Dial and returned when the channel closes.
	Pool *BufferPool
	// Credits is the number of receive buffers (and so the credit) of each
	// channel; 0 means DefaultCredits.
	Credits int
	// DialTimeout bounds connecting plus authenticating; 0 means
	// DefaultDialTimeout.
	DialTimeout time.Duration
	Logger      zerolog.Logger
}

// Client is a TaskManager's consumer side of the data plane. It keeps one
// TCP connection per producer server and multiplexes every channel to that
// server over it; credit-based flow control keeps one slow channel from
// blocking the others.
type Client struct {
	opts ClientOptions
	log  zerolog.Logger
	wg   sync.WaitGroup

	mu     sync.Mutex
	closed bool
	conns  map[string]*clientConn
}

// NewClient validates opts and returns a client with no connections yet.
func NewClient(opts ClientOptions) (*Client, error) {
	if len(opts.Secret) == 0 {
		return nil, errors.New("netio: client: no secret")
	}
	if opts.Pool == nil {
		return nil, errors.New("netio: client: no buffer pool")
	}
	if opts.Credits <= 0 {
		opts.Credits = DefaultCredits
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	return &Client{
		opts:  opts,
		log:   opts.Logger.With().Str("component", "netio-client").Logger(),
		conns: map[string]*clientConn{},
	}, nil
}

// Close drops every connection (open channels fail with
// ErrConnectionLost) and waits for the client's goroutines.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	conns := c.conns
	c.conns = map[string]*clientConn{}
	c.mu.Unlock()
	for _, cc := range conns {
		<-cc.ready
		if cc.conn != nil {
			_ = cc.conn.Close() // teardown; readLoop reports the end of the connection
		}
	}
	c.wg.Wait()
	return nil
}

// Dial opens an input channel on subpartition sub of partition id, served
// by the data server at addr, reusing the connection to addr if there is
// one. It waits for the connection and the channel's receive buffers, not
// for the partition: the producer may register it later (within the
// server's request timeout), and failures arrive through the gate.
func (c *Client) Dial(ctx context.Context, addr string, id PartitionID, sub int) (*InputChannel, error) {
	if sub < 0 {
		return nil, fmt.Errorf("netio: dial %s: subpartition %d", id, sub)
	}
	cc, err := c.conn(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("netio: dial %s[%d] at %s: %w", id, sub, addr, err)
	}
	rb := &remoteBackend{cc: cc}
	for len(rb.free) < c.opts.Credits {
		b, err := c.opts.Pool.Get(ctx)
		if err != nil {
			for _, b := range rb.free {
				b.Recycle()
			}
			return nil, fmt.Errorf("netio: dial %s[%d] at %s: %w", id, sub, addr, err)
		}
		rb.free = append(rb.free, b)
	}
	ch := newInputChannel(fmt.Sprintf("%s[%d] from %s", id, sub, addr))
	ch.backend, rb.ch = rb, ch
	cc.mu.Lock()
	if cc.broken != nil {
		err := cc.broken
		cc.mu.Unlock()
		rb.recycleAll()
		return nil, fmt.Errorf("netio: dial %s[%d] at %s: %w", id, sub, addr, err)
	}
	cc.nextID++
	rb.id = cc.nextID
	cc.chans[rb.id] = rb
	cc.mu.Unlock()
	req := appendRequest(nil, request{credit: c.opts.Credits, subpartition: sub, partition: id})
	if err := cc.writeFrame(frameRequest, rb.id, req); err != nil {
		cc.remove(rb.id)
		rb.recycleAll()
		return nil, fmt.Errorf("netio: dial %s[%d] at %s: %w: %w", id, sub, addr, ErrConnectionLost, err)
	}
	return ch, nil
}

// conn returns the live connection to addr, dialling it if needed.
func (c *Client) conn(ctx context.Context, addr string) (*clientConn, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	cc := c.conns[addr]
	if cc == nil {
		cc = &clientConn{c: c, addr: addr, ready: make(chan struct{}), chans: map[uint32]*remoteBackend{},
			log: c.log.With().Str("peer", addr).Logger()}
		c.conns[addr] = cc
		c.wg.Add(1)
		go cc.dial()
	}
	c.mu.Unlock()
	select {
	case <-cc.ready:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	if cc.dialErr != nil {
		return nil, cc.dialErr
	}
	return cc, nil
}

// clientConn is one connection to a producer's data server.
type clientConn struct {
	c     *Client
	addr  string
	log   zerolog.Logger
	ready chan struct{} // closed when dialled or failed
	// Set before ready is closed.
	dialErr error
	conn    net.Conn

	wmu sync.Mutex
	hdr [headerLen]byte

	mu     sync.Mutex
	chans  map[uint32]*remoteBackend
	nextID uint32
	broken error
}

func (cc *clientConn) dial() {
	defer cc.c.wg.Done()
	d := net.Dialer{Timeout: cc.c.opts.DialTimeout}
	conn, err := d.Dial("tcp", cc.addr)
	var br *bufio.Reader
	if err == nil {
		br = bufio.NewReaderSize(conn, 16<<10)
		if err = cc.handshake(conn, br); err != nil {
			_ = conn.Close() // the handshake error is the cause
		}
	}
	cc.c.mu.Lock()
	if err == nil && cc.c.closed {
		_ = conn.Close() // never used; ErrClosed is the answer
		err = ErrClosed
	}
	if err != nil {
		cc.dialErr = err
		if cc.c.conns[cc.addr] == cc {
			delete(cc.c.conns, cc.addr)
		}
	} else {
		cc.conn = conn
		cc.c.wg.Add(1)
		go cc.readLoop(br)
	}
	cc.c.mu.Unlock()
	close(cc.ready)
}

func (cc *clientConn) handshake(conn net.Conn, br *bufio.Reader) error {
	if err := conn.SetDeadline(time.Now().Add(cc.c.opts.DialTimeout)); err != nil {
		return fmt.Errorf("handshake deadline: %w", err)
	}
	// A failed reset shows as the connection's next read error.
	defer func() { _ = conn.SetDeadline(time.Time{}) }()
	var hb [headerLen]byte
	h, err := readHeader(br, &hb)
	if err != nil {
		return fmt.Errorf("read hello: %w", err)
	}
	if h.typ != frameHello || h.length != nonceLen {
		return fmt.Errorf("%w: expected hello, got %s of %d bytes", ErrProtocol, h.typ, h.length)
	}
	sn, err := readPayload(br, h)
	if err != nil {
		return fmt.Errorf("read hello: %w", err)
	}
	cn := make([]byte, nonceLen)
	rand.Read(cn)
	auth := append(append([]byte(nil), cn...), handshakeMAC(cc.c.opts.Secret, "client", sn, cn)...)
	if _, err := conn.Write(appendFrame(nil, frameAuth, 0, auth)); err != nil {
		return fmt.Errorf("send auth: %w", err)
	}
	if h, err = readHeader(br, &hb); err != nil {
		return fmt.Errorf("%w: read auth answer: %w", ErrAuthFailed, err)
	}
	p, err := readPayload(br, h)
	if err != nil {
		return fmt.Errorf("%w: read auth answer: %w", ErrAuthFailed, err)
	}
	switch {
	case h.typ == frameError:
		return parseError(cc.addr, p)
	case h.typ != frameAuthOK:
		return fmt.Errorf("%w: expected auth-ok, got %s", ErrProtocol, h.typ)
	case !hmac.Equal(p, handshakeMAC(cc.c.opts.Secret, "server", sn, cn)):
		return fmt.Errorf("%w: server does not hold the application secret", ErrAuthFailed)
	}
	return nil
}

func (cc *clientConn) writeFrame(typ frameType, id uint32, payload []byte) error {
	cc.wmu.Lock()
	defer cc.wmu.Unlock()
	putHeader(cc.hdr[:], frameHeader{typ: typ, channel: id, length: uint32(len(payload))})
	bufs := net.Buffers{cc.hdr[:], payload}
	_, err := bufs.WriteTo(cc.conn)
	return err
}

func (cc *clientConn) lookup(id uint32) *remoteBackend {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.chans[id]
}

func (cc *clientConn) remove(id uint32) {
	cc.mu.Lock()
	delete(cc.chans, id)
	cc.mu.Unlock()
}

func (cc *clientConn) readLoop(br *bufio.Reader) {
	defer cc.c.wg.Done()
	err := cc.read(br)
	_ = cc.conn.Close() // the read error is the cause reported below
	cc.mu.Lock()
	cc.broken = fmt.Errorf("%w: %s: %w", ErrConnectionLost, cc.addr, err)
	chans := cc.chans
	cc.chans = map[uint32]*remoteBackend{}
	cc.mu.Unlock()
	cc.c.mu.Lock()
	if cc.c.conns[cc.addr] == cc {
		delete(cc.c.conns, cc.addr)
	}
	cc.c.mu.Unlock()
	if len(chans) > 0 {
		cc.log.Warn().Err(err).Int("channels", len(chans)).Msg("data connection lost")
	}
	for _, rb := range chans {
		rb.ch.fail(cc.broken)
	}
}

func (cc *clientConn) read(br *bufio.Reader) error {
	var hb [headerLen]byte
	bufSize := cc.c.opts.Pool.BufferSize()
	for {
		h, err := readHeader(br, &hb)
		if err != nil {
			return err
		}
		switch h.typ {
		case frameBuffer:
			if int(h.length) > bufSize {
				return fmt.Errorf("%w: buffer frame of %d bytes, buffers hold %d", ErrProtocol, h.length, bufSize)
			}
			rb := cc.lookup(h.channel)
			if rb == nil { // cancelled channel: drop what was in flight
				if _, err := br.Discard(int(h.length)); err != nil {
					return err
				}
				continue
			}
			b := rb.take()
			if b == nil {
				return fmt.Errorf("%w: buffer on channel %d without credit", ErrProtocol, h.channel)
			}
			b.data = b.data[:h.length]
			if _, err := io.ReadFull(br, b.data); err != nil {
				rb.giveBack(b)
				return err
			}
			if !rb.ch.push(rxItem{buf: b}) {
				rb.giveBack(b)
			}
		case frameEvent, frameError:
			p, err := readPayload(br, h)
			if err != nil {
				return err
			}
			if h.typ == frameError && h.channel == 0 {
				return parseError(cc.addr, p)
			}
			rb := cc.lookup(h.channel)
			if rb == nil {
				continue
			}
			if h.typ == frameError {
				cc.remove(h.channel)
				rb.ch.fail(parseError(cc.addr, p))
				continue
			}
			e, err := parseEvent(p)
			if err != nil {
				return err
			}
			rb.ch.push(rxItem{ev: e})
		default:
			return fmt.Errorf("%w: unexpected %s frame from a producer", ErrProtocol, h.typ)
		}
	}
}

// remoteBackend is the consumer's side of one channel over a connection:
// it owns the channel's receive buffers and returns credit as they free up.
type remoteBackend struct {
	cc *clientConn
	id uint32
	ch *InputChannel

	mu     sync.Mutex
	free   []*Buffer
	closed bool
}

// take returns a free receive buffer; the producer only sends with credit,
// so one is free whenever a buffer frame arrives.
func (rb *remoteBackend) take() *Buffer {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	if len(rb.free) == 0 {
		return nil
	}
	b := rb.free[len(rb.free)-1]
	rb.free = rb.free[:len(rb.free)-1]
	return b
}

// giveBack returns a buffer the reader could not deliver.
func (rb *remoteBackend) giveBack(b *Buffer) {
	b.data = b.data[:0]
	rb.mu.Lock()
	defer rb.mu.Unlock()
	if rb.closed {
		b.Recycle()
		return
	}
	rb.free = append(rb.free, b)
}

func (rb *remoteBackend) release(b *Buffer) {
	if b != nil {
		rb.giveBack(b)
	}
	rb.mu.Lock()
	closed := rb.closed
	rb.mu.Unlock()
	if closed {
		return
	}
	var p [1]byte
	if err := rb.cc.writeFrame(frameCredit, rb.id, binary.AppendUvarint(p[:0], 1)); err != nil {
		// The reader notices the broken connection and fails the channel.
		rb.cc.log.Debug().Err(err).Msg("could not send credit")
	}
}

func (rb *remoteBackend) recycleAll() {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	rb.closed = true
	for _, b := range rb.free {
		b.Recycle()
	}
	rb.free = nil
}

func (rb *remoteBackend) close() {
	rb.recycleAll()
	rb.cc.mu.Lock()
	_, live := rb.cc.chans[rb.id]
	delete(rb.cc.chans, rb.id)
	rb.cc.mu.Unlock()
	if live {
		// Best effort: a broken connection has nothing left to cancel.
		_ = rb.cc.writeFrame(frameCancel, rb.id, nil)
	}
}
