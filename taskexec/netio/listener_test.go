package netio

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/floe-yarn/floe/internal/testutil"
)

// runSmallJob sends a few records from a partition on prod to a remote
// consumer on cons and checks they all arrive: the data path works.
func runSmallJob(t *testing.T, prod, cons *testTM, job string) {
	t.Helper()
	ctx := testCtx(t)
	id := PartitionID{Job: job}
	p := newPartition(t, prod, id, 1, nil)
	g, err := NewInputGate([]*InputChannel{dial(t, cons, prod, id, 0)}, GateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	const n = 50
	go func() {
		for i := range n {
			if err := p.Emit(ctx, 0, fmt.Appendf(nil, "r%d", i)); err != nil {
				return
			}
		}
		_ = p.Finish(ctx)
	}()
	all, err := drain(ctx, g)
	if err != nil {
		t.Fatalf("small job: %v", err)
	}
	var got []element
	for _, el := range all {
		if el.ev.Kind == 0 {
			got = append(got, el)
		}
	}
	if len(got) != n || got[0].rec != "r0" || got[n-1].rec != fmt.Sprintf("r%d", n-1) {
		t.Fatalf("small job: got %d records %v…, want r0..r%d", len(got), got[:min(3, len(got))], n-1)
	}
}

func (s *Server) connCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// TestConnectionFlood opens many idle unauthenticated connections (far more
// than MaxHandshakes) to a TaskManager's data port: the server holds at most
// MaxHandshakes of them, drops the rest at once, and once the flood is gone
// it accepts and authenticates a real connection and a small job runs.
// A second case checks that an idle peer is hung up on after the handshake
// timeout without closing its side.
func TestConnectionFlood(t *testing.T) {
	t.Run("flood beyond the bound, then a real job", func(t *testing.T) {
		checkLeaks(t)
		const bound, flood = 8, 400
		prod := newTestTM(t, tmOptions{maxHandshakes: bound, handshakeTimeout: time.Minute})
		cons := newTestTM(t, tmOptions{})
		conns := make([]net.Conn, 0, flood)
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		for range flood {
			c, err := net.DialTimeout("tcp", prod.srv.Addr(), 5*time.Second)
			if err != nil {
				t.Fatalf("flood dial %d: %v", len(conns), err)
			}
			conns = append(conns, c)
		}
		testutil.WaitFor(t, 20*time.Second, "the server to drop connections beyond the bound", func() bool {
			return strings.Contains(prod.logs.String(), "too many unauthenticated connections")
		})
		if n := prod.srv.connCount(); n > bound {
			t.Fatalf("server holds %d unauthenticated connections, bound %d", n, bound)
		}
		for _, c := range conns {
			_ = c.Close()
		}
		conns = conns[:0]
		testutil.WaitFor(t, 20*time.Second, "the flood's connections to be gone", func() bool {
			return prod.srv.connCount() == 0
		})
		runSmallJob(t, prod, cons, "after-flood")
	})
	t.Run("idle peer hung up on after the handshake timeout", func(t *testing.T) {
		checkLeaks(t)
		prod := newTestTM(t, tmOptions{handshakeTimeout: 100 * time.Millisecond})
		c, err := net.DialTimeout("tcp", prod.srv.Addr(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(c) // hello, then the server hangs up
		if err != nil {
			t.Fatalf("read until the server hangs up: %v (got %d bytes)", err, len(got))
		}
		var hb [headerLen]byte
		if h, err := readHeader(strings.NewReader(string(got)), &hb); err != nil || h.typ != frameHello {
			t.Fatalf("first frame %v %v, want hello", h, err)
		}
		testutil.WaitFor(t, 20*time.Second, "the connection to be forgotten", func() bool { return prod.srv.connCount() == 0 })
	})
}

// failingListener fails its first n Accepts with EMFILE, as a process out
// of descriptors does, then accepts normally.
type failingListener struct {
	net.Listener
	fails atomic.Int32
}

func (l *failingListener) Accept() (net.Conn, error) {
	if l.fails.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// TestAcceptErrorsDoNotStopServer: Accept failing (too many open files)
// makes the server back off and retry, never stop; once Accept works again
// a real connection authenticates and a small job runs.
func TestAcceptErrorsDoNotStopServer(t *testing.T) {
	for _, fails := range []int32{1, 5} {
		t.Run(fmt.Sprintf("%d failures", fails), func(t *testing.T) {
			checkLeaks(t)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			fl := &failingListener{Listener: ln}
			fl.fails.Store(fails)
			prod := newTestTM(t, tmOptions{listener: fl})
			cons := newTestTM(t, tmOptions{})
			runSmallJob(t, prod, cons, "after-emfile")
			if got := strings.Count(prod.logs.String(), "accept failed; retrying"); got != int(fails) {
				t.Fatalf("logged %d accept failures, want %d", got, fails)
			}
			if !strings.Contains(prod.logs.String(), "too many open files") {
				t.Fatalf("log lacks the accept error: %s", prod.logs.String())
			}
		})
	}
}

// TestCloseStopsRetryingAccept: Close ends the accept loop while it backs
// off (checkLeaks proves it).
func TestCloseStopsRetryingAccept(t *testing.T) {
	checkLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl := &failingListener{Listener: ln}
	fl.fails.Store(1 << 30)
	srv, err := NewServer(context.Background(), ServerOptions{Secret: testSecret, Registry: NewRegistry(), Listener: fl})
	if err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, "a few failed accepts", func() bool { return fl.fails.Load() < 1<<30-3 })
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
}
