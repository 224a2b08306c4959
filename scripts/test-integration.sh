#!/usr/bin/env bash
# Runs the integration tests against the real Hadoop cluster of scripts/minicluster.sh
# and the real Kafka broker of scripts/kafka.sh.
# Starts each when it is not running and stops it again only if it started it.
set -euo pipefail
cd "$(dirname "$0")/.."
mc=scripts/minicluster.sh
started=0
if ! "$mc" status >/dev/null 2>&1; then
  "$mc" start
  started=1
fi
kafka=scripts/kafka.sh
kafka_started=0
# The Kerberized cluster of the TestSecure* tests runs beside it (own ports
# and state); started here when absent, stopped at the end only if so.
secure_started=0
cleanup() {
  if [ "$kafka_started" = 1 ]; then "$kafka" stop || true; fi
  if [ "$secure_started" = 1 ]; then "$mc" --secure stop || true; fi
  if [ "$started" = 1 ]; then "$mc" stop || true; fi
}
trap cleanup EXIT
if ! "$kafka" status >/dev/null 2>&1; then
  "$kafka" start
  kafka_started=1
fi
if ! "$mc" --secure status >/dev/null 2>&1; then
  secure_started=1
  "$mc" --secure start
fi
eval "$("$mc" env)"
eval "$("$kafka" env)"
export FLOE_REPO_ROOT="$PWD"
# The yarnrpc smoke tests speak raw IPC to the real RM (SIMPLE, and DIGEST-MD5
# with a delegation token); here a missing cluster fails them.
FLOE_REQUIRE_CLUSTER=1 CGO_ENABLED=1 go test -race -count=1 -run Smoke ./yarnrpc/
# The Kafka connector's and kafka-ledger's tests against the real broker
# (make test-unit leaves them out: it runs before the broker starts).
CGO_ENABLED=1 go test -race -count=1 ./stream/kafka/ ./examples/kafka-ledger/
# Each test's result is listed; the whole output is shown when one fails.
log=$(mktemp)
trap 'rm -f "$log"; cleanup' EXIT
if ! CGO_ENABLED=1 go test -race -count=1 -timeout 75m -p 1 -v ./integration/... "$@" >"$log" 2>&1; then
  cat "$log"
  exit 1
fi
grep -E '^(--- |ok |PASS$)' "$log"
