package netio

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/floe-yarn/floe/internal/testutil"
)

// rogueServer authenticates like a real server, then runs misbehave on the
// connection of the first client.
func rogueServer(t *testing.T, misbehave func(c net.Conn, br *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	conns := make(chan net.Conn, 1)
	t.Cleanup(func() {
		// Teardown of a fake peer: a failed close has nothing to tell.
		_ = ln.Close()
		select {
		case c := <-conns:
			_ = c.Close()
		default:
		}
		<-done
	})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		conns <- c
		// The fake server ignores its write errors: a failed write shows
		// as the client's error, which is what the tests check.
		br := bufio.NewReader(c)
		sn := make([]byte, nonceLen)
		_, _ = c.Write(appendFrame(nil, frameHello, 0, sn))
		var hb [headerLen]byte
		h, err := readHeader(br, &hb)
		if err != nil {
			return
		}
		p, err := readPayload(br, h)
		if err != nil {
			return
		}
		_, _ = c.Write(appendFrame(nil, frameAuthOK, 0, handshakeMAC(testSecret, "server", sn, p[:nonceLen])))
		// Wait for the client's request, so its channel exists.
		if h, err = readHeader(br, &hb); err != nil || h.typ != frameRequest {
			return
		}
		if _, err := readPayload(br, h); err != nil {
			return
		}
		misbehave(c, br)
		_, _ = io.Copy(io.Discard, br) // until the client hangs up
	}()
	return ln.Addr().String()
}

func TestClientRejectsMisbehavingServer(t *testing.T) {
	cases := []struct {
		name      string
		misbehave func(c net.Conn, br *bufio.Reader)
	}{
		{"buffer beyond credit", func(c net.Conn, br *bufio.Reader) {
			for i := 0; i < 3; i++ { // the client granted 2
				_, _ = c.Write(appendFrame(nil, frameBuffer, 1, []byte{1, 'x'}))
			}
		}},
		{"buffer larger than a receive buffer", func(c net.Conn, br *bufio.Reader) {
			_, _ = c.Write(appendFrame(nil, frameBuffer, 1, make([]byte, 2*1024)))
		}},
		{"unknown frame type", func(c net.Conn, br *bufio.Reader) {
			_, _ = c.Write(appendFrame(nil, frameType(0x7f), 1, nil))
		}},
		{"corrupt event", func(c net.Conn, br *bufio.Reader) {
			_, _ = c.Write(appendFrame(nil, frameEvent, 1, []byte{42}))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			ctx := testCtx(t)
			cons := newTestTM(t, tmOptions{bufferSize: 1024, credits: 2})
			addr := rogueServer(t, tc.misbehave)
			ch, err := cons.client.Dial(ctx, addr, PartitionID{Job: "rogue"}, 0)
			if err != nil {
				t.Fatal(err)
			}
			// Read nothing until the connection failed: a consumed buffer
			// would give the rogue its credit back.
			testutil.WaitFor(t, 20*time.Second, "the channel to fail", func() bool {
				ch.mu.Lock()
				defer ch.mu.Unlock()
				return ch.err != nil
			})
			g, _ := NewInputGate([]*InputChannel{ch}, GateOptions{})
			defer g.Close()
			var gerr error
			for gerr == nil {
				_, gerr = g.Next(ctx)
			}
			if !errors.Is(gerr, ErrConnectionLost) || !errors.Is(gerr, ErrProtocol) {
				t.Fatalf("got %v, want ErrConnectionLost wrapping ErrProtocol", gerr)
			}
		})
	}
}

// fakeBackend records credit returns of a channel tested on its own.
type fakeBackend struct{ released int }

func (f *fakeBackend) release(b *Buffer) { f.released++ }
func (f *fakeBackend) close()            {}

func TestChannelEventInsideRecord(t *testing.T) {
	ch := newInputChannel("test")
	fb := &fakeBackend{}
	ch.backend = fb
	ch.d.max = 1 << 20
	ch.push(rxItem{buf: &Buffer{data: []byte{5, 'a', 'b'}}}) // 5 bytes announced, 2 sent
	ch.push(rxItem{ev: WatermarkEvent(1)})
	_, avail, _, err := ch.next()
	if avail || !errors.Is(err, ErrProtocol) {
		t.Fatalf("got avail=%v err=%v, want ErrProtocol", avail, err)
	}
	if fb.released != 1 {
		t.Fatalf("released %d buffers, want the used-up one", fb.released)
	}
}

// TestServerRejectsBadRequests sends malformed frames after authenticating.
func TestServerRejectsBadRequests(t *testing.T) {
	cases := []struct {
		name  string
		frame []byte
	}{
		{"buffer from consumer", appendFrame(nil, frameBuffer, 1, []byte{0})},
		{"truncated request", appendFrame(nil, frameRequest, 1, []byte{1})},
		{"request on channel 0", appendFrame(nil, frameRequest, 0, appendRequest(nil, request{credit: 1}))},
		{"zero credit", appendFrame(nil, frameCredit, 1, []byte{0})},
		{"wrong version", append([]byte{2}, appendFrame(nil, frameCancel, 1, nil)[1:]...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			prod := newTestTM(t, tmOptions{})
			c, err := net.Dial("tcp", prod.srv.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			br := bufio.NewReader(c)
			var hb [headerLen]byte
			h, _ := readHeader(br, &hb)
			sn, _ := readPayload(br, h)
			cn := make([]byte, nonceLen)
			if _, err := c.Write(appendFrame(nil, frameAuth, 0, append(cn, handshakeMAC(testSecret, "client", sn, cn)...))); err != nil {
				t.Fatal(err)
			}
			if h, err = readHeader(br, &hb); err != nil || h.typ != frameAuthOK {
				t.Fatalf("handshake: %v %v", h.typ, err)
			}
			if _, err := readPayload(br, h); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Write(tc.frame); err != nil {
				t.Fatal(err)
			}
			// The server reports a protocol error on the connection and
			// hangs up.
			for {
				h, err := readHeader(br, &hb)
				if err != nil {
					t.Fatalf("connection ended without an error frame: %v", err)
				}
				p, _ := readPayload(br, h)
				if h.typ == frameError && h.channel == 0 {
					if re := parseError("srv", p); !errors.Is(re, ErrProtocol) {
						t.Fatalf("error frame %v, want a protocol error", re)
					}
					break
				}
			}
			if _, err := br.ReadByte(); err == nil {
				t.Fatal("server kept the connection open")
			}
		})
	}
}

func TestOptionsValidation(t *testing.T) {
	pool, _ := NewBufferPool(PoolOptions{NumBuffers: 1})
	cases := []struct {
		name string
		err  error
	}{
		{"partition without subpartitions", func() error {
			_, err := NewResultPartition(PartitionOptions{Pool: pool})
			return err
		}()},
		{"partition without pool", func() error {
			_, err := NewResultPartition(PartitionOptions{NumSubpartitions: 1})
			return err
		}()},
		{"server without secret", func() error {
			_, err := NewServer(context.Background(), ServerOptions{Registry: NewRegistry()})
			return err
		}()},
		{"server without registry", func() error {
			_, err := NewServer(context.Background(), ServerOptions{Secret: testSecret})
			return err
		}()},
		{"client without pool", func() error {
			_, err := NewClient(ClientOptions{Secret: testSecret})
			return err
		}()},
		{"gate without channels", func() error {
			_, err := NewInputGate(nil, GateOptions{})
			return err
		}()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("invalid options accepted")
			}
		})
	}
}
