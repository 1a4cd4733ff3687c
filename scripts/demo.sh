#!/usr/bin/env bash
# Run Petrel against a local demo mail server, for a person with a browser:
# builds Petrel, starts a private Dovecot + Postfix on 127.0.0.1 with demo
# users and a few hundred realistic messages, starts Petrel behind a
# private nginx on http://127.0.0.1:8080/, and stays in the foreground.
# Ctrl-C stops everything it started. Nothing listens beyond 127.0.0.1.
#
#   PETREL_DEMO_PORT   web port (8080)
#   PETREL_DEMO_DIR    state directory (/tmp/petrel-demo; mail survives restarts)
#   PETREL_DEMO_BASE_PORT  first of the mail servers' ports (20000)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
port=${PETREL_DEMO_PORT:-8080}
state=${PETREL_DEMO_DIR:-/tmp/petrel-demo}
base_port=${PETREL_DEMO_BASE_PORT:-20000}
build=$root/build/demo

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root (it starts private Dovecot, Postfix and nginx)" >&2
	exit 1
fi

bash scripts/install-deps.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPETREL_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)"

mkdir -p "$state"
chmod 755 "$state"

cleanup() {
	# A second Ctrl-C while stopping must not leave the mail servers up.
	trap '' INT TERM
	trap - EXIT
	echo
	echo "demo: stopping"
	python3 tests/harness/webstack.py stop --dir "$state/web" || true
	python3 tests/harness/mailstack.py stop --dir "$state/mail" || true
}
trap cleanup INT TERM EXIT

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
	--petrel "$build/petrel" --share "$root" --port "$port" --restart

cat <<EOT

  Petrel is running:  http://127.0.0.1:$port/

  Demo users (address / password):
$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for u in d["users"]:
    if u["email"] != d["sink_user"]: print("    %-22s %s" % (u["email"], u["password"]))' "$state/mail/mailstack.json")

  Mail server: IMAP 127.0.0.1:$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ports"]["imap"])' "$state/mail/mailstack.json") (STARTTLS), logs in $state
  Press Ctrl-C to stop.

EOT
while true; do
	sleep 3600 &
	wait $! || true
done
