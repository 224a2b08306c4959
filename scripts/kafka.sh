#!/usr/bin/env bash
# kafka.sh: a real Apache Kafka broker for tests and demos, on loopback.
#
# One JVM runs Kafka's own main class (kafka.Kafka) in KRaft mode as a
# combined broker and controller (node id 1), from the jars fetched once from
# Maven Central with scripts/kafka/pom.xml. Topics are created with the
# broker's own tooling (org.apache.kafka.tools.TopicCommand from the same jars).
#
# Usage: scripts/kafka.sh <command>
#   start                     start a fresh broker (empty state dir) when none runs; wait until it serves
#   stop                      stop the broker (SIGTERM, SIGKILL after 30 s); nothing is left running
#   status                    one line; exit 0 running, 3 not running
#   env                       print `export FLOE_KAFKA_BROKERS=127.0.0.1:19092` for eval
#   create-topic NAME PARTS   create topic NAME with PARTS partitions (replication 1)
#   tool CLASS ARGS...        run a Kafka tool main class on the broker's classpath
#                             (e.g. org.apache.kafka.tools.consumer.ConsoleConsumer)
#
# Fixed loopback ports (127.0.0.1; not used by scripts/minicluster.sh):
#   19092  broker listener (PLAINTEXT), what clients use
#   19093  controller listener (KRaft quorum)
#
# Broker settings for a single node: replication factor 1 for the offsets
# and transaction-state topics, transaction.state.log.min.isr=1,
# transaction.max.timeout.ms=900000 (15 min, Kafka's default), no group
# initial rebalance delay, auto topic creation off (a missing topic is an
# error a test can see).
#
# Environment:
#   FLOE_KAFKA_DIR        state dir (default <repo>/.kafka): conf/ data/ logs/
#   XDG_CACHE_HOME        jar cache root (default ~/.cache): floe/kafka-<version>/lib
#   FLOE_KAFKA_TIMEOUT    seconds start waits for the broker (default 120)
#   FLOE_KAFKA_HEAP       broker heap (default 384m)
#
# start and stop hold <state>/.lock (flock), so concurrent callers are serialised.
set -euo pipefail

KAFKA_VERSION=4.1.1
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC=$ROOT/scripts/kafka
STATE=${FLOE_KAFKA_DIR:-$ROOT/.kafka}
case $STATE in /*) ;; *) STATE=$PWD/$STATE ;; esac
CONF=$STATE/conf
DATA=$STATE/data
LOGS=$STATE/logs
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/floe/kafka-$KAFKA_VERSION
LIB=$CACHE/lib
TIMEOUT=${FLOE_KAFKA_TIMEOUT:-120}
HOST=127.0.0.1
BROKER_PORT=19092
CONTROLLER_PORT=19093
MARK="-Dfloe.kafka.dir=$STATE"

say() { echo "kafka: $*"; }
err() { echo "kafka: $*" >&2; }
die() { err "$*"; exit 1; }

usage() { echo "usage: scripts/kafka.sh start|stop|status|env|create-topic NAME PARTITIONS|tool CLASS ARGS..."; }

now_ms() { date +%s%3N; }
elapsed() { local ms=$(( $(now_ms) - $1 )); printf '%d.%ds' $((ms / 1000)) $(((ms % 1000) / 100)); }

need_java() {
  command -v java >/dev/null 2>&1 ||
    die "java not found: install a JDK 17 (apt-get install -y openjdk-17-jdk-headless)"
  local v
  v=$(java -version 2>&1 | head -1 | sed -n 's/.*version "\([0-9]*\).*/\1/p')
  [ -n "$v" ] && [ "$v" -ge 17 ] || die "java ${v:-?} found but Kafka $KAFKA_VERSION needs JDK 17 or later"
}

lib_stamp() { { echo "$KAFKA_VERSION"; cat "$SRC/pom.xml"; } | sha256sum | cut -c1-16; }

# ensure_lib fetches the jars into $LIB once (keyed on the pom's content).
ensure_lib() {
  local stamp tmp t0
  stamp=$(lib_stamp)
  if [ -f "$LIB/.complete" ] && [ "$(cat "$LIB/.complete")" = "$stamp" ]; then return 0; fi
  command -v mvn >/dev/null 2>&1 ||
    die "mvn not found, needed once to fetch the Kafka $KAFKA_VERSION jars: install Maven (apt-get install -y maven)"
  mkdir -p "$CACHE"
  tmp=$CACHE/lib.tmp.$$
  t0=$(now_ms)
  err "fetching Kafka $KAFKA_VERSION jars from Maven Central into $LIB (once)"
  rm -rf "$tmp" && mkdir -p "$tmp"
  if ! mvn 9>&- -B -q -f "$SRC/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
    -DoutputDirectory="$tmp" -DincludeScope=runtime >"$CACHE/mvn.log" 2>&1; then
    tail -n 15 "$CACHE/mvn.log" >&2
    rm -rf "$tmp"
    die "Maven could not fetch the Kafka $KAFKA_VERSION jars (log: $CACHE/mvn.log); check access to Maven Central"
  fi
  echo "$stamp" >"$tmp/.complete"
  rm -rf "$LIB"
  mv "$tmp" "$LIB"
  err "fetched $(find "$LIB" -name '*.jar' | wc -l) jars in $(elapsed "$t0")"
}

# broker_pid: the pid of this state dir's broker JVM (found by its marker), or "".
broker_pid() {
  local p c
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    c=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" || true)
    case $c in *" $MARK "*" kafka.Kafka "*) echo "$p"; return 0 ;; esac
  done
  return 0
}

