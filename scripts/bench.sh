#!/usr/bin/env bash
# bench.sh — Floe's benchmarks (`make bench`). Prints figures; asserts nothing.
#   1. generator → map → filter → discarding sink, chained in one slot (local)
#   2. the same with a hash exchange between 2 TaskManager processes over
#      loopback, 100-byte records (a JobManager with the process driver)
#   3. wordcount's keyed reduce (local, one slot each side of the exchange)
# For each: records per second per CPU core used (records ÷ CPU seconds of
# the processes running the job). Also: idle TaskManager RSS, TaskManager
# RSS under pipeline 2, the codec's ns/op (runtime benchmarks), and the
# backpressure figures (jobmanager's TestBackpressureFigures: source and sink
# rates and TaskManager RSS with a throttled sink, BENCH_BACKPRESSURE_SECONDS,
# default 60), and the control plane's command latency to 16 slots
# (jobmanager's BenchmarkControlPush: median and p99), and the keyed-state
# backends' value-state reads and writes per second per core (runtime/state's
# BenchmarkValueState, one goroutine, median of BENCH_STATE_COUNT runs,
# default 5), and a Pebble checkpoint's duration and new bytes, full and
# incremental after 1% of the keys changed (BENCH_STATE_MIB, default 1024),
# and the throughput cost of checkpointing: pipeline 3 with checkpoints
# every second vs none (and on but never triggered, to tell the cost of the
# checkpointed state path from that of the checkpoints), median of
# BENCH_CHECKPOINT_RUNS runs each (default 5, BENCH_CHECKPOINT_RECORDS
# records per run, default 40,000,000: about 7 s and 7 checkpoints).
# BENCH_RECORDS sets the records per pipeline (default 20,000,000);
# BENCH_EXCHANGE_ARGS=--default-codec runs pipeline 2 with the default codec
# instead of the user-supplied one.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
n=${BENCH_RECORDS:-20000000}
work=$(mktemp -d "${TMPDIR:-/tmp}/floe-bench.XXXXXX")
jm_pid=
cleanup() {
  if [[ -n $jm_pid ]] && kill -0 "$jm_pid" 2>/dev/null; then
    kill -TERM "$jm_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$jm_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$jm_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "building…"
go build -o "$work/floe" ./cmd/floe
go build -o "$work/bench" ./examples/bench

# rate FILE: records/s per core from the BENCH lines in FILE.
rate() {
  awk '/^BENCH/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                  r += v["records"]; c += v["cpu_s"]; w = (v["wall_s"] > w ? v["wall_s"] : w) }
       END { if (c > 0) printf "%.2f M records/s/core  (%d records, %.2f CPU s, %.2f s wall)\n", r / c / 1e6, r, c, w;
             else print "no figures" }' "$1"
}

rss_mib() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"; }

echo
echo "== 1. chained: generator → map → filter → discard (1 slot, local)"
FLOE_ROLE=local "$work/bench" --pipeline chained --n "$n" 2>"$work/chained.txt"
rate "$work/chained.txt"

echo
echo "== 3. wordcount keyed reduce: words → keyBy → rolling reduce → discard (local)"
FLOE_ROLE=local "$work/bench" --pipeline wordcount --n "$n" 2>"$work/wordcount.txt"
rate "$work/wordcount.txt"

echo
echo "== 3b. checkpoint cost: pipeline 3 with checkpoints every 1 s vs none (hashmap backend, local disk; median of ${BENCH_CHECKPOINT_RUNS:-5} runs)"
# -D as `floe run -t local -D …` hands it to the job binary.
ckp_props() { printf '["execution.checkpointing.interval=%s","state.checkpoints.dir=file://%s/chk"]' "$1" "$work"; }
for mode in none every-1s never-triggered; do
  : >"$work/ckp-$mode.txt"
  for _ in $(seq 1 "${BENCH_CHECKPOINT_RUNS:-5}"); do
    case $mode in
      none) props= ;;
      every-1s) props=$(ckp_props "1 s") ;;
      never-triggered) props=$(ckp_props "1 h") ;;
    esac
    FLOE_ROLE=local FLOE_DYNAMIC_PROPERTIES=$props "$work/bench" --pipeline wordcount --n "${BENCH_CHECKPOINT_RECORDS:-40000000}" 2>&1 |
      grep '^BENCH' >>"$work/ckp-$mode.txt"
  done
