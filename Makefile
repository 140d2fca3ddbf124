# Tshop. `make run` starts the system on this machine; `make test` runs
# every test. Both need only Go.

GO      ?= go
BIN     := bin
DATA    := data

.PHONY: build run test bench clean

build:
	$(GO) build -o $(BIN)/api ./cmd/api
	$(GO) build -o $(BIN)/projector ./cmd/projector
	$(GO) build -o $(BIN)/assigner ./cmd/assigner
	$(GO) build -o $(BIN)/nats-server github.com/nats-io/nats-server/v2

run: build
	BIN=$(BIN) ./scripts/run.sh

test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 9m ./...

# Figures against embedded NATS servers, each beside its baseline from the
# same run: reservations (group commit against plain retry, one product
# against many, the HTTP ceiling), reads, store choice against a scan,
# assignment quality against the optimum, and rebuild against a raw read
# (TSHOP_BENCH_EVENTS reservations, 100,000 by default).
bench:
	$(GO) test -run '^$$' -bench . -benchtime 3s ./shop/ ./cmd/api/
	$(GO) test -run '^$$' -bench 'Choose|BruteForce' -benchtime 2s ./assign/
	$(GO) test -run '^$$' -bench 'Quality' -benchtime 1x ./assign/
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./projections/

clean:
	rm -rf $(BIN)
