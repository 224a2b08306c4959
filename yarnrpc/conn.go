package yarnrpc

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"
)

// Defaults of ConnOptions, after Hadoop's ipc.client.* settings.
const (
	DefaultDialTimeout  = 20 * time.Second // ipc.client.connect.timeout
	DefaultPingInterval = 60 * time.Second // ipc.ping.interval
	DefaultIdleTimeout  = 10 * time.Second // ipc.client.connection.maxidletime
)

// ConnOptions configures a Conn. One Conn is one logical connection per
// (server, user, protocol, auth method); it redials after failures.
type ConnOptions struct {
	// Addr is the server's host:port.
	Addr string
	// Protocol is the PB protocol name, e.g.
	// "org.apache.hadoop.yarn.api.ApplicationMasterProtocolPB".
	Protocol string
	// ProtocolVersion is the protocol's version (1 for all YARN protocols).
	ProtocolVersion uint64

	// Auth selects SIMPLE, TOKEN or KERBEROS authentication.
	Auth AuthMethod
	// User is the SIMPLE user; "" means $HADOOP_USER_NAME or the OS user.
	User string
	// Token is the TOKEN credential (AMRMToken, NMToken, ...).
	Token *Token
	// Kerberos is the KERBEROS credential.
	Kerberos *KerberosAuth
	// QOP lists acceptable SASL qualities of protection in preference
	// order (QOPAuth, QOPAuthInt, QOPAuthConf). Empty accepts whatever the
	// server offers, preferring the strongest.
	QOP []string

	// DialTimeout bounds connecting plus the handshake (default 20s).
	DialTimeout time.Duration
	// PingInterval is how often a ping is sent while calls are pending
	// (default 60s).
	PingInterval time.Duration
	// IdleTimeout closes the socket when no call has been pending for
	// this long (default 10s). The next call redials.
	IdleTimeout time.Duration
	// Logger receives connection events (dial, close, dropped responses).
	Logger zerolog.Logger
}

// Conn is a multiplexed Hadoop IPC client connection. It is safe for
// concurrent use: calls share one TCP connection and are matched to
// responses by call id, in any order.
type Conn struct {
	opts     ConnOptions
	user     string
	clientID []byte
	log      zerolog.Logger
	callSeq  atomic.Uint32
	dialSem  chan struct{}
	wg       sync.WaitGroup

	mu     sync.Mutex
	token  *Token
	sess   *session
	closed bool
}

// NewConn validates opts, fills defaults and returns a Conn. It does not
// dial; the first Call does.
func NewConn(opts ConnOptions) (*Conn, error) {
	if opts.Addr == "" {
		return nil, errors.New("yarnrpc: ConnOptions.Addr is empty")
	}
	if _, _, err := net.SplitHostPort(opts.Addr); err != nil {
		return nil, fmt.Errorf("yarnrpc: ConnOptions.Addr %q: %w", opts.Addr, err)
	}
	if opts.Protocol == "" {
		return nil, errors.New("yarnrpc: ConnOptions.Protocol is empty")
	}
	c := &Conn{opts: opts, dialSem: make(chan struct{}, 1)}
	switch opts.Auth {
	case AuthSimple:
		c.user = opts.User
		if c.user == "" {
			u, err := DefaultUser()
			if err != nil {
				return nil, fmt.Errorf("yarnrpc: %w", err)
			}
			c.user = u
		}
	case AuthToken:
		if opts.Token == nil {
			return nil, errors.New("yarnrpc: TOKEN authentication needs ConnOptions.Token")
		}
		t := opts.Token.Clone()
		c.token = &t
	case AuthKerberos:
		if opts.Kerberos == nil {
			return nil, errors.New("yarnrpc: KERBEROS authentication needs ConnOptions.Kerberos")
		}
		if err := opts.Kerberos.validate(); err != nil {
			return nil, fmt.Errorf("yarnrpc: %w", err)
		}
	default:
		return nil, fmt.Errorf("yarnrpc: unknown auth method %d", int(opts.Auth))
	}
	for _, q := range opts.QOP {
		if q != QOPAuth && q != QOPAuthInt && q != QOPAuthConf {
			return nil, fmt.Errorf("yarnrpc: unknown QOP %q", q)
		}
	}
	if c.opts.DialTimeout <= 0 {
		c.opts.DialTimeout = DefaultDialTimeout
	}
	if c.opts.PingInterval <= 0 {
		c.opts.PingInterval = DefaultPingInterval
	}
	if c.opts.IdleTimeout <= 0 {
		c.opts.IdleTimeout = DefaultIdleTimeout
	}
	c.clientID = make([]byte, 16)
	if _, err := rand.Read(c.clientID); err != nil {
		return nil, fmt.Errorf("yarnrpc: client id: %w", err)
	}
	c.log = opts.Logger.With().Str("component", "yarnrpc").Str("addr", opts.Addr).Str("protocol", opts.Protocol).Logger()
	return c, nil
}

