// Command kafka-ledger is examples/ledger between Kafka topics: it reads
// transactions "<account> <amount>" (one per record value) from
// --input-topic, keyed by account keeps each account's count and balance
// in keyed state, and writes "<account> <seq> <balance>" for every
// transaction, one record per line keyed by account, to --output-topic
// through the exactly-once Kafka sink (one transaction per checkpoint):
// a consumer with isolation.level=read_committed sees each line once, so
// package ledgercheck checks the output as it checks ledger's.
//
//	kafka-ledger --brokers HOST:PORT --input-topic T --output-topic U [--group G] [--bounded] [--rate N]
//
// --group commits the source's offsets of completed checkpoints to
// consumer group G (for monitoring); --bounded reads up to the offsets
// current at the start, then finishes; --rate limits the records per
// second of each source subtask (0: unlimited). Checkpointing comes from
// the configuration (execution.checkpointing.interval,
// state.checkpoints.dir). A bad line fails the job naming topic,
// partition and offset. The transactional id prefix is
// kafka-ledger-<output topic>, so two kafka-ledger jobs must not write
// to the same output topic at once. Partitions added to the input topic
// while the job runs are found within 2 seconds and read from their start.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/floe-yarn/floe/examples/ledger/job"
	"github.com/floe-yarn/floe/stream"
	"github.com/floe-yarn/floe/stream/kafka"
)

func main() {
	brokers := flag.String("brokers", "", "Kafka bootstrap servers, HOST:PORT[,HOST:PORT...]")
	in := flag.String("input-topic", "", "topic with the transactions")
	out := flag.String("output-topic", "", "topic for the balances")
	group := flag.String("group", "", "consumer group the source's checkpointed offsets are committed to")
	bounded := flag.Bool("bounded", false, "read up to the offsets current at the start, then finish")
	rate := flag.Float64("rate", 0, "records per second per source subtask (0: unlimited)")
	flag.Parse()
	if *brokers == "" || *in == "" || *out == "" || *rate < 0 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: kafka-ledger --brokers HOST:PORT --input-topic T --output-topic U [--group G] [--bounded] [--rate N]")
		os.Exit(2)
	}
	env := stream.NewEnvironment(stream.Options{})
	Build(env, Options{Brokers: strings.Split(*brokers, ","), InputTopic: *in, OutputTopic: *out,
		Group: *group, Bounded: *bounded, Rate: *rate})
	if err := env.Execute("kafka-ledger"); err != nil {
		fmt.Fprintln(os.Stderr, "kafka-ledger:", err)
		os.Exit(1)
	}
}

// Options are kafka-ledger's flags.
type Options struct {
	Brokers                 []string
	InputTopic, OutputTopic string
	Group                   string
	Bounded                 bool
	Rate                    float64
}

// Build adds the job to env: Kafka source, ledger's Balances, Kafka sink.
func Build(env *stream.Environment, o Options) {
	txns := kafka.FromKafka(env, "Kafka "+o.InputTopic, kafka.SourceOptions[job.Txn]{
		Brokers: o.Brokers, Topics: []string{o.InputTopic}, GroupID: o.Group, Bounded: o.Bounded,
		RecordsPerSecond: o.Rate, DiscoveryInterval: 2 * time.Second,
		Deserializer: parseRecord,
	}).UID("kafka-source")
	lines := job.Balances(txns).UID("balances")
	kafka.Sink(lines, "Kafka "+o.OutputTopic, kafka.SinkOptions[string]{
		Brokers: o.Brokers, Topic: o.OutputTopic, DeliveryGuarantee: kafka.ExactlyOnce,
		TransactionalIDPrefix: "kafka-ledger-" + o.OutputTopic,
		Serializer:            serialize,
	}).UID("kafka-sink")
}

// parseRecord parses a record value "<account> <amount>"; blank values
// are skipped.
func parseRecord(r *kgo.Record) (job.Txn, error) {
	t, ok, err := job.ParseLine(string(r.Value))
	if err != nil {
		return job.Txn{}, err
	}
	if !ok {
		return job.Txn{}, kafka.ErrSkipRecord
	}
	return t, nil
}

// serialize makes one record per output line, keyed by account.
func serialize(line string) *kgo.Record {
	acct, _, _ := strings.Cut(line, " ")
	return &kgo.Record{Key: []byte(acct), Value: []byte(line)}
}