done
# median FILE FIELD: the median over runs of records/FIELD (wall_s or cpu_s).
median() {
  awk -v f="$2" '/^BENCH/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                            if (v[f] > 0) a[++n] = v["records"] / v[f] }
       END { for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
             if (n == 0) print 0; else print (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }' "$1"
}
base_w=$(median "$work/ckp-none.txt" wall_s)
base_c=$(median "$work/ckp-none.txt" cpu_s)
for mode in none every-1s never-triggered; do
  w=$(median "$work/ckp-$mode.txt" wall_s)
  c=$(median "$work/ckp-$mode.txt" cpu_s)
  awk -v m="$mode" -v w="$w" -v c="$c" -v bw="$base_w" -v bc="$base_c" 'BEGIN {
    printf "%-16s %.2f M records/s wall, %.2f M records/s/core", m, w / 1e6, c / 1e6
    if (m != "none" && bw > 0 && bc > 0) printf "  (vs none: %+.1f%% wall, %+.1f%% per core)", (w / bw - 1) * 100, (c / bc - 1) * 100
    printf "\n" }'
done

echo
echo "== 2. hash exchange between 2 TaskManager processes, 100-byte records"
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/secret")
"$work/floe" jobmanager --address 127.0.0.1:0 --secret-file "$work/secret" --log-dir "$work/tm" \
  -D taskmanager.numberOfTaskSlots=1 -D resourcemanager.taskmanager-timeout=60s \
  >"$work/jm.out" 2>"$work/jm.log" &
jm_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/jm.out" && break; sleep 0.1; done
addr=$(awk '/listening on/ {print $4}' "$work/jm.out")
export FLOE_SECRET_FILE=$work/secret

# Idle TaskManagers: run a one-record job; its TaskManagers then idle (kept
# for resourcemanager.taskmanager-timeout).
"$work/floe" run -t remote -m "$addr" -p 2 "$work/bench" --pipeline idle >/dev/null
sleep 1 # let the idle processes settle before sampling
idle=()
for pid in $(pgrep -f -- "$work/bench --pipeline idle" || true); do idle+=("$(rss_mib "$pid") MiB"); done
echo "idle TaskManager RSS: ${idle[*]:-none found}"

"$work/floe" run -t remote -m "$addr" -p 2 "$work/bench" --pipeline exchange --n "$n" ${BENCH_EXCHANGE_ARGS:-} >/dev/null &
run_pid=$!
max=0
while kill -0 "$run_pid" 2>/dev/null; do
  for pid in $(pgrep -f -- "$work/bench --pipeline exchange" || true); do
    r=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    ((r > max)) && max=$r
  done
  sleep 0.2
done
wait "$run_pid"
cat "$work"/tm/*.log | grep '^BENCH pipeline=exchange' >"$work/exchange.txt" || true
rate "$work/exchange.txt"
awk -v m="$max" 'BEGIN { printf "TaskManager RSS under pipeline 2: max %.1f MiB\n", m / 1024 }'

echo
echo "== codec (runtime benchmarks)"
go test -run '^$' -bench 'Codec' -benchtime 200000x ./runtime/ | grep -E '^Benchmark' || true

echo
echo "== backpressure: fast source → sink throttled to 1000 records/s, 2 MiB network budget"
FLOE_BENCH_BACKPRESSURE=${BENCH_BACKPRESSURE_SECONDS:-60} go test -count=1 -v -run '^TestBackpressureFigures$' ./jobmanager/ |
  grep '^backpressure:' || true

echo
echo "== control plane: JobManager command → arrival at 16 TaskManager slots (4 TaskManagers × 4 slots, loopback)"
go test -run '^$' -bench 'BenchmarkControlPush' -benchtime "${BENCH_CONTROL_ROUNDS:-5000}x" ./jobmanager/ | grep -E '^Benchmark' || true

echo
echo "== keyed state: value-state writes and reads per second per core, 100k keys (median of ${BENCH_STATE_COUNT:-5} runs)"
go test -run '^$' -bench 'BenchmarkValueState' -count "${BENCH_STATE_COUNT:-5}" ./runtime/state/ |
  awk '/^BenchmarkValueState/ { name = $1; sub(/-[0-9]+$/, "", name); sub(/^BenchmarkValueState\//, "", name)
                                v[name] = v[name] " " $3 }
       END { for (k in v) {
               n = split(substr(v[k], 2), a, " ")
               for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
               m = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
               printf "%-16s %.2f M ops/s/core  (median %.1f ns/op, min %.1f, max %.1f, %d runs)\n", k, 1e3 / m, m, a[1], a[n], n } }' |
  sort || true

echo
echo "== checkpoint: pebble full vs incremental (1% of keys changed), ${BENCH_STATE_MIB:-1024} MiB of state, local snapshot (no upload)"
FLOE_BENCH_STATE_MIB=${BENCH_STATE_MIB:-1024} go test -count=1 -timeout 10m -v -run '^TestPebbleCheckpointFigures$' ./runtime/state/ |
  grep '^checkpoint:' || true
