# Shared by run.sh and run-cluster.sh (sourced, not run): NATS credentials
# and the ordered stop of the children. Expects DATA, and sets creds,
# roles, password (role -> password), server_env, detach and pids.

# NATS users (nats-auth.conf): one per process, and ops for the nats CLI.
# Their passwords are made on the first run, kept in a file only this user
# may read, and never printed. nats-server gets them all; each process gets
# only its own user and password. A role missing from the file (a new one,
# after an upgrade) gets its password added; the others keep theirs.
creds=$DATA/nats-credentials.env
roles=(api projector assigner notifier ops)
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
		echo "$0: $creds has no password for $role; remove the file to make new ones" >&2
		exit 1
	fi
	server_env+=("TSHOP_NATS_${role^^}_PASSWORD=${password[$role]}")
done

# Status notifications go to a local receiver that checks their signatures
# and logs them; its secret is made once, like the passwords.
webhook_secret=$DATA/webhook-secret
[ -s "$webhook_secret" ] || (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$webhook_secret")

# Children run in their own session so that Ctrl-C reaches only the
# script, which then stops them in the reverse of their start: NATS last.
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
