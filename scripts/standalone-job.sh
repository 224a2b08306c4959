#!/usr/bin/env bash
# standalone-job.sh start JOB_BINARY [args…] | stop — a standalone
# application cluster (Flink's bin/standalone-job.sh; its --job-classname
# has no meaning here: the job binary is the job). The JobManager submits
# the job itself and runs it in the slots of TaskManagers that join with
# scripts/taskmanager.sh start; when the job ends the JobManager ends and
# tells its TaskManagers to end; stopping the cluster stops the job. Same
# folders as jobmanager.sh (scripts/floe-daemon.sh).
set -euo pipefail
# shellcheck source=floe-daemon.sh
source "$(dirname "$0")/floe-daemon.sh"

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case $cmd in
  start)
    if [[ $# -lt 1 ]]; then
      echo "usage: $0 start JOB_BINARY [args…]" >&2
      exit 2
    fi
    bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
    shift
    [[ -f $bin ]] || { echo "standalone-job.sh: job binary $bin: no such file" >&2; exit 2; }
    ensure_floe
    ensure_secret
    args=(jobmanager --standalone --secret-file "$secret_file" --blob-dir "$cluster_dir/blobs" --job "$bin")
    [[ -n ${FLOE_CLUSTER_ADDRESS:-} ]] && args+=(--address "$FLOE_CLUSTER_ADDRESS")
    start_daemon "JobManager (application $(basename "$bin"))" "$cluster_dir/jobmanager.pid" "$cluster_dir/log/jobmanager.log" \
      "listening on" "$floe" "${args[@]}" -- "$@"
    awk '/listening on/ {print $4; exit}' "$cluster_dir/log/jobmanager.log" >"$cluster_dir/address"
    ;;
  stop)
    stop_daemon JobManager "$cluster_dir/jobmanager.pid"
    rm -rf "$cluster_dir/blobs" "$cluster_dir/address"
    ;;
  *)
    echo "usage: $0 start JOB_BINARY [args…] | stop" >&2
    exit 2
    ;;
esac
