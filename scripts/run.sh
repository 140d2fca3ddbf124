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

# NATS users (nats-auth.conf): one per process, and ops for the nats CLI.
# Their passwords are made on the first run, kept in a file only this user
# may read, and never printed. nats-server gets them all; each process gets
# only its own user and password.
creds=$DATA/nats-credentials.env
roles=(api projector assigner notifier ops)
# A role missing from the file (a new one, after an upgrade) gets its
# password added; the others keep theirs.
(
	umask 077
	touch "$creds"
	for role in "${roles[@]}"; do
		# Letters and digits, starting with a letter: nats-server
		# parses the variable as a config value.
		grep -q "^TSHOP_NATS_${role^^}_PASSWORD=" "$creds" ||
			printf 'TSHOP_NATS_%s_PASSWORD=t%s\n' "${role^^}" "$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')" >>"$creds"
	done
)
chmod 600 "$creds"
declare -A password
while IFS='=' read -r name value; do
	for role in "${roles[@]}"; do
		[ "$name" = "TSHOP_NATS_${role^^}_PASSWORD" ] && password[$role]=$value
	done
done <"$creds"
server_env=()
for role in "${roles[@]}"; do
	if [ -z "${password[$role]:-}" ]; then
		echo "run: $creds has no password for $role; remove the file to make new ones" >&2
		exit 1
	fi
	server_env+=("TSHOP_NATS_${role^^}_PASSWORD=${password[$role]}")
done

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

# Status notifications go to a local receiver that checks their signatures
# and logs them; its secret is made once, like the passwords.
webhook_secret=$DATA/webhook-secret
[ -s "$webhook_secret" ] || (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$webhook_secret")
"${detach[@]}" "$BIN/notifier" receive --addr 127.0.0.1:8090 --webhook-secret-file "$webhook_secret" &
pids+=($!)
NATS_USER=notifier NATS_PASSWORD=${password[notifier]} "${detach[@]}" "$BIN/notifier" --webhook-url http://127.0.0.1:8090/ --webhook-secret-file "$webhook_secret" &
pids+=($!)

echo "Tshop is up: api and the customer-center page on http://127.0.0.1:8088, projector on data/projector.db, notifications logged by the receiver on 127.0.0.1:8090 (Ctrl-C stops it)" >&2
wait -n "${pids[@]}" || true