// Addr is the server address the Conn talks to.
func (c *Conn) Addr() string { return c.opts.Addr }

// SetToken replaces the token used for new connections (e.g. after the RM
// rolled the AMRMToken). The current connection, already authenticated,
// stays in use.
func (c *Conn) SetToken(t *Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t == nil {
		c.token = nil
		return
	}
	cp := t.Clone()
	c.token = &cp
}

// nextCallID returns increasing ids from 0, wrapping at 2^31.
func (c *Conn) nextCallID() int32 {
	return int32((c.callSeq.Add(1) - 1) & 0x7FFFFFFF)
}

// Call invokes method with req and decodes the reply into resp. It
// returns a *RemoteError (reachable with errors.As) when the server threw,
// ctx's error when ctx ended first (the connection stays usable), and a
// connection error (IsConnectionError) when the transport failed.
func (c *Conn) Call(ctx context.Context, method string, req, resp proto.Message) error {
	if err := ctx.Err(); err != nil {
		return callError(method, c.opts.Addr, err)
	}
	id := c.nextCallID()
	frame, err := callFrame(nil, id, c.clientID, c.opts.Protocol, c.opts.ProtocolVersion, method, req)
	if err != nil {
		return callError(method, c.opts.Addr, err)
	}
	for attempt := 0; ; attempt++ {
		s, err := c.session(ctx)
		if err != nil {
			return callError(method, c.opts.Addr, err)
		}
		ch, err := s.register(id)
		if err != nil {
			// The session died (idle close, server close) between lookup
			// and registration; a fresh one is dialled once more.
			if attempt < 2 && !errors.Is(err, ErrClosed) {
				continue
			}
			return callError(method, c.opts.Addr, err)
		}
		if err := s.write(ctx, frame); err != nil {
			// The server may have sent a FATAL reply before closing (e.g.
			// "SIMPLE authentication is not enabled"); let the read loop
			// report it, and fall back to the write error shortly after.
			s.failSoon(&connError{fmt.Errorf("%w: write: %w", ErrConnLost, err)})
		}
		select {
		case r := <-ch:
			if r.err != nil {
				return callError(method, c.opts.Addr, r.err)
			}
			if re := r.resp.remoteError(); re != nil {
				return callError(method, c.opts.Addr, re)
			}
			if resp != nil {
				if err := proto.Unmarshal(r.resp.body, resp); err != nil {
					return callError(method, c.opts.Addr, fmt.Errorf("decode response: %w", err))
				}
			}
			return nil
		case <-ctx.Done():
			s.unregister(id)
			return callError(method, c.opts.Addr, ctx.Err())
		}
	}
}

// session returns the live session, dialling one if needed. Only one
// dial runs at a time; waiting for it honours ctx.
func (c *Conn) session(ctx context.Context) (*session, error) {
	if s, err := c.liveSession(); s != nil || err != nil {
		return s, err
	}
	select {
	case c.dialSem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.dialSem }()
	if s, err := c.liveSession(); s != nil || err != nil {
		return s, err
	}
	c.mu.Lock()
	tok := c.token
	c.mu.Unlock()
	s, err := c.dial(ctx, tok)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		s.fail(ErrClosed)
		return nil, ErrClosed
	}
	c.sess = s
	c.wg.Add(2) // under c.mu, so a concurrent Close waits for the loops
	c.mu.Unlock()
	s.start()
	return s, nil
}

func (c *Conn) liveSession() (*session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if c.sess != nil && !c.sess.isDead() {
		return c.sess, nil
	}
	return nil, nil
}

// Close closes the connection; pending calls fail with ErrClosed. It waits
// for the connection's goroutines to end.
func (c *Conn) Close() error {
	c.mu.Lock()
	c.closed = true
	s := c.sess
	c.sess = nil
	c.mu.Unlock()
	if s != nil {
		s.fail(ErrClosed)
	}
	c.wg.Wait()
	return nil
}
