#!/usr/bin/env bash
# taskmanager.sh start|stop [floe taskmanager flags…] — a TaskManager of a
# standalone cluster on this host (Flink's bin/taskmanager.sh): it offers
# taskmanager.numberOfTaskSlots slots to the JobManager and runs the
# subtasks it is given, in processes of the job binaries it fetches from
# the JobManager. The JobManager is FLOE_JOBMANAGER (host:port), else the
# one jobmanager.sh started on this host, else jobmanager.rpc.address and
# rest.port of floe-conf.yaml. State (pid, logs, job binary cache) in
# FLOE_TM_DIR: give each TaskManager on one host its own.
set -euo pipefail
# shellcheck source=floe-daemon.sh
source "$(dirname "$0")/floe-daemon.sh"

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case $cmd in
  start)
    ensure_floe
    args=(taskmanager --dir "$tm_dir")
    jm=${FLOE_JOBMANAGER:-}
    if [[ -z $jm && -s $cluster_dir/address ]]; then jm=$(cat "$cluster_dir/address"); fi
    [[ -n $jm ]] && args+=(--jobmanager "$jm")
    start_daemon TaskManager "$tm_dir/taskmanager.pid" "$tm_dir/log/worker.log" "registered with the JobManager" \
      "$floe" "${args[@]}" "$@"
    ;;
  stop)
    stop_daemon TaskManager "$tm_dir/taskmanager.pid"
    ;;
  *)
    echo "usage: $0 start|stop [floe taskmanager flags…]" >&2
    exit 2
    ;;
esac