alive() { [ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -q '^State:.*[ZX]' "/proc/$1/status" 2>/dev/null; }

port_listening() {
  local hex
  hex=$(printf ':%04X' "$1")
  awk -v h="$hex" '$4 == "0A" && substr($2, length($2) - 4) == h {f = 1} END {exit !f}' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

write_conf() {
  mkdir -p "$CONF" "$DATA" "$LOGS"
  cat >"$CONF/server.properties" <<EOF
# Written by scripts/kafka.sh; regenerated on every start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$BROKER_PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$BROKER_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
transaction.max.timeout.ms=900000
group.initial.rebalance.delay.ms=0
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
log.segment.bytes=67108864
num.network.threads=2
num.io.threads=4
EOF
  cat >"$CONF/log4j2.properties" <<EOF
# Written by scripts/kafka.sh.
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = \${sys:floe.kafka.log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
}

java_cmd() {
  local log=$1
  shift
  java -Xms64m "-Xmx${FLOE_KAFKA_HEAP:-384m}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
    "-Dlog4j2.configurationFile=$CONF/log4j2.properties" "-Dfloe.kafka.log=$log" \
    -cp "$LIB/*" "$@"
}

wait_ready() {
  local pid=$1 end=$(($(date +%s) + TIMEOUT))
  while :; do
    alive "$pid" || die "broker (pid $pid) exited during startup; see $LOGS/server.log and $LOGS/stdout.log"
    if port_listening "$BROKER_PORT" && grep -q 'Kafka Server started\|\[KafkaRaftServer nodeId=1\] Kafka Server started' "$LOGS/server.log" 2>/dev/null; then
      return 0
    fi
    [ "$(date +%s)" -ge "$end" ] && { kill -KILL "$pid" 2>/dev/null || true; die "broker not ready within ${TIMEOUT}s (killed it); see $LOGS/server.log"; }
    sleep 0.3
  done
}

cmd_start() {
  need_java
  local pid t0
  pid=$(broker_pid)
  if alive "$pid"; then say "already running (pid $pid, state $STATE)"; return 0; fi
  for p in $BROKER_PORT $CONTROLLER_PORT; do
    port_listening "$p" && die "port $p is already in use by another process; stop it (another Kafka?) and retry"
  done
  ensure_lib
  t0=$(now_ms)
  rm -rf "$DATA" "$LOGS"
  write_conf
  local cid
  cid=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  # --cluster-id=ID, not -t ID: an id may start with "-", which the tool's
  # argument parser would take for an option.
  java_cmd "$LOGS/format.log" kafka.tools.StorageTool format --cluster-id="$cid" -c "$CONF/server.properties" \
    >"$LOGS/format.out" 2>&1 || { cat "$LOGS/format.out" >&2; die "formatting the KRaft storage failed"; }
  (
    exec 9>&- </dev/null
    setsid java -Xms64m "-Xmx${FLOE_KAFKA_HEAP:-384m}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
      "-Dlog4j2.configurationFile=$CONF/log4j2.properties" "-Dfloe.kafka.log=$LOGS/server.log" \
      "$MARK" -cp "$LIB/*" kafka.Kafka "$CONF/server.properties" >"$LOGS/stdout.log" 2>&1 &
  )
  local end=$(($(date +%s) + 10))
  while pid=$(broker_pid) && [ -z "$pid" ]; do
    [ "$(date +%s)" -ge "$end" ] && die "broker JVM did not start; see $LOGS/stdout.log"
    sleep 0.1
  done
  wait_ready "$pid"
  say "up in $(elapsed "$t0") (pid $pid; brokers $HOST:$BROKER_PORT; eval \"\$(scripts/kafka.sh env)\")"
}

cmd_stop() {
  local pid end
  pid=$(broker_pid)
  if ! alive "$pid"; then say "not running"; return 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  end=$(($(date +%s) + 30))
  while alive "$pid" && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
  if alive "$pid"; then
    err "broker (pid $pid) did not exit within 30s of SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    end=$(($(date +%s) + 10))
    while alive "$pid" && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
  fi
  alive "$pid" && die "broker pid $pid still alive after SIGKILL"
  say "stopped (pid $pid)"
}

cmd_status() {
  local pid
  pid=$(broker_pid)
  if alive "$pid"; then
    echo "broker pid $pid running on $HOST:$BROKER_PORT (state $STATE)"
    return 0
  fi
  echo "broker not running (state $STATE)"
  return 3
}

cmd_env() { echo "export FLOE_KAFKA_BROKERS=$HOST:$BROKER_PORT"; }

cmd_tool() {
  [ $# -ge 1 ] || die "tool needs a main class, e.g. org.apache.kafka.tools.TopicCommand --help"
  need_java
  ensure_lib
  mkdir -p "$LOGS"
  [ -f "$CONF/log4j2.properties" ] || write_conf
  java_cmd "$LOGS/tools.log" "$@"
}

cmd_create_topic() {
  [ $# -eq 2 ] && [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] ||
    die "create-topic needs a NAME and a positive number of PARTITIONS, e.g. scripts/kafka.sh create-topic input 4"
  alive "$(broker_pid)" || die "broker not running: scripts/kafka.sh start first"
  cmd_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$HOST:$BROKER_PORT" \
    --create --topic "$1" --partitions "$2" --replication-factor 1
}

lock() {
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  flock -w 300 9 || die "another kafka.sh command held $STATE/.lock for 300s"
}

main() {
  local cmd=${1:-}
  [ $# -gt 0 ] && shift
  case $cmd in start | stop) lock ;; esac
  case $cmd in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    create-topic) cmd_create_topic "$@" ;;
    tool) cmd_tool "$@" ;;
    -h | --help | help) usage ;;
    "") usage >&2; exit 2 ;;
    *) err "unknown command '$cmd'; $(usage)"; exit 2 ;;
  esac
}

main "$@"
