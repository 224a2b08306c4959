#!/usr/bin/env bash
# Installs what `make test` and `make demo` need on a fresh Debian machine:
# a JDK (17) and Maven for the Hadoop test cluster, MIT Kerberos for its
# secure mode, Go, Chromium (the dashboard's headless-browser tests) and
# OpenSSH (standalone workers over ssh).
# Everything else
# (Hadoop jars, protoc) is fetched from Maven Central by the scripts that use it.
set -euo pipefail
need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v mvn  >/dev/null 2>&1 || need+=(maven)
command -v go   >/dev/null 2>&1 || need+=(golang-go)
# The dashboard's headless-browser tests.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
for t in setsid tar gzip curl; do command -v "$t" >/dev/null 2>&1 || need+=("$t"); done
# The KDC of `scripts/minicluster.sh --secure` (MIT Kerberos): krb5kdc and
# kdb5_util (krb5-kdc), kadmin.local (krb5-admin-server), kinit (krb5-user).
[ -x /usr/sbin/krb5kdc ] || command -v krb5kdc >/dev/null 2>&1 || need+=(krb5-kdc)
[ -x /usr/sbin/kadmin.local ] || command -v kadmin.local >/dev/null 2>&1 || need+=(krb5-admin-server)
command -v kinit >/dev/null 2>&1 || need+=(krb5-user)
# An sshd of its own on a loopback address: start-cluster.sh's workers over
# ssh (the integration test starts and stops it; no system service).
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
if [ ${#need[@]} -gt 0 ]; then
  # setsid lives in util-linux.
  pkgs=$(printf '%s\n' "${need[@]}" | sed 's/^setsid$/util-linux/' | sort -u | tr '\n' ' ')
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing ${need[*]}; run: sudo apt-get install -y $pkgs" >&2; exit 1
  fi
  echo "install-deps: apt-get install $pkgs"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs
fi
# The NodeManagers' NodeId host is this machine's name; the Go AM dials it.
if ! getent hosts "$(hostname)" >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then echo "127.0.0.1 $(hostname)" >> /etc/hosts
  else echo "install-deps: hostname $(hostname) does not resolve; add it to /etc/hosts" >&2; exit 1; fi
fi
echo "install-deps: java $(java -version 2>&1 | head -1 | cut -d'"' -f2), $(mvn -B -v 2>/dev/null | head -1 | cut -d' ' -f1-3), $(go version | cut -d' ' -f3)"
