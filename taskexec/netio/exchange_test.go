package netio

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// transports runs a test over a TCP channel between two TaskManagers and
// over a local channel inside one.
var transports = []struct {
	name   string
	remote bool
}{{"tcp", true}, {"local", false}}

func pair(t *testing.T, remote bool, o tmOptions) (producer, consumer *testTM) {
	producer = newTestTM(t, o)
	if !remote {
		return producer, producer
	}
	return producer, newTestTM(t, o)
}

// script is what a producer emits on one subpartition, and so what the
// consumer must see.
func script(n int) []element {
	var out []element
	for i := 0; i < n; i++ {
		switch {
		case i%97 == 50:
			out = append(out, element{ev: WatermarkEvent(int64(i) * 1000)})
		case i%251 == 100:
			out = append(out, element{ev: BarrierEvent(int64(i), -int64(i))})
		case i == n-1:
			out = append(out, element{ev: Event{Kind: Stopped}})
		case i%13 == 0:
			out = append(out, element{rec: ""}) // empty records are records too
		default:
			// Sizes 1..300 against 256-byte buffers: many records span.
			out = append(out, element{rec: strings.Repeat(string(rune('a'+i%26)), 1+(i*37)%300)})
		}
	}
	return out
}

func play(ctx context.Context, p *ResultPartition, sub int, s []element) error {
	for _, e := range s {
		var err error
		if e.ev.Kind != 0 {
			err = p.EmitEvent(ctx, sub, e.ev)
		} else {
			err = p.Emit(ctx, sub, []byte(e.rec))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func TestRecordsAndEventsInOrder(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			checkLeaks(t)
			ctx := testCtx(t)
			prod, cons := pair(t, tr.remote, tmOptions{bufferSize: 256, credits: 2})
			id := PartitionID{Job: "order", Edge: 1, Producer: 0}
			p := newPartition(t, prod, id, 2, nil)
			// Two subpartitions with different scripts; this consumer is
			// subtask 1.
			s0, s1 := script(500), script(3000)
			errc := make(chan error, 1)
			go func() {
				for i := range max(len(s0), len(s1)) {
					if i < len(s0) {
						if err := play(ctx, p, 0, s0[i:i+1]); err != nil {
							errc <- err
							return
						}
					}
					if i < len(s1) {
						if err := play(ctx, p, 1, s1[i:i+1]); err != nil {
							errc <- err
							return
						}
					}
				}
				errc <- p.Finish(ctx)
			}()
			g0, err := NewInputGate([]*InputChannel{dial(t, cons, prod, id, 0)}, GateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer g0.Close()
			g1, err := NewInputGate([]*InputChannel{dial(t, cons, prod, id, 1)}, GateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer g1.Close()
			var got0 []element
			var err0 error
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); got0, err0 = drain(ctx, g0) }()
			got1, err1 := drain(ctx, g1)
			wg.Wait()
			if err := <-errc; err != nil {
				t.Fatalf("producer: %v", err)
			}
			for _, c := range []struct {
				got  []element
				err  error
				want []element
			}{{got0, err0, s0}, {got1, err1, s1}} {
				if c.err != nil {
					t.Fatal(c.err)
				}
				want := append(append([]element(nil), c.want...), element{ev: Event{Kind: EndOfPartition}})
				if len(c.got) != len(want) {
					t.Fatalf("got %d elements, want %d", len(c.got), len(want))
				}
				for i := range want {
					if c.got[i] != want[i] {
						t.Fatalf("element %d: got %v want %v", i, c.got[i], want[i])
					}
				}
			}
			select {
			case <-p.Done():
			case <-ctx.Done():
				t.Fatal("partition not done after its consumers read everything")
			}
			if _, ok := prod.reg.Lookup(id); ok {
				t.Fatal("drained partition still registered")
			}
		})
	}
}

