# Tshop. `make run` starts the system on this machine; `make test` runs
# every test. Both need only Go.

GO      ?= go
BIN     := bin
DATA    := data

.PHONY: build run run-cluster test fuzz chaos bench bench-quick bench-go clean

build:
	$(GO) build -o $(BIN)/api ./cmd/api
	$(GO) build -o $(BIN)/projector ./cmd/projector
	$(GO) build -o $(BIN)/assigner ./cmd/assigner
	$(GO) build -o $(BIN)/notifier ./cmd/notifier
	$(GO) build -o $(BIN)/nats-server github.com/nats-io/nats-server/v2

run: build
	BIN=$(BIN) ./scripts/run.sh

# A 3-node JetStream cluster (cluster/*.conf, streams R3) and two of each
# process, on this machine.
run-cluster: build
	BIN=$(BIN) ./scripts/run-cluster.sh

# The customer-center page's test drives headless Chromium: installed from
# Debian's packages first when missing.
test:
	./scripts/ensure-chromium.sh
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 9m ./...

# The benchmark suite: real processes, baselines from the same run, results
# in BENCHMARKS.md, docs/bench.json and docs/*.svg (about 14 minutes on two
# cores).
bench: build
	$(GO) run ./cmd/bench --bin $(BIN)

# Every scenario briefly, as a smoke check (under 2 minutes); results go to
# bench-quick/ so the committed figures stay as measured.
bench-quick: build
	mkdir -p bench-quick
	$(GO) run ./cmd/bench --bin $(BIN) --quick --out bench-quick

# The Go benchmarks of single parts: reservations in-process, HTTP, store
# choice, assignment quality, rebuild (TSHOP_BENCH_EVENTS reservations).
bench-go:
	$(GO) test -run '^$$' -bench . -benchtime 3s ./shop/ ./cmd/api/
	$(GO) test -run '^$$' -bench 'Choose|BruteForce' -benchtime 2s ./assign/
	$(GO) test -run '^$$' -bench 'Quality' -benchtime 1x ./assign/
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./projections/

# The chaos run: two of each process on one NATS server, then on a 3-node
# cluster (R3), random kill -9s of processes and NATS nodes, every invariant
# of the contract checked at the end; exits non-zero on any violation.
# make chaos DURATION=30m for a long run (each form runs DURATION). A short
# form of both runs in make test.
DURATION ?= 5m
chaos: build
	$(GO) build -o $(BIN)/chaos ./cmd/chaos
	$(BIN)/chaos --bin $(BIN) --duration $(DURATION)
	$(BIN)/chaos --bin $(BIN) --duration $(DURATION) --cluster

# Every fuzz target for FUZZTIME each (their seeds run in make test too).
# Go fuzzes one target per command.
FUZZTIME ?= 60s
FUZZ = $(GO) test -run '^$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s -fuzz
fuzz:
	$(FUZZ) '^FuzzDecodeEvent$$'    ./domain
	$(FUZZ) '^FuzzUnmarshalEvent$$' ./domain
	$(FUZZ) '^FuzzDecodeBody$$'     ./eventstore
	$(FUZZ) '^FuzzSplitBody$$'      ./eventstore
	$(FUZZ) '^FuzzCheckToken$$'     ./eventstore
	$(FUZZ) '^FuzzApply$$'          ./projections
	$(FUZZ) '^FuzzQuery$$'          ./projections
	$(FUZZ) '^FuzzChoose$$'         ./assign
	$(FUZZ) '^FuzzDecode$$'         ./cmd/api
	$(FUZZ) '^FuzzCheckKeys$$'      ./cmd/api
	$(FUZZ) '^FuzzPosition$$'       ./cmd/api
	$(FUZZ) '^FuzzAuthenticate$$'   ./cmd/api
	$(FUZZ) '^FuzzAPI$$'            ./cmd/api

clean:
	rm -rf $(BIN)
