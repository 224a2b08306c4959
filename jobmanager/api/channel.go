package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// ErrClosed is returned by Send on a closed channel.
var ErrClosed = errors.New("control channel closed")

// Channel is one end of an established control connection: frames in both
// directions, heartbeats every Timing.Interval, and a read deadline of
// Timing.Timeout renewed by every frame read. Send may be called from any
// goroutine; Run reads.
type Channel struct {
	conn   net.Conn
	br     *bufio.Reader
	timing Timing

	wmu sync.Mutex // serializes frames on the connection

	closeOnce sync.Once
	closed    chan struct{}
}

// NewChannel wraps an upgraded connection; br holds what was read past the
// handshake.
func NewChannel(conn net.Conn, br *bufio.Reader, timing Timing) *Channel {
	if br == nil {
		br = bufio.NewReader(conn)
	}
	return &Channel{conn: conn, br: br, timing: timing.WithDefaults(), closed: make(chan struct{})}
}

// Timing is the channel's heartbeat schedule.
func (c *Channel) Timing() Timing { return c.timing }

// RemoteAddr is the peer's address.
func (c *Channel) RemoteAddr() string { return c.conn.RemoteAddr().String() }

// Send writes one message (payload v, nil for none), within Timing.Timeout.
func (c *Channel) Send(t MsgType, v any) error {
	b, err := EncodeFrame(t, v)
	if err != nil {
		return err
	}
	return c.SendFrame(b)
}

// SendFrame writes one frame made by EncodeFrame, within Timing.Timeout.
func (c *Channel) SendFrame(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	select {
	case <-c.closed:
		return ErrClosed
	default:
	}
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.timing.Timeout))
	if _, err := c.conn.Write(b); err != nil {
		_ = c.Close()
		return fmt.Errorf("control channel to %s: %w", c.RemoteAddr(), err)
	}
	return nil
}

// Recv reads one frame, waiting at most Timing.Timeout for it.
func (c *Channel) Recv() (Frame, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(c.timing.Timeout))
	f, err := ReadFrame(c.br)
	if err != nil {
		return Frame{}, fmt.Errorf("control channel from %s: %w", c.RemoteAddr(), err)
	}
	return f, nil
}

// Close closes the connection; Run returns.
func (c *Channel) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.closed)
		err = c.conn.Close()
	})
	return err
}

// Done is closed when the channel is closed.
func (c *Channel) Done() <-chan struct{} { return c.closed }

// Run sends heartbeats and hands every frame read to handle (heartbeats
// too: they are the peer's sign of life) until ctx ends, the channel is
// closed or fails, or handle returns an error. It closes the channel and
// returns the cause (nil for ctx or Close).
func (c *Channel) Run(ctx context.Context, handle func(Frame) error) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(c.timing.Interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				_ = c.Close()
				return
			case <-c.closed:
				return
			case <-t.C:
				if c.Send(MsgHeartbeat, nil) != nil {
					return
				}
			}
		}
	}()
	defer wg.Wait()
	defer func() { _ = c.Close() }()
	for {
		f, err := c.Recv()
		if err != nil {
			select {
			case <-c.closed:
				return nil
			case <-ctx.Done():
				return nil
			default:
				return err
			}
		}
		if err := handle(f); err != nil {
			return err
		}
	}
}
