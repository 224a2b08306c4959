package yarnrpc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"
)

// Caller makes calls on one protocol; *Conn and *Failover implement it.
type Caller interface {
	Call(ctx context.Context, method string, req, resp proto.Message) error
	Close() error
}

// FailoverOptions configures ResourceManager HA failover.
type FailoverOptions struct {
	// Addrs are the RM addresses in yarn.resourcemanager.ha.rm-ids order.
	Addrs []string
	// Conn is the template for each address's connection (Addr is ignored).
	Conn ConnOptions
	// MaxFailovers bounds how often one call moves to another RM
	// (default 2 × len(Addrs), like yarn.client.failover-max-attempts'
	// bounded spirit).
	MaxFailovers int
	// Backoff is waited after every full round over Addrs (default 1s; it
	// doubles each round up to 16s and never outlasts ctx).
	Backoff time.Duration
	// Logger receives failover events.
	Logger zerolog.Logger
}

// Failover is a Caller over several ResourceManagers. A call that fails
// with a connection error or StandbyException is retried on the next RM,
// at most MaxFailovers times; the RM that answered last is tried first.
type Failover struct {
	opts  FailoverOptions
	conns []*Conn
	log   zerolog.Logger

	mu     sync.Mutex
	cur    int
	closed bool
}

// NewFailover validates opts and returns a *Failover (as a Caller).
func NewFailover(opts FailoverOptions) (Caller, error) {
	return newFailover(opts)
}

func newFailover(opts FailoverOptions) (*Failover, error) {
	if len(opts.Addrs) == 0 {
		return nil, errors.New("yarnrpc: FailoverOptions.Addrs is empty")
	}
	if opts.MaxFailovers <= 0 {
		opts.MaxFailovers = 2 * len(opts.Addrs)
	}
	if opts.Backoff <= 0 {
		opts.Backoff = time.Second
	}
	f := &Failover{opts: opts, log: opts.Logger.With().Str("component", "yarnrpc-failover").Logger()}
	for _, a := range opts.Addrs {
		co := opts.Conn
		co.Addr = a
		c, err := NewConn(co)
		if err != nil {
			for _, c := range f.conns {
				_ = c.Close()
			}
			return nil, err
		}
		f.conns = append(f.conns, c)
	}
	return f, nil
}

// retryableForFailover reports whether another RM may succeed.
func retryableForFailover(err error) bool {
	return IsConnectionError(err) || errors.Is(err, ErrStandby)
}

// Call invokes method on the active RM, failing over as described on Failover.
func (f *Failover) Call(ctx context.Context, method string, req, resp proto.Message) error {
	backoff := f.opts.Backoff
	var errs []error
	for attempt := 0; ; attempt++ {
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			return callError(method, fmt.Sprint(f.opts.Addrs), ErrClosed)
		}
		i := f.cur
		f.mu.Unlock()
		err := f.conns[i].Call(ctx, method, req, resp)
		if err == nil || !retryableForFailover(err) || ctx.Err() != nil {
			return err
		}
		errs = append(errs, err)
		if attempt >= f.opts.MaxFailovers {
			return fmt.Errorf("call %s: giving up after %d failovers: %w", method, attempt, errors.Join(errs...))
		}
		next := (i + 1) % len(f.conns)
		f.mu.Lock()
		if f.cur == i {
			f.cur = next
		}
		f.mu.Unlock()
		f.log.Info().Err(err).Str("method", method).Str("next", f.opts.Addrs[next]).Msg("failing over")
		if next == 0 || len(f.conns) == 1 { // a full round failed: back off
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("call %s: %w (after %w)", method, ctx.Err(), err)
			case <-t.C:
			}
			backoff = min(2*backoff, 16*time.Second)
		}
	}
}

// SetToken sets the token of every RM's connection (AMRMToken roll).
func (f *Failover) SetToken(t *Token) {
	for _, c := range f.conns {
		c.SetToken(t)
	}
}

// Active returns the address calls go to first.
func (f *Failover) Active() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.opts.Addrs[f.cur]
}

// Close closes every connection.
func (f *Failover) Close() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	for _, c := range f.conns {
		_ = c.Close()
	}
	return nil
}
