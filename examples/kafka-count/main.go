// Command kafka-count counts records by key between Kafka topics, the
// job of `make bench-kafka` (scripts/bench-kafka.sh): it reads the record
// values of --input-topic as keys, keeps a rolling count per key and
// writes "<key> <count>" for every record to --output-topic with the
// delivery guarantee --guarantee (Flink's sink.delivery-guarantee: none,
// at-least-once or exactly-once).
//
//	kafka-count --brokers HOST:PORT --input-topic T --output-topic U [--guarantee G] [--bounded]
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/floe-yarn/floe/stream"
	"github.com/floe-yarn/floe/stream/kafka"
)

// Count is a key's rolling count.
type Count struct {
	Key string
	N   int64
}

func main() {
	brokers := flag.String("brokers", "", "Kafka bootstrap servers, HOST:PORT[,HOST:PORT...]")
	in := flag.String("input-topic", "", "topic with the keys")
	out := flag.String("output-topic", "", "topic for the counts")
	guarantee := flag.String("guarantee", string(kafka.ExactlyOnce), "sink.delivery-guarantee: none, at-least-once or exactly-once")
	bounded := flag.Bool("bounded", false, "read up to the offsets current at the start, then finish")
	flag.Parse()
	g, err := kafka.ParseDeliveryGuarantee(*guarantee)
	if err != nil || *brokers == "" || *in == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: kafka-count --brokers HOST:PORT --input-topic T --output-topic U [--guarantee none|at-least-once|exactly-once] [--bounded]")
		os.Exit(2)
	}
	bs := strings.Split(*brokers, ",")
	env := stream.NewEnvironment(stream.Options{})
	keys := kafka.FromKafka(env, "Kafka "+*in, kafka.SourceOptions[Count]{
		Brokers: bs, Topics: []string{*in}, Bounded: *bounded,
		Deserializer: func(r *kgo.Record) (Count, error) { return Count{Key: string(r.Value), N: 1}, nil },
	}).UID("kafka-source")
	counts := stream.Reduce(stream.KeyBy(keys, func(c Count) string { return c.Key }),
		func(a, b Count) Count { return Count{Key: a.Key, N: a.N + b.N} }).UID("count")
	kafka.Sink(counts, "Kafka "+*out, kafka.SinkOptions[Count]{
		Brokers: bs, Topic: *out, DeliveryGuarantee: g, TransactionalIDPrefix: "kafka-count-" + *out,
		Serializer: func(c Count) *kgo.Record {
			return &kgo.Record{Key: []byte(c.Key), Value: strconv.AppendInt([]byte(c.Key+" "), c.N, 10)}
		},
	}).UID("kafka-sink")
	if err := env.Execute("kafka-count"); err != nil {
		fmt.Fprintln(os.Stderr, "kafka-count:", err)
		os.Exit(1)
	}
}