func TestLargeRecords(t *testing.T) {
	const bufSize = 1024
	sizes := []int{0, 1, bufSize - 2, bufSize - 1, bufSize, bufSize + 1, 3*bufSize + 7, 1 << 20, 5}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			checkLeaks(t)
			ctx := testCtx(t)
			prod, cons := pair(t, tr.remote, tmOptions{bufferSize: bufSize, numBuffers: 32, credits: 2})
			id := PartitionID{Job: "large", Producer: 1}
			p := newPartition(t, prod, id, 1, func(o *PartitionOptions) { o.FlushInterval = -1 })
			errc := make(chan error, 1)
			go func() {
				for i, n := range sizes {
					rec := bytes.Repeat([]byte{byte(i + 1)}, n)
					if n >= 4 {
						binary.BigEndian.PutUint32(rec, uint32(n))
					}
					if err := p.Emit(ctx, 0, rec); err != nil {
						errc <- err
						return
					}
				}
				errc <- p.Finish(ctx)
			}()
			g, err := NewInputGate([]*InputChannel{dial(t, cons, prod, id, 0)}, GateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			got, err := drain(ctx, g)
			if err != nil {
				t.Fatal(err)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if len(got) != len(sizes)+1 {
				t.Fatalf("got %d elements, want %d", len(got), len(sizes)+1)
			}
			for i, n := range sizes {
				r := []byte(got[i].rec)
				want := bytes.Repeat([]byte{byte(i + 1)}, n)
				if n >= 4 {
					binary.BigEndian.PutUint32(want, uint32(n))
				}
				if !bytes.Equal(r, want) {
					t.Fatalf("record %d: got %d bytes, want %d", i, len(r), n)
				}
			}
			// The pool never exceeded its bound although records did.
			if peak := prod.pool.PeakInUse(); peak > prod.pool.NumBuffers() {
				t.Fatalf("peak %d buffers of %d", peak, prod.pool.NumBuffers())
			}
		})
	}
}

