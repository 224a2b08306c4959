#!/usr/bin/env bash
# lint.sh — `make lint`: fails when `go mod tidy` would change go.mod/go.sum,
# then runs golangci-lint (pinned below, config in .golangci.yml) over every
# package, tests and integration/ included. Zero findings is the bar.
# The pinned golangci-lint is built from the Go module proxy into
# $GOLANGCI_LINT_DIR (default .cache/bin) when missing or of another version.
set -euo pipefail
cd "$(dirname "$0")/.."
version=v2.15.0
dir=${GOLANGCI_LINT_DIR:-$PWD/.cache/bin}
lint=$dir/golangci-lint
if [[ ! -x $lint ]] || [[ $("$lint" version --short 2>/dev/null) != "${version#v}" ]]; then
  echo "lint: installing golangci-lint $version into $dir"
  mkdir -p "$dir"
  rm -f "$lint"
  GOBIN=$dir go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$version"
fi
echo "lint: go mod tidy -diff"
if ! go mod tidy -diff; then
  echo "lint: go.mod/go.sum are not tidy; run: go mod tidy" >&2
  exit 1
fi
echo "lint: golangci-lint $version"
"$lint" run ./...
