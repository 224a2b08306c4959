#!/usr/bin/env bash
# start-cluster.sh — start a standalone Floe session (Flink's
# bin/start-cluster.sh): the JobManager on this host (jobmanager.sh) and a
# TaskManager (taskmanager.sh) on every host listed in
# $FLOE_CONF_DIR/workers (one per line, `localhost` by default; other hosts
# over ssh, running this same checkout path there, as Flink does; ssh
# options from FLOE_SSH_OPTS or env.ssh.opts). Submit
# with `floe run -m <address> JOB_BINARY`; stop with stop-cluster.sh.
# Extra arguments go to `floe jobmanager` (e.g. -D taskmanager.numberOfTaskSlots=2).
set -euo pipefail
# shellcheck source=floe-daemon.sh
source "$(dirname "$0")/floe-daemon.sh"

"$root/scripts/jobmanager.sh" start "$@"
for host in $(workers); do
  if is_local "$host"; then
    "$root/scripts/taskmanager.sh" start
  else
    on_worker "$host" start
  fi
done
