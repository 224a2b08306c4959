package kafka

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// PropertiesPrefix is the prefix of Kafka client options in a
// configuration map, Flink's convention: "properties.client.id" sets the
// client's "client.id". PropertiesFrom strips it.
const PropertiesPrefix = "properties."

// PropertiesFrom returns the Kafka client options of a configuration
// map: every key under PropertiesPrefix, without the prefix.
func PropertiesFrom(conf map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range conf {
		if rest, ok := strings.CutPrefix(k, PropertiesPrefix); ok {
			out[rest] = v
		}
	}
	return out
}

// clientRole tells which options apply: some keys are only for consumers
// or only for producers, and using one on the wrong side is an error.
type clientRole int

const (
	roleConsumer clientRole = iota + 1
	roleProducer
)

// property maps one Kafka client option (its Java client name) onto
// franz-go options.
type property struct {
	role  clientRole // 0: both
	apply func(v string) ([]kgo.Opt, error)
}

// properties are the Kafka client options passed through, by their Java
// client names. The security keys (security.go) are checked one by one
// here and turned into options together by securityOpts.
var properties = map[string]property{
	// Both sides.
	"client.id":                          {apply: func(v string) ([]kgo.Opt, error) { return []kgo.Opt{kgo.ClientID(v)}, nil }},
	"request.timeout.ms":                 {apply: msOpt(func(d time.Duration) kgo.Opt { return kgo.RequestTimeoutOverhead(d) })},
	"socket.connection.setup.timeout.ms": {apply: msOpt(func(d time.Duration) kgo.Opt { return kgo.DialTimeout(d) })},
	"connections.max.idle.ms":            {apply: msOpt(func(d time.Duration) kgo.Opt { return kgo.ConnIdleTimeout(d) })},
	"metadata.max.age.ms":                {apply: msOpt(func(d time.Duration) kgo.Opt { return kgo.MetadataMaxAge(d) })},
	"retry.backoff.ms":                   {apply: msOpt(func(d time.Duration) kgo.Opt { return kgo.RetryBackoffFn(func(int) time.Duration { return d }) })},

	// Consumer (source).
	"fetch.max.bytes":           {role: roleConsumer, apply: intOpt(func(n int32) kgo.Opt { return kgo.FetchMaxBytes(n) })},
	"max.partition.fetch.bytes": {role: roleConsumer, apply: intOpt(func(n int32) kgo.Opt { return kgo.FetchMaxPartitionBytes(n) })},
	"fetch.max.wait.ms":         {role: roleConsumer, apply: msOpt(func(d time.Duration) kgo.Opt { return kgo.FetchMaxWait(d) })},
	"fetch.min.bytes":           {role: roleConsumer, apply: intOpt(func(n int32) kgo.Opt { return kgo.FetchMinBytes(n) })},
	"client.rack":               {role: roleConsumer, apply: func(v string) ([]kgo.Opt, error) { return []kgo.Opt{kgo.Rack(v)}, nil }},
	"isolation.level": {role: roleConsumer, apply: func(v string) ([]kgo.Opt, error) {
		switch v {
		case "read_committed":
			return []kgo.Opt{kgo.FetchIsolationLevel(kgo.ReadCommitted())}, nil
		case "read_uncommitted":
			return []kgo.Opt{kgo.FetchIsolationLevel(kgo.ReadUncommitted())}, nil
		}
		return nil, fmt.Errorf("want read_committed or read_uncommitted")
	}},

	// Producer (sink).
	"acks": {role: roleProducer, apply: func(v string) ([]kgo.Opt, error) {
		switch v {
		case "all", "-1":
			return []kgo.Opt{kgo.RequiredAcks(kgo.AllISRAcks())}, nil
		case "1":
			// Idempotent writes need acks=all.
			return []kgo.Opt{kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite()}, nil
		case "0":
			return []kgo.Opt{kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite()}, nil
		}
		return nil, fmt.Errorf("want all, -1, 1 or 0")
	}},
	"linger.ms": {role: roleProducer, apply: msOpt(func(d time.Duration) kgo.Opt { return kgo.ProducerLinger(d) })},
	// franz-go has one batch size, a hard cap on a partition's batch
	// (and so on a record): batch.size and max.request.size both set it.
	"batch.size":       {role: roleProducer, apply: intOpt(func(n int32) kgo.Opt { return kgo.ProducerBatchMaxBytes(n) })},
	"max.request.size": {role: roleProducer, apply: intOpt(func(n int32) kgo.Opt { return kgo.ProducerBatchMaxBytes(n) })},
	"compression.type": {role: roleProducer, apply: func(v string) ([]kgo.Opt, error) {
		c, ok := map[string]kgo.CompressionCodec{"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(),
			"snappy": kgo.SnappyCompression(), "lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression()}[v]
		if !ok {
			return nil, fmt.Errorf("want none, gzip, snappy, lz4 or zstd")
		}
		return []kgo.Opt{kgo.ProducerBatchCompression(c)}, nil
	}},
	"buffer.memory": {role: roleProducer, apply: func(v string) ([]kgo.Opt, error) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("want a positive number of bytes")
		}
		return []kgo.Opt{kgo.MaxBufferedBytes(int(n))}, nil
	}},
	"retries": {role: roleProducer, apply: func(v string) ([]kgo.Opt, error) {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("want a non-negative integer")
		}
		return []kgo.Opt{kgo.RecordRetries(int(n))}, nil
	}},
	"delivery.timeout.ms": {role: roleProducer, apply: msOpt(func(d time.Duration) kgo.Opt { return kgo.RecordDeliveryTimeout(d) })},
	// Without idempotence (acks 0 or 1, delivery guarantee none) only:
	// idempotent producers keep franz-go's fixed limit.
	"max.in.flight.requests.per.connection": {role: roleProducer, apply: intOpt(func(n int32) kgo.Opt { return kgo.MaxProduceRequestsInflightPerBroker(int(n)) })},
	// Read by the sink itself (see SinkOptions), accepted here.
	"transaction.timeout.ms": {role: roleProducer, apply: func(v string) ([]kgo.Opt, error) {
		_, err := parseMillis(v)
		return nil, err
	}},
}

