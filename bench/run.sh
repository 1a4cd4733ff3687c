#!/usr/bin/env bash
# Petrel message-list benchmark: one run, everything on 127.0.0.1.
#
# Builds Petrel (Release) and bench/imapfloor, starts a private mail stack
# with a 10 000-message folder and Petrel behind nginx, then measures
# POST /api/MessageList (limit 50) at 1, 8 and 32 clients (one shared
# session, and one session per client) next to the raw IMAP floor
# (bench/imapfloor: LOGIN+SELECT+UID FETCH on a fresh connection, and the
# UID FETCH alone on an open, selected one), plus Petrel's RSS, and the
# latency of opening a message (POST /api/Message) for a small plain one and
# the ~20 MB one with an attachment (folder OpenMsg, corpus.py --big) next
# to imapfloor --mode message. Prints a table and writes
# bench/results/<date>.md. Stops everything it started.
# Must run as root (the private Dovecot/Postfix/nginx). About 4 minutes.
#
#   BENCH_DIR          state directory (/tmp/petrel-bench)
#   BENCH_BASE_PORT    mail stack base port (28000: IMAP 28143)
#   BENCH_WEB_PORT     nginx port (8088)
#   BENCH_COUNT        messages in the folder (10000)
#   BENCH_DURATION     seconds per Petrel load run (8); BENCH_FLOOR_DURATION (6)
#   BENCH_MAX_REQUESTS requests per Petrel load run at most (20000; a run that
#                      reaches it reports a req/s below what the machine can do)
#   BENCH_THREADS      petrel serve --threads (4, the default)
#   BENCH_PROFILE      seconds of `perf record -a` under load (0 = off; needs perf)
#   BENCH_ONLY         "open": only the open-message measurement (about 1 minute);
#                      "signin": sign-in + Folders + first list, with Dovecot's
#                      IMAP logins counted; "json": the list answer's size
#                      (plain, by field, gzip'd by nginx); "log": petrel CPU and
#                      log bytes per warm list request (3 runs);
#                      issue 16: "download" (Petrel RSS while clients download
#                      the ~20 MB attachment), "big" (first/warm list of a
#                      BENCH_BIG_COUNT folder), "streams" (BENCH_STREAMS idle
#                      live-update streams, delivery latency), "dovecot"
#                      (Dovecot connections and RSS with 25 sessions of one
#                      user), "instr" (instructions per warm list, callgrind)
#   BENCH_BIG_COUNT    messages in the big folder (100000)
#   BENCH_STREAMS      live-update streams (2000); BENCH_STREAM_USERS users
#                      (200); BENCH_STREAM_SAMPLE users mailed (20)
#   BENCH_LOG_LEVEL    petrel's [logs] level (info, as in production)
#   BENCH_BUILD        a build directory with a petrel binary already built
#                      (skips the build; for before/after runs of another tree)
#   BENCH_SHARE        templates/static/i18n of that tree (default: this one)
#   BENCH_LABEL        a word for the report's title (before, after, ...)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
state=${BENCH_DIR:-/tmp/petrel-bench}
base_port=${BENCH_BASE_PORT:-28000}
web_port=${BENCH_WEB_PORT:-8088}
count=${BENCH_COUNT:-10000}
duration=${BENCH_DURATION:-8}
floor_duration=${BENCH_FLOOR_DURATION:-6}
threads=${BENCH_THREADS:-4}
profile=${BENCH_PROFILE:-0}
only=${BENCH_ONLY:-all}
log_level=${BENCH_LOG_LEVEL:-info}
label=${BENCH_LABEL:-}
open_folder=OpenMsg
build=${BENCH_BUILD:-$root/build/bench}
share=${BENCH_SHARE:-$root}
user=alice@example.test
password=alice-pass-1
folder=INBOX

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: run as root (it starts private Dovecot, Postfix and nginx)" >&2
	exit 1
fi

need=(wrk build-essential cmake pkg-config libetpan-dev libfcgi-dev libssl-dev
	libsqlite3-dev libjansson-dev libgumbo-dev libctemplate-dev libzip-dev dovecot-imapd
	dovecot-managesieved dovecot-sieve dovecot-lmtpd postfix nginx-light python3)
[ "$profile" != 0 ] && need+=(linux-perf)
[ "$only" = instr ] && need+=(valgrind)
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "bench: installing ${missing[*]}"
	echo "postfix postfix/main_mailer_type select No configuration" |
		debconf-set-selections
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}"
fi

if [ -z "${BENCH_BUILD:-}" ]; then
	echo "bench: building Petrel (Release) in $build"
	# PETREL_WERROR=OFF: a Release build sees warnings (NDEBUG) a debug build
	# does not; they must not stop a measurement.
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DPETREL_TESTS=OFF \
		-DPETREL_WERROR=OFF >/dev/null
	cmake --build "$build" -j"$(nproc)" >/dev/null
fi
make -s -C bench OUT="$build" "$build/imapfloor"
[ "$only" != log ] || make -s -C bench OUT="$build" CORE="$build" "$build/logcost"

mkdir -p "$state"
chmod 755 "$state"
cleanup() {
	trap - INT TERM EXIT
	echo "bench: stopping"
	python3 tests/harness/webstack.py stop --dir "$state/web" >/dev/null 2>&1 || true
	python3 tests/harness/mailstack.py stop --dir "$state/mail" >/dev/null 2>&1 || true
	[ -z "$inotify_was" ] || echo "$inotify_was" >"$inotify_knob" || true
}
inotify_knob=/proc/sys/fs/inotify/max_user_instances
inotify_was=
trap cleanup INT TERM EXIT

