package netio

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/internal/testutil"
)

func TestAuthentication(t *testing.T) {
	cases := []struct {
		name   string
		secret []byte
		ok     bool
	}{
		{"same secret", testSecret, true},
		{"wrong secret", []byte("some other application"), false},
		{"secret prefix", testSecret[:len(testSecret)-1], false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			ctx := testCtx(t)
			prod := newTestTM(t, tmOptions{})
			cons := newTestTM(t, tmOptions{secret: tc.secret})
			id := PartitionID{Job: "auth"}
			p := newPartition(t, prod, id, 1, nil)
			if err := p.Finish(ctx); err != nil {
				t.Fatal(err)
			}
			ch, err := cons.client.Dial(ctx, prod.srv.Addr(), id, 0)
			if !tc.ok {
				if !errors.Is(err, ErrAuthFailed) {
					t.Fatalf("Dial with the wrong secret: %v, want ErrAuthFailed", err)
				}
				testutil.WaitFor(t, 20*time.Second, "the rejection in the server log", func() bool {
					return strings.Contains(prod.logs.String(), "data connection rejected")
				})
				if cons.pool.InUse() != 0 {
					t.Fatalf("%d receive buffers held after a failed dial", cons.pool.InUse())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			g, _ := NewInputGate([]*InputChannel{ch}, GateOptions{})
			defer g.Close()
			if els, err := drain(ctx, g); err != nil || len(els) != 1 {
				t.Fatalf("got %v, %v; want just the end of partition", els, err)
			}
		})
	}
}

// TestUnauthenticatedPeer speaks to the server without the handshake: it
// must be hung up on before it can request anything.
func TestUnauthenticatedPeer(t *testing.T) {
	checkLeaks(t)
	prod := newTestTM(t, tmOptions{})
	id := PartitionID{Job: "raw"}
	p := newPartition(t, prod, id, 1, nil)
	if err := p.Emit(context.Background(), 0, []byte("secret data")); err != nil {
		t.Fatal(err)
	}
	p.Flush()
	conn, err := net.Dial("tcp", prod.srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Skip the auth step and ask for the partition straight away.
	req := appendFrame(nil, frameRequest, 1, appendRequest(nil, request{credit: 5, partition: id}))
	if _, err := conn.Write(req); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(conn) // the server hangs up
	if strings.Contains(string(got), "secret data") {
		t.Fatal("unauthenticated peer received partition data")
	}
	var hb [headerLen]byte
	h, err := readHeader(strings.NewReader(string(got)), &hb)
	if err != nil || h.typ != frameHello {
		t.Fatalf("first frame %v %v, want hello", h, err)
	}
	testutil.WaitFor(t, 20*time.Second, "the rejection in the server log", func() bool {
		return strings.Contains(prod.logs.String(), "data connection rejected")
	})
}

func TestProducerFailure(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			checkLeaks(t)
			ctx := testCtx(t)
			prod, cons := pair(t, tr.remote, tmOptions{})
			id := PartitionID{Job: "fail"}
			p := newPartition(t, prod, id, 1, nil)
			g, _ := NewInputGate([]*InputChannel{dial(t, cons, prod, id, 0)}, GateOptions{})
			defer g.Close()
			if err := p.Emit(ctx, 0, []byte("before")); err != nil {
				t.Fatal(err)
			}
			p.Flush()
			el, err := g.Next(ctx)
			if err != nil || string(el.Record) != "before" {
				t.Fatalf("got %v %v", el, err)
			}
			p.Fail(errors.New("operator exploded"))
			_, err = g.Next(ctx)
			if !errors.Is(err, ErrProducerFailed) || !strings.Contains(err.Error(), "operator exploded") {
				t.Fatalf("Next after Fail: %v; want ErrProducerFailed with the cause", err)
			}
			if err := p.Emit(ctx, 0, []byte("after")); !errors.Is(err, ErrProducerFailed) {
				t.Fatalf("Emit after Fail: %v", err)
			}
		})
	}
}

// TestConnectionLost kills the producer TaskManager's server mid-stream.
func TestConnectionLost(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t)
	prod, cons := pair(t, true, tmOptions{})
	id := PartitionID{Job: "crash"}
	p := newPartition(t, prod, id, 1, nil)
	g, _ := NewInputGate([]*InputChannel{dial(t, cons, prod, id, 0)}, GateOptions{})
	defer g.Close()
	if err := p.Emit(ctx, 0, []byte("one")); err != nil {
		t.Fatal(err)
	}
	p.Flush()
	if el, err := g.Next(ctx); err != nil || string(el.Record) != "one" {
		t.Fatalf("got %v %v", el, err)
	}
	if err := prod.srv.Close(); err != nil { // the sockets close, as when the process dies
		t.Fatal(err)
	}
	_, err := g.Next(ctx)
	if !errors.Is(err, ErrConnectionLost) {
		t.Fatalf("Next after the producer died: %v, want ErrConnectionLost", err)
	}
	// The producer learns its consumer is gone and stops.
	testutil.WaitFor(t, 20*time.Second, "Emit to fail", func() bool {
		return errors.Is(p.Emit(ctx, 0, []byte("x")), ErrPartitionReleased)
	})
}

