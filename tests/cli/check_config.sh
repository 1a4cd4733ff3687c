#!/bin/sh
# `petrel check-config` names every problem with file:line and fails;
# a good config passes. Usage: check_config.sh PETREL_BINARY
set -eu
petrel=$1
dir=$(mktemp -d /tmp/petrel-cc-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; echo "1 passed, 1 failed"; exit 1; }

base=$dir/_data_/_default_
mkdir -p "$base/configs" "$base/domains"
printf '[webmail]\ntitle = "Mail"\nthis line is broken\nmessages_per_page = many\n[login]\nno_such_key = 1\n' \
	> "$base/configs/application.ini"
printf 'imap_host = "127.0.0.1"\nimap_port = 99999\nimap_secure = "Maybe"\n' \
	> "$base/domains/default.ini"

if "$petrel" check-config --data "$dir" > "$dir/out" 2>&1; then
	cat "$dir/out"; fail "a broken config passed"
fi
cat "$dir/out"
grep -q 'application.ini:3:' "$dir/out" || fail "broken line 3 not named"
grep -q 'application.ini:4:' "$dir/out" || fail "bad value on line 4 not named"
grep -q 'application.ini:6:.*no_such_key' "$dir/out" || fail "unknown key not named"
grep -q 'default.ini:2:' "$dir/out" || fail "bad port not named"
grep -q 'default.ini:3:' "$dir/out" || fail "bad imap_secure not named"

rm -rf "$base"
mkdir -p "$base/configs" "$base/domains"
printf '[webmail]\ntitle = "Mail"\n' > "$base/configs/application.ini"
"$petrel" check-config --data "$dir" > "$dir/out" 2>&1 || { cat "$dir/out"; fail "a good config failed"; }
grep -q 'config ok' "$dir/out" || fail "no 'config ok'"
echo "2 passed, 0 failed"
