#!/usr/bin/env bash
# Starts Tshop on this machine: a NATS server with JetStream configured by
# nats.conf, then the api with the demo data, the projector with its read
# model under data/, and the assigner. Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
# nats.conf keeps the JetStream store under ./data/nats.
DATA=data
mkdir -p "$DATA"

# Children run in their own session so that Ctrl-C reaches only this script,
# which then stops them in order: the api first, NATS last.
detach=()
command -v setsid >/dev/null && detach=(setsid)

pids=()
stop() {
	trap - INT TERM EXIT
	for ((i=${#pids[@]}-1; i>=0; i--)); do
		kill -TERM "${pids[$i]}" 2>/dev/null || true
		wait "${pids[$i]}" 2>/dev/null || true
	done
}
trap stop INT TERM EXIT

"${detach[@]}" "$BIN/nats-server" -c nats.conf &
pids+=($!)

# Wait until the server accepts connections (bash alone, no curl needed).
for _ in $(seq 1 100); do
	if (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then break; fi
	sleep 0.1
done

TSHOP_DEMO=1 "${detach[@]}" "$BIN/api" &
pids+=($!)

"${detach[@]}" "$BIN/projector" --db "$DATA/projector.db" &
pids+=($!)

"${detach[@]}" "$BIN/assigner" &
pids+=($!)

echo "Tshop is up: api on http://127.0.0.1:8088, projector on data/projector.db (Ctrl-C stops it)" >&2
wait -n "${pids[@]}" || true
