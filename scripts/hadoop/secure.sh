# shellcheck shell=bash
# secure.sh: the Kerberos half of scripts/minicluster.sh --secure, sourced by it.
#
# A real MIT Kerberos KDC (Debian's krb5-kdc, run as a plain process on a
# loopback port from <state>/krb5) and the Hadoop settings of a Kerberized
# cluster: service principals with keytabs, SASL RPC protection, block access
# tokens, SASL data-transfer protection for the DataNode (HTTPS_ONLY with a
# keytool keystore, so no privileged ports), auth_to_local rules.
# scripts/hadoop/NOTES.md ("Secure mode") records the choices.

REALM=FLOE.TEST
KRB=$STATE/krb5
KEYTABS=$STATE/keytabs
KDC_PORT=19750
# The test users: floe (FLOE_TEST_PRINCIPAL, an ordinary user) and alice
# (another principal, for the wrong-keytab and permission tests).
TEST_USER=floe
OTHER_USER=alice
# Service principals are host-based on "localhost": the canonical name of
# 127.0.0.1 here, so a Java client's _HOST expansion gives the same name.
SPN_HOST=localhost

secure_env_exports() {
  printf 'export KRB5_CONFIG=%q\n' "$KRB/krb5.conf"
  printf 'export FLOE_TEST_PRINCIPAL=%q\n' "$TEST_USER@$REALM"
  printf 'export FLOE_TEST_KEYTAB=%q\n' "$KEYTABS/$TEST_USER.keytab"
  printf 'export FLOE_TEST_OTHER_PRINCIPAL=%q\n' "$OTHER_USER@$REALM"
  printf 'export FLOE_TEST_OTHER_KEYTAB=%q\n' "$KEYTABS/$OTHER_USER.keytab"
  printf 'export FLOE_MINICLUSTER_RPC_PROTECTION=%q\n' "$(cat "$STATE/rpc-protection" 2>/dev/null || echo "$RPC_PROTECTION")"
}

