#!/usr/bin/env bash
# minicluster.sh: a real Apache Hadoop (HDFS + YARN) test cluster on loopback.
#
# Five separate JVMs run the daemons' real main classes from the unshaded
# Hadoop jars (fetched once from Maven Central with scripts/hadoop/pom.xml):
# one NameNode, one DataNode, one ResourceManager and two NodeManagers.
#
# Usage: scripts/minicluster.sh [--secure [--rpc-protection P]] <command>
#   start          start what is not running (fresh format when nothing runs); wait until usable
#   stop           stop every daemon and every container process they launched
#   status         one line per daemon; exit 0 usable, 3 nothing running, 1 partly up
#   env            print export lines for eval: HADOOP_CONF_DIR, YARN_CONF_DIR, FLOE_MINICLUSTER_DIR
#   restart-rm     SIGKILL the ResourceManager, start it again (recovery on), wait for both NMs
#   stop-rm        stop the ResourceManager (SIGTERM, bounded)
#   start-rm       start the ResourceManager, wait until the live NMs are RUNNING again
#   stop-nm N      stop NodeManager N (1|2) gracefully; its containers go with it
#   kill-nm N      SIGKILL NodeManager N; its containers stay; the node goes LOST after 10 s
#   start-nm N     start NodeManager N and wait until it is RUNNING
#   logs [D]       list log files, or tail daemon D's log (nn dn rm nm1 nm2)
#   stop-kdc       (--secure) stop the KDC only, e.g. to test a KDC that is down
#   start-kdc      (--secure) start the KDC again
#
# Fixed loopback ports (all on 127.0.0.1):
#   NameNode         RPC 18020 (fs.defaultFS hdfs://127.0.0.1:18020), HTTP+WebHDFS 18070, HTTPS 18071
#   DataNode         data 18866, HTTP 18864, IPC 18867, HTTPS 18865
#   ResourceManager  client 18032, scheduler 18030, resource-tracker 18031, admin 18033,
#                    webapp+REST 18088, webapp HTTPS 18090
#   NodeManager 1    IPC 18041 (NodeId host:18041), localizer 18040, webapp 18042, HTTPS 18044
#   NodeManager 2    IPC 18051 (NodeId host:18051), localizer 18050, webapp 18052, HTTPS 18054
#
# Secure mode (--secure, any command): a Kerberized cluster BESIDE the plain one,
# with its own state dir (default <repo>/.minicluster-secure, or
# FLOE_MINICLUSTER_SECURE_DIR) and its own ports: every port above + 1000
# (NameNode RPC 19020, HTTPS 19071; DataNode 19866/19864/19867/HTTPS 19865;
# RM client 19032, scheduler 19030, tracker 19031, admin 19033, webapp 19088;
# NM 1 IPC 19041 ...; NM 2 IPC 19051 ...) plus an MIT Kerberos KDC for realm
# FLOE.TEST on 127.0.0.1:19750 (TCP and UDP). Principals nn dn rm nm HTTP
# /localhost@FLOE.TEST and the users floe@ and alice@FLOE.TEST, keytabs in
# <state>/keytabs. --rpc-protection authentication|integrity|privacy (default
# authentication) sets hadoop.rpc.protection and dfs.data.transfer.protection;
# it is kept in <state>/rpc-protection until the next fresh start. The HDFS
# web servers are HTTPS only (WebHDFS with SPNEGO); `env --secure` adds
# KRB5_CONFIG, FLOE_TEST_PRINCIPAL, FLOE_TEST_KEYTAB (and the other user's).
# A state dir holding a `secure` marker is secure without the flag.
#   FLOE_MINICLUSTER_TOKEN_RENEW_MS, FLOE_MINICLUSTER_TOKEN_MAX_LIFETIME_MS
#                             shorten the HDFS and RM delegation-token renew
#                             interval and max lifetime (token expiry tests)
#
# Environment:
#   FLOE_MINICLUSTER_DIR      state dir (default <repo>/.minicluster): conf/ logs/ pids/ data/
#   XDG_CACHE_HOME            jar cache root (default ~/.cache): floe/hadoop-<version>/lib
#   FLOE_MINICLUSTER_TIMEOUT  seconds start waits for the cluster (default 180)
#   FLOE_MINICLUSTER_CDS      0 disables the AppCDS archive (default 1)
#   FLOE_MINICLUSTER_HTTP_TIMEOUT  seconds one REST/JMX probe may take (default 15)
#   FLOE_MINICLUSTER_LOCK_WAIT     seconds a command waits for another one's lock (default 420)
#
# Commands that change the cluster hold <state>/.lock (flock), so concurrent
# callers (several test sessions running `start`) are serialised.
# HTTP is simple auth with anonymous reads; add ?user.name=<user> to act as a
# user, e.g. POST /ws/v1/cluster/apps?user.name=root to submit over REST.
#
# Container logs: <state>/data/nm<N>/logs/<application>/<container>/{stdout,stderr}
# (kept: log aggregation off, yarn.nodemanager.delete.debug-delay-sec=36000).
# scripts/hadoop/NOTES.md records what was verified and measured.
set -euo pipefail

HADOOP_VERSION=3.4.2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HADOOP_SRC=$ROOT/scripts/hadoop
SECURE=0 RPC_PROTECTION="" ARGS=()
while [ $# -gt 0 ]; do
  case $1 in
    --secure) SECURE=1 ;;
    --rpc-protection) RPC_PROTECTION=${2:-}; shift ;;
    --rpc-protection=*) RPC_PROTECTION=${1#*=} ;;
    *) ARGS+=("$1") ;;
  esac
  shift
done
set -- ${ARGS[@]+"${ARGS[@]}"}
if [ $SECURE = 1 ]; then
  STATE=${FLOE_MINICLUSTER_SECURE_DIR:-$ROOT/.minicluster-secure}
else
  STATE=${FLOE_MINICLUSTER_DIR:-$ROOT/.minicluster}
