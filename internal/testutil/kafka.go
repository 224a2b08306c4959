package testutil

import (
	"os"
	"strings"
	"testing"
)

// KafkaBrokers returns the addresses in FLOE_KAFKA_BROKERS, the broker of
// scripts/kafka.sh. Without it a test is skipped, or fails under CI=true:
// there every test that needs the broker must run.
func KafkaBrokers(t testing.TB) []string {
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
