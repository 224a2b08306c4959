package yarnrpc

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func standbyServer(t *testing.T, calls *atomic.Int32) *ipcServer {
	return newIPCServer(t, func(s *ipcServer) {
		s.handle = func(sc *ipcServerConn, call *ipcServerCall) {
			calls.Add(1)
			sc.replyError(call.id, "org.apache.hadoop.ipc.StandbyException", "Operation category READ is not supported in state standby")
		}
	})
}

func countingServer(t *testing.T, calls *atomic.Int32, class string) *ipcServer {
	srv := newIPCServer(t, nil)
	inner := srv.handle
	srv.handle = func(sc *ipcServerConn, call *ipcServerCall) {
		calls.Add(1)
		if class != "" {
			sc.replyError(call.id, class, "no")
			return
		}
		inner(sc, call)
	}
	return srv
}

func refusedAddr(t *testing.T) string {
	srv := newIPCServer(t, nil)
	srv.close()
	return srv.addr()
}

func newTestFailover(t *testing.T, addrs []string, maxFailovers int) *Failover {
	f, err := newFailover(FailoverOptions{Addrs: addrs, MaxFailovers: maxFailovers, Backoff: time.Millisecond,
		Conn: ConnOptions{Protocol: testProtocol, ProtocolVersion: 1, User: "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func TestFailoverOnStandby(t *testing.T) {
	ipcLeakCheck(t)
	var sb, ok atomic.Int32
	a, b := standbyServer(t, &sb), countingServer(t, &ok, "")
	f := newTestFailover(t, []string{a.addr(), b.addr()}, 0)
	for i := 0; i < 3; i++ {
		if _, err := echo(context.Background(), f, "getApplicationReport", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if f.Active() != b.addr() || sb.Load() != 1 || ok.Load() != 3 {
		t.Fatalf("active %s, standby calls %d, active calls %d", f.Active(), sb.Load(), ok.Load())
	}
}

func TestFailoverOnRefusedConnection(t *testing.T) {
	ipcLeakCheck(t)
	var ok atomic.Int32
	b := countingServer(t, &ok, "")
	f := newTestFailover(t, []string{refusedAddr(t), b.addr()}, 0)
	if _, err := echo(context.Background(), f, "getNewApplication", nil); err != nil {
		t.Fatal(err)
	}
	if f.Active() != b.addr() || ok.Load() != 1 {
		t.Fatalf("active %s calls %d", f.Active(), ok.Load())
	}
}

func TestFailoverAfterActiveDies(t *testing.T) {
	ipcLeakCheck(t)
	var na, nb atomic.Int32
	a, b := countingServer(t, &na, ""), countingServer(t, &nb, "")
	f := newTestFailover(t, []string{a.addr(), b.addr()}, 0)
	if _, err := echo(context.Background(), f, "one", nil); err != nil {
		t.Fatal(err)
	}
	a.close() // the active RM goes away for real
	if _, err := echo(context.Background(), f, "two", nil); err != nil {
		t.Fatal(err)
	}
	if na.Load() != 1 || nb.Load() != 1 || f.Active() != b.addr() {
		t.Fatalf("calls a=%d b=%d active=%s", na.Load(), nb.Load(), f.Active())
	}
}

func TestFailoverBounded(t *testing.T) {
	ipcLeakCheck(t)
	var calls atomic.Int32
	a, b := standbyServer(t, &calls), standbyServer(t, &calls)
	f := newTestFailover(t, []string{a.addr(), b.addr(), refusedAddr(t)}, 4)
	_, err := echo(context.Background(), f, "getClusterMetrics", nil)
	if !errors.Is(err, ErrStandby) || !IsConnectionError(err) {
		t.Fatalf("err = %v, want both standby and connection errors joined", err)
	}
	// 5 attempts: a, b, refused, a, b.
	if n := calls.Load(); n != 4 {
		t.Fatalf("server calls = %d, want 4", n)
	}
}

func TestFailoverDoesNotRetryOtherErrors(t *testing.T) {
	ipcLeakCheck(t)
	var na, nb atomic.Int32
	a := countingServer(t, &na, "org.apache.hadoop.yarn.exceptions.ApplicationNotFoundException")
	b := countingServer(t, &nb, "")
	f := newTestFailover(t, []string{a.addr(), b.addr()}, 0)
	_, err := echo(context.Background(), f, "getApplicationReport", nil)
	if !errors.Is(err, ErrApplicationNotFound) || na.Load() != 1 || nb.Load() != 0 {
		t.Fatalf("err %v, calls a=%d b=%d", err, na.Load(), nb.Load())
	}
}

func TestFailoverHonoursContext(t *testing.T) {
	ipcLeakCheck(t)
	f, err := newFailover(FailoverOptions{Addrs: []string{refusedAddr(t)}, MaxFailovers: 1000, Backoff: time.Hour,
		Conn: ConnOptions{Protocol: testProtocol, User: "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = echo(ctx, f, "x", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

func TestFailoverValidates(t *testing.T) {
	if _, err := NewFailover(FailoverOptions{}); err == nil {
		t.Fatal("accepted no addresses")
	}
	if _, err := NewFailover(FailoverOptions{Addrs: []string{"a:1"}}); err == nil {
		t.Fatal("accepted a template without protocol")
	}
}
