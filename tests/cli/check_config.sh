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

# SnappyMail's domains/: both formats, who defines what, and a bad JSON.
d=$base/domains
printf '{"IMAP": {"host": "127.0.0.1", "port": 993, "type": 1}}' > "$d/a.com.json"
printf 'imap_host = "shadowed"\n' > "$d/a.com.ini"
printf 'imap_host = "127.0.0.1"\n' > "$d/_wildcard_.b.org.ini"
printf 'a.com\n' > "$d/c.net.alias"
printf 'gone.example' > "$d/d.net.alias"
printf 'c.net\n' > "$d/disabled"
"$petrel" check-config --data "$dir" > "$dir/out" 2>&1 || { cat "$dir/out"; fail "SnappyMail domains failed"; }
cat "$dir/out"
grep -q 'a.com.json: info: domain a.com: JSON (IMAP 127.0.0.1:993 SSL' "$dir/out" || fail "JSON domain not listed"
grep -q 'a.com.ini: warning: ignored: .*a.com.json defines domain a.com (JSON wins over ini)' "$dir/out" || fail "shadowed ini not named"
grep -q '_wildcard_.b.org.ini: info: domain \*.b.org: ini' "$dir/out" || fail "wildcard ini not listed"
grep -q 'c.net.alias: info: domain c.net: alias of a.com (disabled)' "$dir/out" || fail "alias not listed"
grep -q 'd.net.alias: warning: alias target gone.example has no .json or .ini' "$dir/out" || fail "missing alias target not named"
grep -q 'disabled: info: c.net is disabled' "$dir/out" || fail "disabled list not reported"
printf '{\n  "IMAP": {"host": "x",}\n}\n' > "$d/e.com.json"
if "$petrel" check-config --data "$dir" > "$dir/out" 2>&1; then
	cat "$dir/out"; fail "a malformed JSON domain passed"
fi
grep -q 'e.com.json:2: error: malformed JSON' "$dir/out" || { cat "$dir/out"; fail "malformed JSON not named with its line"; }
echo "3 passed, 0 failed"
