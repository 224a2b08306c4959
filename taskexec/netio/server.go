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

// DefaultHandshakeTimeout bounds the authentication exchange: a peer that
// does not prove the secret within it is dropped.
const DefaultHandshakeTimeout = 5 * time.Second

// DefaultMaxHandshakes bounds how many connections may be authenticating at
// once; connections beyond it are closed as soon as they are accepted.
const DefaultMaxHandshakes = 64

// maxAcceptBackoff caps the pause after a failed Accept (net/http's cap).
const maxAcceptBackoff = time.Second

// ServerOptions configures a Server.
type ServerOptions struct {
	// Addr is the TCP address to listen on; "" means 127.0.0.1:0.
	Addr string
	// Secret is the per-application secret every peer must prove.
	Secret []byte
	// Registry holds the partitions this server serves.
	Registry *Registry
	// RequestTimeout bounds the wait for a requested partition to be
	// registered; 0 means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// HandshakeTimeout bounds authentication; 0 means DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// MaxHandshakes bounds the connections authenticating at once; 0 means
	// DefaultMaxHandshakes. Authenticated connections are not counted.
	MaxHandshakes int
	// Listener, when set, is served instead of listening on Addr (tests
	// wrap one to inject Accept errors). Close closes it.
	Listener net.Listener
	Logger   zerolog.Logger
}

