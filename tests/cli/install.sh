#!/bin/sh
# `cmake --install` to a fresh prefix gives a petrel that serves its pages
# from that prefix, with the source tree out of the picture: run from /,
# no PETREL_SHARE, and a marker added to the *installed* login template
# must show up in the page. Without the installed share dir it must fail
# rather than fall back to the source tree.
# Usage: install.sh CMAKE_COMMAND BUILD_DIR CONFIGURED_BINDIR CONFIGURED_DATADIR
set -eu
cmake=$1
build=$2
bindir=$3
datadir=$4
dir=$(mktemp -d /tmp/petrel-install-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
pass=0

"$cmake" --install "$build" --prefix "$dir/prefix" > "$dir/install.log" ||
	{ cat "$dir/install.log"; fail "cmake --install failed"; }
p=$dir/prefix
for f in bin/petrel share/petrel/templates/login.tpl \
	share/petrel/templates/admin/dashboard.tpl share/petrel/i18n/en.json \
	share/petrel/static/css/petrel.css \
	share/doc/petrel/examples/data/application.ini \
	share/doc/petrel/examples/data/default.ini \
	share/doc/petrel/examples/petrel.conf \
	share/doc/petrel/examples/petrel.service \
	lib/systemd/system/petrel.service lib/tmpfiles.d/petrel.conf; do
	[ -e "$p/$f" ] || fail "$f not installed"
done
pass=$((pass + 1))
# The installed samples name the configured prefix's paths.
grep -q "^ExecStart=$bindir/petrel serve" "$p/lib/systemd/system/petrel.service" ||
	fail "unit's ExecStart does not name $bindir/petrel"
grep -q "alias $datadir/petrel/static/;" "$p/share/doc/petrel/examples/petrel.conf" ||
	fail "nginx sample does not name $datadir/petrel/static"
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID' "$p/lib/systemd/system/petrel.service" ||
	fail "unit has no ExecReload"
pass=$((pass + 1))

marker="installed-copy-$$"
printf '<!-- %s -->\n' "$marker" >> "$p/share/petrel/templates/login.tpl"
mkdir "$dir/data"
cgi() {
	(cd / && env -i PATH=/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1 \
		REQUEST_METHOD=GET PATH_INFO=/ SCRIPT_NAME= QUERY_STRING= \
		SERVER_NAME=localhost SERVER_PORT=80 SERVER_PROTOCOL=HTTP/1.1 \
		REMOTE_ADDR=127.0.0.1 PETREL_DATA="$dir/data" \
		"$p/bin/petrel" < /dev/null)
}
cgi > "$dir/page" 2> "$dir/err" || { cat "$dir/err"; fail "CGI run failed"; }
grep -q "$marker" "$dir/page" ||
	{ head -c 2000 "$dir/page"; cat "$dir/err"; fail "login page not from $p/share/petrel"; }
grep -qi 'name="password"' "$dir/page" || fail "no login form in the page"
pass=$((pass + 1))

# No share dir: an error, never the source tree's templates.
mv "$p/share/petrel" "$p/share/petrel.away"
if cgi > "$dir/page" 2> "$dir/err" && grep -qi 'name="password"' "$dir/page"; then
	fail "served a login page without its share dir (source tree fallback?)"
fi
pass=$((pass + 1))
echo "$pass passed, 0 failed"
