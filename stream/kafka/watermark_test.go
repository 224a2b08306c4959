package kafka

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/stream"
)

// TestSourcePerPartitionWatermarks: with FromSourceWithWatermarks every
// partition keeps its own watermark. Partition 0 runs ahead to 2900 while
// partition 1 is at 50; its next record, 150, is not late: the source's
// watermark is the slower partition's, so the window [0, 1000) counts it
// (one watermark for the whole source would have passed 150 long before).
// Partition 1 then falls silent and goes idle while partition 0 goes on,
// so the windows fire while the unbounded job runs.
func TestSourcePerPartitionWatermarks(t *testing.T) {
	bs := brokers(t)
	tp := topic(t, bs, 2)
	cl, err := kgo.NewClient(kgo.SeedBrokers(bs...), kgo.DefaultProduceTopic(tp), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	send := func(p int32, ts ...int) {
		t.Helper()
		var rs []*kgo.Record
		for _, v := range ts {
			rs = append(rs, &kgo.Record{Partition: p, Value: []byte(strconv.Itoa(v))})
		}
		if err := cl.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	send(1, 50)
	var ahead []int
	for ts := 100; ts <= 2900; ts += 100 {
		ahead = append(ahead, ts)
	}
	send(0, ahead...)

	o := stringSource(bs, tp)
	o.Logger = testLogger(t)
	src, err := NewSource(o)
	if err != nil {
		t.Fatal(err)
	}
	env := stream.NewEnvironment(stream.Options{Parallelism: 1, AutoWatermarkInterval: 50 * time.Millisecond})
	strategy := stream.ForBoundedOutOfOrderness[string](0).
		WithTimestampAssigner(func(v string, _ int64) int64 { n, _ := strconv.ParseInt(v, 10, 64); return n }).
		WithIdleness(3 * time.Second)
	// n counts the records the source delivered.
	var n int64
	var nmu sync.Mutex
	events := stream.Map(stream.FromSourceWithWatermarks(env, src, strategy, "kafka"), func(v string) string {
		nmu.Lock()
		n++
		nmu.Unlock()
		return v
	})
	keyed := stream.KeyBy(events, func(string) int { return 0 })
	counts := stream.WindowProcess(stream.Window(keyed, stream.TumblingEventTimeWindows(time.Second)),
		func(ctx *stream.WindowContext[int], els []string, out func(string)) {
			out(fmt.Sprintf("%d:%d", ctx.Window().Start, len(els)))
		})
	var mu sync.Mutex
	var got []string
	stream.ForEach(counts, func(s string) { mu.Lock(); got = append(got, s); mu.Unlock() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- env.ExecuteContext(ctx, "per-partition-watermarks") }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Logf("job ended: %v", err) // cancelled on purpose
		}
	}()
	// Partition 1's 150 comes once the source has read all the others.
	testutil.WaitFor(t, time.Minute, "the first 30 records read", func() bool {
		nmu.Lock()
		defer nmu.Unlock()
		return n >= 30
	})
	// Watermarks are emitted every AutoWatermarkInterval: let several go
	// out, so that one watermark for the whole source would be past 150
	// before it arrives (the scenario needs elapsed time, not a condition).
	time.Sleep(10 * 50 * time.Millisecond)
	send(1, 150)
	// Partition 0 goes on (a source whose partitions are all idle is idle
	// itself and holds its watermark); partition 1 falls silent.
	pctx, stopProducing := context.WithCancel(context.Background())
	produced := make(chan struct{})
	go func() {
		defer close(produced)
		for ts := 3000; pctx.Err() == nil; ts += 100 {
			if err := cl.ProduceSync(pctx, &kgo.Record{Partition: 0, Value: []byte(strconv.Itoa(ts))}).FirstErr(); err != nil {
				return // the test ended
			}
			select {
			case <-pctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	defer func() { stopProducing(); <-produced }()
	testutil.WaitFor(t, time.Minute, "two windows fired while the job runs", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= 2
	})
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got[:2], []string{"0:11", "1000:10"}) {
		t.Fatalf("windows %v, want [0:11 1000:10] (150 of the slower partition counted, not late)", got)
	}
}
