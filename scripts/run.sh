#!/usr/bin/env bash
# Starts Tshop on this machine: a NATS server with JetStream configured by
# nats.conf, then the api with the demo data, the projector with its read
# model under data/, the assigner, and the notifier with a local receiver
# that logs what it gets. Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
# nats.conf keeps the JetStream store under ./data/nats.
DATA=data
mkdir -p "$DATA"

# NATS credentials, the webhook secret, and the ordered stop.
. scripts/lib.sh

# export, a builtin, keeps the passwords out of any command line.
(export "${server_env[@]}" && exec "${detach[@]}" "$BIN/nats-server" -c nats.conf) &
pids+=($!)

# Wait until the server accepts connections (bash alone, no curl needed).
for _ in $(seq 1 100); do
	if (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then break; fi
	sleep 0.1
done

NATS_USER=api NATS_PASSWORD=${password[api]} TSHOP_DEMO=1 "${detach[@]}" "$BIN/api" &
pids+=($!)

NATS_USER=projector NATS_PASSWORD=${password[projector]} "${detach[@]}" "$BIN/projector" --db "$DATA/projector.db" &
pids+=($!)

NATS_USER=assigner NATS_PASSWORD=${password[assigner]} "${detach[@]}" "$BIN/assigner" &
pids+=($!)

"${detach[@]}" "$BIN/notifier" receive --addr 127.0.0.1:8090 --webhook-secret-file "$webhook_secret" &
pids+=($!)
NATS_USER=notifier NATS_PASSWORD=${password[notifier]} "${detach[@]}" "$BIN/notifier" --webhook-url http://127.0.0.1:8090/ --webhook-secret-file "$webhook_secret" &
pids+=($!)

echo "Tshop is up: api and the customer-center page on http://127.0.0.1:8088, projector on data/projector.db, notifications logged by the receiver on 127.0.0.1:8090 (Ctrl-C stops it)" >&2
wait -n "${pids[@]}" || true
