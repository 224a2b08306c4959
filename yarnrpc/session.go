package yarnrpc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
)

// session is one TCP connection of a Conn: a read loop delivering
// responses to pending calls by call id, writes serialised by wmu, a ping
// loop while calls are pending and an idle timer while none are.
type session struct {
	c     *Conn
	nc    net.Conn
	src   frameSource
	layer securityLayer // nil unless SASL negotiated integrity/privacy

	wmu sync.Mutex

	mu       sync.Mutex
	pending  map[int32]chan callResult
	dead     error
	idle     *time.Timer
	failT    *time.Timer
	lastSent time.Time
	done     chan struct{}
}

type callResult struct {
	resp *response
	err  error
}

var errIdleClosed = errors.New("connection closed after idle timeout")

// dial connects, authenticates and sends the connection context.
func (c *Conn) dial(ctx context.Context, tok *Token) (*session, error) {
	d := net.Dialer{Timeout: c.opts.DialTimeout}
	nc, err := d.DialContext(ctx, "tcp", c.opts.Addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &connError{fmt.Errorf("dial: %w", err)}
	}
	// The handshake is bounded by DialTimeout and aborted when ctx ends.
	_ = nc.SetDeadline(time.Now().Add(c.opts.DialTimeout))
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	s, err := c.handshake(nc, tok)
	interrupted := !stop()
	if err == nil && interrupted {
		err = ctx.Err()
	}
	if err != nil {
		_ = nc.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	c.log.Debug().Str("auth", c.opts.Auth.String()).Msg("connected")
	return s, nil
}

func (c *Conn) handshake(nc net.Conn, tok *Token) (*session, error) {
	br := bufio.NewReader(nc)
	s := &session{c: c, nc: nc, pending: map[int32]chan callResult{}, done: make(chan struct{})}
	netErr := func(op string, err error) error {
		var re *RemoteError
		if errors.As(err, &re) {
			return err
		}
		return &connError{fmt.Errorf("%s: %w", op, err)}
	}
	user := ""
	switch c.opts.Auth {
	case AuthSimple:
		user = c.user
		if _, err := nc.Write(preamble(authProtocolNone)); err != nil {
			return nil, netErr("write preamble", err)
		}
	case AuthToken, AuthKerberos:
		if _, err := nc.Write(preamble(authProtocolSASL)); err != nil {
			return nil, netErr("write preamble", err)
		}
		if c.opts.Auth == AuthKerberos {
			user = c.opts.Kerberos.principalName()
		}
		res, err := saslConnect(nc, br, c.opts.Auth, c.newMech(tok))
		if err != nil {
			return nil, netErr("sasl", err)
		}
		s.layer = res.layer
	}
	if s.layer != nil {
		s.src = &wrappedReader{r: br, layer: s.layer}
	} else {
		s.src = plainReader{r: br}
	}
	ctxFrame, err := contextFrame(nil, c.clientID, c.opts.Protocol, user)
	if err != nil {
		return nil, err
	}
	if err := s.writeRaw(ctxFrame); err != nil {
		return nil, netErr("write connection context", err)
	}
	return s, nil
}

// newMech returns the mechanism factory for the connection's auth method.
func (c *Conn) newMech(tok *Token) newMechFunc {
	return func(auth *pb.RpcSaslProto_SaslAuth) (saslMech, error) {
		switch c.opts.Auth {
		case AuthToken:
			if tok == nil {
				return nil, errors.New("no token")
			}
			return newDigestClient(*tok, auth.GetProtocol(), auth.GetServerId(), c.opts.QOP), nil
		case AuthKerberos:
			return newGSSAPIClient(c.opts.Kerberos, auth, c.opts.Addr, c.opts.QOP)
		}
		return nil, fmt.Errorf("no SASL mechanism for %s", c.opts.Auth)
	}
}

// start launches the read and ping loops (the caller has added them to
// the Conn's WaitGroup) and arms the idle timer.
func (s *session) start() {
	go s.readLoop()
	go s.pingLoop()
	s.mu.Lock()
	s.armIdleLocked()
	s.mu.Unlock()
}

func (s *session) isDead() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dead != nil
}

// register adds a pending call; it fails when the session is dead.
func (s *session) register(id int32) (chan callResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dead != nil {
		return nil, s.dead
	}
	ch := make(chan callResult, 1)
	s.pending[id] = ch
	if s.idle != nil {
		s.idle.Stop()
		s.idle = nil
	}
	return ch, nil
}

// unregister forgets a call whose caller gave up; its late response is dropped.
func (s *session) unregister(id int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pending, id)
	s.armIdleLocked()
}

