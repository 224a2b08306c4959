package netio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

var testSecret = []byte("test application secret")

// netioGoroutines lists goroutines running code of this package (not its
// tests).
func netioGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, line := range strings.Split(g, "\n") {
			line = strings.TrimSpace(line)
			if strings.Contains(line, "/taskexec/netio/") && !strings.Contains(line, "_test.go") {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

// checkLeaks fails the test if goroutines of the package outlive it.
func checkLeaks(t *testing.T) {
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for {
			gs := netioGoroutines()
			if len(gs) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d goroutines leaked:\n%s", len(gs), strings.Join(gs, "\n\n"))
			}
			time.Sleep(time.Millisecond)
		}
	})
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testTM is one TaskManager's data plane: a pool, a registry, a server and
// a client.
type testTM struct {
	pool   *BufferPool
	reg    *Registry
	srv    *Server
	client *Client
	logs   *syncBuffer
}

type tmOptions struct {
	numBuffers, bufferSize, credits int
	requestTimeout                  time.Duration
	secret                          []byte
	// server options for the listener tests
	maxHandshakes    int
	handshakeTimeout time.Duration
	listener         net.Listener
}

func newTestTM(t testing.TB, o tmOptions) *testTM {
	t.Helper()
	if o.numBuffers == 0 {
		o.numBuffers = 256
	}
	if o.secret == nil {
		o.secret = testSecret
	}
	logs := &syncBuffer{}
	log := zerolog.New(logs)
	pool, err := NewBufferPool(PoolOptions{NumBuffers: o.numBuffers, BufferSize: o.bufferSize})
	if err != nil {
		t.Fatal(err)
	}
	reg := NewRegistry()
	srv, err := NewServer(context.Background(), ServerOptions{Secret: o.secret, Registry: reg, Logger: log, RequestTimeout: o.requestTimeout,
		MaxHandshakes: o.maxHandshakes, HandshakeTimeout: o.handshakeTimeout, Listener: o.listener})
	if err != nil {
		t.Fatal(err)
	}
	client, err := NewClient(ClientOptions{Secret: o.secret, Pool: pool, Credits: o.credits, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	tm := &testTM{pool: pool, reg: reg, srv: srv, client: client, logs: logs}
	t.Cleanup(func() {
		// A test may have closed them already (TestConnectionLost kills
		// the server); a second close's error says nothing.
		_ = client.Close()
		_ = srv.Close()
	})
	return tm
}

// dial opens a channel from consumer tm c to partition id on producer tm p:
// local when they are the same TaskManager.
func dial(t testing.TB, c, p *testTM, id PartitionID, sub int) *InputChannel {
	t.Helper()
	var ch *InputChannel
	var err error
	if c == p {
		ch, err = DialLocal(p.reg, id, sub, LocalOptions{Credits: c.client.opts.Credits})
	} else {
		ch, err = c.client.Dial(context.Background(), p.srv.Addr(), id, sub)
	}
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func newPartition(t testing.TB, tm *testTM, id PartitionID, subs int, mod func(*PartitionOptions)) *ResultPartition {
	t.Helper()
	opts := PartitionOptions{ID: id, NumSubpartitions: subs, Pool: tm.pool}
	if mod != nil {
		mod(&opts)
	}
	p, err := NewResultPartition(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := tm.reg.Register(p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Release)
	return p
}

// element is a comparable copy of an Element.
type element struct {
	ch  int
	rec string
	ev  Event
}

func (e element) String() string {
	if e.ev.Kind != 0 {
		return fmt.Sprintf("ch%d:%+v", e.ch, e.ev)
	}
	r := e.rec
	if len(r) > 40 {
		r = fmt.Sprintf("%s…(%d bytes)", r[:40], len(r))
	}
	return fmt.Sprintf("ch%d:%q", e.ch, r)
}

// drain reads the gate to io.EOF.
func drain(ctx context.Context, g *InputGate) ([]element, error) {
	var out []element
	for {
		el, err := g.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, element{ch: el.Channel, rec: string(el.Record), ev: el.Event})
	}
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
