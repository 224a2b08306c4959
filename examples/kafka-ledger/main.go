// Command kafka-ledger is examples/ledger between Kafka topics: it reads
// transactions "<account> <amount>" (one per record value) from
// --input-topic, keyed by account keeps each account's count and balance
// in keyed state, and writes "<account> <seq> <balance>" for every
// transaction, one record per line keyed by account, to --output-topic
// through the exactly-once Kafka sink (one transaction per checkpoint):
// a consumer with isolation.level=read_committed sees each line once, so
// package ledgercheck checks the output as it checks ledger's.
//
//	kafka-ledger --brokers HOST:PORT --input-topic T --output-topic U [--group G] [--bounded] [--rate N] [--skip-invalid]
//
// --group commits the source's offsets of completed checkpoints to
// consumer group G (for monitoring); --bounded reads up to the offsets
// current at the start, then finishes; --rate limits the records per
// second of each source subtask (0: unlimited). Checkpointing comes from
// the configuration (execution.checkpointing.interval,
// state.checkpoints.dir). A bad line fails the job naming topic,
// partition and offset, unless --skip-invalid (then it is logged and
// dropped). A missing flag or a stray argument is refused with exit
// status 2. The transactional id prefix is
// kafka-ledger-<output topic>, so two kafka-ledger jobs must not write
// to the same output topic at once. Partitions added to the input topic
// while the job runs are found within 2 seconds and read from their start.
package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/floe-yarn/floe/examples/ledger/job"
	"github.com/floe-yarn/floe/internal/exampleargs"
	"github.com/floe-yarn/floe/stream"
	"github.com/floe-yarn/floe/stream/kafka"
)

const usage = "usage: kafka-ledger --brokers HOST:PORT --input-topic T --output-topic U [--group G] [--bounded] [--rate N] [--skip-invalid]"

func main() {
	o := exampleargs.Main("kafka-ledger", usage, parseArgs)
	env := stream.NewEnvironment(stream.Options{})
	Build(env, o)
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
	SkipInvalid             bool
}

// parseArgs reads the flags of args with the examples' shared checks
// (exampleargs).
func parseArgs(args []string) (Options, error) {
	fs := exampleargs.New("kafka-ledger")
	var brokers string
	var o Options
	fs.Required(&brokers, "brokers", "Kafka bootstrap servers, HOST:PORT[,HOST:PORT...]")
	fs.Required(&o.InputTopic, "input-topic", "topic with the transactions")
	fs.Required(&o.OutputTopic, "output-topic", "topic for the balances")
	fs.StringVar(&o.Group, "group", "", "consumer group the source's checkpointed offsets are committed to")
	fs.BoolVar(&o.Bounded, "bounded", false, "read up to the offsets current at the start, then finish")
	fs.Rate(&o.Rate, "records")
	fs.BoolVar(&o.SkipInvalid, "skip-invalid", false, "log and drop records that are not \"<account> <amount>\" instead of failing the job")
	if err := fs.Parse(args); err != nil {
		return Options{}, err
	}
	o.Brokers = strings.Split(brokers, ",")
	return o, nil
}

// Build adds the job to env: Kafka source, ledger's Balances, Kafka sink.
func Build(env *stream.Environment, o Options) {
	txns := kafka.FromKafka(env, "Kafka "+o.InputTopic, kafka.SourceOptions[job.Txn]{
		Brokers: o.Brokers, Topics: []string{o.InputTopic}, GroupID: o.Group, Bounded: o.Bounded,
		RecordsPerSecond: o.Rate, DiscoveryInterval: 2 * time.Second,
		Deserializer: parseRecord, SkipInvalid: o.SkipInvalid, SkipInvalidName: "--skip-invalid",
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
