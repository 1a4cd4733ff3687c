#!/bin/sh
# Run a command with a private mail stack (and optionally nginx) up; always tear down.
#
#   tests/harness/with-mailstack.sh [--base-port N] [--keep] -- COMMAND [ARGS...]
#
# Picks the first free base port among N, N+1000, ... (default 20000) unless --base-port
# is given, starts the stack in a fresh /tmp/petrel-mailstack-XXXX, exports the variables
# of mailstack.env into COMMAND's environment, runs it, stops the stack and removes the
# directory (unless --keep).  Exit status is COMMAND's.
set -eu
H=$(cd "$(dirname "$0")" && pwd)
BASE=""
KEEP=0
while [ $# -gt 0 ]; do
    case "$1" in
        --base-port) BASE=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --) shift; break ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--base-port N] [--keep] -- COMMAND..." >&2; exit 64; }

port_free() {
    /usr/bin/python3 - "$1" <<'PY'
import socket, sys
b = int(sys.argv[1])
for off in (143, 993, 190, 24, 25, 587, 465):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try: s.bind(("127.0.0.1", b + off))
    except OSError: sys.exit(1)
    finally: s.close()
PY
}
if [ -z "$BASE" ]; then
    BASE=20000
    while ! port_free $BASE; do
        BASE=$((BASE + 1000))
        [ $BASE -le 40000 ] || { echo "with-mailstack: no free base port" >&2; exit 1; }
    done
fi
DIR=$(mktemp -d /tmp/petrel-mailstack-XXXXXX)
chmod 755 "$DIR"
cleanup() {
    /usr/bin/python3 "$H/mailstack.py" stop --dir "$DIR" || true
    [ $KEEP = 1 ] || rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
/usr/bin/python3 "$H/mailstack.py" start --dir "$DIR" --base-port "$BASE" >/dev/null
set -a
. "$DIR/mailstack.env"
set +a
set +e
"$@"
rc=$?
exit $rc
