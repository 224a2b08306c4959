#!/usr/bin/env bash
# bench-kafka.sh — `make bench-kafka`: Kafka → keyed count → Kafka on this
# machine. Prints figures; asserts nothing.
#
# Needs the broker of scripts/kafka.sh (started here when it is not running,
# and stopped again only then). The input topic (4 partitions) is filled once
# with BENCH_KAFKA_RECORDS records (default 2,000,000) whose values are 1,000
# distinct keys, by the broker's own ProducerPerformance tool. Then, for each
# delivery guarantee (at-least-once, exactly-once), BENCH_KAFKA_RUNS runs
# (default 3) of examples/kafka-count --bounded at parallelism 2 on a local
# JobManager with TaskManager processes (floe jobmanager, one slot each),
# checkpointing every second, each into a fresh output topic. Figure: input
# records per second per CPU core of Floe's processes (floe run with the job
# binary's plan process, the JobManager and its TaskManager processes: CPU
# time from the shell's times and /proc), and records per wall second; medians of
# the runs. The ceiling: the broker's own ConsumerPerformance tool reading the
# same topic (records per wall second, median of the runs).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
n=${BENCH_KAFKA_RECORDS:-2000000}
runs=${BENCH_KAFKA_RUNS:-3}
kafka=scripts/kafka.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/floe-bench-kafka.XXXXXX")
jm_pid=
kafka_started=0
cleanup() {
  if [[ -n $jm_pid ]] && kill -0 "$jm_pid" 2>/dev/null; then
    kill -TERM "$jm_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$jm_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$jm_pid" 2>/dev/null || true
  fi
  if [[ $kafka_started == 1 ]]; then "$kafka" stop || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if ! "$kafka" status >/dev/null 2>&1; then
  "$kafka" start
  kafka_started=1
fi
eval "$("$kafka" env)"
brokers=$FLOE_KAFKA_BROKERS

echo "building…"
go build -o "$work/floe" ./cmd/floe
go build -o "$work/kafka-count" ./examples/kafka-count

tag=bench-$(date +%s)
in=$tag-in
"$kafka" create-topic "$in" 4 >/dev/null
for i in $(seq 0 999); do echo "k$i"; done >"$work/keys"
echo "filling $in with $n records…"
"$kafka" tool org.apache.kafka.tools.ProducerPerformance --topic "$in" --num-records "$n" --throughput -1 \
  --payload-file "$work/keys" --producer-props "bootstrap.servers=$brokers" acks=1 linger.ms=5 batch.size=262144 \
  2>/dev/null | tail -1

(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/secret")
"$work/floe" jobmanager --address 127.0.0.1:0 --secret-file "$work/secret" --log-dir "$work/tm" \
  -D taskmanager.numberOfTaskSlots=1 -D resourcemanager.taskmanager-timeout=120s \
  >"$work/jm.out" 2>"$work/jm.log" &
jm_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/jm.out" && break; sleep 0.1; done
addr=$(awk '/listening on/ {print $4}' "$work/jm.out")
[[ -n $addr ]] || { cat "$work/jm.log" >&2; echo "bench-kafka: the JobManager did not start" >&2; exit 1; }
export FLOE_SECRET_FILE=$work/secret

# ticks PID...: "pid ticks" lines, ticks = user + system CPU clock ticks of
# the process and of its children it has reaped (a TaskManager that ended
# counts in its JobManager's).
ticks() { for p in "$@"; do awk -v p="$p" '{print p, $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null || true; done; }
# floe_pids: the JobManager and its TaskManager processes (its children,
# started from the job binary's cached copy).
floe_pids() { echo "$jm_pid"; pgrep -P "$jm_pid" || true; }
# client_cpu: CPU seconds of this script's reaped children (floe run and the
# job binary's plan process it starts), from the shell's `times`.
client_cpu() { times | awk 'NR == 2 { split($1, u, "m"); split($2, s, "m"); printf "%.3f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }'; }
hz=$(getconf CLK_TCK)

# median: the median of the numbers on standard input.
median() { sort -g | awk '{a[NR] = $1} END { if (NR == 0) { print "nan"; exit } ; print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

for g in at-least-once exactly-once; do
  : >"$work/$g.core" && : >"$work/$g.wall"
  for r in $(seq 1 "$runs"); do
    out=$tag-$g-$r
    "$kafka" create-topic "$out" 4 >/dev/null
    # shellcheck disable=SC2046
    ticks $(floe_pids) >"$work/before"
    c0=$(client_cpu)
    t0=$(date +%s.%N)
    "$work/floe" run -t remote -m "$addr" -p 2 -Dexecution.checkpointing.interval=1s \
      -Dstate.checkpoints.dir="$work/chk-$g-$r" \
      "$work/kafka-count" --brokers "$brokers" --input-topic "$in" --output-topic "$out" --guarantee "$g" --bounded \
      >"$work/run.out" 2>&1 || { cat "$work/run.out" >&2; exit 1; }
    t1=$(date +%s.%N)
    c1=$(client_cpu)
    # shellcheck disable=SC2046
    ticks $(floe_pids) >"$work/after"
    cpu=$(awk -v hz="$hz" -v c="$c1" -v c0="$c0" 'NR == FNR { b[$1] = $2; next } { d += $2 - b[$1] } END { printf "%.3f", d / hz + c - c0 }' "$work/before" "$work/after")
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    awk -v n="$n" -v c="$cpu" 'BEGIN { printf "%.0f\n", n / c }' >>"$work/$g.core"
    awk -v n="$n" -v w="$wall" 'BEGIN { printf "%.0f\n", n / w }' >>"$work/$g.wall"
    procs=$(($(wc -l <"$work/after") - 1))
    got=$("$kafka" tool org.apache.kafka.tools.GetOffsetShell --bootstrap-server "$brokers" --topic "$out" 2>/dev/null |
      awk -F: '{s += $3} END {print s + 0}')
    echo "  $g run $r: $n records in, $got output offsets (with transaction markers), $cpu CPU s (floe run, the plan, the JobManager + $procs TaskManager processes), $wall s wall"
  done
done

: >"$work/ceiling"
for r in $(seq 1 "$runs"); do
  "$kafka" tool org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$brokers" --topic "$in" \
    --messages "$n" --timeout 60000 2>/dev/null | tail -1 | awk -F', *' '{print $6}' >>"$work/ceiling"
done

echo
echo "== Kafka → keyed count → Kafka ($n records, 1000 keys, 4 partitions, parallelism 2, checkpoint every 1 s; medians of $runs)"
for g in at-least-once exactly-once; do
  printf '%-14s %10.0f records/s/core of Floe processes  %10.0f records/s wall\n' "$g" \
    "$(median <"$work/$g.core")" "$(median <"$work/$g.wall")"
done
printf '%-14s %10s                                   %10.0f records/s wall (kafka ConsumerPerformance, consume only)\n' "ceiling" "" "$(median <"$work/ceiling")"