need_krb5() {
  local miss=()
  command -v krb5kdc >/dev/null 2>&1 || [ -x /usr/sbin/krb5kdc ] || miss+=(krb5-kdc)
  command -v kadmin.local >/dev/null 2>&1 || [ -x /usr/sbin/kadmin.local ] || miss+=(krb5-admin-server)
  command -v kinit >/dev/null 2>&1 || miss+=(krb5-user)
  command -v keytool >/dev/null 2>&1 || miss+=(openjdk-17-jdk-headless)
  [ ${#miss[@]} -eq 0 ] && return 0
  if [ -x "$ROOT/scripts/install-deps.sh" ] && [ "$(id -u)" = 0 ]; then
    err "installing ${miss[*]} (scripts/install-deps.sh)"
    "$ROOT/scripts/install-deps.sh" >&2 || die "could not install ${miss[*]}; run: apt-get install -y ${miss[*]}"
  else
    die "secure mode needs ${miss[*]}: run scripts/install-deps.sh as root (or apt-get install -y ${miss[*]})"
  fi
}

krb_bin() { if command -v "$1" >/dev/null 2>&1; then command -v "$1"; else echo "/usr/sbin/$1"; fi; }

# kdc_pid: the pid of this state dir's KDC, or "".
kdc_pid() {
  local p
  p=$(cat "$PIDS/kdc.pid" 2>/dev/null || true)
  [ -n "$p" ] && alive "$p" && case $(cmdline_of "$p") in *"$PIDS/kdc.pid"*) echo "$p"; return 0 ;; esac
  echo ""
}

write_krb5_conf() {
  mkdir -p "$KRB"
  local enc="aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96"
  cat >"$KRB/krb5.conf" <<EOF
# Written by scripts/minicluster.sh --secure.
[libdefaults]
  default_realm = $REALM
  dns_lookup_realm = false
  dns_lookup_kdc = false
  rdns = false
  dns_canonicalize_hostname = false
  udp_preference_limit = 1
  ticket_lifetime = 24h
  renew_lifetime = 7d
  forwardable = true
  default_tkt_enctypes = $enc
  default_tgs_enctypes = $enc
  permitted_enctypes = $enc
  default_ccache_name = FILE:$KRB/ccache-default

[realms]
  $REALM = {
    kdc = 127.0.0.1:$KDC_PORT
  }

[domain_realm]
  localhost = $REALM
  127.0.0.1 = $REALM
EOF
  cat >"$KRB/kdc.conf" <<EOF
# Written by scripts/minicluster.sh --secure.
[kdcdefaults]
  kdc_ports = $KDC_PORT
  kdc_tcp_ports = $KDC_PORT

[realms]
  $REALM = {
    database_name = $KRB/principal
    key_stash_file = $KRB/stash
    acl_file = $KRB/kadm5.acl
    max_life = 24h
    max_renewable_life = 7d
    supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
  }

[logging]
  kdc = FILE:$LOGS/kdc.log
EOF
  : >"$KRB/kadm5.acl"
}

krb_env() { env KRB5_CONFIG="$KRB/krb5.conf" KRB5_KDC_PROFILE="$KRB/kdc.conf" "$@"; }

# create_kdc_db: a fresh realm with every principal and keytab.
create_kdc_db() {
  rm -rf "$KEYTABS" "$KRB"/principal* "$KRB/stash"
  mkdir -p "$KEYTABS"
  chmod 700 "$KEYTABS" "$KRB"
  local mpw
  # The master password of this throwaway realm: random, never stored (the
  # stash file holds the key), on kdb5_util's command line for an instant.
  mpw=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  krb_env "$(krb_bin kdb5_util)" create -s -r "$REALM" -P "$mpw" >"$LOGS/kdb5_util.out" 2>&1 ||
    { cat "$LOGS/kdb5_util.out" >&2; die "kdb5_util could not create the realm $REALM in $KRB"; }
  local s cmds=""
  for s in nn dn rm nm HTTP; do
    cmds+="addprinc -randkey $s/$SPN_HOST@$REALM"$'\n'
  done
  for s in "$TEST_USER" "$OTHER_USER"; do cmds+="addprinc -randkey $s@$REALM"$'\n'; done
  for s in nn dn rm nm; do cmds+="ktadd -k $KEYTABS/$s.keytab $s/$SPN_HOST@$REALM"$'\n'; done
  cmds+="ktadd -k $KEYTABS/HTTP.keytab HTTP/$SPN_HOST@$REALM"$'\n'
  for s in "$TEST_USER" "$OTHER_USER"; do cmds+="ktadd -k $KEYTABS/$s.keytab $s@$REALM"$'\n'; done
  echo "$cmds" | krb_env "$(krb_bin kadmin.local)" -r "$REALM" >"$LOGS/kadmin.out" 2>&1 ||
    { cat "$LOGS/kadmin.out" >&2; die "kadmin.local could not create the principals"; }
  chmod 600 "$KEYTABS"/*.keytab
}

start_kdc() {
  local p
  p=$(kdc_pid)
  [ -n "$p" ] && return 0
  if port_listening "$KDC_PORT"; then
    die "port $KDC_PORT (KDC) is already in use by $(port_holder "$KDC_PORT"); stop it and retry"
  fi
  [ -f "$KRB/stash" ] || create_kdc_db
  rm -f "$PIDS/kdc.pid"
  # -n: stay in the foreground (we detach it ourselves); -P: pid file, also
  # the marker kdc_pid looks for in its command line.
  (
    exec 9>&-
    exec setsid env KRB5_CONFIG="$KRB/krb5.conf" KRB5_KDC_PROFILE="$KRB/kdc.conf" \
      "$(krb_bin krb5kdc)" -n -r "$REALM" -P "$PIDS/kdc.pid" </dev/null >>"$LOGS/kdc.out" 2>&1
  ) &
  local pid=$! end=$(($(date +%s) + 15))
  disown "$pid" 2>/dev/null || true
  echo "$pid" >"$PIDS/kdc.pid"
  while ! port_listening "$KDC_PORT"; do
    alive "$pid" || { tail -n 20 "$LOGS/kdc.out" "$LOGS/kdc.log" >&2 2>/dev/null; die "the KDC (pid $pid) exited at start-up"; }
    [ "$(date +%s)" -ge "$end" ] && die "the KDC did not listen on $KDC_PORT within 15s (log $LOGS/kdc.log)"
    sleep 0.2
  done
  say "KDC for $REALM up on 127.0.0.1:$KDC_PORT (pid $pid)"
}

stop_kdc() {
  local p
  p=$(kdc_pid)
  [ -z "$p" ] && return 0
  stop_pids KDC 5 "$p"
  rm -f "$PIDS/kdc.pid"
  STOPPED_KDC=" kdc($p)"
}

# write_keystore: a self-signed localhost certificate for the HDFS web
# servers (HTTPS_ONLY) and a trust store holding it; passwords in files.
write_keystore() {
  local ks=$CONF/keystore.jks ts=$CONF/truststore.jks pwf=$CONF/.keystore-password
  if [ ! -s "$pwf" ]; then (umask 077 && head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$pwf"); fi
  if [ ! -s "$ks" ]; then
    rm -f "$ts"
    keytool -genkeypair -alias localhost -keyalg RSA -keysize 2048 -validity 3650 \
      -dname "CN=localhost" -ext "SAN=dns:localhost,ip:127.0.0.1" -storetype JKS \
      -keystore "$ks" -storepass:file "$pwf" -keypass:file "$pwf" >"$LOGS/keytool.out" 2>&1 ||
      { cat "$LOGS/keytool.out" >&2; die "keytool could not create $ks"; }
    keytool -exportcert -alias localhost -keystore "$ks" -storepass:file "$pwf" -rfc -file "$CONF/localhost.pem" >>"$LOGS/keytool.out" 2>&1
    keytool -importcert -noprompt -alias localhost -file "$CONF/localhost.pem" -storetype JKS \
      -keystore "$ts" -storepass:file "$pwf" >>"$LOGS/keytool.out" 2>&1 ||
      { cat "$LOGS/keytool.out" >&2; die "keytool could not create $ts"; }
    chmod 600 "$ks"
  fi
  local pw
  pw=$(cat "$pwf")
  {
    xml_open
    prop ssl.server.keystore.type jks
    prop ssl.server.keystore.location "$ks"
    prop ssl.server.keystore.password "$pw"
    prop ssl.server.keystore.keypassword "$pw"
    prop ssl.server.truststore.type jks
    prop ssl.server.truststore.location "$ts"
    prop ssl.server.truststore.password "$pw"
    echo '</configuration>'
  } >"$CONF/ssl-server.xml"
  chmod 600 "$CONF/ssl-server.xml"
  {
    xml_open
    prop ssl.client.truststore.type jks
    prop ssl.client.truststore.location "$ts"
    echo '</configuration>'
  } >"$CONF/ssl-client.xml"
}

# auth_to_local: the service principals act as the OS user that runs the
# daemons (so that user stays the HDFS superuser, as on the plain cluster);
# everyone else maps to the first component (floe@FLOE.TEST -> floe).
auth_to_local() {
  local s rules=""
  for s in nn dn rm nm HTTP; do rules+="RULE:[2:\$1@\$0]($s@${REALM//./\\.})s/.*/$USER_NAME/"$'\n'; done
  printf '%sDEFAULT' "$rules"
}

secure_core_props() {
  prop hadoop.security.authentication kerberos
  prop hadoop.security.authorization true
  prop hadoop.rpc.protection "$RPC_PROTECTION"
  prop hadoop.security.auth_to_local "$(auth_to_local)"
}

secure_hdfs_props() {
  local kt=$KEYTABS
  prop dfs.block.access.token.enable true
  prop dfs.namenode.kerberos.principal "nn/$SPN_HOST@$REALM"
  prop dfs.namenode.keytab.file "$kt/nn.keytab"
  prop dfs.namenode.kerberos.internal.spnego.principal "HTTP/$SPN_HOST@$REALM"
  prop dfs.datanode.kerberos.principal "dn/$SPN_HOST@$REALM"
  prop dfs.datanode.keytab.file "$kt/dn.keytab"
  prop dfs.web.authentication.kerberos.principal "HTTP/$SPN_HOST@$REALM"
  prop dfs.web.authentication.kerberos.keytab "$kt/HTTP.keytab"
  # SPNEGO for the NameNode and DataNode web servers (WebHDFS and /jmx);
  # in hdfs-site.xml so that the YARN daemons (which do not read it) keep
  # their web apps open, as on the plain cluster.
  prop hadoop.http.filter.initializers org.apache.hadoop.hdfs.web.AuthFilterInitializer
  prop hadoop.http.authentication.type kerberos
  prop hadoop.http.authentication.kerberos.principal "HTTP/$SPN_HOST@$REALM"
  prop hadoop.http.authentication.kerberos.keytab "$kt/HTTP.keytab"
  prop hadoop.http.authentication.signature.secret.file "$CONF/http-auth-secret"
  prop dfs.data.transfer.protection "$RPC_PROTECTION"
  prop dfs.http.policy HTTPS_ONLY
  if [ -n "${FLOE_MINICLUSTER_TOKEN_RENEW_MS:-}" ]; then
    prop dfs.namenode.delegation.token.renew-interval "$FLOE_MINICLUSTER_TOKEN_RENEW_MS"
  fi
  if [ -n "${FLOE_MINICLUSTER_TOKEN_MAX_LIFETIME_MS:-}" ]; then
    prop dfs.namenode.delegation.token.max-lifetime "$FLOE_MINICLUSTER_TOKEN_MAX_LIFETIME_MS"
  fi
}

secure_yarn_props() {
  local kt=$KEYTABS
  prop yarn.resourcemanager.principal "rm/$SPN_HOST@$REALM"
  prop yarn.resourcemanager.keytab "$kt/rm.keytab"
  prop yarn.nodemanager.principal "nm/$SPN_HOST@$REALM"
  prop yarn.nodemanager.keytab "$kt/nm.keytab"
  # Under privacy the NodeManager's localizer decrypts every staged byte
  # (3DES in the JDK's DIGEST-MD5): ~40 MB of binaries take longer than the
  # plain cluster's 20 s AM expiry on a busy box. The last value wins.
  prop yarn.am.liveness-monitor.expiry-interval-ms 120000
  if [ -n "${FLOE_MINICLUSTER_TOKEN_RENEW_MS:-}" ]; then
    prop yarn.resourcemanager.delegation.token.renew-interval "$FLOE_MINICLUSTER_TOKEN_RENEW_MS"
  fi
  if [ -n "${FLOE_MINICLUSTER_TOKEN_MAX_LIFETIME_MS:-}" ]; then
    prop yarn.resourcemanager.delegation.token.max-lifetime "$FLOE_MINICLUSTER_TOKEN_MAX_LIFETIME_MS"
  fi
}

# admin_ticket: a ticket of the NameNode principal (the HDFS superuser) in
# <state>/krb5/ccache-admin for the script's own SPNEGO calls; renewed when
# older than an hour.
admin_ticket() {
  local cc=$KRB/ccache-admin
  [ -n "$(find "$cc" -mmin -60 2>/dev/null)" ] && return 0
  krb_env KRB5CCNAME="FILE:$cc" kinit -k -t "$KEYTABS/nn.keytab" "nn/$SPN_HOST@$REALM" >/dev/null 2>&1 || true
}

# secure_hdfs_setup: /tmp (1777) and /user/floe, /user/alice over WebHDFS
# (HTTPS + SPNEGO) as the NameNode principal (the superuser).
secure_hdfs_setup() {
  local cc=$KRB/ccache-admin base="https://$SPN_HOST:$NN_HTTPS/webhdfs/v1" u
  rm -f "$cc"
  admin_ticket
  [ -s "$cc" ] || fail_startup nn "kinit as nn/$SPN_HOST@$REALM failed (KDC log $LOGS/kdc.log)"
  neg() {
    local out
    out=$(KRB5_CONFIG="$KRB/krb5.conf" KRB5CCNAME="FILE:$cc" curl -sk --connect-timeout 3 --max-time 15 \
      --negotiate -u : -X PUT -w ' HTTP %{http_code}' "$1" 2>&1) || { err "WebHDFS $1: $out"; return 1; }
    case $out in *" HTTP 200") return 0 ;; esac
    err "WebHDFS $1: $out"
    return 1
  }
  neg "$base/tmp?op=MKDIRS&permission=1777" && neg "$base/tmp?op=SETPERMISSION&permission=1777" ||
    fail_startup nn "could not create /tmp over WebHDFS with SPNEGO ($base)"
  for u in "$TEST_USER" "$OTHER_USER"; do
    neg "$base/user/$u?op=MKDIRS&permission=755" && neg "$base/user/$u?op=SETOWNER&owner=$u" ||
      fail_startup nn "could not create /user/$u over WebHDFS with SPNEGO ($base)"
  done
}

# secure_protection RUNNING: settle RPC_PROTECTION. A fresh start takes the
# flag (default authentication); a running cluster keeps its own and a
# different flag is an error (a stop is needed to change it).
secure_protection() {
  local have
  have=$(cat "$STATE/rpc-protection" 2>/dev/null || true)
  if [ "$1" -gt 0 ] && [ -n "$have" ]; then
    if [ -n "$RPC_PROTECTION" ] && [ "$RPC_PROTECTION" != "$have" ]; then
      die "the secure cluster runs with hadoop.rpc.protection=$have; to use $RPC_PROTECTION stop it first (scripts/minicluster.sh --secure stop)"
    fi
    RPC_PROTECTION=$have
  fi
  RPC_PROTECTION=${RPC_PROTECTION:-authentication}
}