// Server is a TaskManager's data server: it accepts connections from other
// TaskManagers' Clients, authenticates them, and streams the subpartitions
// they request, as their credit allows.
type Server struct {
	opts ServerOptions
	ln   net.Listener
	log  zerolog.Logger
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
	// handshakes holds a token per connection still authenticating.
	handshakes chan struct{}

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// NewServer validates opts, listens and serves in the background until
// Close.
func NewServer(ctx context.Context, opts ServerOptions) (*Server, error) {
	if len(opts.Secret) == 0 {
		return nil, errors.New("netio: server: no secret")
	}
	if opts.Registry == nil {
		return nil, errors.New("netio: server: no registry")
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.HandshakeTimeout <= 0 {
		opts.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if opts.MaxHandshakes <= 0 {
		opts.MaxHandshakes = DefaultMaxHandshakes
	}
	ln := opts.Listener
	if ln == nil {
		var lc net.ListenConfig
		var err error
		if ln, err = lc.Listen(ctx, "tcp", opts.Addr); err != nil {
			return nil, fmt.Errorf("netio: server: %w", err)
		}
	}
	s := &Server{
		opts:       opts,
		ln:         ln,
		log:        opts.Logger.With().Str("component", "netio-server").Str("addr", ln.Addr().String()).Logger(),
		conns:      map[net.Conn]struct{}{},
		handshakes: make(chan struct{}, opts.MaxHandshakes),
	}
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops listening, drops every connection (their consumers see
// ErrConnectionLost) and waits for the server's goroutines.
func (s *Server) Close() error {
	s.stop()
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// accept runs until Close. An Accept error never stops it: it backs off
// (5 ms doubling to 1 s, as net/http does) and tries again, so a process
// that briefly runs out of descriptors serves again once they are freed.
// A connection beyond MaxHandshakes unauthenticated ones is closed at once.
func (s *Server) accept() {
	defer s.wg.Done()
	var backoff time.Duration
	dropped := 0
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			if errors.Is(err, net.ErrClosed) {
				s.log.Error().Err(err).Msg("listener closed under the data server; it stops")
				return
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), maxAcceptBackoff)
			s.log.Warn().Err(err).Dur("retry_in", backoff).Msg("accept failed; retrying")
			t := time.NewTimer(backoff)
			select {
			case <-s.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		backoff = 0
		select {
		case s.handshakes <- struct{}{}:
		default:
			_ = c.Close()
			dropped++
			ev := s.log.Debug()
			if dropped%1000 == 1 { // a flood is worth a warning, not 1,000
				ev = s.log.Warn()
			}
			ev.Str("peer", c.RemoteAddr().String()).Int("max_handshakes", s.opts.MaxHandshakes).Int("dropped", dropped).
				Msg("too many unauthenticated connections; dropped one")
			continue
		}
		s.mu.Lock()
		if s.ctx.Err() != nil {
			s.mu.Unlock()
			_ = c.Close()
			<-s.handshakes
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			sc := &serverConn{s: s, conn: c, views: map[uint32]*serverView{},
				log: s.log.With().Str("peer", c.RemoteAddr().String()).Logger()}
			sc.serve()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// serverConn is one authenticated connection from a consumer TaskManager,
// carrying any number of channels.
type serverConn struct {
	s    *Server
	conn net.Conn
	log  zerolog.Logger

	wmu sync.Mutex // frames are written whole
	hdr [headerLen]byte

	mu    sync.Mutex
	views map[uint32]*serverView
	wg    sync.WaitGroup
}

// serverView is the server's side of one channel.
type serverView struct {
	cancel context.CancelFunc

	mu      sync.Mutex
	sp      *subpartition
	pending int // credit granted before the partition was found
}

func (sc *serverConn) serve() {
	ctx, cancel := context.WithCancel(sc.s.ctx)
	defer func() {
		// Views may be blocked writing: close first, then wait for them.
		cancel()
		_ = sc.conn.Close()
		sc.wg.Wait()
	}()
	br := bufio.NewReaderSize(sc.conn, 16<<10)
	err := sc.handshake(br)
	<-sc.s.handshakes
	if err != nil {
		// A peer that hangs up or stalls without a word is a scan or a
		// flood, not a misconfigured TaskManager: keep it out of the log.
		ev := sc.log.Warn()
		var ne net.Error
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || (errors.As(err, &ne) && ne.Timeout()) {
			ev = sc.log.Debug()
		}
		ev.Err(err).Msg("data connection rejected")
		return
	}
	var hb [headerLen]byte
	for {
		h, err := readHeader(br, &hb)
		if err == nil && h.typ == frameBuffer {
			err = fmt.Errorf("%w: buffer frame from a consumer", ErrProtocol)
		}
		var payload []byte
		if err == nil {
			payload, err = readPayload(br, h)
		}
		if err == nil {
			err = sc.handle(ctx, h, payload)
		}
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				sc.log.Warn().Err(err).Msg("data connection failed")
				if errors.Is(err, ErrProtocol) {
					sc.writeError(0, err)
				}
			}
			return
		}
	}
}

func (sc *serverConn) handshake(br *bufio.Reader) error {
	// A failed SetDeadline means a closed conn: the Write below reports it.
	_ = sc.conn.SetDeadline(time.Now().Add(sc.s.opts.HandshakeTimeout))
	defer func() { _ = sc.conn.SetDeadline(time.Time{}) }()
	sn := make([]byte, nonceLen)
	rand.Read(sn)
	if _, err := sc.conn.Write(appendFrame(nil, frameHello, 0, sn)); err != nil {
		return err
	}
	var hb [headerLen]byte
	h, err := readHeader(br, &hb)
	if err != nil {
		return fmt.Errorf("%w: read auth: %w", ErrAuthFailed, err)
	}
	if h.typ != frameAuth || h.length != nonceLen+macLen {
		return fmt.Errorf("%w: expected auth frame, got %s of %d bytes", ErrAuthFailed, h.typ, h.length)
	}
	p, err := readPayload(br, h)
	if err != nil {
		return fmt.Errorf("%w: read auth: %w", ErrAuthFailed, err)
	}
	cn, mac := p[:nonceLen], p[nonceLen:]
	if !hmac.Equal(mac, handshakeMAC(sc.s.opts.Secret, "client", sn, cn)) {
		err := fmt.Errorf("%w: client does not hold the application secret", ErrAuthFailed)
		sc.writeError(0, err)
		return err
	}
	_, err = sc.conn.Write(appendFrame(nil, frameAuthOK, 0, handshakeMAC(sc.s.opts.Secret, "server", sn, cn)))
	return err
}

func (sc *serverConn) handle(ctx context.Context, h frameHeader, payload []byte) error {
	switch h.typ {
	case frameRequest:
		req, err := parseRequest(payload)
		if err != nil {
			return err
		}
		vctx, vcancel := context.WithCancel(ctx)
		v := &serverView{cancel: vcancel, pending: req.credit}
		sc.mu.Lock()
		if _, dup := sc.views[h.channel]; dup || h.channel == 0 {
			sc.mu.Unlock()
			vcancel()
			return fmt.Errorf("%w: request for channel %d, which is in use", ErrProtocol, h.channel)
		}
		sc.views[h.channel] = v
		sc.mu.Unlock()
		sc.wg.Add(1)
		go sc.runView(vctx, h.channel, v, req)
	case frameCredit:
		n, k := binary.Uvarint(payload)
		if k <= 0 || k != len(payload) || n == 0 || n > 1<<20 {
			return fmt.Errorf("%w: bad credit frame", ErrProtocol)
		}
		sc.mu.Lock()
		v := sc.views[h.channel]
		sc.mu.Unlock()
		if v != nil {
			v.mu.Lock()
			if v.sp != nil {
				v.sp.addCredit(int(n))
			} else {
				v.pending += int(n)
			}
			v.mu.Unlock()
		}
	case frameCancel:
		sc.mu.Lock()
		v := sc.views[h.channel]
		sc.mu.Unlock()
		if v != nil {
			v.cancel()
		}
	default:
		return fmt.Errorf("%w: unexpected %s frame from a consumer", ErrProtocol, h.typ)
	}
	return nil
}

func (sc *serverConn) runView(ctx context.Context, id uint32, v *serverView, req request) {
	defer func() {
		v.cancel()
		sc.mu.Lock()
		delete(sc.views, id)
		sc.mu.Unlock()
		sc.wg.Done()
	}()
	p, err := sc.s.opts.Registry.await(ctx, req.partition, sc.s.opts.RequestTimeout)
	var sp *subpartition
	if err == nil {
		sp, err = p.sub(req.subpartition)
	}
	if err == nil {
		v.mu.Lock()
		err = sp.attach(v.pending)
		if err == nil {
			v.sp = sp
		}
		v.mu.Unlock()
	}
	if err != nil {
		if ctx.Err() == nil {
			sc.writeError(id, err)
		}
		return
	}
	sp.serve(ctx, tcpSink{sc: sc, id: id})
}

// writeFrame writes one frame: header, then payload parts.
func (sc *serverConn) writeFrame(typ frameType, id uint32, parts ...[]byte) error {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	sc.wmu.Lock()
	defer sc.wmu.Unlock()
	putHeader(sc.hdr[:], frameHeader{typ: typ, channel: id, length: uint32(n)})
	bufs := make(net.Buffers, 0, 1+len(parts))
	bufs = append(bufs, sc.hdr[:])
	bufs = append(bufs, parts...)
	_, err := bufs.WriteTo(sc.conn)
	return err
}

func (sc *serverConn) writeError(id uint32, err error) {
	if werr := sc.writeFrame(frameError, id, appendError(nil, err)); werr != nil {
		sc.log.Debug().Err(werr).Uint32("channel", id).Msg("could not report error to consumer")
	}
}

// tcpSink sends a subpartition's elements as frames of channel id.
type tcpSink struct {
	sc *serverConn
	id uint32
}

func (t tcpSink) sendBuffer(b *Buffer) error {
	err := t.sc.writeFrame(frameBuffer, t.id, b.data)
	b.Recycle()
	return err
}

func (t tcpSink) sendEvent(e Event) error {
	var p [1 + 2*binary.MaxVarintLen64]byte
	return t.sc.writeFrame(frameEvent, t.id, appendEvent(p[:0], e))
}

func (t tcpSink) sendError(err error) { t.sc.writeError(t.id, err) }