users_opt=()
app_extra=
streams=${BENCH_STREAMS:-2000}
stream_users=${BENCH_STREAM_USERS:-200}
stream_caps=
if [ "$only" = streams ]; then
	# One session per user, streams/users streams each, all on INBOX: the
	# per-session and per-user caps and the event server's socket table
	# are raised for the bench (defaults 10, 20, 512).
	per=$(((streams + stream_users - 1) / stream_users))
	stream_caps="live_streams_per_session = $((per > 10 ? per : 10)), live_streams_per_user = $((per > 20 ? per : 20)), live_max_clients = $((streams + 64))"
	app_extra=$state/app-streams.ini
	mkdir -p "$state"
	printf '[limits]\n%s\n' "${stream_caps//, /$'\n'}" >"$app_extra"
	users_file=$state/users-$stream_users.txt
	{
		echo "$user $password"
		for i in $(seq 1 "$stream_users"); do
			printf 'bench%04d@example.test bench-pass-%d\n' "$i" "$i"
		done
	} >"$users_file"
	users_opt=(--users "$users_file")
	# A stream holds a socket in this script and one in Petrel, an IMAP
	# watcher one more in Petrel and one in Dovecot.
	ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
	# Each IDLE connection is a Dovecot process with an inotify instance,
	# all under the one mail uid: past the kernel's per-uid limit (128 by
	# default) Dovecot falls back to polling every 30 s. Raised for the
	# run (put back on exit), as docs/ADMIN.md asks of a real server.
	need=$((stream_users * 2 + 256))
	cur=$(cat "$inotify_knob")
	if [ "$cur" -lt "$need" ]; then
		inotify_was=$cur
		echo "$need" >"$inotify_knob"
		echo "bench: fs.inotify.max_user_instances $cur -> $need for this run"
	fi
fi
python3 tests/harness/mailstack.py start --dir "$state/mail" --base-port "$base_port" \
	--restart "${users_opt[@]}" >/dev/null
stamp="$state/mail/.bench-corpus-$count"
if [ ! -e "$stamp" ]; then
	echo "bench: writing $count messages into $user's $folder"
	python3 tests/harness/corpus.py --stack "$state/mail" --user "$user" \
		--folder "$folder" --count "$count" --seed 1 >/dev/null
	touch "$stamp"
fi
# The open-message folder: UID 1 a small plain message, UID 2 the ~20 MB one.
if [ ! -e "$state/mail/.bench-open" ]; then
	echo "bench: writing the open-message folder $open_folder"
	python3 tests/harness/corpus.py --stack "$state/mail" --user "$user" \
		--folder "$open_folder" --count 1 --big --seed 1 >/dev/null
	touch "$state/mail/.bench-open"
fi
big_folder=Big
big_count=${BENCH_BIG_COUNT:-100000}
if [ "$only" = big ] && [ ! -e "$state/mail/.bench-big-$big_count" ]; then
	echo "bench: writing $big_count messages into $user's $big_folder"
	t0=$(date +%s)
	python3 tests/harness/corpus.py --stack "$state/mail" --user "$user" \
		--folder "$big_folder" --count "$big_count" --seed 2 --replace >/dev/null
	echo "bench: written in $(($(date +%s) - t0)) s; indexing"
	t0=$(date +%s)
	doveadm -c "$state/mail/dovecot/dovecot.conf" index -u "$user" "$big_folder"
	echo "bench: indexed in $(($(date +%s) - t0)) s"
	touch "$state/mail/.bench-big-$big_count"
fi
# Build Dovecot's index and cache now, not inside the first measurement.
for f in "$folder" "$open_folder"; do
	doveadm -c "$state/mail/dovecot/dovecot.conf" index -u "$user" "$f" \
		>/dev/null 2>&1 || true
done

petrel=$build/petrel
callgrind_out=$state/callgrind.out
if [ "$only" = instr ]; then
	# petrel under callgrind: the wrapper execs valgrind, so its pid is
	# the one webstack records and callgrind_control talks to.
	rm -f "$callgrind_out"*
	petrel=$state/petrel-callgrind
	printf '#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file=%s "%s" "$@"\n' \
		"$callgrind_out" "$build/petrel" >"$petrel"
	chmod 755 "$petrel"
fi
python3 tests/harness/webstack.py start --dir "$state/web" --mailstack "$state/mail" \
	--petrel "$petrel" --share "$share" --port "$web_port" \
	--threads "$threads" --log-level "$log_level" --restart \
	${app_extra:+--app-extra "$app_extra"}

mkdir -p bench/results
suffix=
[ "$only" = all ] || suffix=-$only
out=bench/results/$(date +%Y-%m-%d-%H%M)$suffix${label:+-$label}.md
python3 bench/bench.py --web-port "$web_port" --web-dir "$state/web" \
	--mailstack "$state/mail" --user "$user" --password "$password" \
	--folder "$folder" --floor "$build/imapfloor" --out "$out" \
	--duration "$duration" --floor-duration "$floor_duration" \
	--petrel-threads "$threads" --profile "$profile" \
	--open-folder "$open_folder" --only "$only" --log-level "$log_level" \
	--logcost "$build/logcost" \
	--big-folder "$big_folder" --streams "$streams" \
	--stream-users "${users_file:-/dev/null}" \
	--stream-sample "${BENCH_STREAM_SAMPLE:-20}" --stream-caps "$stream_caps" \
	--events-sock "$state/web/events.sock" --callgrind-out "$callgrind_out" \
	--label "$label" --max-requests "${BENCH_MAX_REQUESTS:-20000}"