// refused are Kafka client options a user may bring from a Java job that
// this connector sets another way, with the way.
var refused = map[string]string{
	"bootstrap.servers":               "set the brokers with SourceOptions.Brokers or SinkOptions.Brokers",
	"group.id":                        "set SourceOptions.GroupID",
	"transactional.id":                "the exactly-once sink names its transactions: set SinkOptions.TransactionalIDPrefix",
	"enable.idempotence":              "follows the delivery guarantee (SinkOptions.DeliveryGuarantee) and acks",
	"auto.offset.reset":               "set SourceOptions.Start (StartCommitted falls back to the earliest offset)",
	"enable.auto.commit":              "the source commits offsets when a checkpoint completes",
	"auto.commit.interval.ms":         "the source commits offsets when a checkpoint completes",
	"session.timeout.ms":              "the source does not join the consumer group (Floe assigns partitions), so group membership options do not apply; remove it",
	"heartbeat.interval.ms":           "the source does not join the consumer group (Floe assigns partitions), so group membership options do not apply; remove it",
	"max.poll.interval.ms":            "the source does not join the consumer group (Floe assigns partitions), so group membership options do not apply; remove it",
	"partition.assignment.strategy":   "the source does not join the consumer group: a partition belongs to subtask (fnv32(topic) + partition) mod parallelism",
	"group.instance.id":               "the source does not join the consumer group (Floe assigns partitions), so group membership options do not apply; remove it",
	"partition.discovery.interval.ms": "set SourceOptions.DiscoveryInterval",
	"key.deserializer":                "set SourceOptions.Deserializer",
	"value.deserializer":              "set SourceOptions.Deserializer",
	"key.serializer":                  "set SinkOptions.Serializer",
	"value.serializer":                "set SinkOptions.Serializer",
	"partitioner.class":               "set SinkOptions.ManualPartitions and the partition in the Serializer, or key the records",
	"ssl.truststore.password":         "PEM trust stores have no password: remove it",
	"ssl.keystore.password":           "only unencrypted PEM key stores are read: remove it and give the key unencrypted",
	"ssl.key.password":                "only unencrypted PEM key stores are read: remove it and give the key unencrypted",
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// clientOpts turns props into franz-go options for role, refusing an
// unknown key or one of the other role with an error naming the key.
func clientOpts(props map[string]string, role clientRole) ([]kgo.Opt, error) {
	var out []kgo.Opt
	for _, k := range sortedKeys(props) {
		if why, ok := refused[k]; ok {
			return nil, fmt.Errorf("%s%s: not passed through: %s", PropertiesPrefix, k, why)
		}
		p, ok := properties[k]
		if !ok {
			if _, ok = security[k]; ok {
				continue // securityOpts
			}
			return nil, fmt.Errorf("%s%s: not a Kafka client option this connector passes through (supported: %s)",
				PropertiesPrefix, k, strings.Join(knownProperties(), ", "))
		}
		if p.role != 0 && p.role != role {
			side := "producer"
			if p.role == roleConsumer {
				side = "consumer"
			}
			return nil, fmt.Errorf("%s%s: a %s option, not valid here", PropertiesPrefix, k, side)
		}
		opts, err := p.apply(props[k])
		if err != nil {
			return nil, fmt.Errorf("%s%s=%q: %w", PropertiesPrefix, k, props[k], err)
		}
		out = append(out, opts...)
	}
	if _, ok := props["batch.size"]; ok {
		if _, ok := props["max.request.size"]; ok {
			return nil, fmt.Errorf("%sbatch.size and %smax.request.size: set one; both cap a record batch in franz-go", PropertiesPrefix, PropertiesPrefix)
		}
	}
	sec, err := securityOpts(props)
	if err != nil {
		return nil, err
	}
	return append(out, sec...), nil
}

// knownProperties lists the supported keys, sorted.
func knownProperties() []string {
	out := make([]string, 0, len(properties)+len(security))
	for k := range properties {
		out = append(out, k)
	}
	for k := range security {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func parseMillis(v string) (time.Duration, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("want milliseconds, a non-negative integer")
	}
	return time.Duration(n) * time.Millisecond, nil
}

func msOpt[O kgo.Opt](f func(time.Duration) O) func(string) ([]kgo.Opt, error) {
	return func(v string) ([]kgo.Opt, error) {
		d, err := parseMillis(v)
		if err != nil {
			return nil, err
		}
		return []kgo.Opt{f(d)}, nil
	}
}

func intOpt[O kgo.Opt](f func(int32) O) func(string) ([]kgo.Opt, error) {
	return func(v string) ([]kgo.Opt, error) {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("want a positive integer")
		}
		return []kgo.Opt{f(int32(n))}, nil
	}
}
