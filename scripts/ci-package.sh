#!/usr/bin/env bash
# CI's package stage: build the Debian package with the README's own
# commands, install it, run it the way its systemd unit would, put the
# installed nginx sample in front of it and check what an admin relies on;
# then remove and purge it. Run as root on Debian 12 from the repository:
#
#   scripts/ci-package.sh            # mail servers on 31000+ (PETREL_PKG_BASE_PORT)
#
# What it proves:
# - the README's install block (between "<!-- ci-package: install -->" and
#   the end of the next ```sh block) works as written, and lintian finds no
#   error or warning in the result;
# - the layout: /usr/bin/petrel, /usr/share/petrel, user petrel,
#   /var/lib/petrel 0750, /run/petrel 2750 petrel:www-data, a unit that
#   passes `systemd-analyze verify`;
# - the unit's ExecStart, run by hand as its User/Group/UMask (CI has no
#   systemd as PID 1), with this checkout's templates and catalogs moved out
#   of reach, serves the login page from /usr/share/petrel through the
#   installed nginx sample (listen/TLS/log paths adapted by sed here only),
#   and nginx (www-data) reaches the 0660 sockets by group;
# - a sign-in against a private Dovecot; SIGHUP reloads (same process, new
#   title, new domain); `petrel admin init` writes the three-line file, and
#   the dashboard warns about it although the server cannot see it, until
#   `petrel admin credentials-deleted` or the panel's button ends that;
# - reinstalling keeps data and user; remove keeps them; purge removes them.
# Every process it starts is stopped by PID, and the checkout is restored.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
base=${PETREL_PKG_BASE_PORT:-31000}
http_port=$((base + 80))
redirect_port=$((base + 81))
unit=/lib/systemd/system/petrel.service
data=/var/lib/petrel
work=$(mktemp -d /tmp/petrel-ci-package-XXXXXX)
chmod 755 "$work" # the mail stack's and nginx's users must traverse it
start=$(date +%s)
petrel_pid=""
nginx_pid=""
mail_started=""
moved=()

