# floe-daemon.sh — shared by jobmanager.sh, taskmanager.sh and
# standalone-job.sh (sourced, not run): locations and start/stop of one
# background daemon with a pid file.
#
# Environment: FLOE_CONF_DIR (configuration folder: floe-conf.yaml,
# workers, the cluster secret; default <repo>/conf), FLOE_CLUSTER_DIR
# (JobManager state: pid, address, logs, blobs; default
# ${TMPDIR:-/tmp}/floe-cluster-$USER), FLOE_TM_DIR (a TaskManager's state:
# pid, logs, job binary cache; default $FLOE_CLUSTER_DIR/taskmanager),
# FLOE_BIN (default <repo>/bin/floe, built when missing).

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export FLOE_CONF_DIR=${FLOE_CONF_DIR:-$root/conf}
cluster_dir=${FLOE_CLUSTER_DIR:-${TMPDIR:-/tmp}/floe-cluster-${USER:-$(id -un)}}
tm_dir=${FLOE_TM_DIR:-$cluster_dir/taskmanager}
floe=${FLOE_BIN:-$root/bin/floe}
secret_file=$FLOE_CONF_DIR/.floe-cluster-secret

ensure_floe() {
  if [[ ! -x $floe ]]; then
    echo "building $floe"
    (cd "$root" && go build -o "$floe" ./cmd/floe)
  fi
}

# ensure_secret: the cluster secret, readable only by this user, in the
# configuration folder, where workers and the CLI find it.
ensure_secret() {
  mkdir -p "$FLOE_CONF_DIR"
  if [[ ! -s $secret_file ]]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$secret_file")
  fi
  chmod 600 "$secret_file"
}

# running PIDFILE: the pid when its process is alive.
running() {
  [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null && cat "$1"
}

# start_daemon NAME PIDFILE LOG READY_REGEX CMD…: start CMD in the
# background (stdout+stderr to LOG) and wait up to 30 s for READY_REGEX in
# LOG; on failure print the log, kill it and fail.
start_daemon() {
  local name=$1 pidfile=$2 log=$3 ready=$4 pid
  shift 4
  if pid=$(running "$pidfile"); then
    echo "$name already running (pid $pid); log $log"
    return 0
  fi
  mkdir -p "$(dirname "$pidfile")" "$(dirname "$log")"
  : >"$log"
  nohup "$@" >"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  for _ in $(seq 1 300); do
    if grep -Eq "$ready" "$log"; then
      echo "$name started (pid $(cat "$pidfile")); log $log"
      return 0
    fi
    kill -0 "$(cat "$pidfile")" 2>/dev/null || break
    sleep 0.1
  done
  echo "$name did not start; its log ($log):" >&2
  cat "$log" >&2
  kill "$(cat "$pidfile")" 2>/dev/null || true
  rm -f "$pidfile"
  return 1
}

# stop_daemon NAME PIDFILE: SIGTERM, then SIGKILL after 15 s.
stop_daemon() {
  local name=$1 pidfile=$2 pid
  if ! pid=$(running "$pidfile"); then
    echo "no $name running"
    rm -f "$pidfile"
    return 0
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$name $pid ignored SIGTERM; killing it" >&2
    kill -KILL "$pid" || true
  fi
  rm -f "$pidfile"
  echo "$name stopped (pid $pid)"
}

# workers: the hosts of $FLOE_CONF_DIR/workers (localhost when absent).
workers() {
  local f=$FLOE_CONF_DIR/workers
  if [[ -f $f ]]; then
    sed -e 's/#.*//' -e 's/[[:space:]]//g' "$f" | grep -v '^$' || true
  else
    echo localhost
  fi
}

# on_worker HOST ARGS…: run scripts/taskmanager.sh ARGS on worker HOST over
# ssh (this same checkout path there, as Flink does), with this
# configuration folder and floe binary. ssh's options: FLOE_SSH_OPTS, else
# env.ssh.opts of floe-conf.yaml (Flink's key).
on_worker() {
  local host=$1 opts cmd
  shift
  ensure_floe
  opts=${FLOE_SSH_OPTS-$("$floe" config --get env.ssh.opts)}
  cmd="FLOE_CONF_DIR=$(printf %q "$FLOE_CONF_DIR") FLOE_BIN=$(printf %q "$floe") $(printf %q "$root/scripts/taskmanager.sh")"
  cmd+=$(printf ' %q' "$@")
  # shellcheck disable=SC2086 # opts are words, as Flink's env.ssh.opts
  ssh -n $opts "$host" "$cmd"
}

is_local() {
  case $1 in localhost | 127.0.0.1 | "$(hostname)" | "$(hostname -f 2>/dev/null)") return 0 ;; esac
  return 1
}
