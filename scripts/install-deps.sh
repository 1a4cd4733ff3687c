#!/usr/bin/env bash
# Install everything Petrel needs to build, test and run its demo on Debian 12:
# the C libraries, the Debian packaging tools (debhelper, lintian), the
# private mail stack (Dovecot + Postfix), nginx,
# Chromium for the browser tests and the pinned npm packages of tests/e2e
# and web/ (the browser libraries the pages load from static/vendor/).
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
	build-essential cmake clang pkg-config g++ git ca-certificates
	libfcgi-dev libfcgi-bin libetpan-dev libssl-dev libsqlite3-dev sqlite3
	libjansson-dev libgumbo-dev libcmocka-dev libctemplate-dev
	libqrencode-dev libzip-dev libcrypt-dev libldns-dev nsd
	debhelper lintian
	dovecot-imapd dovecot-managesieved dovecot-sieve dovecot-lmtpd postfix
	swaks libnet-ssleay-perl libauthen-sasl-perl openssl python3
	nginx-light chromium fonts-dejavu-core
	# scripts/lint.sh
	clang-format clang-tidy cppcheck
)
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	# postfix asks a question on install; the tests run private instances.
	echo "postfix postfix/main_mailer_type select No configuration" |
		$SUDO debconf-set-selections
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends "${missing[@]}"
fi

# The distribution's own dovecot, postfix and nginx services are left as they
# are: the tests and the demo run private instances on other loopback ports.

if [ ! -d tests/e2e/node_modules/playwright-core ]; then
	echo "install-deps: npm ci (tests/e2e)"
	(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
fi
# The compose window's HTML editor (Squire), pinned in web/package-lock.json
# and served from static/vendor/ (scripts/vendor-web.sh).
# npm ci again when the installed version is not the locked one.
if ! node -e 'const l = require("./web/package-lock.json").packages["node_modules/squire-rte"];
	process.exit(require("./web/node_modules/squire-rte/package.json").version === l.version ? 0 : 1)' 2>/dev/null; then
	echo "install-deps: npm ci (web)"
	(cd web && npm ci --no-audit --no-fund --loglevel=error)
fi
# ESLint (scripts/lint.sh), pinned in the same lock file as a dev dependency.
if ! node -e 'const l = require("./web/package-lock.json").packages["node_modules/eslint"];
	process.exit(require("./web/node_modules/eslint/package.json").version === l.version ? 0 : 1)' 2>/dev/null; then
	echo "install-deps: npm ci (web, eslint)"
	(cd web && npm ci --no-audit --no-fund --loglevel=error)
fi
bash scripts/vendor-web.sh
echo "install-deps: ok"
