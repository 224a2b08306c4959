#!/usr/bin/env bash
# Flink's yarn-session.sh, for Floe: every argument goes to `floe
# yarn-session`, so the documented commands work unchanged:
#   yarn-session.sh -nm my_app
#   yarn-session.sh -d -jm 1024 -tm 1024 -s 2
#   echo "stop" | yarn-session.sh -id application_1700000000000_0001
# FLOE_BIN overrides the floe binary (default: bin/floe next to this script).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
floe=${FLOE_BIN:-$here/../bin/floe}
if [ ! -x "$floe" ]; then
  floe=$(command -v floe || true)
fi
if [ -z "$floe" ] || [ ! -x "$floe" ]; then
  echo "yarn-session.sh: no floe binary (run \`make build\` or set FLOE_BIN)" >&2
  exit 1
fi
exec "$floe" yarn-session "$@"
