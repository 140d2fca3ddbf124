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

# Quick throughput figures against an embedded NATS server; the full
# benchmark suite arrives with its own issue.
bench:
	$(GO) test -run '^$$' -bench . -benchtime 3s ./shop/ ./cmd/api/

clean:
	rm -rf $(BIN)
