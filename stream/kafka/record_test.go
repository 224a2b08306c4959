package kafka

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/floe-yarn/floe/stream"
)

// TestRecordRoundTrip: what a Serializer sets on a kgo.Record (key,
// headers in order, an explicit partition with ManualPartitions, a
// timestamp) reaches Kafka, and the source's Deserializer sees it back
// with the record's topic, partition and offset.
func TestRecordRoundTrip(t *testing.T) {
	bs := brokers(t)
	tp := topic(t, bs, 3)
	// An hour ago, to the millisecond (Kafka's precision): not the
	// producer's clock, which a zero Timestamp would get.
	base := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
	const n = 6
	in := make([]int, n)
	for i := range in {
		in[i] = i
	}
	env := stream.NewEnvironment(stream.Options{Parallelism: 1})
	Sink(stream.FromSlice(env, in), "kafka", SinkOptions[int]{
		Brokers: bs, Topic: tp, ManualPartitions: true, Logger: testLogger(t),
		Serializer: func(i int) *kgo.Record {
			return &kgo.Record{
				Value:     []byte(fmt.Sprintf("v%d", i)),
				Key:       []byte(fmt.Sprintf("k%d", i)),
				Headers:   []kgo.RecordHeader{{Key: "trace", Value: []byte(fmt.Sprintf("t%d", i))}, {Key: "n", Value: []byte(fmt.Sprint(i))}},
				Partition: int32(i % 3),
				Timestamp: base.Add(time.Duration(i) * time.Second),
			}
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := env.ExecuteContext(ctx, "kafka-write"); err != nil {
		t.Fatal(err)
	}

	// describe renders every field the test sets or Kafka assigns.
	describe := func(value, key, topic string, headers []kgo.RecordHeader, partition int32, offset int64, ts time.Time) string {
		hs := make([]string, len(headers))
		for i, h := range headers {
			hs[i] = h.Key + "=" + string(h.Value)
		}
		return fmt.Sprintf("%s key=%s headers=[%s] topic=%s partition=%d offset=%d ts=%d",
			value, key, strings.Join(hs, ","), topic, partition, offset, ts.UnixMilli())
	}
	var want []string
	for i := range n {
		want = append(want, describe(fmt.Sprintf("v%d", i), fmt.Sprintf("k%d", i), tp,
			[]kgo.RecordHeader{{Key: "trace", Value: []byte(fmt.Sprintf("t%d", i))}, {Key: "n", Value: []byte(fmt.Sprint(i))}},
			int32(i%3), int64(i/3), base.Add(time.Duration(i)*time.Second)))
	}
	o := stringSource(bs, tp)
	o.Bounded = true
	o.Deserializer = func(r *kgo.Record) (string, error) {
		return describe(string(r.Value), string(r.Key), r.Topic, r.Headers, r.Partition, r.Offset, r.Timestamp), nil
	}
	got, err := runCollect(t, o, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, sorted(want)) {
		t.Fatalf("read\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(sorted(want), "\n"))
	}
}
