#!/usr/bin/env bash
# Run Petrel against a local demo mail server, for a person with a browser:
# builds Petrel, starts a private Dovecot + Postfix on 127.0.0.1 with demo
# users and a few hundred realistic messages, starts Petrel behind a
# private nginx on http://127.0.0.1:8080/, and stays in the foreground.
# Ctrl-C (or SIGTERM) stops everything it started and exits. Nothing
# listens beyond 127.0.0.1. Needs root: run from a non-root account, it
# starts itself again through sudo.
#
#   PETREL_DEMO_PORT       web port (8080)
#   PETREL_DEMO_DIR        state directory (/tmp/petrel-demo; mail survives restarts)
#   PETREL_DEMO_BASE_PORT  first of the mail servers' ports (20000)
#   PETREL_DEMO_PETREL     a petrel binary to run instead of building one
set -euo pipefail
if [ -n "${PETREL_DEMO_PETREL:-}" ]; then
	PETREL_DEMO_PETREL=$(realpath -- "$PETREL_DEMO_PETREL")
fi
cd "$(dirname "$0")/.."
root=$PWD

if [ "$(id -u)" -ne 0 ]; then
	# A root shell on a fresh Debian has no sudo, and needs none.
	if command -v sudo >/dev/null 2>&1; then
		exec sudo --preserve-env=PETREL_DEMO_PORT,PETREL_DEMO_DIR,PETREL_DEMO_BASE_PORT,PETREL_DEMO_PETREL \
			-- "$root/scripts/demo.sh" "$@"
	fi
	echo "demo: run as root (it starts private Dovecot, Postfix and nginx): su -c $root/scripts/demo.sh" >&2
	exit 1
fi

port=${PETREL_DEMO_PORT:-8080}
state=${PETREL_DEMO_DIR:-/tmp/petrel-demo}
base_port=${PETREL_DEMO_BASE_PORT:-20000}
petrel=${PETREL_DEMO_PETREL:-}

bash scripts/install-deps.sh
if [ -z "$petrel" ]; then
	build=$root/build/demo
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPETREL_TESTS=OFF >/dev/null
	cmake --build "$build" -j"$(nproc)"
	petrel=$build/petrel
fi

mkdir -p "$state"
chmod 755 "$state"

sleeper=""
stopped=""
cleanup() {
	[ -z "$stopped" ] || return 0
	stopped=1
	# Ctrl-C again while stopping must not leave the mail servers up: the
	# stop commands run with INT and TERM ignored.
	trap '' INT TERM
	[ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null || true
	echo
	echo "demo: stopping"
	python3 tests/harness/webstack.py stop --dir "$state/web" || true
	python3 tests/harness/mailstack.py stop --dir "$state/mail" || true
}
# A signal stops everything and ends the script (returning from the trap
# would go back to waiting); the exit status says which signal it was.
trap 'cleanup; trap - EXIT; exit 130' INT
trap 'cleanup; trap - EXIT; exit 143' TERM
trap cleanup EXIT

python3 tests/harness/mailstack.py start --dir "$state/mail" --demo --restart --base-port "$base_port"

if [ ! -e "$state/mail/.demo-corpus" ]; then
	echo "demo: writing demo mail"
	python3 tests/harness/corpus.py --stack "$state/mail" --user alice@example.test \
		--folder INBOX --count 300 --seed 1
	python3 tests/harness/corpus.py --stack "$state/mail" --user bob@example.test \
		--folder INBOX --count 60 --seed 2
	touch "$state/mail/.demo-corpus"
fi

python3 tests/harness/webstack.py start --dir "$state/web" --mailstack "$state/mail" \
	--petrel "$petrel" --share "$root" --port "$port" --restart

cat <<EOT

  Petrel is running:  http://127.0.0.1:$port/

  Demo users (address / password):
$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for u in d["users"]:
    if u["email"] != d["sink_user"]: print("    %-22s %s" % (u["email"], u["password"]))' "$state/mail/mailstack.json")

  Mail server: IMAP 127.0.0.1:$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ports"]["imap"])' "$state/mail/mailstack.json") (STARTTLS), logs in $state
  Press Ctrl-C to stop.

EOT
# Wait for Ctrl-C. The sleep runs in the background so that a trap runs at
# once (bash runs traps only between commands); as a script's background
# job it ignores SIGINT, so cleanup kills it.
sleep infinity &
sleeper=$!
wait "$sleeper"