func TestPartitionRequestWaitsForProducer(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			checkLeaks(t)
			ctx := testCtx(t)
			prod, cons := pair(t, tr.remote, tmOptions{})
			id := PartitionID{Job: "late", Attempt: 2}
			// The consumer starts first.
			g, _ := NewInputGate([]*InputChannel{dial(t, cons, prod, id, 0)}, GateOptions{})
			defer g.Close()
			p := newPartition(t, prod, id, 1, nil)
			if err := p.Emit(ctx, 0, []byte("late but here")); err != nil {
				t.Fatal(err)
			}
			if err := p.Finish(ctx); err != nil {
				t.Fatal(err)
			}
			els, err := drain(ctx, g)
			if err != nil || len(els) != 2 || els[0].rec != "late but here" {
				t.Fatalf("got %v %v", els, err)
			}
		})
	}
}

func TestPartitionNotFound(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			checkLeaks(t)
			ctx := testCtx(t)
			prod, cons := pair(t, tr.remote, tmOptions{requestTimeout: 50 * time.Millisecond})
			id := PartitionID{Job: "never"}
			var ch *InputChannel
			if tr.remote {
				ch = dial(t, cons, prod, id, 0)
			} else {
				var err error
				ch, err = DialLocal(prod.reg, id, 0, LocalOptions{RequestTimeout: 50 * time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
			}
			g, _ := NewInputGate([]*InputChannel{ch}, GateOptions{})
			defer g.Close()
			if _, err := g.Next(ctx); !errors.Is(err, ErrPartitionNotFound) {
				t.Fatalf("got %v, want ErrPartitionNotFound", err)
			}
		})
	}
}

func TestBadSubpartition(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t)
	prod, cons := pair(t, true, tmOptions{})
	id := PartitionID{Job: "bad-sub"}
	newPartition(t, prod, id, 2, nil)
	g, _ := NewInputGate([]*InputChannel{dial(t, cons, prod, id, 7)}, GateOptions{})
	defer g.Close()
	if _, err := g.Next(ctx); err == nil || !strings.Contains(err.Error(), "no subpartition 7") {
		t.Fatalf("got %v", err)
	}
}

// TestCancelEndsEverything closes consumers mid-stream and then everything
// else; no goroutine of the package may survive (checkLeaks), the producer
// must notice, and every buffer must be back in its pool.
func TestCancelEndsEverything(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			checkLeaks(t)
			prod, cons := pair(t, tr.remote, tmOptions{bufferSize: 512, numBuffers: 64})
			id := PartitionID{Job: "cancel"}
			p := newPartition(t, prod, id, 1, nil)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			emitErr := make(chan error, 1)
			go func() {
				for {
					if err := p.Emit(ctx, 0, []byte("a record that keeps coming")); err != nil {
						emitErr <- err
						return
					}
				}
			}()
			g, _ := NewInputGate([]*InputChannel{dial(t, cons, prod, id, 0)}, GateOptions{})
			for i := 0; i < 100; i++ {
				if _, err := g.Next(ctx); err != nil {
					t.Fatal(err)
				}
			}
			// A reader blocked in Next ends with its context.
			nctx, ncancel := context.WithCancel(ctx)
			ncancel()
			for {
				if _, err := g.Next(nctx); err != nil {
					if !errors.Is(err, context.Canceled) {
						t.Fatalf("Next with a cancelled context: %v", err)
					}
					break
				}
			}
			if err := g.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := g.Next(ctx); !errors.Is(err, ErrClosed) {
				t.Fatalf("Next after Close: %v", err)
			}
			select {
			case err := <-emitErr:
				if !errors.Is(err, ErrPartitionReleased) {
					t.Fatalf("Emit after the consumer left: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("producer still emitting after its consumer closed")
			}
			p.Release()
			testutil.WaitFor(t, 20*time.Second, "buffers back in the pools", func() bool {
				return prod.pool.InUse() == 0 && cons.pool.InUse() == 0
			})
		})
	}
}

// TestReleaseUnblocksWriter releases a partition whose writer is blocked
// without credit.
func TestReleaseUnblocksWriter(t *testing.T) {
	checkLeaks(t)
	prod := newTestTM(t, tmOptions{bufferSize: 128, numBuffers: 4})
	p := newPartition(t, prod, PartitionID{Job: "release"}, 1, nil)
	errc := make(chan error, 1)
	go func() {
		for {
			if err := p.Emit(context.Background(), 0, make([]byte, 100)); err != nil {
				errc <- err
				return
			}
		}
	}()
	testutil.WaitFor(t, 20*time.Second, "the pool to run dry", func() bool { return prod.pool.InUse() == prod.pool.NumBuffers() })
	p.Release()
	if err := <-errc; !errors.Is(err, ErrPartitionReleased) {
		t.Fatalf("blocked Emit after Release: %v", err)
	}
	testutil.WaitFor(t, 20*time.Second, "buffers back", func() bool { return prod.pool.InUse() == 0 })
}
