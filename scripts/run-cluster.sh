#!/usr/bin/env bash
# Starts Tshop on this machine on a 3-node NATS JetStream cluster
# (cluster/nats-1.conf, nats-2.conf, nats-3.conf: clients on 4222-4224, data
# under data/nats-N) with two of each process, every stream with 3
# replicas: the api on :8088 (with the demo data) and :8089, two projectors
# with their own read models (data/projector-1.db, data/projector-2.db), two
# assigners, and two notifiers posting to a local receiver on :8090.
# Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
# The cluster configs keep each node's JetStream store under ./data/nats-N.
DATA=data
mkdir -p "$DATA"

export NATS_URL=nats://127.0.0.1:4222,nats://127.0.0.1:4223,nats://127.0.0.1:4224
export TSHOP_REPLICAS=3

# NATS credentials, the webhook secret, and the ordered stop.
. scripts/lib.sh

# http_status PORT PATH prints the status of a GET to 127.0.0.1:PORT (bash
# alone, no curl needed), or nothing when nothing answers.
http_status() {
	(
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 0
		printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
		read -r -t 2 _ status _ <&3 || true
		echo "${status:-}"
	) 2>/dev/null
}

# wait_ok PORT PATH WHAT waits up to a minute for a 200.
wait_ok() {
	for _ in $(seq 1 600); do
		[ "$(http_status "$1" "$2")" = 200 ] && return 0
		sleep 0.1
	done
	echo "run-cluster: $3 not ready after a minute" >&2
	return 1
}

for n in 1 2 3; do
	# export, a builtin, keeps the passwords out of any command line.
	(export "${server_env[@]}" && exec "${detach[@]}" "$BIN/nats-server" -c "cluster/nats-$n.conf") &
	pids+=($!)
done
# Healthy on every node: JetStream up and current with the meta leader, so
# streams with 3 replicas can be placed.
for port in 8222 8223 8224; do
	wait_ok "$port" /healthz "the NATS node monitored on :$port"
done

# The first api creates the streams and loads the demo data before it
# listens; the others start once it does.
NATS_USER=api NATS_PASSWORD=${password[api]} TSHOP_DEMO=1 "${detach[@]}" "$BIN/api" --http 127.0.0.1:8088 &
pids+=($!)
wait_ok 8088 /readyz "the api on :8088"
NATS_USER=api NATS_PASSWORD=${password[api]} "${detach[@]}" "$BIN/api" --http 127.0.0.1:8089 &
pids+=($!)

for n in 1 2; do
	NATS_USER=projector NATS_PASSWORD=${password[projector]} "${detach[@]}" "$BIN/projector" --db "$DATA/projector-$n.db" &
	pids+=($!)
done
for n in 1 2; do
	NATS_USER=assigner NATS_PASSWORD=${password[assigner]} "${detach[@]}" "$BIN/assigner" &
	pids+=($!)
done

"${detach[@]}" "$BIN/notifier" receive --addr 127.0.0.1:8090 --webhook-secret-file "$webhook_secret" &
pids+=($!)
for n in 1 2; do
	NATS_USER=notifier NATS_PASSWORD=${password[notifier]} "${detach[@]}" "$BIN/notifier" --webhook-url http://127.0.0.1:8090/ --webhook-secret-file "$webhook_secret" &
	pids+=($!)
done

echo "Tshop is up on a 3-node NATS cluster ($NATS_URL), streams R3: api on http://127.0.0.1:8088 and :8089, projectors on data/projector-1.db and -2.db, two assigners, two notifiers posting to the receiver on 127.0.0.1:8090 (Ctrl-C stops it)" >&2
wait -n "${pids[@]}" || true
