# Floe's build. `make test` is what CI runs; `make demo` runs the main job.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
export CGO_ENABLED ?= 0

.PHONY: all build test test-unit test-integration test-chaos proto proto-check lint fuzz bench bench-nexmark bench-yarn bench-kafka demo cluster-start cluster-stop vet clean

all: build

## build: bin/floe and the example job binaries (static, CGO off).
build:
	@mkdir -p bin
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/floe ./cmd/floe
	@for d in examples/*/; do [ -f "$$d/main.go" ] || continue; \
	  n=$$(basename $$d); echo "$(GO) build -o bin/$$n ./$$d"; \
	  $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/$$n ./$$d || exit 1; done

vet:
	$(GO) vet ./...

## lint: `go mod tidy` changes nothing, and golangci-lint (pinned; installed on first use) finds nothing.
lint:
	scripts/lint.sh

## test: unit tests with -race, then the integration tests against the real cluster.
test: test-unit test-integration

## test-unit: every package but those that need the real cluster or broker (integration, the Kafka
## connector and kafka-ledger), which test-integration runs once both are up.
test-unit:
	CGO_ENABLED=1 $(GO) test -race -count=1 $$($(GO) list ./... | grep -v -e /integration -e /stream/kafka -e /examples/kafka-ledger)

## test-integration: starts scripts/minicluster.sh when it is not running and stops what it started.
test-integration: build
	scripts/test-integration.sh

## test-chaos: the AM failover chaos run (TestYarnChaos) alone; make test runs it too.
test-chaos: build
	scripts/test-integration.sh -run TestYarnChaos

## proto: regenerate the committed Go code from yarnrpc/proto with pinned protoc and protoc-gen-go.
proto:
	scripts/gen-proto.sh

## proto-check: fail when regeneration changes anything.
proto-check:
	scripts/gen-proto.sh --check

## fuzz: every fuzz target for FUZZTIME (default 60s) each.
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

## bench: throughput per core, TaskManager RSS, codec ns/op and the backpressure figures; asserts nothing.
bench:
	scripts/bench.sh

## bench-nexmark: Nexmark queries' events/s per core (medians of 3; NEXMARK_EVENTS, default 10 M).
bench-nexmark:
	scripts/bench-nexmark.sh

## demo: wordcount on YARN (per-job) over a generated text on HDFS; starts/stops the minicluster only if needed.
demo:
	scripts/demo.sh

## bench-kafka: Kafka → keyed count → Kafka, records/s per core of Floe's processes, at-least-once and exactly-once (medians of 3), and the broker's consume-only ceiling.
bench-kafka:
	scripts/bench-kafka.sh

## bench-yarn: YARN submission latency, bytes uploaded, AM and TaskManager RSS (medians of 5).
bench-yarn: build
	scripts/bench-yarn.sh

cluster-start:
	scripts/minicluster.sh start

cluster-stop:
	scripts/minicluster.sh stop

clean:
	rm -rf bin
