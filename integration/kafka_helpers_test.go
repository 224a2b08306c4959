package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/floe-yarn/floe/examples/ledger/ledgercheck"
)

// The Kafka tests run against the broker of scripts/kafka.sh, named by
// FLOE_KAFKA_BROKERS (scripts/test-integration.sh starts it and sets it).
// Without it they skip, and fail under CI=true.

// kafkaEnv is a test's view of the broker.
type kafkaEnv struct {
	brokers string
	root    string
	adm     *kadm.Client
	cl      *kgo.Client
}

func requireKafka(t *testing.T) *kafkaEnv {
	t.Helper()
	b := os.Getenv("FLOE_KAFKA_BROKERS")
	if b == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("FLOE_KAFKA_BROKERS is not set: scripts/test-integration.sh starts the broker (scripts/kafka.sh start)")
		}
		t.Skip("FLOE_KAFKA_BROKERS not set (scripts/kafka.sh start; eval \"$(scripts/kafka.sh env)\")")
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(b, ",")...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := cl.Ping(ctx); err != nil {
		t.Fatalf("Kafka broker %s unreachable: %v (scripts/kafka.sh start)", b, err)
	}
	return &kafkaEnv{brokers: b, root: repoRoot(), adm: kadm.NewClient(cl), cl: cl}
}

// createTopic creates a topic unique to the test with the broker's own
// tooling (scripts/kafka.sh create-topic) and deletes it at the end.
func (k *kafkaEnv) createTopic(t *testing.T, what string, partitions int) string {
	t.Helper()
	name := fmt.Sprintf("it-%s-%d", what, time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(k.root, "scripts/kafka.sh"), "create-topic", name, fmt.Sprint(partitions)).CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/kafka.sh create-topic %s %d: %v\n%s", name, partitions, err, out)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = k.adm.DeleteTopics(ctx, name)
	})
	return name
}

// produceLines writes one record per line, round robin over the partitions.
func (k *kafkaEnv) produceLines(t *testing.T, topic string, lines []string) {
	t.Helper()
	k.produceLinesTo(t, topic, nil, lines)
}

// produceLinesTo writes one record per line, round robin over the given
// partitions of topic (nil: all of them).
func (k *kafkaEnv) produceLinesTo(t *testing.T, topic string, partitions []int32, lines []string) {
	t.Helper()
	partitioner := kgo.ManualPartitioner()
	if partitions == nil {
		partitioner = kgo.RoundRobinPartitioner()
	}
	p, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(k.brokers, ",")...), kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(partitioner))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rs := make([]*kgo.Record, len(lines))
	for i, l := range lines {
		rs[i] = &kgo.Record{Value: []byte(l)}
		if partitions != nil {
			rs[i].Partition = partitions[i%len(partitions)]
		}
	}
	if err := p.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// waitGroupAtEnd waits until group has committed, for each of the
// topic's partitions partitions, the partition's end offset: a Floe
// source commits the offsets of completed checkpoints, so everything
// before them was read and is in a checkpoint.
func (k *kafkaEnv) waitGroupAtEnd(t *testing.T, group, topic string, partitions int) {
	t.Helper()
	waitUntil(t, 3*time.Minute, fmt.Sprintf("group %s at the end of %d partitions of %s", group, partitions, topic), func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ends, err := k.adm.ListEndOffsets(ctx, topic)
		if err != nil {
			return false, nil
		}
		offs, err := k.adm.FetchOffsets(ctx, group)
		if err != nil {
			return false, nil
		}
		n, done := 0, true
		ends.Each(func(o kadm.ListedOffset) {
			n++
			if c, ok := offs.Lookup(o.Topic, o.Partition); !ok || c.At != o.Offset {
				done = false
			}
		})
		return done && n == partitions, nil
	})
}

// readCommitted reads topic with a consumer that is not Floe: the
// broker's own console consumer with --isolation-level read_committed,
// after waiting until no transaction is open on it (last stable offsets
// equal to the ends). It returns the record values, one per line.
func (k *kafkaEnv) readCommitted(t *testing.T, topic string) []string {
	t.Helper()
	waitUntil(t, 2*time.Minute, "no open transaction on "+topic, func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hw, err1 := k.adm.ListEndOffsets(ctx, topic)
		lso, err2 := k.adm.ListCommittedOffsets(ctx, topic)
		if err1 != nil || err2 != nil {
			return false, nil
		}
		stable := true
		hw.Each(func(o kadm.ListedOffset) {
			if l, ok := lso.Lookup(o.Topic, o.Partition); !ok || l.Offset != o.Offset {
				stable = false
			}
		})
		return stable, nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(k.root, "scripts/kafka.sh"), "tool",
		"org.apache.kafka.tools.consumer.ConsoleConsumer", "--bootstrap-server", k.brokers, "--topic", topic,
		"--from-beginning", "--isolation-level", "read_committed", "--timeout-ms", "5000")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && !strings.Contains(stderr.String(), "Processed a total of") {
		t.Fatalf("console consumer on %s: %v\n%s", topic, err, stderr.String())
	}
	lines, err := ledgercheck.Lines(strings.NewReader(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("read_committed console consumer: %d records from %s (%s)", len(lines), topic, strings.TrimSpace(lastLine(stderr.String())))
	return lines
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

var kafkaLedgerBuild struct {
	once sync.Once
	err  error
}

// kafkaLedgerBinary builds examples/kafka-ledger into the test binaries'
// folder once and returns its path.
func kafkaLedgerBinary(t *testing.T, e *ycEnv) string {
	t.Helper()
	out := filepath.Join(e.bins, "kafka-ledger")
	kafkaLedgerBuild.once.Do(func() {
		cmd := exec.Command("go", "build", "-trimpath", "-o", out, "./examples/kafka-ledger")
		cmd.Dir = e.c.Root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			kafkaLedgerBuild.err = fmt.Errorf("build kafka-ledger: %v\n%s", err, b)
		}
	})
	if kafkaLedgerBuild.err != nil {
		t.Fatal(kafkaLedgerBuild.err)
	}
	return out
}
