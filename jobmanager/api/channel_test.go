package api

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floe-yarn/floe/internal/testutil"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

var fastTiming = Timing{Interval: 10 * time.Millisecond, Timeout: 2 * time.Second}

// testJM answers control upgrades like the JobManager: it verifies, reads
// the registration, accepts it (or refuses when refuse is set) and hands
// the channel to serve.
func testJM(t *testing.T, refuse string, serve func(ch *Channel, reg Registration)) string {
	t.Helper()
	v := NewVerifier(testSecret)
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, br, err := Upgrade(w, r, v)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		wg.Add(1)
		defer wg.Done()
		reg, err := ReadRegistration(br)
		if err != nil {
			_ = conn.Close()
			return
		}
		ch := NewChannel(conn, br, fastTiming)
		defer ch.Close()
		if refuse != "" {
			_ = ch.Send(MsgRefused, Error{Version: Version, Error: refuse})
			return
		}
		_ = ch.Send(MsgRegistered, RegistrationReply{Version: Version, HeartbeatMillis: fastTiming.Interval.Milliseconds(), TimeoutMillis: fastTiming.Timeout.Milliseconds()})
		if serve != nil {
			serve(ch, reg)
		}
	}))
	t.Cleanup(func() { srv.Close(); wg.Wait() })
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestDial(t *testing.T) {
	cases := []struct {
		name     string
		secret   []byte
		refuse   string
		wantErrs []error
	}{
		{"registered", testSecret, "", nil},
		{"wrong secret", []byte("not the secret, but long enough"), "", []error{ErrRemote, ErrUnauthenticated}},
		{"refused registration", testSecret, "unknown TaskManager", []error{ErrRemote}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := testJM(t, tc.refuse, nil)
			ch, reply, err := Dial(context.Background(), addr, tc.secret, Registration{TaskManager: "tm-1", Slots: 1})
			if tc.wantErrs == nil {
				if err != nil {
					t.Fatal(err)
				}
				defer ch.Close()
				if ch.Timing() != fastTiming || reply.Timing() != fastTiming {
					t.Fatalf("timing %v / %v, want %v", ch.Timing(), reply.Timing(), fastTiming)
				}
				return
			}
			for _, want := range tc.wantErrs {
				if !errors.Is(err, want) {
					t.Fatalf("err %v, want %v", err, want)
				}
			}
		})
	}
}

// TestDialRefusesImpostor: a peer that switches protocols without proving
// it holds the secret is not the JobManager.
func TestDialRefusesImpostor(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
			return
		}
		fmt.Fprintf(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: %s\r\n%s: %s\r\n\r\n", UpgradeProtocol, ProofHeader, strings.Repeat("0", 64))
		_, _ = io.Copy(io.Discard, c)
	}()
	_, _, err = Dial(context.Background(), ln.Addr().String(), testSecret, Registration{TaskManager: "tm-1", Slots: 1})
	if !errors.Is(err, ErrUnauthenticated) || errors.Is(err, ErrRemote) {
		t.Fatalf("err %v, want ErrUnauthenticated from this side", err)
	}
	_ = ln.Close()
	<-done
}

// TestHandshakeReplayRefused sends the same signed upgrade twice: the
// second fails on its nonce.
func TestHandshakeReplayRefused(t *testing.T) {
	addr := testJM(t, "", nil)
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+ControlPath, nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", UpgradeProtocol)
	if err := Sign(req, testSecret, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	if err := req.Write(&raw); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{http.StatusSwitchingProtocols, http.StatusUnauthorized} {
		c, err := net.DialTimeout("tcp", addr, HandshakeTimeout)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(HandshakeTimeout))
		if _, err := c.Write(raw.Bytes()); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		_ = c.Close()
		if resp.StatusCode != want {
			t.Fatalf("handshake %d: status %d, want %d", i+1, resp.StatusCode, want)
		}
	}
}

// TestDialHonorsContext: a JobManager that never answers does not hold a
// TaskManager beyond its context.
func TestDialHonorsContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, _, err := Dial(ctx, ln.Addr().String(), testSecret, Registration{TaskManager: "tm-1", Slots: 1}); err == nil {
		t.Fatal("dial to a silent peer succeeded")
	}
}