fi
case $STATE in /*) ;; *) STATE=$PWD/$STATE ;; esac
[ -f "$STATE/secure" ] && SECURE=1
if [ -n "$RPC_PROTECTION" ] && [ $SECURE = 0 ]; then
  echo "minicluster: --rpc-protection needs --secure" >&2; exit 2
fi
case ${RPC_PROTECTION:-authentication} in authentication | integrity | privacy) ;; *)
  echo "minicluster: --rpc-protection must be authentication, integrity or privacy, not '$RPC_PROTECTION'" >&2; exit 2 ;;
esac
CONF=$STATE/conf
LOGS=$STATE/logs
PIDS=$STATE/pids
DATA=$STATE/data
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/floe/hadoop-$HADOOP_VERSION
LIB=$CACHE/lib
TIMEOUT=${FLOE_MINICLUSTER_TIMEOUT:-180}
HOST=127.0.0.1
USER_NAME=$(id -un)

O=$((SECURE * 1000)) # secure mode: every port + 1000
NN_RPC=$((18020 + O)) NN_HTTP=$((18070 + O)) NN_HTTPS=$((18071 + O))
DN_XFER=$((18866 + O)) DN_HTTP=$((18864 + O)) DN_IPC=$((18867 + O)) DN_HTTPS=$((18865 + O))
RM_CLIENT=$((18032 + O)) RM_SCHED=$((18030 + O)) RM_TRACKER=$((18031 + O)) RM_ADMIN=$((18033 + O))
RM_WEB=$((18088 + O)) RM_WEBS=$((18090 + O))
NM_IPC=(x $((18041 + O)) $((18051 + O))) NM_LOC=(x $((18040 + O)) $((18050 + O)))
NM_WEB=(x $((18042 + O)) $((18052 + O))) NM_WEBS=(x $((18044 + O)) $((18054 + O)))
# The HDFS web servers: plain HTTP, or HTTPS only in secure mode.
NN_WEB=http://$HOST:$NN_HTTP DN_WEB=http://$HOST:$DN_HTTP
if [ $SECURE = 1 ]; then
  # SPNEGO derives the principal HTTP/<host> from the URL: name localhost.
  NN_WEB=https://localhost:$NN_HTTPS DN_WEB=https://localhost:$DN_HTTPS
  # shellcheck source=hadoop/secure.sh
  . "$HADOOP_SRC/secure.sh"
fi

DAEMONS=(nn dn rm nm1 nm2)

# A NodeManager's graceful stop unregisters and kills its containers within
# a second, then idles: ~6 s waiting for applications (sleep-delay-before-sigkill
# + process-kill-wait + 1 s) and 10 s more for its DeletionService, which holds
# the debug-delayed deletions. Past this bound it gets SIGKILL instead.
NM_STOP_SECS=12
NM_KILL_NOTE="NodeManager still in its shutdown wait after ${NM_STOP_SECS}s (unregistered, containers stopped): sent SIGKILL"

say() { echo "minicluster: $*"; }
err() { echo "minicluster: $*" >&2; }
die() { err "$*"; exit 1; }

usage() {
  echo "usage: scripts/minicluster.sh start|stop|status|env|restart-rm|stop-rm|start-rm|stop-nm N|kill-nm N|start-nm N|logs [nn|dn|rm|nm1|nm2]"
}

now_ms() { date +%s%3N; }
elapsed() { local ms=$(( $(now_ms) - $1 )); printf '%d.%ds' $((ms / 1000)) $(((ms % 1000) / 100)); }

daemon_name() {
  case $1 in
    nn) echo NameNode ;; dn) echo DataNode ;; rm) echo ResourceManager ;;
    nm1) echo NodeManager-1 ;; nm2) echo NodeManager-2 ;;
  esac
}

daemon_class() {
  case $1 in
    nn) echo org.apache.hadoop.hdfs.server.namenode.NameNode ;;
    dn) echo org.apache.hadoop.hdfs.server.datanode.DataNode ;;
    rm) echo org.apache.hadoop.yarn.server.resourcemanager.ResourceManager ;;
    nm*) echo org.apache.hadoop.yarn.server.nodemanager.NodeManager ;;
  esac
}

# daemon_ports D: "port:purpose" words for every port daemon D binds.
daemon_ports() {
  case $1 in
    nn) if [ $SECURE = 1 ]; then echo "$NN_RPC:RPC $NN_HTTPS:HTTPS"; else echo "$NN_RPC:RPC $NN_HTTP:HTTP"; fi ;;
    dn) if [ $SECURE = 1 ]; then echo "$DN_XFER:data-transfer $DN_HTTPS:HTTPS $DN_IPC:IPC"; else echo "$DN_XFER:data-transfer $DN_HTTP:HTTP $DN_IPC:IPC"; fi ;;
    rm) echo "$RM_CLIENT:client $RM_SCHED:scheduler $RM_TRACKER:resource-tracker $RM_ADMIN:admin $RM_WEB:webapp" ;;
    nm1 | nm2)
      local n=${1#nm}
      echo "${NM_IPC[n]}:IPC ${NM_LOC[n]}:localizer ${NM_WEB[n]}:webapp" ;;
  esac
}

heap() {
  case $1 in dn) echo 160m ;; rm) echo 384m ;; nm*) echo 224m ;; *) echo 256m ;; esac
}

# ---------------------------------------------------------------------------
# Prerequisites

need_java() {
  command -v java >/dev/null 2>&1 ||
    die "java not found: install a JDK 17 (apt-get install -y openjdk-17-jdk-headless)"
  local v
  JAVA_VERSION_STR=$(java -version 2>&1 | head -3 | tr '\n' ' ')
  v=$(echo "$JAVA_VERSION_STR" | sed -n 's/.*version "\([0-9]*\).*/\1/p')
  [ -n "$v" ] && [ "$v" -ge 17 ] ||
    die "java ${v:-?} found but Hadoop here runs on JDK 17: install openjdk-17-jdk-headless and put it first on PATH"
}

lib_stamp() { { echo "$HADOOP_VERSION"; cat "$HADOOP_SRC/pom.xml"; } | sha256sum | cut -c1-16; }

# ensure_lib fetches the jars into $LIB once (keyed on the pom's content).
ensure_lib() {
  local stamp
  stamp=$(lib_stamp)
  if [ -f "$LIB/.complete" ] && [ "$(cat "$LIB/.complete")" = "$stamp" ]; then return 0; fi
  command -v mvn >/dev/null 2>&1 ||
    die "mvn not found, needed once to fetch the Hadoop $HADOOP_VERSION jars: install Maven (apt-get install -y maven)"
  local tmp=$CACHE/lib.tmp.$$ t0
  t0=$(now_ms)
  err "fetching Hadoop $HADOOP_VERSION jars from Maven Central into $LIB (once)"
  rm -rf "$tmp" && mkdir -p "$tmp"
  if ! mvn 9>&- -B -q -f "$HADOOP_SRC/pom.xml" -Dhadoop.version="$HADOOP_VERSION" \
    org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
    -DoutputDirectory="$tmp" -DincludeScope=runtime >"$CACHE/mvn.log" 2>&1; then
    tail -n 15 "$CACHE/mvn.log" >&2
    rm -rf "$tmp"
    die "Maven could not fetch the Hadoop $HADOOP_VERSION jars (log: $CACHE/mvn.log); check access to Maven Central"
  fi
  echo "$stamp" >"$tmp/.complete"
  rm -rf "$LIB" "$CACHE/cds"
  mv "$tmp" "$LIB"
  err "fetched $(find "$LIB" -name '*.jar' | wc -l) jars ($(du -sb "$LIB" | cut -f1) bytes) in $(elapsed "$t0")"
}

# ---------------------------------------------------------------------------
# Processes

# cmdline_of PID: the NUL-separated command line as words on one line.
cmdline_of() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" || true; }

