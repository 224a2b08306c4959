#!/usr/bin/env bash
# jobmanager.sh start|stop [floe jobmanager flags…] — the JobManager of a
# standalone cluster on this host (Flink's bin/jobmanager.sh). It runs jobs
# only in the slots of TaskManagers started with scripts/taskmanager.sh
# (on this host or others); it starts none itself. Its secret is written to
# $FLOE_CONF_DIR/.floe-cluster-secret (0600), where TaskManagers and the
# CLI (`floe run|list|cancel|savepoint -m host:port`) find it.
# Listens on FLOE_CLUSTER_ADDRESS (default: rest.address or 127.0.0.1, and
# rest.port of floe-conf.yaml, 8081). See scripts/floe-daemon.sh for the
# folders.
set -euo pipefail
# shellcheck source=floe-daemon.sh
source "$(dirname "$0")/floe-daemon.sh"

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case $cmd in
  start)
    ensure_floe
    ensure_secret
    args=(jobmanager --standalone --secret-file "$secret_file" --blob-dir "$cluster_dir/blobs")
    [[ -n ${FLOE_CLUSTER_ADDRESS:-} ]] && args+=(--address "$FLOE_CLUSTER_ADDRESS")
    start_daemon JobManager "$cluster_dir/jobmanager.pid" "$cluster_dir/log/jobmanager.log" "listening on" \
      "$floe" "${args[@]}" "$@"
    awk '/listening on/ {print $4; exit}' "$cluster_dir/log/jobmanager.log" >"$cluster_dir/address"
    echo "JobManager at $(cat "$cluster_dir/address"); submit with: floe run -m $(cat "$cluster_dir/address") JOB_BINARY [args…]"
    ;;
  stop)
    stop_daemon JobManager "$cluster_dir/jobmanager.pid"
    rm -rf "$cluster_dir/blobs" "$cluster_dir/address"
    ;;
  *)
    echo "usage: $0 start|stop [floe jobmanager flags…]" >&2
    exit 2
    ;;
esac
