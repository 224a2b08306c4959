#!/usr/bin/env bash
# Regenerates yarnrpc/internal/pb from yarnrpc/proto/*.proto with pinned tools:
#   protoc        PROTOC_VERSION, fetched from Maven Central (com.google.protobuf:protoc)
#   protoc-gen-go the google.golang.org/protobuf version pinned in go.mod
# With --check it regenerates into a temporary folder and fails on any difference.
set -euo pipefail
cd "$(dirname "$0")/.."
PROTOC_VERSION=3.25.5
cache=${XDG_CACHE_HOME:-$HOME/.cache}/floe/tools
mkdir -p "$cache"
protoc="$cache/protoc-$PROTOC_VERSION"
if [ ! -x "$protoc" ]; then
  mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
    -Dartifact="com.google.protobuf:protoc:$PROTOC_VERSION:exe:linux-x86_64" \
    -DoutputDirectory="$cache" -Dmdep.stripVersion=false >&2
  mv "$cache/protoc-$PROTOC_VERSION-linux-x86_64.exe" "$protoc"
  chmod +x "$protoc"
fi
gen="$cache/protoc-gen-go-$(go list -m -f '{{.Version}}' google.golang.org/protobuf)"
[ -x "$gen" ] || GOBIN= go build -o "$gen" google.golang.org/protobuf/cmd/protoc-gen-go
ln -sf "$gen" "$cache/protoc-gen-go"

protos=(yarnrpc/proto/*.proto)
[ -e "${protos[0]}" ] || { echo "gen-proto: no .proto files yet"; exit 0; }
out=yarnrpc/internal/pb
dest=$out
if [ "${1:-}" = --check ]; then dest=$(mktemp -d); trap 'rm -rf "$dest"' EXIT; fi
mkdir -p "$dest"
PATH="$cache:$PATH" "$protoc" -I yarnrpc/proto \
  --go_out="$dest" --go_opt=paths=source_relative "${protos[@]}"
if [ "${1:-}" = --check ]; then
  if ! diff -r "$out" "$dest" >/dev/null; then
    diff -r "$out" "$dest" | head -40 >&2
    echo "gen-proto: yarnrpc/internal/pb is stale; run make proto and commit" >&2; exit 1
  fi
  echo "gen-proto: generated code is up to date"
fi
