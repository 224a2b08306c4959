#!/usr/bin/env bash
# stop-cluster.sh — stop the session started by scripts/start-cluster.sh.
# The JobManager stops its TaskManager processes on SIGTERM; after 10 s it
# is killed.
set -euo pipefail

dir=${FLOE_CLUSTER_DIR:-${TMPDIR:-/tmp}/floe-cluster-${USER:-$(id -un)}}
pidfile=$dir/jobmanager.pid
if [[ ! -f $pidfile ]]; then
  echo "no Floe session running (no $pidfile)"
  exit 0
fi
pid=$(cat "$pidfile")
if kill -0 "$pid" 2>/dev/null; then
  kill -TERM "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "JobManager $pid ignored SIGTERM; killing it" >&2
    kill -KILL "$pid" || true
  fi
fi
rm -f "$pidfile" "$dir/address"
echo "Floe session stopped"
