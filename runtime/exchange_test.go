package runtime

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/internal/testutil"
)

func TestLocalExchangeRoundTrip(t *testing.T) {
	ctx := context.Background()
	x := NewLocalExchange()
	e := graph.JobEdge{Index: 0, From: 0, To: 1, Partitioner: graph.Rebalance}
	var writers []*RecordOutput
	for p := 0; p < 2; p++ {
		w, err := x.OpenWriter(ctx, PartitionID{Job: "j", Edge: 0, Producer: p}, 1, []int{0})
		if err != nil {
			t.Fatal(err)
		}
		writers = append(writers, NewRecordOutput(ctx, e, w, p, 128))
	}
	gate, err := x.OpenGate(ctx, GateID{Job: "j", Vertex: 1, Subtask: 0}, []GateInput{{Edge: 0, Producers: []int{0, 1}}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := CodecFor[string](NewCodecRegistry())
	if err != nil {
		t.Fatal(err)
	}
	const n = 5000 // several buffers per producer
	done := make(chan error, 2)
	for p, o := range writers {
		emit, err := Emitter(o, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for i := 0; i < n; i++ {
				emit(fmt.Sprintf("p%d-%05d-%s", p, i, "padding padding padding"))
			}
			done <- o.end()
		}()
	}
	next := map[int]int{}
	eops := 0
	for eops < 2 {
		el, err := gate.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if el.Event.Kind == EndOfPartition {
			eops++
			continue
		}
		v, _, err := c.Decode(el.Record)
		if err != nil {
			t.Fatal(err)
		}
		// Order is kept within a channel.
		if want := fmt.Sprintf("p%d-%05d-%s", el.Producer, next[el.Producer], "padding padding padding"); v != want {
			t.Fatalf("got %q, want %q", v, want)
		}
		next[el.Producer]++
	}
	for i := 0; i < 2; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if next[0] != n || next[1] != n {
		t.Fatalf("received %v", next)
	}
}

// TestLocalExchangeBackpressureAndCancel: with nobody reading, a writer fills
// its consumer's queue and then blocks, writing not one buffer beyond the
// queue's bound however long it is left, until its context ends. (An
// unbounded queue fails it: its writer is far past the bound by the time
// the test cancels.)
func TestLocalExchangeBackpressureAndCancel(t *testing.T) {
	x := NewLocalExchange()
	// Every producer channel has its own queue of BuffersPerChannel.
	bound := int64(x.BuffersPerChannel)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := x.OpenWriter(ctx, PartitionID{Job: "j", Edge: 0, Producer: 0}, 1, []int{0})
	if err != nil {
		t.Fatal(err)
	}
	var written atomic.Int64
	ended := make(chan error, 1)
	go func() {
		for {
			if err := w.WriteBuffer(ctx, 0, make([]byte, 8)); err != nil {
				ended <- err
				return
			}
			written.Add(1)
		}
	}()
	testutil.WaitFor(t, 10*time.Second, "the writer to fill the queue", func() bool {
		select {
		case err := <-ended:
			t.Fatalf("writer stopped after %d buffers with the queue not full: %v", written.Load(), err)
		default:
		}
		return written.Load() >= bound
	})
	// … and gives up when its context ends.
	cancel()
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("writer still blocked after cancel")
	}
	if n := written.Load(); n != bound {
		t.Fatalf("the writer wrote %d buffers with nobody reading, want %d: the queue is not bounded", n, bound)
	}
}

func TestKeyGroups(t *testing.T) {
	c, _ := CodecFor[[2]int](NewCodecRegistry())
	hashers := map[string]func() (uint64, uint64){
		"string": func() (uint64, uint64) {
			h, _ := KeyHasher[string](nil)
			return h("user-1"), h("user-1")
		},
		"int": func() (uint64, uint64) {
			h, _ := KeyHasher[int](nil)
			return h(42), h(42)
		},
		"codec": func() (uint64, uint64) {
			h, err := KeyHasher(c)
			if err != nil {
				t.Fatal(err)
			}
			return h([2]int{1, 2}), h([2]int{1, 2})
		},
	}
	for name, f := range hashers {
		if a, b := f(); a != b {
			t.Errorf("%s: hash not deterministic", name)
		}
	}
	if HashString("floe") != HashBytes([]byte("floe")) {
		t.Error("HashString and HashBytes disagree")
	}
	// Every key group maps to exactly one subtask, in contiguous ranges.
	for _, p := range []int{1, 3, 4, 128} {
		last := 0
		for kg := 0; kg < 128; kg++ {
			s := SubtaskForKeyGroup(kg, 128, p)
			if s < last || s >= p {
				t.Fatalf("p=%d kg=%d → %d", p, kg, s)
			}
			last = s
		}
		if last != p-1 {
			t.Fatalf("p=%d: last subtask %d", p, last)
		}
	}
	if _, err := KeyHasher[struct{ F []int }](nil); err == nil {
		t.Error("no error for a key without codec")
	}
}

func TestForEachRecordRejectsTruncation(t *testing.T) {
	cases := map[string][]byte{
		"short header": {1, 0},
		"short body":   {5, 0, 0, 0, 'a'},
	}
	for name, b := range cases {
		if err := ForEachRecord(b, func([]byte) {}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestLocalGateBlockedChannelBackpressures blocks one channel of a gate as
// barrier alignment does: its producer stops after BuffersPerChannel
// buffers (nothing piles up in the consumer) while the other channel keeps
// flowing to its end; unblocked, the held channel delivers everything in
// order.
func TestLocalGateBlockedChannelBackpressures(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	x := NewLocalExchange()
	const n = 100
	var written [2]atomic.Int64
	errc := make(chan error, 2)
	for p := 0; p < 2; p++ {
		w, err := x.OpenWriter(ctx, PartitionID{Job: "j", Edge: 0, Producer: p}, 1, []int{0})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for i := 0; i < n; i++ {
				b := binary.LittleEndian.AppendUint32(w.NewBuffer(), 8)
				if err := w.WriteBuffer(ctx, 0, binary.LittleEndian.AppendUint64(b, uint64(i))); err != nil {
					errc <- err
					return
				}
				written[p].Add(1)
			}
			errc <- w.Finish(ctx)
		}()
	}
	gate, err := x.OpenGate(ctx, GateID{Job: "j", Vertex: 1, Subtask: 0}, []GateInput{{Edge: 0, Producers: []int{0, 1}}})
	if err != nil {
		t.Fatal(err)
	}
	defer gate.Close()
	gate.Block(0, 0)
	next := [2]uint64{}
	read := func(want int) (ended bool) {
		el, err := gate.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if el.Producer != want {
			t.Fatalf("element of producer %d, want %d", el.Producer, want)
		}
		if el.Event.Kind == EndOfPartition {
			return true
		}
		if v := binary.LittleEndian.Uint64(el.Record); v != next[want] {
			t.Fatalf("producer %d: record %d, want %d", want, v, next[want])
		}
		next[want]++
		return false
	}
	for !read(1) {
		if w := written[0].Load(); w > int64(x.BuffersPerChannel) {
			t.Fatalf("blocked channel's producer wrote %d buffers, bound %d", w, x.BuffersPerChannel)
		}
	}
	if next[1] != n {
		t.Fatalf("unblocked channel delivered %d records, want %d", next[1], n)
	}
	testutil.WaitFor(t, 10*time.Second, "blocked producer to fill its channel", func() bool {
		return written[0].Load() == int64(x.BuffersPerChannel)
	})
	if w := written[0].Load(); w != int64(x.BuffersPerChannel) {
		t.Fatalf("blocked channel's producer wrote %d buffers, bound %d", w, x.BuffersPerChannel)
	}
	gate.Unblock(0, 0)
	for ended := false; !ended; {
		ended = read(0)
	}
	if next[0] != n {
		t.Fatalf("unblocked channel delivered %d records, want %d", next[0], n)
	}
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
}
