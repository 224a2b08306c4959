#!/usr/bin/env bash
# stop-cluster.sh — stop the session started by start-cluster.sh: the
# TaskManagers of $FLOE_CONF_DIR/workers (their TaskManager processes end
# with them), then the JobManager.
set -euo pipefail
# shellcheck source=floe-daemon.sh
source "$(dirname "$0")/floe-daemon.sh"

for host in $(workers); do
  if is_local "$host"; then
    "$root/scripts/taskmanager.sh" stop
  else
    on_worker "$host" stop || true
  fi
done
"$root/scripts/jobmanager.sh" stop