# scan_daemons fills PID_<d> with the pid of each running daemon of THIS state
# dir, found by the marker -Dfloe.mc.daemon=<d> -Dfloe.mc.dir=<state>.
scan_daemons() {
  local d p c
  for d in "${DAEMONS[@]}"; do printf -v "PID_$d" '%s' ""; done
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    c=$(cmdline_of "$p")
    case $c in *" -Dfloe.mc.dir=$STATE "*) ;; *) continue ;; esac
    for d in "${DAEMONS[@]}"; do
      case $c in *" -Dfloe.mc.daemon=$d "*) printf -v "PID_$d" '%s' "$p" ;; esac
    done
  done
}

pid_of() { local v=PID_$1; echo "${!v}"; }
alive() { [ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -q '^State:.*[ZX]' "/proc/$1/status" 2>/dev/null; }

# container_pids [DIR]: processes launched by a NodeManager of this cluster
# (CONTAINER_ID in their environment and a work dir or env path under DIR,
# default the state dir). DefaultContainerExecutor starts containers with
# setsid, so they outlive a killed NodeManager.
container_pids() {
  local dir=${1:-$DATA} p env cwd
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = $$ ] && continue
    env=$(tr '\0' '\n' 2>/dev/null <"/proc/$p/environ") || continue
    case $env in *CONTAINER_ID=*) ;; *) continue ;; esac
    cwd=$(readlink "/proc/$p/cwd" 2>/dev/null || true)
    case $cwd in "$dir"/*) echo "$p"; continue ;; esac
    case $env in *"=$dir/"* | *",$dir/"*) echo "$p" ;; esac
  done
}

# kill_groups SIG PID...: signal the process group of each pid (and the pid).
# A container's outer default_container_executor.sh stays in its NodeManager's
# process group, so a group led by a live daemon is never signalled.
kill_groups() {
  local sig=$1 p g
  shift
  for p in "$@"; do
    g=$(awk '{print $5}' "/proc/$p/stat" 2>/dev/null || true)
    if [ -n "$g" ] && [ "$g" -gt 1 ]; then
      case $(cmdline_of "$g") in
        *" -Dfloe.mc.daemon="*) ;;
        *) kill "-$sig" -- "-$g" 2>/dev/null || true ;;
      esac
    fi
    kill "-$sig" "$p" 2>/dev/null || true
  done
}

# wait_gone SECONDS PID...: wait until none of the pids is alive.
wait_gone() {
  local end=$(($(date +%s) + $1)) p left
  shift
  while :; do
    left=""
    for p in "$@"; do alive "$p" && left="$left $p"; done
    [ -z "$left" ] && return 0
    [ "$(date +%s)" -ge "$end" ] && return 1
    sleep 0.2
  done
}

# stop_pids LABEL TERM_SECONDS PID...: SIGTERM, then SIGKILL after the bound.
stop_pids() {
  local label=$1 secs=$2 p
  shift 2
  [ $# -eq 0 ] && return 0
  # A JVM recording its AppCDS archive (first run only) needs longer to exit.
  if [ "${CDS_GRACE:-0}" = 1 ]; then
    for p in "$@"; do
      case $(cmdline_of "$p") in *-XX:ArchiveClassesAtExit=*) [ "$secs" -lt 90 ] && secs=90 ;; esac
    done
  fi
  kill -TERM "$@" 2>/dev/null || true
  if ! wait_gone "$secs" "$@"; then
    if [ -n "${KILL_NOTE:-}" ]; then say "$KILL_NOTE"; else err "$label did not exit within ${secs}s of SIGTERM; sending SIGKILL"; fi
    kill -KILL "$@" 2>/dev/null || true
    wait_gone 10 "$@" || err "$label: pid(s) $* still alive after SIGKILL"
  fi
}

# kill_containers DIR: kill every container process under DIR, print a summary.
kill_containers() {
  local pids
  pids=$(container_pids "$1" | tr '\n' ' ')
  [ -z "${pids// /}" ] && return 0
  # shellcheck disable=SC2086
  kill_groups TERM $pids
  # shellcheck disable=SC2086
  if ! wait_gone 5 $pids; then
    # shellcheck disable=SC2086
    kill_groups KILL $pids
    # shellcheck disable=SC2086
    wait_gone 5 $pids || true
  fi
  KILLED_CONTAINERS="$KILLED_CONTAINERS $pids"
}

# ---------------------------------------------------------------------------
# Ports

# port_holder PORT: "pid N (comm)" of the process listening on PORT, or "".
port_holder() {
  local hex inode p f
  hex=$(printf ':%04X' "$1")
  inode=$(awk -v h="$hex" '$4 == "0A" && substr($2, length($2) - 4) == h {print $10; exit}' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null)
  [ -z "$inode" ] && return 0
  f=$(find /proc/[0-9]*/fd -lname "socket:\[$inode\]" -print -quit 2>/dev/null || true)
  if [ -n "$f" ]; then
    p=${f#/proc/}
    p=${p%%/*}
    echo "pid $p ($(cat "/proc/$p/comm" 2>/dev/null))"
    return 0
  fi
  echo "an unknown process"
}

port_listening() {
  local hex
  hex=$(printf ':%04X' "$1")
  awk -v h="$hex" '$4 == "0A" && substr($2, length($2) - 4) == h {f = 1} END {exit !f}' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# check_ports D: fail with one line when a port of daemon D is taken. A
# just-killed daemon's listening sockets can linger for a moment, so a port
# gets a few seconds to free up first.
check_ports() {
  local w port what holder end=$(($(date +%s) + 15))
  for w in $(daemon_ports "$1"); do
    port=${w%%:*} what=${w#*:}
    while port_listening "$port"; do
      holder=$(port_holder "$port")
      case $holder in "pid "*) break ;; esac
      [ "$(date +%s)" -ge "$end" ] && break
      sleep 0.3
    done
    if port_listening "$port"; then
      STARTUP_ERROR="port $port ($(daemon_name "$1") $what) is already in use by ${holder:-another process}; stop that process (scripts/minicluster.sh stop if it is an old minicluster) and retry"
      return 1
    fi
  done
}

# ---------------------------------------------------------------------------
# Configuration

prop() { printf '  <property><name>%s</name><value>%s</value></property>\n' "$1" "$2"; }

xml_open() {
  printf '<?xml version="1.0"?>\n<!-- Written by scripts/minicluster.sh; regenerated on every start. -->\n<configuration>\n'
}

write_conf() {
  mkdir -p "$CONF" "$LOGS" "$PIDS" "$DATA"
  {
    xml_open
    prop fs.defaultFS "hdfs://$HOST:$NN_RPC"
    prop hadoop.tmp.dir "$DATA/tmp"
    if [ $SECURE = 1 ]; then secure_core_props; else prop hadoop.security.authentication simple; fi
    prop "hadoop.proxyuser.$USER_NAME.hosts" '*'
    prop "hadoop.proxyuser.$USER_NAME.groups" '*'
    # Simple HTTP auth with anonymous reads: ?user.name=<u> names the caller,
    # which lets tests submit and kill applications over the RM REST API (it
    # refuses the anonymous static user dr.who).
    # Secure mode: SPNEGO on the HDFS web servers only (hdfs-site.xml).
    if [ $SECURE = 0 ]; then
      prop hadoop.http.filter.initializers org.apache.hadoop.security.AuthenticationFilterInitializer
      prop hadoop.http.authentication.type simple
      prop hadoop.http.authentication.simple.anonymous.allowed true
      prop hadoop.http.authentication.signature.secret.file "$CONF/http-auth-secret"
    fi
    prop ipc.client.connect.retry.interval 500
    echo '</configuration>'
  } >"$CONF/core-site.xml.tmp"
  [ -s "$CONF/http-auth-secret" ] || (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$CONF/http-auth-secret")
  {
    xml_open
    prop dfs.replication 1
    prop dfs.namenode.safemode.extension 0
    prop dfs.namenode.name.dir "file://$DATA/nn"
    prop dfs.datanode.data.dir "file://$DATA/dn"
    prop dfs.namenode.rpc-address "$HOST:$NN_RPC"
    prop dfs.namenode.http-address "$HOST:$NN_HTTP"
    prop dfs.namenode.https-address "$HOST:$NN_HTTPS"
    prop dfs.namenode.secondary.http-address "$HOST:0"
    prop dfs.datanode.address "$HOST:$DN_XFER"
    prop dfs.datanode.http.address "$HOST:$DN_HTTP"
    prop dfs.datanode.ipc.address "$HOST:$DN_IPC"
    prop dfs.datanode.https.address "$HOST:$DN_HTTPS"
    prop dfs.datanode.hostname "$HOST"
    prop dfs.namenode.datanode.registration.ip-hostname-check false
    [ $SECURE = 1 ] && secure_hdfs_props
    prop dfs.webhdfs.enabled true
    prop dfs.blockreport.initialDelay 0
    prop dfs.namenode.metrics.logger.period.seconds 0
    prop dfs.datanode.metrics.logger.period.seconds 0
    prop dfs.client.block.write.replace-datanode-on-failure.policy NEVER
    echo '</configuration>'
  } >"$CONF/hdfs-site.xml.tmp"
  {
    xml_open
    prop yarn.resourcemanager.hostname "$HOST"
    prop yarn.resourcemanager.address "$HOST:$RM_CLIENT"
    prop yarn.resourcemanager.scheduler.address "$HOST:$RM_SCHED"
    prop yarn.resourcemanager.resource-tracker.address "$HOST:$RM_TRACKER"
    prop yarn.resourcemanager.admin.address "$HOST:$RM_ADMIN"
    prop yarn.resourcemanager.webapp.address "$HOST:$RM_WEB"
    prop yarn.resourcemanager.webapp.https.address "$HOST:$RM_WEBS"
    prop yarn.resourcemanager.scheduler.class org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CapacityScheduler
    prop yarn.scheduler.minimum-allocation-mb 32
    prop yarn.scheduler.maximum-allocation-mb 4096
    prop yarn.scheduler.minimum-allocation-vcores 1
    prop yarn.scheduler.maximum-allocation-vcores 8
    prop yarn.scheduler.include-port-in-node-name true
    prop yarn.resourcemanager.recovery.enabled true
    prop yarn.resourcemanager.store.class org.apache.hadoop.yarn.server.resourcemanager.recovery.FileSystemRMStateStore
    prop yarn.resourcemanager.fs.state-store.uri "file://$DATA/rmstore"
    prop yarn.resourcemanager.work-preserving-recovery.enabled true
    prop yarn.resourcemanager.work-preserving-recovery.scheduling-wait-ms 1000
    prop yarn.resourcemanager.connect.retry-interval.ms 500
    prop yarn.nodemanager.resourcemanager.connect.retry-interval.ms 500
    prop yarn.resourcemanager.nodemanagers.heartbeat-interval-ms 500
    prop yarn.nm.liveness-monitor.expiry-interval-ms 10000
    prop yarn.am.liveness-monitor.expiry-interval-ms 20000
    prop yarn.nodemanager.hostname "$HOST"
    prop yarn.nodemanager.address "$HOST:${NM_IPC[1]}"
    prop yarn.nodemanager.localizer.address "$HOST:${NM_LOC[1]}"
    prop yarn.nodemanager.webapp.address "$HOST:${NM_WEB[1]}"
    prop yarn.nodemanager.webapp.https.address "$HOST:${NM_WEBS[1]}"
    prop yarn.nodemanager.local-dirs "$DATA/nm1/local"
    prop yarn.nodemanager.log-dirs "$DATA/nm1/logs"
    prop yarn.nodemanager.resource.memory-mb 8192
    prop yarn.nodemanager.resource.cpu-vcores 8
    prop yarn.nodemanager.resource.detect-hardware-capabilities false
    prop yarn.nodemanager.vmem-check-enabled false
    prop yarn.nodemanager.pmem-check-enabled false
    prop yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage 99.9
    prop yarn.nodemanager.disk-health-checker.min-free-space-per-disk-mb 0
    prop yarn.nodemanager.delete.debug-delay-sec 36000
    prop yarn.nodemanager.log.retain-seconds 36000
    prop yarn.nodemanager.container-executor.class org.apache.hadoop.yarn.server.nodemanager.DefaultContainerExecutor
    prop yarn.nodemanager.recovery.enabled false
    prop yarn.log-aggregation-enable false
    prop yarn.timeline-service.enabled false
    prop yarn.webapp.ui2.enable false
    [ $SECURE = 1 ] && secure_yarn_props
    echo '</configuration>'
  } >"$CONF/yarn-site.xml.tmp"
  local f
  for f in core-site.xml hdfs-site.xml yarn-site.xml; do mv "$CONF/$f.tmp" "$CONF/$f"; done
  cp "$HADOOP_SRC/capacity-scheduler.xml" "$HADOOP_SRC/log4j.properties" "$CONF/"
  [ $SECURE = 1 ] && write_keystore
  # The HDFS web apps live in the tarball's share/hadoop/hdfs/webapps, not in
  # the hadoop-hdfs jar on Maven Central; HttpServer2 only needs the folders
  # (WebHDFS and /jmx are registered in code), so an empty app will do.
  local app
  for app in hdfs datanode secondary journal; do
    mkdir -p "$STATE/web/webapps/$app/WEB-INF"
    printf '<?xml version="1.0"?>\n<web-app version="2.5" xmlns="http://java.sun.com/xml/ns/javaee"/>\n' \
      >"$STATE/web/webapps/$app/WEB-INF/web.xml"
  done
}

# ---------------------------------------------------------------------------
# JVMs

jvm_opts() {
  local d=$1
  JVM=(java -Xms32m "-Xmx$(heap "$d")" -Xss512k
    -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -XX:+ExitOnOutOfMemoryError
    -XX:ReservedCodeCacheSize=64m -XX:MaxMetaspaceSize=192m
    -Djava.net.preferIPv4Stack=true
    "-Dhadoop.log.dir=$LOGS" "-Dhadoop.log.file=$d.log" "-Dyarn.log.dir=$LOGS" "-Dyarn.log.file=$d.log"
    "-Dhadoop.root.logger=INFO,RFA" "-Dhadoop.security.logger=WARN,NullAppender"
    "-Dlog4j.configuration=file:$CONF/log4j.properties" "-Dhadoop.id.str=$USER_NAME"
    --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
    --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
    --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
    --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
    --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
    --add-opens=java.base/sun.security.x509=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
    --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED
    -Dio.netty.tryReflectionSetAccessible=true)
  [ $SECURE = 1 ] && JVM+=("-Djava.security.krb5.conf=$KRB/krb5.conf" -Dsun.security.krb5.disableReferrals=true)
  cds_opts "$d"
  JVM+=(-cp "$(classpath)" "-Dfloe.mc.dir=$STATE" "-Dfloe.mc.daemon=$d")
}

# classpath: the jars in a fixed order, then the conf dir (last, so AppCDS
# accepts it: CDS rejects non-empty directories before the last used jar).
classpath() {
  local cp
  cp=$(find "$LIB" -maxdepth 1 -name '*.jar' | LC_ALL=C sort | tr '\n' ':')
  echo "$cp$CONF:$STATE/web"
}

# cds_opts D: use the daemon's AppCDS archive when present; otherwise record
# one when the JVM exits (dynamic archive, JDK 13+).
cds_opts() {
  [ "${FLOE_MINICLUSTER_CDS:-1}" = 1 ] || return 0
  # The archive is only valid for the exact class path (which names the state
  # dir) and the exact JVM build.
  local kind dir=$CACHE/cds
  kind=${1%[12]}-$(echo "$STATE ${JAVA_VERSION_STR:-}" | sha256sum | cut -c1-8)
  mkdir -p "$dir"
  JVM+=("-Xlog:cds*=error")
  if [ -s "$dir/$kind.jsa" ]; then
    JVM+=("-XX:SharedArchiveFile=$dir/$kind.jsa" -Xshare:auto)
  elif [ "$1" != nm2 ]; then
    JVM+=("-XX:ArchiveClassesAtExit=$dir/$kind.jsa.$$")
  fi
}

# launch D [ARGS]: start daemon D detached (own session, no inherited fds).
launch() {
  local d=$1
  shift
  jvm_opts "$d"
  local extra=()
  case $d in
    nm1 | nm2)
      local n=${d#nm}
      mkdir -p "$DATA/$d/local" "$DATA/$d/logs"
      extra=(-D "yarn.nodemanager.address=$HOST:${NM_IPC[n]}"
        -D "yarn.nodemanager.localizer.address=$HOST:${NM_LOC[n]}"
        -D "yarn.nodemanager.webapp.address=$HOST:${NM_WEB[n]}"
        -D "yarn.nodemanager.webapp.https.address=$HOST:${NM_WEBS[n]}"
        -D "yarn.nodemanager.local-dirs=$DATA/$d/local"
        -D "yarn.nodemanager.log-dirs=$DATA/$d/logs")
      # NodeManager 2 aggregates logs to HDFS (/tmp/logs/<user>/...) once
      # an application ends, as production clusters do; NodeManager 1
      # keeps them, so `floe logs` is tested both ways. (The secure
      # cluster cannot: aggregation there needs Hadoop's native library.)
      if [ "$d" = nm2 ] && [ $SECURE = 0 ]; then
        extra+=(-D yarn.log-aggregation-enable=true -D yarn.nodemanager.remote-app-log-dir=/tmp/logs)
      fi ;;
  esac
  echo "=== $(date -u +%FT%TZ) starting $(daemon_name "$d")" >>"$LOGS/$d.out"
  # Where this run's lines start in the daemon log (see nm_registered).
  printf -v "LOGOFF_$d" '%s' "$(stat -c %s "$LOGS/$d.log" 2>/dev/null || echo 0)"
  (
    exec 9>&-
    cd "$DATA"
    export HADOOP_CONF_DIR=$CONF YARN_CONF_DIR=$CONF
    JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
    export JAVA_HOME
    exec setsid "${JVM[@]}" "$(daemon_class "$d")" "${extra[@]}" "$@" </dev/null >>"$LOGS/$d.out" 2>&1
  ) &
  local pid=$!
  disown "$pid" 2>/dev/null || true
  echo "$pid" >"$PIDS/$d.pid"
  printf -v "PID_$d" '%s' "$pid"
  STARTED="$STARTED $d"
}

# finish_cds: after a clean stop, promote the dynamic archives just written.
finish_cds() {
  local f
  for f in "$CACHE"/cds/*.jsa.*; do
    [ -e "$f" ] || continue
    if [ -s "$f" ]; then mv -f "$f" "${f%.jsa.*}.jsa"; else rm -f "$f"; fi
  done
}

format_nn() {
  jvm_opts fmt
  # The format JVM must not write a CDS archive of its own.
  local args=() a
  for a in "${JVM[@]}"; do case $a in -XX:ArchiveClassesAtExit=* | -XX:SharedArchiveFile=*) ;; *) args+=("$a") ;; esac; done
  rm -rf "$DATA/nn" "$DATA/dn"
  if ! (exec 9>&- && cd "$DATA" && "${args[@]}" "-Dhadoop.log.file=nn-format.log" org.apache.hadoop.hdfs.server.namenode.NameNode \
    -format -force -nonInteractive -clusterid floe-minicluster </dev/null >"$LOGS/nn-format.out" 2>&1); then
    STARTUP_ERROR="NameNode format failed; last lines of $LOGS/nn-format.log:"
    FAIL_LOG=$LOGS/nn-format.log
    [ -s "$FAIL_LOG" ] || FAIL_LOG=$LOGS/nn-format.out
    return 1
  fi
}

# ---------------------------------------------------------------------------
# Health

# rest: one HTTP call to a daemon. Generous bound: when the 2-core box is busy
# the RM can take seconds to answer, and a short one would report it down.
rest() {
  if [ $SECURE = 1 ]; then
    admin_ticket
    KRB5_CONFIG=$KRB/krb5.conf KRB5CCNAME=FILE:$KRB/ccache-admin \
      curl -sfk --negotiate -u : --connect-timeout 3 --max-time "${FLOE_MINICLUSTER_HTTP_TIMEOUT:-15}" "$@" 2>/dev/null
    return
  fi
  curl -sf --connect-timeout 3 --max-time "${FLOE_MINICLUSTER_HTTP_TIMEOUT:-15}" "$@" 2>/dev/null
}

hdfs_ready() {
  local j
  j=$(rest "$NN_WEB/jmx?qry=Hadoop:service=NameNode,name=FSNamesystemState") || return 1
  echo "$j" | grep -q '"FSState" *: *"Operational"' || return 1
  echo "$j" | grep -Eq '"NumLiveDataNodes" *: *[1-9]'
}

# dn_ready: the DataNode itself says it is registered and heartbeating (the
# NameNode alone would count a just-killed DataNode as live for 10 minutes).
dn_ready() {
  rest "$DN_WEB/jmx?qry=Hadoop:service=DataNode,name=DataNodeInfo" |
    grep -q 'ActorState[^A-Za-z]*RUNNING'
}

# running_nms: the NM numbers (1 2) the RM reports RUNNING.
running_nms() {
  local j n
  j=$(rest "http://$HOST:$RM_WEB/ws/v1/cluster/nodes?states=RUNNING") || return 0
  for n in 1 2; do
    echo "$j" | grep -Eq "\"id\" *: *\"[^\"]*:${NM_IPC[n]}\"" && echo "$n"
  done
  return 0
}

nm_running() { running_nms | grep -qx "$1"; }

# nm_registered N: true unless NM N was launched by this command and has not
# yet logged its registration. After a kill the RM keeps listing the old NM
# as RUNNING until the liveness expiry, so the RM's list alone is not proof.
nm_registered() {
  local v=LOGOFF_nm$1 log=$LOGS/nm$1.log off
  off=${!v:-}
  [ -z "$off" ] && return 0
  [ -f "$log" ] || return 1
  [ "$(stat -c %s "$log")" -ge "$off" ] || off=0
  tail -c +"$((off + 1))" "$log" | grep -q "Registered with ResourceManager as"
}

# fail_startup D MSG: report a failed daemon with its log tail, stop what
# this invocation started, exit 1.
fail_startup() {
  local d=$1 msg=$2 log
  err "$msg"
  log=${FAIL_LOG:-$LOGS/$d.log}
  if [ -n "$d" ]; then
    [ -s "$log" ] || log=$LOGS/$d.out
    if [ -s "$log" ]; then
      err "last lines of $log:"
      tail -n 25 "$log" | sed 's/^/    /' >&2
    fi
    if [ "$log" != "$LOGS/$d.out" ] && [ -s "$LOGS/$d.out" ] && grep -qv '^===' "$LOGS/$d.out"; then
      err "last lines of $LOGS/$d.out:"
      tail -n 10 "$LOGS/$d.out" | sed 's/^/    /' >&2
    fi
  fi
  local s p pids=()
  for s in $STARTED; do
    p=$(pid_of "$s")
    alive "$p" && pids+=("$p")
  done
  if [ ${#pids[@]} -gt 0 ]; then
    err "stopping what this command launched:$STARTED"
    CDS_GRACE=0 stop_pids "daemons" 5 "${pids[@]}"
  fi
  # Containers are only ours to kill when this was a fresh start.
  if [ "${FRESH:-0}" = 1 ]; then
    KILLED_CONTAINERS=""
    kill_containers "$DATA"
  fi
  exit 1
}

# wait_for SECONDS WANT: poll until the conditions hold; fail (naming the
# daemon and its log) when a daemon started here dies or the deadline passes.
wait_for() {
  local secs=$1 want=$2 end s p
  end=$(($(date +%s) + secs))
  while :; do
    for s in $STARTED; do
      p=$(pid_of "$s")
      if ! alive "$p"; then
        fail_startup "$s" "$(daemon_name "$s") (pid $p) exited during startup"
      fi
    done
    case $want in
      *nm*) alive "$(pid_of rm)" || fail_startup rm "ResourceManager is not running, so no NodeManager can register" ;;
    esac
    if check_want "$want"; then return 0; fi
    if [ "$(date +%s)" -ge "$end" ]; then
      local culprit
      culprit=$(want_culprit "$want")
      fail_startup "$culprit" "timed out after ${secs}s waiting for $(want_text "$want")"
    fi
    sleep 0.5
  done
}

# A "want" is a word list: hdfs, nm1, nm2.
check_want() {
  local w r
  r=$(running_nms)
  for w in $1; do
    case $w in
      hdfs) hdfs_ready || return 1 ;;
      dn) dn_ready || return 1 ;;
      nm1 | nm2) nm_registered "${w#nm}" && echo "$r" | grep -qx "${w#nm}" || return 1 ;;
    esac
  done
  return 0
}

want_culprit() {
  local w r
  r=$(running_nms)
  if [ -z "$r" ] && ! rest "http://$HOST:$RM_WEB/ws/v1/cluster/info" >/dev/null; then echo rm; return; fi
  for w in $1; do
    case $w in
      hdfs)
        if ! hdfs_ready; then
          if rest "$NN_WEB/jmx?qry=Hadoop:service=NameNode,name=FSNamesystemState" >/dev/null; then echo dn; else echo nn; fi
          return
        fi ;;
      dn) dn_ready || { echo dn; return; } ;;
      nm1 | nm2) nm_registered "${w#nm}" && echo "$r" | grep -qx "${w#nm}" || { echo "$w"; return; } ;;
    esac
  done
  echo rm
}

want_text() {
  local w out=""
  for w in $1; do
    case $w in
      hdfs) out="$out, HDFS out of safe mode with a live DataNode" ;;
      dn) out="$out, DataNode registered with the NameNode" ;;
      nm1 | nm2) out="$out, NodeManager ${w#nm} RUNNING at the RM" ;;
    esac
  done
  echo "${out#, }"
}

hdfs_setup() {
  if [ $SECURE = 1 ]; then secure_hdfs_setup; return; fi
  local base="http://$HOST:$NN_HTTP/webhdfs/v1" u="user.name=$USER_NAME"
  rest -X PUT "$base/tmp?op=MKDIRS&permission=1777&$u" >/dev/null &&
    rest -X PUT "$base/tmp?op=SETPERMISSION&permission=1777&$u" >/dev/null &&
    rest -X PUT "$base/user/$USER_NAME?op=MKDIRS&permission=755&$u" >/dev/null ||
    fail_startup nn "could not create /tmp and /user/$USER_NAME over WebHDFS ($base)"
}

# ---------------------------------------------------------------------------
# Commands

cmd_start() {
  need_java
  scan_daemons
  local d missing=() running=() t0
  for d in "${DAEMONS[@]}"; do
    if alive "$(pid_of "$d")"; then running+=("$d"); else missing+=("$d"); fi
  done
  t0=$(now_ms)
  STARTED="" STARTUP_ERROR="" FAIL_LOG="" KILLED_CONTAINERS=""
  if [ $SECURE = 1 ]; then
    need_krb5
    secure_protection "${#running[@]}"
  fi
  if [ ${#missing[@]} -eq 0 ]; then
    [ $SECURE = 1 ] && start_kdc
    check_want "hdfs dn nm1 nm2" || wait_for "$TIMEOUT" "hdfs dn nm1 nm2"
    say "already running (state $STATE); nothing to start"
    return 0
  fi
  ensure_lib
  finish_cds
  # Ports first: a fresh start must not wipe the old state when it cannot run.
  for d in "${missing[@]}"; do
    check_ports "$d" || fail_startup "" "$STARTUP_ERROR"
  done
  local fresh=0
  if [ ${#running[@]} -eq 0 ]; then
    fresh=1 FRESH=1
    kill_containers "$DATA"
    [ -n "$KILLED_CONTAINERS" ] && say "killed leftover container processes:$KILLED_CONTAINERS"
    [ $SECURE = 1 ] && stop_kdc
    rm -rf "$DATA" "$LOGS" "$PIDS"
    say "fresh start in $STATE"
  else
    say "partly running (${running[*]}); starting ${missing[*]}"
  fi
  mkdir -p "$LOGS" "$PIDS"
  if [ $SECURE = 1 ]; then
    touch "$STATE/secure"
    echo "$RPC_PROTECTION" >"$STATE/rpc-protection"
    write_krb5_conf
    start_kdc
  fi
  write_conf
  # YARN first: its JVMs start while the NameNode is formatted.
  for d in rm nm1 nm2; do
    case " ${missing[*]} " in *" $d "*) launch "$d" ;; esac
  done
  if [ $fresh = 1 ] || [ ! -f "$DATA/nn/current/VERSION" ]; then
    case " ${missing[*]} " in
      *" nn "*) format_nn || fail_startup nn "$STARTUP_ERROR" ;;
    esac
  fi
  for d in nn dn; do
    case " ${missing[*]} " in *" $d "*) launch "$d" ;; esac
  done
  FAIL_LOG=""
  wait_for "$TIMEOUT" "hdfs dn nm1 nm2"
  hdfs_setup
  if [ $SECURE = 1 ]; then
    say "secure cluster (realm $REALM, hadoop.rpc.protection=$RPC_PROTECTION) up in $(elapsed "$t0") (eval \"\$(scripts/minicluster.sh --secure env)\")"
  else
    say "up in $(elapsed "$t0") (HADOOP_CONF_DIR=$CONF; eval \"\$(scripts/minicluster.sh env)\")"
  fi
}

cmd_stop() {
  local t0 d p nm_pids=() other=() stopped="" CDS_GRACE=1
  t0=$(now_ms)
  scan_daemons
  for d in "${DAEMONS[@]}"; do
    p=$(pid_of "$d")
    alive "$p" || continue
    stopped="$stopped $d($p)"
    case $d in nm*) nm_pids+=("$p") ;; rm) ;; *) other+=("$p") ;; esac
  done
  # NodeManagers first (they unregister from the RM and stop their
  # containers); HDFS in parallel; the RM last.
  [ ${#other[@]} -gt 0 ] && kill -TERM "${other[@]}" 2>/dev/null || true
  # Without an RM, an NM's unregister call only retries: do not wait long.
  local nm_secs=$NM_STOP_SECS
  alive "$(pid_of rm)" || nm_secs=5
  KILL_NOTE=$NM_KILL_NOTE stop_pids "NodeManagers" "$nm_secs" "${nm_pids[@]}"
  p=$(pid_of rm)
  if alive "$p"; then stop_pids "ResourceManager" 20 "$p"; fi
  stop_pids "HDFS daemons" 20 "${other[@]}"
  KILLED_CONTAINERS=""
  kill_containers "$DATA"
  finish_cds
  STOPPED_KDC=""
  [ $SECURE = 1 ] && stop_kdc
  rm -f "$PIDS"/*.pid 2>/dev/null || true
  # Verify: nothing of this cluster may remain.
  scan_daemons
  local left="" c
  for d in "${DAEMONS[@]}"; do p=$(pid_of "$d"); alive "$p" && left="$left $d($p)"; done
  c=$(container_pids "$DATA" | tr '\n' ' ')
  [ $SECURE = 1 ] && [ -n "$(kdc_pid)" ] && left="$left kdc($(kdc_pid))"
  if [ -n "$left" ] || [ -n "${c// /}" ]; then
    die "stop left processes running: daemons:${left:- none}; containers: ${c:-none}"
  fi
  stopped="$stopped$STOPPED_KDC"
  if [ -z "$stopped" ] && [ -z "$KILLED_CONTAINERS" ]; then
    say "nothing was running"
    return 0
  fi
  say "stopped${stopped:- no daemons}; killed container processes:${KILLED_CONTAINERS:- none}; took $(elapsed "$t0")"
}

cmd_status() {
  scan_daemons
  local d p up=0 nms n
  nms=$(running_nms)
  n=$(echo "$nms" | grep -c . || true)
  for d in "${DAEMONS[@]}"; do
    p=$(pid_of "$d")
    if alive "$p"; then
      up=$((up + 1))
      printf '%-4s %-16s pid %-7s running\n' "$d" "$(daemon_name "$d")" "$p"
    else
      printf '%-4s %-16s %-11s not running\n' "$d" "$(daemon_name "$d")" ""
    fi
  done
  echo "nodemanagers running: $n"
  if [ $SECURE = 1 ]; then
    p=$(kdc_pid)
    if [ -n "$p" ]; then printf '%-4s %-16s pid %-7s running (127.0.0.1:%s)\n' kdc "KDC $REALM" "$p" "$KDC_PORT"
    else printf '%-4s %-16s %-11s not running\n' kdc "KDC $REALM" ""; fi
    [ -n "$p" ] || [ $up -eq 0 ] || return 1
  fi
  [ $up -eq 0 ] && return 3
  if alive "$(pid_of nn)" && alive "$(pid_of dn)" && alive "$(pid_of rm)" && [ "$n" -ge 1 ]; then return 0; fi
  return 1
}

cmd_env() {
  printf 'export HADOOP_CONF_DIR=%q\n' "$CONF"
  printf 'export YARN_CONF_DIR=%q\n' "$CONF"
  printf 'export FLOE_MINICLUSTER_DIR=%q\n' "$STATE"
  [ $SECURE = 1 ] && secure_env_exports
  return 0
}

require_conf() {
  [ -f "$CONF/yarn-site.xml" ] && [ -f "$LIB/.complete" ] ||
    die "no cluster state in $STATE: run scripts/minicluster.sh start first"
}

nm_arg() {
  case ${1:-} in 1 | 2) ;; *) die "need a NodeManager number, 1 or 2 (e.g. scripts/minicluster.sh ${2:-stop-nm} 1)" ;; esac
}

# live_nms: the NM daemons whose process is alive.
live_nms() {
  local n
  for n in 1 2; do alive "$(pid_of "nm$n")" && echo "nm$n"; done
  return 0
}

start_rm_and_wait() {
  local t0=$1 want
  check_ports rm || die "$STARTUP_ERROR"
  STARTED="" FAIL_LOG=""
  launch rm
  want=$(live_nms | tr '\n' ' ')
  wait_for "$TIMEOUT" "$want"
  say "ResourceManager up (pid $(pid_of rm)); RUNNING NodeManagers: $(running_nms | tr '\n' ' '); took $(elapsed "$t0")"
}

cmd_restart_rm() {
  need_java
  require_conf
  scan_daemons
  local t0 p
  t0=$(now_ms)
  p=$(pid_of rm)
  if alive "$p"; then
    kill -KILL "$p" 2>/dev/null || true
    wait_gone 10 "$p" || die "ResourceManager pid $p survived SIGKILL"
    say "killed ResourceManager (pid $p)"
  fi
  start_rm_and_wait "$t0"
}

cmd_stop_rm() {
  scan_daemons
  local p t0
  t0=$(now_ms)
  p=$(pid_of rm)
  if ! alive "$p"; then say "ResourceManager is not running"; return 0; fi
  CDS_GRACE=1 stop_pids ResourceManager 20 "$p"
  rm -f "$PIDS/rm.pid"
  say "stopped ResourceManager (pid $p) in $(elapsed "$t0")"
}

cmd_start_rm() {
  need_java
  require_conf
  scan_daemons
  local p t0
  t0=$(now_ms)
  p=$(pid_of rm)
  if alive "$p"; then say "ResourceManager already running (pid $p)"; return 0; fi
  start_rm_and_wait "$t0"
}

cmd_stop_nm() {
  nm_arg "${1:-}" stop-nm
  local n=$1 p t0
  t0=$(now_ms)
  scan_daemons
  p=$(pid_of "nm$n")
  KILLED_CONTAINERS=""
  if alive "$p"; then
    # Without an RM the NM's unregister call only retries: do not wait long.
    local secs=$NM_STOP_SECS
    alive "$(pid_of rm)" || secs=5
    CDS_GRACE=1 KILL_NOTE=$NM_KILL_NOTE stop_pids "NodeManager $n" "$secs" "$p"
    rm -f "$PIDS/nm$n.pid"
  else
    say "NodeManager $n is not running"
  fi
  kill_containers "$DATA/nm$n"
  # Graceful stop unregisters the node: it leaves RUNNING at once.
  if alive "$(pid_of rm)"; then
    local end=$(($(date +%s) + 15))
    while nm_running "$n" && [ "$(date +%s)" -lt "$end" ]; do sleep 0.3; done
    nm_running "$n" && err "warning: the RM still lists NodeManager $n as RUNNING"
  fi
  alive "$p" && return 0
  say "stopped NodeManager $n${p:+ (pid $p)}; leftover containers killed:${KILLED_CONTAINERS:- none}; took $(elapsed "$t0")"
}

cmd_kill_nm() {
  nm_arg "${1:-}" kill-nm
  local n=$1 p
  scan_daemons
  p=$(pid_of "nm$n")
  if ! alive "$p"; then say "NodeManager $n is not running"; return 0; fi
  kill -KILL "$p"
  wait_gone 10 "$p" || die "NodeManager $n (pid $p) survived SIGKILL"
  rm -f "$PIDS/nm$n.pid"
  say "killed NodeManager $n (pid $p) with SIGKILL; its containers keep running; the RM marks it LOST after 10s"
}

cmd_start_nm() {
  nm_arg "${1:-}" start-nm
  need_java
  require_conf
  local n=$1 p t0
  t0=$(now_ms)
  scan_daemons
  p=$(pid_of "nm$n")
  if alive "$p"; then
    say "NodeManager $n already running (pid $p)"
    return 0
  fi
  alive "$(pid_of rm)" ||
    die "ResourceManager is not running, so NodeManager $n could not register: run scripts/minicluster.sh start-rm first"
  STARTED="" FAIL_LOG=""
  check_ports "nm$n" || die "$STARTUP_ERROR"
  launch "nm$n"
  wait_for "$TIMEOUT" "nm$n"
  say "NodeManager $n up (pid $(pid_of "nm$n")) and RUNNING; took $(elapsed "$t0")"
}

cmd_logs() {
  local d=${1:-}
  if [ -z "$d" ]; then
    echo "daemon logs ($LOGS):"
    ls -l "$LOGS" 2>/dev/null | tail -n +2 | sed 's/^/  /' || true
    local n
    for n in 1 2; do
      echo "container logs of NodeManager $n: $DATA/nm$n/logs/<application>/<container>/{stdout,stderr}"
      find "$DATA/nm$n/logs" -mindepth 2 -maxdepth 2 -type d 2>/dev/null | sort | sed 's/^/  /' || true
    done
    echo "tail one: scripts/minicluster.sh logs nn|dn|rm|nm1|nm2"
    return 0
  fi
  case $d in nn | dn | rm | nm1 | nm2) ;; *) die "unknown daemon '$d': use one of nn dn rm nm1 nm2" ;; esac
  [ -f "$LOGS/$d.log" ] || die "no log for $d yet ($LOGS/$d.log): start the cluster first"
  echo "==> $LOGS/$d.log <=="
  tail -n "${LINES:-100}" "$LOGS/$d.log"
}

# lock: serialise commands that change the cluster (other sessions call
# start while one is running). Daemons must not inherit fd 9 (launch closes it).
lock() {
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  if ! flock -n 9; then
    err "waiting for another minicluster.sh command to finish (lock $STATE/.lock)"
    flock -w "${FLOE_MINICLUSTER_LOCK_WAIT:-420}" 9 ||
      die "another minicluster.sh command held $STATE/.lock for ${FLOE_MINICLUSTER_LOCK_WAIT:-420}s; check 'ps -ef | grep minicluster' and retry"
  fi
}

main() {
  local cmd=${1:-}
  [ $# -gt 0 ] && shift
  case $cmd in
    start | stop | restart-rm | stop-rm | start-rm | stop-nm | kill-nm | start-nm | stop-kdc | start-kdc) lock ;;
  esac
  case $cmd in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    restart-rm) cmd_restart_rm ;;
    stop-rm) cmd_stop_rm ;;
    start-rm) cmd_start_rm ;;
    stop-nm) cmd_stop_nm "$@" ;;
    kill-nm) cmd_kill_nm "$@" ;;
    start-nm) cmd_start_nm "$@" ;;
    logs) cmd_logs "$@" ;;
    stop-kdc | start-kdc)
      [ $SECURE = 1 ] || die "$cmd needs --secure"
      if [ "$cmd" = stop-kdc ]; then STOPPED_KDC=""; stop_kdc; say "KDC stopped${STOPPED_KDC:- (was not running)}"; else start_kdc; fi ;;
    -h | --help | help) usage ;;
    "") usage >&2; exit 2 ;;
    *) err "unknown command '$cmd'; $(usage)"; exit 2 ;;
  esac
}

main "$@"
