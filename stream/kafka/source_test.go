package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/stream"
)

func values(n int, f string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(f, i)
	}
	return out
}

func stringSource(bs []string, topics ...string) SourceOptions[string] {
	return SourceOptions[string]{Brokers: bs, Topics: topics,
		Deserializer: func(r *kgo.Record) (string, error) { return string(r.Value), nil }}
}

// runCollect runs a local job reading opts at parallelism p and returns
// what it read and its error.
func runCollect(t *testing.T, opts SourceOptions[string], p int) ([]string, error) {
	t.Helper()
	opts.Logger = testLogger(t)
	env := stream.NewEnvironment(stream.Options{Parallelism: p})
	var mu sync.Mutex
	var got []string
	stream.ForEach(FromKafka(env, "kafka", opts), func(s string) { mu.Lock(); got = append(got, s); mu.Unlock() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := env.ExecuteContext(ctx, "kafka-test")
	mu.Lock()
	defer mu.Unlock()
	return sorted(got), err
}

// TestSourceBoundedStartOffsets reads a bounded topic of three partitions
// (10 records each) from each kind of start offset.
func TestSourceBoundedStartOffsets(t *testing.T) {
	bs := brokers(t)
	tp := topic(t, bs, 3)
	all := values(30, "v%02d")
	produce(t, bs, tp, all)
	_, adm := admin(t, bs)
	group := "g-" + tp
	ctx := context.Background()
	os := kadm.Offsets{}
	for p := int32(0); p < 3; p++ {
		os.Add(kadm.Offset{Topic: tp, Partition: p, At: 7, LeaderEpoch: -1})
	}
	if _, err := adm.CommitOffsets(ctx, group, os); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		start StartOffsets
		group string
		want  int
	}{
		{"earliest", StartOffsets{Mode: StartEarliest}, "", 30},
		{"latest", StartOffsets{Mode: StartLatest}, "", 0},
		{"explicit", StartOffsets{Mode: StartExplicit, Offsets: map[string]map[int32]int64{tp: {0: 4, 1: 9}}}, "", 30 - 4 - 9},
		{"committed", StartOffsets{Mode: StartCommitted}, group, 9},
		{"timestamp in the future", StartOffsets{Mode: StartTimestamp, Timestamp: time.Now().Add(time.Hour).UnixMilli()}, "", 0},
		{"timestamp in the past", StartOffsets{Mode: StartTimestamp, Timestamp: 1}, "", 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := stringSource(bs, tp)
			o.Bounded, o.Start, o.GroupID = true, tc.start, tc.group
			got, err := runCollect(t, o, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.want {
				t.Fatalf("read %d records, want %d: %v", len(got), tc.want, got)
			}
			if tc.want == 30 && !slices.Equal(got, all) {
				t.Fatalf("read %v, want %v", got, all)
			}
		})
	}
}

// TestSourceDeserializerRejects: a bad record fails the job naming topic,
// partition and offset, or is skipped with SkipInvalid.
func TestSourceDeserializerRejects(t *testing.T) {
	bs := brokers(t)
	tp := topic(t, bs, 1)
	produce(t, bs, tp, []string{"ok0", "ok1", "bad", "ok3"})
	for _, skip := range []bool{false, true} {
		t.Run(fmt.Sprintf("skip=%v", skip), func(t *testing.T) {
			o := stringSource(bs, tp)
			o.Bounded, o.SkipInvalid = true, skip
			o.Deserializer = func(r *kgo.Record) (string, error) {
				if string(r.Value) == "bad" {
					return "", errors.New("not an ok record")
				}
				return string(r.Value), nil
			}
			got, err := runCollect(t, o, 1)
			if skip {
				if err != nil || !slices.Equal(got, []string{"ok0", "ok1", "ok3"}) {
					t.Fatalf("got %v, %v; want the three ok records", got, err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range []string{fmt.Sprintf("topic %q", tp), "partition 0", "offset 2", "not an ok record", "(SkipInvalid skips such records)"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not name %q", err, s)
				}
			}
		})
	}
}

// TestSourceBadInput: unreachable brokers and a missing topic fail the
// job with a clear error.
func TestSourceBadInput(t *testing.T) {
	bs := brokers(t)
	for _, tc := range []struct {
		name string
		opts SourceOptions[string]
		want []string
	}{
		{"broker unreachable", func() SourceOptions[string] {
			o := stringSource([]string{"127.0.0.1:1"}, "x")
			o.ConnectTimeout = 2 * time.Second
			return o
		}(), []string{"unreachable", "127.0.0.1:1", "within"}},
		{"topic missing", stringSource(bs, "no-such-topic"), []string{"does not exist", `"no-such-topic"`, "create-topic"}},
		{"committed without group", func() SourceOptions[string] {
			o := stringSource(bs, "x")
			o.Start.Mode = StartCommitted
			return o
		}(), []string{"GroupID"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			o.Bounded = true
			_, err := runCollect(t, o, 1)
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not name %q", err, s)
				}
			}
		})
	}
}

// TestSourceDiscoversPartitions: a partition added to the topic while an
// unbounded job runs is read from its start.
func TestSourceDiscoversPartitions(t *testing.T) {
	bs := brokers(t)
	tp := topic(t, bs, 1)
	produce(t, bs, tp, []string{"before"})
	o := stringSource(bs, tp)
	o.DiscoveryInterval = 200 * time.Millisecond
	got := runUnbounded(t, o, "discovery")
	has := func(v string) func() bool {
		return func() bool { return slices.Contains(got(), v) }
	}
	testutil.WaitFor(t, time.Minute, "the record of the first partition", has("before"))
	_, adm := admin(t, bs)
	if _, err := adm.CreatePartitions(context.Background(), 2, tp); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(bs...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for p := int32(1); p <= 2; p++ {
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: tp, Partition: p, Value: []byte(fmt.Sprintf("new%d", p))}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	testutil.WaitFor(t, time.Minute, "the records of the added partitions", func() bool {
		return has("new1")() && has("new2")()
	})
	if g := got(); len(g) != 3 {
		t.Fatalf("read %v, want each record once", g)
	}
}

// TestSourceBoundedOverTransactions: a bounded read_committed source over
// a topic written in transactions (the log ends with commit markers)
// reads every committed record and ends.
func TestSourceBoundedOverTransactions(t *testing.T) {
	bs := brokers(t)
	tp := topic(t, bs, 2)
	w := openWriter(t, stringSink(bs, tp, ExactlyOnce, "test-"+tp), stream.SinkContext{Parallelism: 1, Checkpointing: true})
	if err := w.Begin(context.Background()); err != nil {
		t.Fatal(err)
	}
	write(t, w, "t1", "t2", "t3")
	if err := w.Commit(context.Background(), preCommit(t, w, 1)); err != nil {
		t.Fatal(err)
	}
	write(t, w, "t4")
	if err := w.Commit(context.Background(), preCommit(t, w, 2)); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	o := stringSource(bs, tp)
	o.Bounded = true
	o.Properties = map[string]string{"isolation.level": "read_committed"}
	got, err := runCollect(t, o, 2)
	if err != nil || !slices.Equal(got, []string{"t1", "t2", "t3", "t4"}) {
		t.Fatalf("read %v, %v; want t1…t4", got, err)
	}
}

// TestSourceTopicPattern: a source over a topic pattern reads the two
// matching topics present at the start, not the one that does not match,
// and a matching topic created while the unbounded job runs is found by
// discovery and read from its start.
func TestSourceTopicPattern(t *testing.T) {
	bs := brokers(t)
	base := fmt.Sprintf("floe-pat-%d", time.Now().UnixNano())
	for _, name := range []string{base + "-a", base + "-b", "other-" + base + "-x"} {
		createTopic(t, bs, name, 2)
		produce(t, bs, name, values(4, name+"/%d"))
	}
	o := stringSource(bs)
	o.TopicPattern = "^" + base + "-.*"
	o.DiscoveryInterval = 200 * time.Millisecond
	got := runUnbounded(t, o, "topic-pattern")
	count := func() int { return len(got()) }
	testutil.WaitFor(t, time.Minute, "the records of the two matching topics", func() bool { return count() >= 8 })
	// Created after the job started: only discovery can find it.
	late := base + "-c"
	createTopic(t, bs, late, 3)
	produce(t, bs, late, values(3, late+"/%d"))
	testutil.WaitFor(t, time.Minute, "the records of the topic created while the job runs", func() bool { return count() >= 11 })
	// Let a few more discovery passes go by (absence needs elapsed time):
	// nothing else may arrive, neither the topic that does not match nor
	// a partition read twice.
	time.Sleep(3 * o.DiscoveryInterval)
	want := sorted(slices.Concat(values(4, base+"-a/%d"), values(4, base+"-b/%d"), values(3, late+"/%d")))
	if g := sorted(got()); !slices.Equal(g, want) {
		t.Fatalf("read %v\nwant %v", g, want)
	}
}

// runUnbounded runs a job of source o at parallelism 2 until the test
// ends; got returns a copy of the records read so far.
func runUnbounded(t *testing.T, o SourceOptions[string], name string) (got func() []string) {
	t.Helper()
	o.Logger = testLogger(t)
	env := stream.NewEnvironment(stream.Options{Parallelism: 2})
	var mu sync.Mutex
	var read []string
	stream.ForEach(FromKafka(env, "kafka", o), func(s string) { mu.Lock(); read = append(read, s); mu.Unlock() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- env.ExecuteContext(ctx, name) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Logf("job ended: %v", err) // cancelled on purpose
		}
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(read)
	}
}