step() { echo "== package: $*"; }
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
stop_pid() { # stop_pid PID SIGNAL: signal, wait up to 20 s, then KILL
	local pid=$1 sig=$2 i
	alive "$pid" || return 0
	kill "-$sig" "$pid" 2>/dev/null || true
	for _ in $(seq 1 200); do
		alive "$pid" || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
outputs=("../petrel_${version}_${arch}.deb" "../petrel-dbgsym_${version}_${arch}.deb"
	"../petrel_${version}_${arch}.buildinfo" "../petrel_${version}_${arch}.changes")

cleanup() {
	local rc=$?
	set +e
	stop_pid "$petrel_pid" TERM
	stop_pid "$nginx_pid" QUIT
	[ -n "$mail_started" ] &&
		python3 tests/harness/mailstack.py stop --dir "$work/mail" >/dev/null
	for d in "${moved[@]}"; do
		mv "$work/checkout-$d" "$root/$d"
	done
	if dpkg-query -W -f='${Status}' petrel 2>/dev/null | grep -q installed ||
		dpkg-query -W -f='${Status}' petrel 2>/dev/null | grep -q config-files; then
		dpkg --purge petrel >/dev/null
	fi
	debian/rules clean >/dev/null 2>&1
	rm -f "${outputs[@]}"
	if [ $rc -ne 0 ]; then
		for f in "$work"/petrel.log "$work"/nginx/error.log; do
			[ -f "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }
		done
	fi
	rm -rf "$work"
	echo "== package stage $([ $rc -eq 0 ] && echo passed || echo FAILED)" \
		"in $(($(date +%s) - start)) s"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || fail "run as root (dpkg -i, a system user)"
if dpkg-query -W -f='${Status}' petrel 2>/dev/null | grep -q "installed"; then
	fail "a petrel package is already installed; this stage installs and purges its own"
fi
rm -f "${outputs[@]}"

step "README's install block, as written"
block=$(awk '/<!-- ci-package: install -->/ { f = 1; next }
	f && /^ *```sh/ { g = 1; next }
	g && /^ *```/ { exit }
	g { sub(/^ +/, ""); print }' README.md)
[ -n "$block" ] || fail "README.md has no install block after <!-- ci-package: install -->"
printf '%s\n' "$block" | sed 's/^/    /'
DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
	bash -euo pipefail -c "$block" > "$work/install.log" 2>&1 ||
	{ tail -n 40 "$work/install.log"; fail "the README's install block failed"; }
[ -f "${outputs[0]}" ] || fail "no ${outputs[0]}"

step "lintian"
lintian -I --pedantic --fail-on error,warning "${outputs[3]}" > "$work/lintian.log" 2>&1 ||
	{ cat "$work/lintian.log"; fail "lintian found errors or warnings"; }
grep -v 'root privileges' "$work/lintian.log" || true

# With systemd as PID 1 (not in CI) dpkg -i has started the unit; stop it
# so that the run by hand below is the only server.
if [ -d /run/systemd/system ]; then
	systemctl stop petrel.service
fi

step "installed layout"
[ -x /usr/bin/petrel ] || fail "no /usr/bin/petrel"
[ -f /usr/share/petrel/templates/login.tpl ] || fail "no /usr/share/petrel/templates"
[ -f /usr/share/doc/petrel/examples/petrel.conf ] || fail "no nginx sample"
getent passwd petrel | grep -q ":$data:/usr/sbin/nologin$" ||
	fail "user petrel: $(getent passwd petrel || echo missing)"
[ "$(stat -c '%a %U %G' "$data")" = "750 petrel petrel" ] ||
	fail "$data is $(stat -c '%a %U %G' "$data")"
[ "$(stat -c '%a %U %G' /run/petrel)" = "2750 petrel www-data" ] ||
	fail "/run/petrel is $(stat -c '%a %U %G' /run/petrel 2>&1)"
systemd-analyze verify "$unit" || fail "systemd-analyze verify $unit"
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit" || fail "unit has no ExecReload"
uid=$(id -u petrel)

step "this checkout's templates and catalogs out of reach"
for d in templates i18n; do
	mv "$root/$d" "$work/checkout-$d"
	moved+=("$d")
done
marker="installed-login-template-$$"
printf '<!-- %s -->\n' "$marker" >> /usr/share/petrel/templates/login.tpl

step "private Dovecot on $base+"
python3 tests/harness/mailstack.py start --dir "$work/mail" --base-port "$base" \
	--fresh > "$work/mail.log" 2>&1 || { cat "$work/mail.log"; fail "mailstack"; }
mail_started=1
# shellcheck disable=SC1091
. "$work/mail/mailstack.env"

step "the unit's ExecStart by hand, as its User/Group/UMask"
execstart=$(sed -n 's/^ExecStart=//p' "$unit")
u=$(sed -n 's/^User=//p' "$unit")
g=$(sed -n 's/^Group=//p' "$unit")
mask=$(sed -n 's/^UMask=//p' "$unit")
[ -n "$execstart" ] && [ -n "$u" ] && [ -n "$g" ] && [ -n "$mask" ] ||
	fail "cannot read ExecStart/User/Group/UMask from $unit"
echo "    $u:$g umask $mask: $execstart"
read -ra cmd <<< "$execstart"
(
	umask "$mask"
	cd /
	exec env PETREL_LOG_STDERR=1 setpriv --reuid="$u" --regid="$g" \
		--init-groups -- "${cmd[@]}"
) > "$work/petrel.log" 2>&1 &
petrel_pid=$!
for _ in $(seq 1 100); do
	[ -S /run/petrel/petrel.sock ] && [ -S /run/petrel/events.sock ] && break
	alive "$petrel_pid" || fail "petrel exited at start"
	sleep 0.1
done
for s in petrel.sock events.sock; do
	[ "$(stat -c '%a %U %G' "/run/petrel/$s")" = "660 petrel www-data" ] ||
		fail "/run/petrel/$s is $(stat -c '%a %U %G' "/run/petrel/$s" 2>&1)"
done

step "the installed nginx sample in front, on 127.0.0.1:$http_port"
mkdir -p "$work/nginx/tmp"
chown www-data "$work/nginx/tmp"
cp /etc/nginx/fastcgi_params /etc/nginx/mime.types "$work/nginx/"
sed -e "s|^\( *\)listen 80;|\1listen 127.0.0.1:$redirect_port;|" \
	-e "s|^\( *\)listen 443 ssl http2;|\1listen 127.0.0.1:$http_port;|" \
	-e '/^ *listen \[::\]/d' -e '/^ *ssl_/d' \
	-e "s|/var/log/nginx/|$work/nginx/|g" \
	/usr/share/doc/petrel/examples/petrel.conf > "$work/nginx/petrel.conf"
grep -q "listen 127.0.0.1:$http_port;" "$work/nginx/petrel.conf" ||
	fail "the nginx sample's listen line changed; adapt this stage's sed"
cat > "$work/nginx/nginx.conf" << EOF
user www-data;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 64; }
http {
    include mime.types;
    default_type application/octet-stream;
    client_body_temp_path $work/nginx/tmp/body;
    fastcgi_temp_path $work/nginx/tmp/fastcgi;
    proxy_temp_path $work/nginx/tmp/proxy;
    uwsgi_temp_path $work/nginx/tmp/uwsgi;
    scgi_temp_path $work/nginx/tmp/scgi;
    include petrel.conf;
}
EOF
nginx -q -t -e "$work/nginx/error.log" -p "$work/nginx" -c "$work/nginx/nginx.conf" ||
	fail "nginx -t"
nginx -e "$work/nginx/error.log" -p "$work/nginx" -c "$work/nginx/nginx.conf" \
	-g "daemon off;" &
nginx_pid=$!
url=http://127.0.0.1:$http_port
for _ in $(seq 1 100); do
	python3 -c "import urllib.request; urllib.request.urlopen('$url/', timeout=2)" \
		2>/dev/null && break
	alive "$nginx_pid" || fail "nginx exited"
	sleep 0.1
done
check=tests/package/check.py
python3 $check page "$url" "$marker" "Petrel Webmail"
python3 $check static "$url" /static/css/petrel.css /usr/share/petrel/static/css/petrel.css

step "SIGHUP: a domain for the test Dovecot and a new title, same process"
conf=$data/_data_/_default_
cat > "$conf/domains/example.test.ini" << EOF
; scripts/ci-package.sh: the private mail stack
imap_host = "127.0.0.1"
imap_port = $IMAP_PORT
imap_secure = "TLS"
imap_short_login = Off
verify_certificate = On
ca_file = "$CA_FILE"
EOF
chown petrel:petrel "$conf/domains/example.test.ini"
chmod 0640 "$conf/domains/example.test.ini"
title="Petrel CI $$"
sed -i "s/^title = .*/title = \"$title\"/" "$conf/configs/application.ini"
grep -q "^title = \"$title\"" "$conf/configs/application.ini" || fail "title not set"
kill -HUP "$petrel_pid"
sleep 1
alive "$petrel_pid" || fail "petrel did not survive SIGHUP"
grep -q "reloaded" "$work/petrel.log" || fail "no reload in petrel's log"
python3 $check page "$url" "$marker" "$title"
python3 $check login "$url" "$USER1" "$PASS1"

step "petrel admin init (root) and the credentials-file warning"
install -d -m 0700 "$work/root-only"
cred=$work/root-only/credentials
petrel admin init --credentials-file "$cred" > "$work/init.out" ||
	fail "petrel admin init"
grep -qE '^Username: admin_[0-9a-f]{8}$' "$cred" &&
	grep -qE '^Password: [A-Za-z0-9]{16}$' "$cred" &&
	grep -qE '^Secret key: admin_[0-9a-f]{8}$' "$cred" &&
	[ "$(wc -l < "$cred")" -eq 3 ] || fail "$cred is not the three lines"
[ "$(stat -c '%a %U' "$cred")" = "600 root" ] || fail "$cred is $(stat -c '%a %U' "$cred")"
[ "$(stat -c '%U' "$conf/configs/application.ini")" = petrel ] ||
	fail "admin init left application.ini to $(stat -c '%U' "$conf/configs/application.ini")"
[ "$(stat -c '%U' "$conf/configs/admin_credentials.ini")" = petrel ] ||
	fail "the credentials-file record is not petrel's"
setpriv --reuid=petrel --regid=petrel --init-groups test -e "$cred" &&
	fail "user petrel can see $cred; the warning test would prove nothing"
kill -HUP "$petrel_pid"
sleep 1
cp "$cred" "$work/cred.copy"
python3 $check admin-warn "$url" "$work/cred.copy" "$cred" yes
petrel admin credentials-deleted && fail "credentials-deleted passed while $cred exists"
rm "$cred"
petrel admin credentials-deleted | grep -q "is gone" || fail "credentials-deleted"
python3 $check admin-warn "$url" "$work/cred.copy" "$cred" no
petrel admin init --credentials-file "$cred" > /dev/null || fail "second admin init"
kill -HUP "$petrel_pid"
sleep 1
python3 $check admin-warn "$url" "$cred" "$cred" confirm

step "reinstall (upgrade path) keeps data and user"
sum=$(sha256sum "$conf/configs/application.ini")
dpkg -i "${outputs[0]}" > /dev/null
[ "$(id -u petrel)" = "$uid" ] || fail "reinstall changed petrel's uid"
[ "$(sha256sum "$conf/configs/application.ini")" = "$sum" ] || fail "reinstall changed data"
[ "$(stat -c '%a %U %G' "$data")" = "750 petrel petrel" ] || fail "reinstall changed $data"

step "stop, remove (data kept), purge (data and user gone)"
stop_pid "$petrel_pid" TERM
wait "$petrel_pid" 2>/dev/null || fail "petrel did not stop cleanly on SIGTERM"
petrel_pid=""
stop_pid "$nginx_pid" QUIT
nginx_pid=""
dpkg -r petrel > /dev/null
[ ! -e /usr/bin/petrel ] || fail "remove left /usr/bin/petrel"
[ -f "$conf/configs/application.ini" ] || fail "remove deleted the data"
getent passwd petrel > /dev/null || fail "remove deleted the user"
dpkg --purge petrel > /dev/null
[ ! -e "$data" ] || fail "purge left $data"
[ ! -e /run/petrel ] || fail "purge left /run/petrel"
! getent passwd petrel > /dev/null || fail "purge left the user petrel"
! getent group petrel > /dev/null || fail "purge left the group petrel"
[ ! -e "$unit" ] || fail "purge left $unit"
[ ! -e /etc/systemd/system/multi-user.target.wants/petrel.service ] ||
	fail "purge left the unit enabled"
echo "ok   package built, installed, served, reloaded and purged"
