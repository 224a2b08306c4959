package kafka

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultConnectTimeout bounds how long opening a source reader or a sink
// waits for the brokers before failing with ErrBrokersUnreachable.
const DefaultConnectTimeout = 30 * time.Second

// ErrBrokersUnreachable is wrapped by the errors of a source or sink that
// could not reach any of its bootstrap brokers in time.
var ErrBrokersUnreachable = errors.New("kafka brokers unreachable")

// ErrTopicMissing is wrapped by the errors naming a topic that does not
// exist.
var ErrTopicMissing = errors.New("kafka topic does not exist")

// newClient makes a client for brokers with the base options, the passed
// through properties and extra, and checks that a broker answers within
// timeout.
func newClient(ctx context.Context, brokers []string, timeout time.Duration, props []kgo.Opt, extra ...kgo.Opt) (*kgo.Client, error) {
	if len(brokers) == 0 {
		return nil, errors.New("no brokers: set the bootstrap servers (host:port, e.g. 127.0.0.1:19092)")
	}
	if timeout <= 0 {
		timeout = DefaultConnectTimeout
	}
	opts := append([]kgo.Opt{kgo.SeedBrokers(brokers...), kgo.DialTimeout(min(timeout, 10*time.Second))}, props...)
	opts = append(opts, extra...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka client for %s: %w", strings.Join(brokers, ","), err)
	}
	if err := ping(ctx, cl, brokers, timeout); err != nil {
		cl.Close()
		return nil, err
	}
	return cl, nil
}

// ping waits until a broker answers a metadata request, retrying within
// timeout (a broker still starting refuses connections for a moment).
func ping(ctx context.Context, cl *kgo.Client, brokers []string, timeout time.Duration) error {
	start := time.Now()
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		if last = cl.Ping(pctx); last == nil {
			return nil
		}
		select {
		case <-pctx.Done():
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return fmt.Errorf("%w: no answer from %s within %s (last error: %v); check the broker addresses and that the broker runs (scripts/kafka.sh status)",
				ErrBrokersUnreachable, strings.Join(brokers, ","), time.Since(start).Round(time.Second), last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// partitionCounts returns the number of partitions of each topic; a
// missing topic is an error wrapping ErrTopicMissing.
func partitionCounts(ctx context.Context, adm *kadm.Client, brokers []string, topics []string) (map[string]int32, error) {
	td, err := adm.ListTopics(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("list topics %v: %w", topics, err)
	}
	out := map[string]int32{}
	for _, t := range topics {
		d, ok := td[t]
		if !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
			return nil, fmt.Errorf("%w: topic %q on %s; create it (e.g. scripts/kafka.sh create-topic %s N) or check the name",
				ErrTopicMissing, t, strings.Join(brokers, ","), t)
		}
		if d.Err != nil {
			return nil, fmt.Errorf("topic %q: %w", t, d.Err)
		}
		out[t] = int32(len(d.Partitions))
	}
	return out, nil
}

// brokerConfigInt reads an integer broker setting (e.g.
// transaction.max.timeout.ms) from the first broker.
func brokerConfigInt(ctx context.Context, adm *kadm.Client, key string) (int64, error) {
	md, err := adm.BrokerMetadata(ctx)
	if err != nil {
		return 0, fmt.Errorf("broker metadata: %w", err)
	}
	if len(md.Brokers) == 0 {
		return 0, errors.New("broker metadata lists no broker")
	}
	rcs, err := adm.DescribeBrokerConfigs(ctx, md.Brokers[0].NodeID)
	if err != nil {
		return 0, fmt.Errorf("describe broker %d configs: %w", md.Brokers[0].NodeID, err)
	}
	for _, rc := range rcs {
		if rc.Err != nil {
			return 0, fmt.Errorf("describe broker %s configs: %w", rc.Name, rc.Err)
		}
		for _, c := range rc.Configs {
			if c.Key == key && c.Value != nil {
				n, err := strconv.ParseInt(*c.Value, 10, 64)
				if err != nil {
					return 0, fmt.Errorf("broker %s=%q: %w", key, *c.Value, err)
				}
				return n, nil
			}
		}
	}
	return 0, fmt.Errorf("broker config %s not found", key)
}