func TestRecordTooLarge(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t)
	prod, cons := pair(t, true, tmOptions{bufferSize: 256})
	id := PartitionID{Job: "too-large"}
	p := newPartition(t, prod, id, 1, nil)
	go func() {
		// The emit fails (the record is too large) and so may the finish;
		// what is tested is the gate's error below.
		_ = p.Emit(ctx, 0, make([]byte, 5000))
		_ = p.Finish(ctx)
	}()
	g, err := NewInputGate([]*InputChannel{dial(t, cons, prod, id, 0)}, GateOptions{MaxRecordSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, err := drain(ctx, g); !errors.Is(err, ErrRecordTooLarge) {
		t.Fatalf("got %v, want ErrRecordTooLarge", err)
	}
}

// TestFanOut sends from 3 producer subtasks to 4 consumer subtasks, hashing
// records to consumers, across two TaskManagers (so some channels are
// local and some TCP), and checks every record arrives once, in order per
// producer.
func TestFanOut(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t)
	const producers, consumers, perProducer = 3, 4, 20000
	o := tmOptions{bufferSize: 4096, numBuffers: 128, credits: 2}
	tms := []*testTM{newTestTM(t, o), newTestTM(t, o)}
	tmOf := func(subtask int) *testTM { return tms[subtask%2] }
	parts := make([]*ResultPartition, producers)
	for i := range parts {
		parts[i] = newPartition(t, tmOf(i), PartitionID{Job: "fan", Edge: 2, Producer: i}, consumers, nil)
	}
	errc := make(chan error, producers+consumers)
	var sent [producers][consumers]int
	for i, p := range parts {
		go func() {
			rec := make([]byte, 16)
			for seq := 0; seq < perProducer; seq++ {
				c := int((uint64(seq) * 0x9E3779B97F4A7C15 >> 32) % consumers)
				binary.BigEndian.PutUint64(rec, uint64(i))
				binary.BigEndian.PutUint64(rec[8:], uint64(seq))
				if err := p.Emit(ctx, c, rec); err != nil {
					errc <- err
					return
				}
				sent[i][c]++
			}
			errc <- p.Finish(ctx)
		}()
	}
	var got [consumers][producers]int
	for c := 0; c < consumers; c++ {
		chans := make([]*InputChannel, producers)
		for i := range chans {
			chans[i] = dial(t, tmOf(c), tmOf(i), parts[i].ID(), c)
		}
		g, err := NewInputGate(chans, GateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		go func() {
			last := [producers]int{-1, -1, -1}
			els, err := drain(ctx, g)
			if err != nil {
				errc <- err
				return
			}
			for _, e := range els {
				if e.ev.Kind != 0 {
					continue
				}
				r := []byte(e.rec)
				i, seq := int(binary.BigEndian.Uint64(r)), int(binary.BigEndian.Uint64(r[8:]))
				if i != e.ch {
					errc <- fmt.Errorf("consumer %d: record of producer %d on channel %d", c, i, e.ch)
					return
				}
				if seq <= last[i] {
					errc <- fmt.Errorf("consumer %d: producer %d seq %d after %d", c, i, seq, last[i])
					return
				}
				last[i] = seq
				got[c][i]++
			}
			errc <- nil
		}()
	}
	for range producers + consumers {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for i := range producers {
		for c := range consumers {
			if got[c][i] != sent[i][c] {
				t.Errorf("producer %d → consumer %d: got %d records, sent %d", i, c, got[c][i], sent[i][c])
			}
			total += got[c][i]
		}
	}
	if total != producers*perProducer {
		t.Fatalf("got %d records in all, want %d", total, producers*perProducer)
	}
}

// TestMultiplexedChannelsIndependent opens two channels over the one TCP
// connection between two TaskManagers. The consumer never reads the first:
// the second must still deliver everything (no head-of-line blocking), and
// the first's producer must be held back by flow control.
func TestMultiplexedChannelsIndependent(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t)
	prod, cons := pair(t, true, tmOptions{bufferSize: 512, numBuffers: 64, credits: 2})
	stuckID, flowID := PartitionID{Job: "mux", Producer: 0}, PartitionID{Job: "mux", Producer: 1}
	stuck := newPartition(t, prod, stuckID, 1, func(o *PartitionOptions) { o.MaxBuffersPerSubpartition = 2 })
	flow := newPartition(t, prod, flowID, 1, nil)
	const n = 20000
	var stuckEmitted atomic.Int64
	stuckCtx, stopStuck := context.WithCancel(ctx)
	defer stopStuck()
	stuckDone := make(chan error, 1)
	go func() {
		for {
			if err := stuck.Emit(stuckCtx, 0, make([]byte, 100)); err != nil {
				stuckDone <- err
				return
			}
			stuckEmitted.Add(1)
		}
	}()
	flowErr := make(chan error, 1)
	go func() {
		for i := 0; i < n; i++ {
			if err := flow.Emit(ctx, 0, []byte(fmt.Sprint(i))); err != nil {
				flowErr <- err
				return
			}
		}
		flowErr <- flow.Finish(ctx)
	}()
	gStuck, _ := NewInputGate([]*InputChannel{dial(t, cons, prod, stuckID, 0)}, GateOptions{})
	defer gStuck.Close()
	gFlow, _ := NewInputGate([]*InputChannel{dial(t, cons, prod, flowID, 0)}, GateOptions{})
	defer gFlow.Close()
	prod.srv.mu.Lock()
	conns := len(prod.srv.conns)
	prod.srv.mu.Unlock()
	if conns != 1 {
		t.Fatalf("%d connections between the two TaskManagers, want 1", conns)
	}
	els, err := drain(ctx, gFlow)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-flowErr; err != nil {
		t.Fatal(err)
	}
	if len(els) != n+1 || els[n-1].rec != fmt.Sprint(n-1) {
		t.Fatalf("got %d elements from the flowing channel, want %d", len(els), n+1)
	}
	// The unread channel's producer is blocked: its queue (2), its current
	// buffer and the consumer's credits (2) hold at most 5 buffers of
	// 512/101 records each.
	if got := stuckEmitted.Load(); got > 5*6 {
		t.Fatalf("unread channel's producer emitted %d records", got)
	}
	stopStuck()
	if err := <-stuckDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("stuck producer: %v", err)
	}
}

