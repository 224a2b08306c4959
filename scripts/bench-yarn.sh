#!/usr/bin/env bash
# make bench-yarn: YARN submission latency (invoking floe → job RUNNING with
# every subtask deployed) for per-job cold, application mode with provided
# lib dirs and the job binary on HDFS, and a warm session; bytes uploaded;
# AM and TaskManager RSS. Medians of 5 (FLOE_BENCH_RUNS overrides).
# Then recovery (TestYarnRecoveryBench): SIGKILL of a TaskManager container
# of a checkpointing ledger job → the job RUNNING again restored from a
# checkpoint, per backend.
# Starts the minicluster if needed and stops it only if it started it.
set -euo pipefail
cd "$(dirname "$0")/.."
started=0
if ! scripts/minicluster.sh status >/dev/null 2>&1; then
  scripts/minicluster.sh start
  started=1
fi
trap '[ "$started" = 1 ] && scripts/minicluster.sh stop || true' EXIT
eval "$(scripts/minicluster.sh env)"
mkdir -p bin
out=${FLOE_BENCH_OUT:-bin/bench-yarn.txt}
FLOE_BENCH_YARN=1 FLOE_BENCH_OUT="$PWD/$out" go test -count=1 -timeout 40m -run '^TestYarnBench$' ./integration/ -v 2>&1 \
  | grep -v '^=== \|^    yarn_helpers_test.go' || true
rout=${out%.txt}-recovery.txt
FLOE_BENCH_YARN=1 FLOE_BENCH_OUT="$PWD/$rout" go test -count=1 -timeout 30m -run '^TestYarnRecoveryBench$' ./integration/ -v 2>&1 \
  | grep -v '^=== \|^    yarn_helpers_test.go' || true
echo "results in $out and $rout"
[ -s "$out" ] && [ -s "$rout" ]
