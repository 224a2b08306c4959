package yarnrpc

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
)

const testProtocol = "org.apache.hadoop.yarn.api.ApplicationClientProtocolPB"

// ipcWaitFor polls cond until it holds or the bounded wait ends.
func ipcWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ipcLeakCheck fails the test if goroutines started during it are still
// running after its cleanups (registered later, so run earlier) finished.
func ipcLeakCheck(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				n := runtime.Stack(buf, true)
				t.Fatalf("goroutine leak: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:n])
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

func newTestConn(t *testing.T, opts ConnOptions) *Conn {
	t.Helper()
	if opts.Protocol == "" {
		opts.Protocol = testProtocol
		opts.ProtocolVersion = 1
	}
	if opts.Auth == AuthSimple && opts.User == "" {
		opts.User = "alice"
	}
	c, err := NewConn(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// echo calls method with payload and returns what the default handler
// echoed back (the request bytes in the identifier field).
func echo(ctx context.Context, c Caller, method string, payload []byte) ([]byte, error) {
	if payload == nil {
		payload = []byte{}
	}
	req := &pb.TokenProto{Identifier: payload, Password: []byte{}, Kind: proto.String("k"), Service: proto.String("")}
	resp := &pb.TokenProto{}
	if err := c.Call(ctx, method, req, resp); err != nil {
		return nil, err
	}
	if resp.GetKind() != method {
		return nil, errors.New("handler saw method " + resp.GetKind())
	}
	got := &pb.TokenProto{}
	if err := proto.Unmarshal(resp.GetIdentifier(), got); err != nil {
		return nil, err
	}
	return got.GetIdentifier(), nil
}

func TestConnSimpleCall(t *testing.T) {
	ipcLeakCheck(t)
	srv := newIPCServer(t, nil)
	c := newTestConn(t, ConnOptions{Addr: srv.addr(), User: "alice"})
	for i := 0; i < 3; i++ {
		got, err := echo(context.Background(), c, "getClusterMetrics", []byte{byte(i)})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, []byte{byte(i)}) {
			t.Fatalf("echo %d = %x", i, got)
		}
	}
	if n := srv.accepted.Load(); n != 1 {
		t.Fatalf("connections = %d, want 1", n)
	}
	sc := srv.conn(0)
	ctx := sc.connContext()
	if ctx.GetUserInfo().GetEffectiveUser() != "alice" || ctx.GetProtocol() != testProtocol {
		t.Fatalf("context = %v", ctx)
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for i, call := range sc.calls {
		if call.id != int32(i) || len(call.header.GetClientId()) != 16 || call.header.GetRetryCount() != 0 ||
			call.protocol != testProtocol || call.version != 1 || call.method != "getClusterMetrics" {
			t.Fatalf("call %d: id %d header %v", i, call.id, call.header)
		}
	}
}

func TestConnOutOfOrderResponses(t *testing.T) {
	ipcLeakCheck(t)
	firstHeld := make(chan *ipcServerCall, 1)
	srv := newIPCServer(t, func(s *ipcServer) {
		var mu sync.Mutex
		var held *ipcServerCall
		s.handle = func(sc *ipcServerConn, call *ipcServerCall) {
			mu.Lock()
			defer mu.Unlock()
			if held == nil { // hold the first call until the second arrives
				held = call
				firstHeld <- call
				return
			}
			sc.reply(call.id, &pb.TokenProto{Identifier: call.body, Password: []byte{}, Kind: proto.String(call.method), Service: proto.String("")})
			sc.reply(held.id, &pb.TokenProto{Identifier: held.body, Password: []byte{}, Kind: proto.String(held.method), Service: proto.String("")})
		}
	})
	c := newTestConn(t, ConnOptions{Addr: srv.addr()})
	type result struct {
		got []byte
		err error
	}
	first := make(chan result, 1)
	go func() {
		got, err := echo(context.Background(), c, "first", []byte("one"))
		first <- result{got, err}
	}()
	<-firstHeld
	got2, err := echo(context.Background(), c, "second", []byte("two"))
	if err != nil || string(got2) != "two" {
		t.Fatalf("second = %q, %v", got2, err)
	}
	r := <-first
	if r.err != nil || string(r.got) != "one" {
		t.Fatalf("first = %q, %v", r.got, r.err)
	}
}

func TestConnRemoteErrors(t *testing.T) {
	cases := []struct {
		name, class string
		sentinel    error
	}{
		{"app not found", "org.apache.hadoop.yarn.exceptions.ApplicationNotFoundException", ErrApplicationNotFound},
		{"standby", "org.apache.hadoop.ipc.StandbyException", ErrStandby},
		{"access", "org.apache.hadoop.security.AccessControlException", ErrAccessControl},
		{"authorization", "org.apache.hadoop.security.authorize.AuthorizationException", ErrAccessControl},
		{"invalid token", "org.apache.hadoop.security.token.SecretManager$InvalidToken", ErrInvalidToken},
		{"not registered", "org.apache.hadoop.yarn.exceptions.ApplicationMasterNotRegisteredException", ErrAMNotRegistered},
		{"attempt not found", "org.apache.hadoop.yarn.exceptions.ApplicationAttemptNotFoundException", ErrAttemptNotFound},
		{"other", "org.apache.hadoop.yarn.exceptions.YarnException", nil},
	}
	ipcLeakCheck(t)
	srv := newIPCServer(t, func(s *ipcServer) {
		s.handle = func(sc *ipcServerConn, call *ipcServerCall) {
			sc.replyError(call.id, call.method, "Application with id 'application_1_0001' doesn't exist in RM.\n\tat org.apache...")
		}
	})
	c := newTestConn(t, ConnOptions{Addr: srv.addr()})
	all := []error{ErrApplicationNotFound, ErrStandby, ErrAccessControl, ErrInvalidToken, ErrAMNotRegistered, ErrAttemptNotFound}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Call(context.Background(), tc.class, &pb.TokenProto{Identifier: []byte{}, Password: []byte{}, Kind: proto.String(""), Service: proto.String("")}, &pb.TokenProto{})
			var re *RemoteError
			if !errors.As(err, &re) || re.Class != tc.class || re.Fatal || !strings.HasPrefix(re.Message, "Application with id") {
				t.Fatalf("err = %v (%#v)", err, re)
			}
			if !strings.Contains(err.Error(), "call "+tc.class+" on "+srv.addr()) {
				t.Fatalf("error lacks operation and address: %v", err)
			}
			for _, s := range all {
				if errors.Is(err, s) != (s == tc.sentinel) {
					t.Fatalf("errors.Is(%v, %v) = %v", err, s, errors.Is(err, s))
				}
			}
			if IsConnectionError(err) {
				t.Fatal("remote error reported as connection error")
			}
		})
	}
	if n := srv.accepted.Load(); n != 1 {
		t.Fatalf("ERROR responses must keep the connection: %d connections", n)
	}
}

func TestConnFatalFailsAllPendingAndReconnects(t *testing.T) {
	ipcLeakCheck(t)
	var arrived sync.WaitGroup
	arrived.Add(3)
	release := make(chan struct{})
	srv := newIPCServer(t, func(s *ipcServer) {
		s.handle = func(sc *ipcServerConn, call *ipcServerCall) {
			if call.method == "fine" {
				sc.reply(call.id, &pb.TokenProto{Identifier: call.body, Password: []byte{}, Kind: proto.String(call.method), Service: proto.String("")})
				return
			}
			arrived.Done()
			if call.method == "boom" {
				<-release
				_ = sc.fatal(call.id, "org.apache.hadoop.ipc.IpcException", "boom")
				_ = sc.nc.Close()
			}
		}
	})
	c := newTestConn(t, ConnOptions{Addr: srv.addr()})
	errs := make(chan error, 3)
	for _, m := range []string{"slow1", "slow2", "boom"} {
		go func() {
			_, err := echo(context.Background(), c, m, nil)
			errs <- err
		}()
	}
	arrived.Wait()
	close(release)
	for i := 0; i < 3; i++ {
		err := <-errs
		if !errors.Is(err, ErrConnLost) {
			t.Fatalf("pending call error = %v, want ErrConnLost", err)
		}
		var re *RemoteError
		if !errors.As(err, &re) || !re.Fatal || re.Class != "org.apache.hadoop.ipc.IpcException" {
			t.Fatalf("pending call error = %v, want the FATAL remote error", err)
		}
	}
	if _, err := echo(context.Background(), c, "fine", []byte("x")); err != nil {
		t.Fatalf("call after FATAL: %v", err)
	}
	if n := srv.accepted.Load(); n != 2 {
		t.Fatalf("connections = %d, want 2 (reconnect)", n)
	}
}

func TestConnCancelKeepsConnection(t *testing.T) {
	ipcLeakCheck(t)
	release := make(chan struct{})
	answered := make(chan struct{})
	srv := newIPCServer(t, func(s *ipcServer) {
		s.handle = func(sc *ipcServerConn, call *ipcServerCall) {
			if call.method == "slow" {
				<-release
				defer close(answered)
			}
			sc.reply(call.id, &pb.TokenProto{Identifier: call.body, Password: []byte{}, Kind: proto.String(call.method), Service: proto.String("")})
		}
	})
	c := newTestConn(t, ConnOptions{Addr: srv.addr()})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := echo(ctx, c, "slow", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow call = %v, want deadline exceeded", err)
	}
	close(release)
	<-answered // the late response is dropped by the read loop
	if got, err := echo(context.Background(), c, "fast", []byte("ok")); err != nil || string(got) != "ok" {
		t.Fatalf("call after cancel = %q, %v", got, err)
	}
	if n := srv.accepted.Load(); n != 1 {
		t.Fatalf("connections = %d, want 1", n)
	}
}

func TestConnPingWhileWaiting(t *testing.T) {
	ipcLeakCheck(t)
	srv := newIPCServer(t, nil)
	srv.handle = func(sc *ipcServerConn, call *ipcServerCall) {
		for srv.pings.Load() < 2 { // answer only after pings arrived
			time.Sleep(2 * time.Millisecond)
		}
		sc.reply(call.id, &pb.TokenProto{Identifier: call.body, Password: []byte{}, Kind: proto.String(call.method), Service: proto.String("")})
	}
	c := newTestConn(t, ConnOptions{Addr: srv.addr(), PingInterval: 10 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := echo(ctx, c, "waitForPings", nil); err != nil {
		t.Fatal(err)
	}
}

func TestConnIdleCloseAndRedial(t *testing.T) {
	ipcLeakCheck(t)
	srv := newIPCServer(t, nil)
	c := newTestConn(t, ConnOptions{Addr: srv.addr(), IdleTimeout: 30 * time.Millisecond})
	if _, err := echo(context.Background(), c, "one", nil); err != nil {
		t.Fatal(err)
	}
	sc := srv.conn(0)
	ipcWaitFor(t, "idle close", func() bool {
		select {
		case <-sc.closed:
			return true
		default:
			return false
		}
	})
	if _, err := echo(context.Background(), c, "two", nil); err != nil {
		t.Fatal(err)
	}
	if n := srv.accepted.Load(); n != 2 {
		t.Fatalf("connections = %d, want 2", n)
	}
}

func TestConnServerCloseThenReconnect(t *testing.T) {
	ipcLeakCheck(t)
	srv := newIPCServer(t, nil)
	c := newTestConn(t, ConnOptions{Addr: srv.addr()})
	if _, err := echo(context.Background(), c, "one", nil); err != nil {
		t.Fatal(err)
	}
	_ = srv.conn(0).nc.Close()
	<-srv.conn(0).closed
	// The read loop notices the close; the next call dials again.
	ipcWaitFor(t, "client noticing the close", func() bool {
		s, _ := c.liveSession()
		return s == nil
	})
	if _, err := echo(context.Background(), c, "two", nil); err != nil {
		t.Fatal(err)
	}
	if n := srv.accepted.Load(); n != 2 {
		t.Fatalf("connections = %d, want 2", n)
	}
}

func TestConnCloseFailsPendingAndLaterCalls(t *testing.T) {
	ipcLeakCheck(t)
	arrived := make(chan struct{})
	srv := newIPCServer(t, func(s *ipcServer) {
		s.handle = func(sc *ipcServerConn, call *ipcServerCall) { close(arrived) }
	})
	c, err := NewConn(ConnOptions{Addr: srv.addr(), Protocol: testProtocol, User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := echo(context.Background(), c, "hang", nil); done <- err }()
	<-arrived
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("pending call = %v, want ErrClosed", err)
	}
	if _, err := echo(context.Background(), c, "after", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("call after close = %v", err)
	}
}

func TestConnDialRefused(t *testing.T) {
	srv := newIPCServer(t, nil)
	addr := srv.addr()
	srv.close()
	c := newTestConn(t, ConnOptions{Addr: addr})
	_, err := echo(context.Background(), c, "x", nil)
	if !IsConnectionError(err) || !strings.Contains(err.Error(), "dial") {
		t.Fatalf("err = %v, want a connection error", err)
	}
}

func TestNewConnValidates(t *testing.T) {
	cases := []struct {
		name string
		opts ConnOptions
	}{
		{"no addr", ConnOptions{Protocol: "p"}},
		{"bad addr", ConnOptions{Addr: "nohostport", Protocol: "p"}},
		{"no protocol", ConnOptions{Addr: "h:1"}},
		{"token without token", ConnOptions{Addr: "h:1", Protocol: "p", Auth: AuthToken}},
		{"kerberos without creds", ConnOptions{Addr: "h:1", Protocol: "p", Auth: AuthKerberos}},
		{"bad qop", ConnOptions{Addr: "h:1", Protocol: "p", User: "u", QOP: []string{"secret"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewConn(tc.opts); err == nil {
				t.Fatal("NewConn accepted invalid options")
			}
		})
	}
}

func TestConnSimpleRejectedByTokenOnlyServer(t *testing.T) {
	ipcLeakCheck(t)
	srv := newIPCServer(t, func(s *ipcServer) { s.allowSimple = false; s.tokens = map[string][]byte{} })
	c := newTestConn(t, ConnOptions{Addr: srv.addr()})
	_, err := echo(context.Background(), c, "x", nil)
	var re *RemoteError
	if !errors.Is(err, ErrAccessControl) || !errors.As(err, &re) || !re.Fatal {
		t.Fatalf("err = %v, want fatal AccessControlException", err)
	}
}

func TestCallIDWraps(t *testing.T) {
	c := &Conn{}
	c.callSeq.Store(0x7FFFFFFF)
	if id := c.nextCallID(); id != 0x7FFFFFFF {
		t.Fatalf("id = %d", id)
	}
	if id := c.nextCallID(); id != 0 {
		t.Fatalf("id after wrap = %d, want 0", id)
	}
}

func TestConnBlockedWriteHonoursContext(t *testing.T) {
	ipcLeakCheck(t)
	srv := newIPCServer(t, func(s *ipcServer) { s.stall = true })
	c := newTestConn(t, ConnOptions{Addr: srv.addr()})
	payload := bytes.Repeat([]byte{1}, 64<<20)
	if _, err := c.session(context.Background()); err != nil { // dial first
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	// Far more than the socket buffers hold while the server reads nothing.
	_, err := echo(ctx, c, "big", payload)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	// The half-written connection is discarded; the next call dials anew.
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	ipcWaitFor(t, "session discarded", s.isDead)
	if srv.accepted.Load() != 1 {
		t.Fatal("unexpected extra connection")
	}
}
