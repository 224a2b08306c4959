package kafka

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/floe-yarn/floe/internal/kafkatest"
)

// Tests here talk to a real broker (scripts/kafka.sh start; eval
// "$(scripts/kafka.sh env)"): FLOE_KAFKA_BROKERS names it. Without it they
// skip on a developer machine, and fail under CI=true, where a skipped
// broker test would hide a broken connector; a broker that does not
// answer always fails them.

func brokers(t *testing.T) []string {
	t.Helper()
	bs := kafkatest.Brokers(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(bs...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.Ping(ctx); err != nil {
		t.Fatalf("broker %s unreachable: %v (scripts/kafka.sh start)", strings.Join(bs, ","), err)
	}
	return bs
}

// admin returns an admin client, closed with the test.
func admin(t *testing.T, bs []string) (*kgo.Client, *kadm.Client) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(bs...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl, kadm.NewClient(cl)
}

// topic creates a topic unique to the test, with parts partitions.
func topic(t *testing.T, bs []string, parts int32) string {
	t.Helper()
	// Kafka topic names: letters, digits, '.', '_' and '-'.
	safe := strings.Map(func(r rune) rune {
		if r < 128 && (r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return r
		}
		return '-'
	}, t.Name())
	name := fmt.Sprintf("%s-%d", safe, time.Now().UnixNano())
	createTopic(t, bs, name, parts)
	return name
}

// createTopic creates the topic name with parts partitions, ready to use.
func createTopic(t *testing.T, bs []string, name string, parts int32) {
	t.Helper()
	kafkatest.CreateTopic(t, bs, name, parts)
}

// produce writes values to topic, partition i%parts... by round robin.
func produce(t *testing.T, bs []string, topic string, values []string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(bs...), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var rs []*kgo.Record
	for _, v := range values {
		rs = append(rs, &kgo.Record{Value: []byte(v)})
	}
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// readCommitted reads every committed record of topic, up to the last
// stable offsets, with isolation.level=read_committed; it fails when the
// last stable offset does not reach the end of the log within the
// timeout (an open transaction).
func readCommitted(t *testing.T, bs []string, topic string) []string {
	t.Helper()
	_, adm := admin(t, bs)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var end kadm.ListedOffsets
	for {
		hw, err := adm.ListEndOffsets(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		lso, err := adm.ListCommittedOffsets(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		stable := true
		hw.Each(func(o kadm.ListedOffset) {
			if l, _ := lso.Lookup(o.Topic, o.Partition); l.Offset != o.Offset {
				stable = false
			}
		})
		if stable {
			end = lso
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("topic %s: a transaction stays open (last stable offsets %v, ends %v)", topic, lso, hw)
		case <-time.After(200 * time.Millisecond):
		}
	}
	parts := map[int32]kgo.Offset{}
	end.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			parts[o.Partition] = kgo.NewOffset().AtStart()
		}
	})
	if len(parts) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(bs...), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: parts}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// The position past trailing control records is not visible, so the
	// end is when nothing more arrives for a while; a shortfall shows as
	// missing records, never as a pass.
	var out []string
	for {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		fs := cl.PollFetches(pctx)
		pcancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)); n++ })
		if n == 0 {
			return out
		}
	}
}

func testLogger(t *testing.T) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
}
