package netio

import (
	"encoding/binary"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floe-yarn/floe/internal/testutil"
)

// TestPausedChannelBackpressures pauses one channel of a gate, as barrier
// alignment does, and lets its producer write as fast as it can: it stops
// once the consumer's credit and its subpartition's queue are full, a
// bound far below what it wants to write, while the other channel flows to
// its end. Resumed, the paused channel delivers every record in order.
func TestPausedChannelBackpressures(t *testing.T) {
	for _, remote := range []bool{false, true} {
		name := map[bool]string{false: "local", true: "remote"}[remote]
		t.Run(name, func(t *testing.T) {
			checkLeaks(t)
			ctx := testCtx(t)
			const bufferSize, credits, n = 256, 2, 20000
			prod, cons := pair(t, remote, tmOptions{bufferSize: bufferSize, credits: credits})
			ids := []PartitionID{{Job: "paused", Producer: 0}, {Job: "paused", Producer: 1}}
			var emitted [2]atomic.Int64
			errc := make(chan error, 2)
			for i, id := range ids {
				p := newPartition(t, prod, id, 1, nil)
				go func() {
					for k := 0; k < n; k++ {
						if err := p.Emit(ctx, 0, binary.LittleEndian.AppendUint64(nil, uint64(k))); err != nil {
							errc <- err
							return
						}
						emitted[i].Add(1)
					}
					errc <- p.Finish(ctx)
				}()
			}
			g, err := NewInputGate([]*InputChannel{dial(t, cons, prod, ids[0], 0), dial(t, cons, prod, ids[1], 0)}, GateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			g.Pause(0)
			next := [2]uint64{}
			read := func(want int) (ended bool) {
				el, err := g.Next(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if el.Channel != want {
					t.Fatalf("element of channel %d, want %d", el.Channel, want)
				}
				if el.Event.Kind == EndOfPartition {
					return true
				}
				if v := binary.LittleEndian.Uint64(el.Record); v != next[want] {
					t.Fatalf("channel %d: record %d, want %d", want, v, next[want])
				}
				next[want]++
				return false
			}
			for ended := false; !ended; {
				ended = read(1)
			}
			// Held: the consumer's credit, the subpartition's queue, the
			// buffer being filled and one in transit; 9 bytes a record.
			bound := int64(credits+DefaultMaxBuffersPerSubpartition+3) * (bufferSize/9 + 1)
			last := int64(-1)
			testutil.WaitFor(t, 10*time.Second, "the paused channel's producer to stop", func() bool {
				e := emitted[0].Load()
				stopped := e == last
				last = e
				return stopped
			})
			t.Logf("paused producer stopped after %d of %d records (bound %d)", last, n, bound)
			if last > bound {
				t.Fatalf("paused channel's producer wrote %d records, bound %d", last, bound)
			}
			g.Resume(0)
			for ended := false; !ended; {
				ended = read(0)
			}
			if next != [2]uint64{n, n} {
				t.Fatalf("records %v, want %d each", next, n)
			}
			for range ids {
				if err := <-errc; err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