func (s *session) armIdleLocked() {
	if s.dead != nil || len(s.pending) > 0 || s.idle != nil {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(s.c.opts.IdleTimeout, func() {
		s.mu.Lock()
		if s.idle != t || len(s.pending) > 0 || s.dead != nil {
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		s.c.log.Debug().Msg("closing idle connection")
		s.fail(errIdleClosed)
	})
	s.idle = t
}

// fail marks the session dead, closes the socket and fails every pending
// call with err. Only the first failure counts.
func (s *session) fail(err error) {
	s.mu.Lock()
	if s.dead != nil {
		s.mu.Unlock()
		return
	}
	s.dead = err
	pending := s.pending
	s.pending = nil
	if s.idle != nil {
		s.idle.Stop()
		s.idle = nil
	}
	if s.failT != nil {
		s.failT.Stop()
	}
	close(s.done)
	s.mu.Unlock()
	_ = s.nc.Close()
	for _, ch := range pending {
		ch <- callResult{err: err}
	}
}

// writeFailGrace is how long a failed write waits for the read loop to
// report the server's reason before the write error is used.
const writeFailGrace = time.Second

// failSoon fails the session with err unless the read loop fails it first.
func (s *session) failSoon(err error) {
	if cw, ok := s.nc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dead != nil || s.failT != nil {
		return
	}
	s.failT = time.AfterFunc(writeFailGrace, func() { s.fail(err) })
}

// write sends one plain frame, wrapped if the session has a security layer.
func (s *session) write(ctx context.Context, frame []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	// A write blocked on a stalled server is abandoned when ctx ends; the
	// caller then fails the session, as a frame may be half written.
	if dl, ok := ctx.Deadline(); ok {
		_ = s.nc.SetWriteDeadline(dl)
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = s.nc.SetWriteDeadline(time.Unix(1, 0))
		close(fired)
	})
	err := s.writeLocked(frame)
	if !stop() {
		<-fired
	}
	_ = s.nc.SetWriteDeadline(time.Time{})
	return err
}

func (s *session) writeRaw(frame []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.writeLocked(frame)
}

func (s *session) writeLocked(frame []byte) error {
	if s.layer != nil {
		w, err := wrapFrames(s.layer, frame)
		if err != nil {
			return err
		}
		frame = w
	}
	_, err := s.nc.Write(frame)
	s.mu.Lock()
	s.lastSent = time.Now()
	s.mu.Unlock()
	return err
}

// readLoop delivers responses until the connection fails.
func (s *session) readLoop() {
	defer s.c.wg.Done()
	for {
		f, err := s.src.next()
		if err != nil {
			s.fail(s.readFailure(err))
			return
		}
		r, err := parseResponse(f)
		if err != nil {
			s.fail(&connError{fmt.Errorf("%w: bad response: %w", ErrConnLost, err)})
			return
		}
		if re := r.remoteError(); re != nil && re.Fatal {
			s.c.log.Warn().Str("class", re.Class).Msg("server sent FATAL; closing connection")
			s.fail(fmt.Errorf("%w: %w", ErrConnLost, re))
			return
		}
		id := r.callID()
		s.mu.Lock()
		ch, ok := s.pending[id]
		if ok {
			delete(s.pending, id)
			s.armIdleLocked()
		}
		s.mu.Unlock()
		if !ok {
			s.c.log.Debug().Int32("call_id", id).Msg("dropping response to a call nobody waits for")
			continue
		}
		ch <- callResult{resp: r}
	}
}

func (s *session) readFailure(err error) error {
	var re *RemoteError
	if errors.As(err, &re) {
		return fmt.Errorf("%w: %w", ErrConnLost, err)
	}
	s.mu.Lock()
	dead := s.dead
	s.mu.Unlock()
	if dead != nil {
		return dead // we closed it ourselves; fail is a no-op
	}
	return &connError{fmt.Errorf("%w: read: %w", ErrConnLost, err)}
}

// pingLoop sends a ping (call id -4) every PingInterval while calls are
// pending and nothing else was sent meanwhile.
func (s *session) pingLoop() {
	defer s.c.wg.Done()
	t := time.NewTicker(s.c.opts.PingInterval)
	defer t.Stop()
	ping, err := pingFrame(nil, s.c.clientID)
	if err != nil {
		return
	}
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		s.mu.Lock()
		due := len(s.pending) > 0 && time.Since(s.lastSent) >= s.c.opts.PingInterval/2
		s.mu.Unlock()
		if !due {
			continue
		}
		if err := s.writeRaw(ping); err != nil {
			s.fail(&connError{fmt.Errorf("%w: ping: %w", ErrConnLost, err)})
			return
		}
	}
}
