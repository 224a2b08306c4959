package kafkatest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/floe-yarn/floe/internal/testutil"
)

// Brokers returns the addresses in FLOE_KAFKA_BROKERS. Without it a test
// is skipped, or fails under CI=true: there every test that needs the
// broker must run.
func Brokers(t testing.TB) []string {
	t.Helper()
	b := os.Getenv("FLOE_KAFKA_BROKERS")
	if b == "" {
		const how = "scripts/kafka.sh start; eval \"$(scripts/kafka.sh env)\""
		if os.Getenv("CI") == "true" {
			t.Fatalf("FLOE_KAFKA_BROKERS is not set and CI=true: start the broker first (%s)", how)
		}
		t.Skipf("FLOE_KAFKA_BROKERS not set (%s)", how)
	}
	return strings.Split(b, ",")
}

// CreateTopic creates the topic name with parts partitions and waits
// until the broker's metadata lists it with a leader for every partition:
// the broker answers the creation before, and a client asking at once
// would find no such topic.
func CreateTopic(t testing.TB, bs []string, name string, parts int32) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(bs...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := adm.CreateTopic(ctx, parts, 1, nil, name)
	if err == nil {
		err = r.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v (is the broker up? scripts/kafka.sh status)", name, err)
	}
	testutil.WaitFor(t, 30*time.Second, "topic "+name+" in the broker's metadata", func() bool {
		td, err := adm.ListTopics(ctx, name)
		d, ok := td[name]
		if err != nil || !ok || d.Err != nil || len(d.Partitions) != int(parts) {
			return false
		}
		for _, p := range d.Partitions {
			if p.Err != nil || p.Leader < 0 {
				return false
			}
		}
		return true
	})
}