// TestCheckpointMessagesRoundTrip carries the checkpoint messages over a
// channel in the directions they will flow.
func TestCheckpointMessagesRoundTrip(t *testing.T) {
	trigger := TriggerCheckpoint{Job: "j", Attempt: 1, Checkpoint: 7, TimestampMillis: 1, Subtasks: []SubtaskRef{{0, 0}, {0, 1}}}
	notify := NotifyCheckpoint{Job: "j", Attempt: 1, Checkpoint: 7}
	ack := AcknowledgeCheckpoint{TaskManager: "tm-1", Job: "j", Attempt: 1, Vertex: 0, Subtask: 1, Checkpoint: 7,
		Handles: []StateHandle{{Path: "/chk/7/a", Size: 9, KeyGroupStart: 0, KeyGroupEnd: 128, Operator: "src"}}}
	decline := DeclineCheckpoint{TaskManager: "tm-1", Job: "j", Attempt: 1, Vertex: 0, Subtask: 0, Checkpoint: 7, Cause: "finished"}

	atJM := make(chan Frame, 2)
	addr := testJM(t, "", func(ch *Channel, _ Registration) {
		if ch.Send(MsgTriggerCheckpoint, trigger) != nil || ch.Send(MsgNotifyCheckpoint, notify) != nil {
			return
		}
		_ = ch.Run(context.Background(), func(f Frame) error {
			if f.Type != MsgHeartbeat {
				atJM <- f
			}
			if len(atJM) == cap(atJM) {
				return io.EOF
			}
			return nil
		})
	})
	ch, _, err := Dial(context.Background(), addr, testSecret, Registration{TaskManager: "tm-1", Slots: 1})
	if err != nil {
		t.Fatal(err)
	}
	atTM := make(chan Frame, 2)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = ch.Run(context.Background(), func(f Frame) error {
			if f.Type != MsgHeartbeat {
				atTM <- f
			}
			return nil
		})
	}()
	defer func() { ch.Close(); wg.Wait() }()
	if err := ch.Send(MsgAcknowledgeCheckpoint, ack); err != nil {
		t.Fatal(err)
	}
	if err := ch.Send(MsgDeclineCheckpoint, decline); err != nil {
		t.Fatal(err)
	}
	check := func(from chan Frame, typ MsgType, want any) {
		t.Helper()
		var f Frame
		select {
		case f = <-from:
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s", typ)
		}
		got := reflect.New(reflect.TypeOf(want))
		if f.Type != typ || f.Decode(got.Interface()) != nil || !reflect.DeepEqual(got.Elem().Interface(), want) {
			t.Fatalf("%s: got %s %s", typ, f.Type, f.Payload)
		}
	}
	check(atTM, MsgTriggerCheckpoint, trigger)
	check(atTM, MsgNotifyCheckpoint, notify)
	check(atJM, MsgAcknowledgeCheckpoint, ack)
	check(atJM, MsgDeclineCheckpoint, decline)
}

// TestChannelHeartbeats: two live ends keep each other beyond the timeout
// with heartbeats; an end whose peer goes silent gives up after it.
func TestChannelHeartbeats(t *testing.T) {
	timing := Timing{Interval: 10 * time.Millisecond, Timeout: 200 * time.Millisecond}
	a, b := net.Pipe()
	ca, cb := NewChannel(a, nil, timing), NewChannel(b, nil, timing)
	var beatsA, beatsB atomic.Int32
	count := func(n *atomic.Int32) func(Frame) error {
		return func(f Frame) error {
			if f.Type == MsgHeartbeat {
				n.Add(1)
			}
			return nil
		}
	}
	errs := make(chan error, 2)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { errs <- ca.Run(ctx, count(&beatsA)) }()
	go func() { errs <- cb.Run(ctx, count(&beatsB)) }()
	// 40 heartbeats at 10ms span twice the timeout.
	testutil.WaitFor(t, 30*time.Second, "heartbeats both ways", func() bool { return beatsA.Load() >= 40 && beatsB.Load() >= 40 })
	cancel()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("live channel ended with %v", err)
		}
	}

	// A silent peer: it reads (so writes do not block) but never sends.
	a, b = net.Pipe()
	go func() { _, _ = io.Copy(io.Discard, b) }()
	defer b.Close()
	err := NewChannel(a, nil, timing).Run(context.Background(), func(Frame) error { return nil })
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("silent peer: %v, want a read timeout", err)
	}
}