// TestPauseResume pauses one channel of a gate (as barrier alignment
// will): the other keeps flowing, the paused one delivers nothing until
// resumed, then everything.
func TestPauseResume(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t)
	prod, cons := pair(t, true, tmOptions{bufferSize: 256, credits: 2})
	ids := []PartitionID{{Job: "pause", Producer: 0}, {Job: "pause", Producer: 1}}
	const n = 2000
	errc := make(chan error, 2)
	for _, id := range ids {
		p := newPartition(t, prod, id, 1, nil)
		go func() {
			for i := 0; i < n; i++ {
				if err := p.Emit(ctx, 0, []byte(fmt.Sprint(i))); err != nil {
					errc <- err
					return
				}
			}
			errc <- p.Finish(ctx)
		}()
	}
	g, _ := NewInputGate([]*InputChannel{dial(t, cons, prod, ids[0], 0), dial(t, cons, prod, ids[1], 0)}, GateOptions{})
	defer g.Close()
	g.Pause(0)
	count := [2]int{}
	for {
		el, err := g.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if el.Channel == 0 {
			t.Fatalf("paused channel delivered %v", el)
		}
		if el.Event.Kind == EndOfPartition {
			break
		}
		count[1]++
	}
	g.Resume(0)
	els, err := drain(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range els {
		if e.ev.Kind == 0 {
			if e.rec != fmt.Sprint(count[e.ch]) {
				t.Fatalf("channel %d: record %q, want %d", e.ch, e.rec, count[e.ch])
			}
			count[e.ch]++
		}
	}
	if count != [2]int{n, n} {
		t.Fatalf("got %v records, want %d each", count, n)
	}
	for range ids {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
}

func TestReleaseMatching(t *testing.T) {
	checkLeaks(t)
	tm := newTestTM(t, tmOptions{})
	for _, id := range []PartitionID{{Job: "a", Attempt: 1}, {Job: "a", Attempt: 1, Producer: 1}, {Job: "a", Attempt: 2}, {Job: "b", Attempt: 1}} {
		newPartition(t, tm, id, 1, nil)
	}
	n := tm.reg.ReleaseMatching(func(id PartitionID) bool { return id.Job == "a" && id.Attempt == 1 })
	if n != 2 {
		t.Fatalf("released %d partitions, want 2", n)
	}
	for _, c := range []struct {
		id   PartitionID
		want bool
	}{{PartitionID{Job: "a", Attempt: 1}, false}, {PartitionID{Job: "a", Attempt: 2}, true}, {PartitionID{Job: "b", Attempt: 1}, true}} {
		if _, ok := tm.reg.Lookup(c.id); ok != c.want {
			t.Errorf("%s registered: %v, want %v", c.id, ok, c.want)
		}
	}
}

// TestFlushTimer emits single records and never flushes: the flush timer
// alone must ship them, so a low-rate stream flows.
func TestFlushTimer(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			checkLeaks(t)
			ctx := testCtx(t)
			prod, cons := pair(t, tr.remote, tmOptions{})
			id := PartitionID{Job: "trickle"}
			p := newPartition(t, prod, id, 1, func(o *PartitionOptions) { o.FlushInterval = time.Millisecond })
			g, _ := NewInputGate([]*InputChannel{dial(t, cons, prod, id, 0)}, GateOptions{})
			defer g.Close()
			for i := 0; i < 3; i++ {
				if err := p.Emit(ctx, 0, []byte{byte(i)}); err != nil {
					t.Fatal(err)
				}
				el, err := g.Next(ctx) // would wait forever without the timer
				if err != nil || len(el.Record) != 1 || el.Record[0] != byte(i) {
					t.Fatalf("got %v %v", el, err)
				}
			}
		})
	}
}
