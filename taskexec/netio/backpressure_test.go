package netio

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floe-yarn/floe/internal/testutil"
)

// TestBackpressure runs a producer that never pauses against a consumer
// that reads only when the test lets it. The producer may get ahead by the
// buffers flow control allows (its queue bound, its current buffer, the
// consumer's credits) and no further: it must block, and the pools must
// stay far below their size.
func TestBackpressure(t *testing.T) {
	const (
		bufSize  = 256
		recLen   = 50
		maxQueue = 4
		credits  = 2
		total    = 3000
		steps    = 600
	)
	// Buffers holding records the consumer has not read yet: the queue,
	// the current buffer, one flushed past the bound, the credits.
	maxBuffers := maxQueue + 2 + credits
	bound := int64(maxBuffers*(bufSize/(recLen+1)+1) + 1)
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			checkLeaks(t)
			ctx := testCtx(t)
			prod, cons := pair(t, tr.remote, tmOptions{bufferSize: bufSize, numBuffers: 64, credits: credits})
			id := PartitionID{Job: "backpressure"}
			p := newPartition(t, prod, id, 1, func(o *PartitionOptions) { o.MaxBuffersPerSubpartition = maxQueue })
			var produced atomic.Int64
			errc := make(chan error, 1)
			go func() {
				rec := make([]byte, recLen)
				for i := 0; i < total; i++ {
					copy(rec, fmt.Sprintf("%08d", i))
					if err := p.Emit(ctx, 0, rec); err != nil {
						errc <- err
						return
					}
					produced.Add(1)
				}
				errc <- p.Finish(ctx)
			}()
			g, _ := NewInputGate([]*InputChannel{dial(t, cons, prod, id, 0)}, GateOptions{})
			defer g.Close()

			var consumed int64
			maxAhead := int64(0)
			for step := 0; step < steps; step++ {
				// Let the producer run ahead as far as it can...
				testutil.WaitFor(t, 20*time.Second, "the producer to get ahead", func() bool {
					return produced.Load() >= min(consumed+20, total)
				})
				ahead := produced.Load() - consumed
				maxAhead = max(maxAhead, ahead)
				if ahead > bound {
					t.Fatalf("step %d: producer %d records ahead of the consumer, flow control allows %d", step, ahead, bound)
				}
				// ...then read one record.
				el, err := g.Next(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if want := fmt.Sprintf("%08d", consumed); string(el.Record[:8]) != want {
					t.Fatalf("record %q, want %q", el.Record[:8], want)
				}
				consumed++
			}
			t.Logf("producer got at most %d records ahead (bound %d); peak buffers: producer pool %d, consumer pool %d",
				maxAhead, bound, prod.pool.PeakInUse(), cons.pool.PeakInUse())
			rest, err := drain(ctx, g)
			if err != nil {
				t.Fatal(err)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if got := consumed + int64(len(rest)) - 1; got != total {
				t.Fatalf("consumed %d records, want %d", got, total)
			}
			if peak := prod.pool.PeakInUse(); peak > maxBuffers {
				t.Fatalf("producer pool peaked at %d buffers, flow control allows %d", peak, maxBuffers)
			}
			if tr.remote {
				if peak := cons.pool.PeakInUse(); peak > credits {
					t.Fatalf("consumer pool peaked at %d buffers, with %d credits", peak, credits)
				}
			}
		})
	}
}

// TestPoolBound checks the pool itself: Get blocks at the bound and resumes
// when a buffer comes back.
func TestPoolBound(t *testing.T) {
	ctx := testCtx(t)
	pool, err := NewBufferPool(PoolOptions{NumBuffers: 3, BufferSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	var bufs []*Buffer
	for i := 0; i < 3; i++ {
		b, err := pool.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if b.Free() != 64 || b.Len() != 0 {
			t.Fatalf("fresh buffer: len %d free %d", b.Len(), b.Free())
		}
		bufs = append(bufs, b)
	}
	if _, ok := pool.TryGet(); ok {
		t.Fatal("TryGet beyond the bound succeeded")
	}
	got := make(chan *Buffer)
	go func() {
		b, err := pool.Get(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- b
	}()
	bufs[0].data = append(bufs[0].data, "dirty"...)
	bufs[0].Recycle()
	b := <-got
	if b.Len() != 0 {
		t.Fatal("recycled buffer not reset")
	}
	if pool.InUse() != 3 || pool.PeakInUse() != 3 {
		t.Fatalf("in use %d peak %d", pool.InUse(), pool.PeakInUse())
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := pool.Get(cctx); err == nil {
		t.Fatal("Get on an empty pool with a cancelled context succeeded")
	}
	for _, b := range append(bufs[1:], b) {
		b.Recycle()
	}
	if pool.InUse() != 0 {
		t.Fatalf("in use %d after recycling all", pool.InUse())
	}
	defer func() {
		if recover() == nil {
			t.Fatal("double recycle did not panic")
		}
	}()
	b.Recycle()
}

func TestPoolOptions(t *testing.T) {
	cases := []struct {
		name string
		opts PoolOptions
		ok   bool
	}{
		{"defaults", PoolOptions{NumBuffers: 1}, true},
		{"no buffers", PoolOptions{}, false},
		{"tiny buffers", PoolOptions{NumBuffers: 4, BufferSize: 8}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewBufferPool(tc.opts)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && p.BufferSize() != DefaultBufferSize {
				t.Fatalf("buffer size %d", p.BufferSize())
			}
		})
	}
}
