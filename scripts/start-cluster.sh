#!/usr/bin/env bash
# start-cluster.sh — start a standalone Floe session on this host: a
# `floe jobmanager` whose TaskManagers are processes of the submitted job
# binaries (the process driver). Submit with
#   FLOE_SECRET_FILE=<dir>/secret floe run -t remote -m <address> JOB_BINARY [args…]
# Stop it with scripts/stop-cluster.sh.
#
# Environment: FLOE_CLUSTER_DIR (state: secret, pid, logs; default
# ${TMPDIR:-/tmp}/floe-cluster-$USER), FLOE_CLUSTER_ADDRESS (default
# 127.0.0.1:8081), FLOE_BIN (default bin/floe, built when missing).
# Extra arguments go to `floe jobmanager` (e.g. -D taskmanager.numberOfTaskSlots=2).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${FLOE_CLUSTER_DIR:-${TMPDIR:-/tmp}/floe-cluster-${USER:-$(id -un)}}
addr=${FLOE_CLUSTER_ADDRESS:-127.0.0.1:8081}
floe=${FLOE_BIN:-$root/bin/floe}

mkdir -p "$dir" && chmod 700 "$dir"
if [[ -f $dir/jobmanager.pid ]] && kill -0 "$(cat "$dir/jobmanager.pid")" 2>/dev/null; then
  echo "Floe session already running (pid $(cat "$dir/jobmanager.pid")) at $(cat "$dir/address")"
  echo "export FLOE_SECRET_FILE=$dir/secret"
  exit 0
fi
if [[ ! -x $floe ]]; then
  echo "building $floe"
  (cd "$root" && go build -o "$floe" ./cmd/floe)
fi
if [[ ! -s $dir/secret ]]; then
  (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/secret")
fi
chmod 600 "$dir/secret"

: >"$dir/jobmanager.out"
nohup "$floe" jobmanager --address "$addr" --secret-file "$dir/secret" --log-dir "$dir/log" "$@" \
  >"$dir/jobmanager.out" 2>"$dir/jobmanager.log" </dev/null &
echo $! >"$dir/jobmanager.pid"

for _ in $(seq 1 100); do
  if grep -q "listening on" "$dir/jobmanager.out"; then
    awk '/listening on/ {print $4}' "$dir/jobmanager.out" >"$dir/address"
    echo "Floe JobManager (pid $(cat "$dir/jobmanager.pid")) listening on $(cat "$dir/address"); logs in $dir"
    echo "export FLOE_SECRET_FILE=$dir/secret"
    echo "floe run -t remote -m $(cat "$dir/address") JOB_BINARY [args…]"
    exit 0
  fi
  if ! kill -0 "$(cat "$dir/jobmanager.pid")" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
echo "the JobManager did not start; its log:" >&2
cat "$dir/jobmanager.log" >&2
kill "$(cat "$dir/jobmanager.pid")" 2>/dev/null || true
rm -f "$dir/jobmanager.pid"
exit 1
