#!/usr/bin/env bash
# bench-nexmark.sh — the Nexmark benchmark (`make bench-nexmark`). Prints
# figures; asserts nothing. For each query (examples/nexmark: q0
# pass-through, q1 currency conversion, q2 selection, q5 hot items on
# sliding windows, q7 highest bid on tumbling windows, q8 new users as a
# keyed two-input join per tumbling window) it runs the job
# locally over NEXMARK_EVENTS generated events (default 10,000,000) at
# parallelism NEXMARK_PARALLELISM (default 1), NEXMARK_RUNS times (default
# 3), and prints the median of events per second per CPU core (events ÷ CPU
# seconds of the process while the job ran). For scale, Flink 1.13's
# published Nexmark runs: 155–175 K events/s/core on q0–q2, 22 K on q5,
# 12 K on q7, 146 K on q8. NEXMARK_QUERIES picks queries.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
events=${NEXMARK_EVENTS:-10000000}
par=${NEXMARK_PARALLELISM:-1}
runs=${NEXMARK_RUNS:-3}
queries=${NEXMARK_QUERIES:-"q0 q1 q2 q5 q7 q8"}
work=$(mktemp -d "${TMPDIR:-/tmp}/floe-nexmark.XXXXXX")
trap 'rm -rf "$work"' EXIT

go build -o "$work/nexmark" ./examples/nexmark
echo "Nexmark: $events events, parallelism $par, median of $runs runs"
for q in $queries; do
  : >"$work/$q.txt"
  for _ in $(seq 1 "$runs"); do
    FLOE_ROLE=local "$work/nexmark" --query "$q" --events "$events" --parallelism "$par" 2>>"$work/$q.txt"
  done
  grep '^BENCH' "$work/$q.txt" |
    awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }; print v["events_per_core_s"], v["rows"] }' |
    sort -n | awk -v q="$q" '
      { e[NR] = $1; rows = $2 }
      END { n = NR; m = (n % 2) ? e[(n + 1) / 2] : (e[n / 2] + e[n / 2 + 1]) / 2
            printf "%-3s %8.1f K events/s/core  (median of %d; min %.1f K, max %.1f K; %d rows per run)\n", q, m / 1e3, n, e[1] / 1e3, e[n] / 1e3, rows }'
done
