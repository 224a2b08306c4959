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

// properties are the Kafka client options passed through. Keys the
// connector sets itself (bootstrap.servers, group.id, transactional.id,
// enable.idempotence, isolation.level) have their own fields or are fixed
// by the delivery guarantee; transaction.timeout.ms is read by the sink.
var properties = map[string]property{
	"client.id":                          {apply: func(v string) ([]kgo.Opt, error) { return []kgo.Opt{kgo.ClientID(v)}, nil }},
	"request.timeout.ms":                 {apply: msOpt(func(d time.Duration) kgo.Opt { return kgo.RequestTimeoutOverhead(d) })},
	"socket.connection.setup.timeout.ms": {apply: msOpt(func(d time.Duration) kgo.Opt { return kgo.DialTimeout(d) })},
	"metadata.max.age.ms":                {apply: msOpt(func(d time.Duration) kgo.Opt { return kgo.MetadataMaxAge(d) })},
	"retry.backoff.ms":                   {apply: msOpt(func(d time.Duration) kgo.Opt { return kgo.RetryBackoffFn(func(int) time.Duration { return d }) })},
	"fetch.max.bytes":                    {role: roleConsumer, apply: intOpt(func(n int32) kgo.Opt { return kgo.FetchMaxBytes(n) })},
	"max.partition.fetch.bytes":          {role: roleConsumer, apply: intOpt(func(n int32) kgo.Opt { return kgo.FetchMaxPartitionBytes(n) })},
	"fetch.max.wait.ms":                  {role: roleConsumer, apply: msOpt(func(d time.Duration) kgo.Opt { return kgo.FetchMaxWait(d) })},
	"fetch.min.bytes":                    {role: roleConsumer, apply: intOpt(func(n int32) kgo.Opt { return kgo.FetchMinBytes(n) })},
	"isolation.level": {role: roleConsumer, apply: func(v string) ([]kgo.Opt, error) {
		switch v {
		case "read_committed":
			return []kgo.Opt{kgo.FetchIsolationLevel(kgo.ReadCommitted())}, nil
		case "read_uncommitted":
			return []kgo.Opt{kgo.FetchIsolationLevel(kgo.ReadUncommitted())}, nil
		}
		return nil, fmt.Errorf("want read_committed or read_uncommitted")
	}},
	"linger.ms":  {role: roleProducer, apply: msOpt(func(d time.Duration) kgo.Opt { return kgo.ProducerLinger(d) })},
	"batch.size": {role: roleProducer, apply: intOpt(func(n int32) kgo.Opt { return kgo.ProducerBatchMaxBytes(n) })},
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
	// Read by the sink itself (see SinkOptions), accepted here.
	"transaction.timeout.ms": {role: roleProducer, apply: func(v string) ([]kgo.Opt, error) {
		_, err := parseMillis(v)
		return nil, err
	}},
}

// clientOpts turns props into franz-go options for role, refusing an
// unknown key or one of the other role with an error naming the key.
func clientOpts(props map[string]string, role clientRole) ([]kgo.Opt, error) {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []kgo.Opt
	for _, k := range keys {
		p, ok := properties[k]
		if !ok {
			return nil, fmt.Errorf("%s%s: not a Kafka client option this connector passes through (known: %s)",
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
	return out, nil
}

func knownProperties() []string {
	out := make([]string, 0, len(properties))
	for k := range properties {
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
