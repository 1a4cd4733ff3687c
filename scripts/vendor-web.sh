#!/usr/bin/env bash
# Copy the browser libraries that web/package-lock.json pins from
# web/node_modules into static/vendor/, where nginx serves them under
# /static/vendor/. Nothing is fetched when a page loads: the files come from
# the npm registry once, at install time (scripts/install-deps.sh runs
# `npm ci` in web/ and then this script). static/vendor/ is not in git.
set -euo pipefail
cd "$(dirname "$0")/.."

src=web/node_modules/squire-rte
if [ ! -f "$src/dist/squire.js" ]; then
	echo "vendor-web: $src missing; run scripts/install-deps.sh" >&2
	exit 1
fi
mkdir -p static/vendor/squire
cp "$src/dist/squire.js" static/vendor/squire/squire.js
cp "$src/LICENSE" static/vendor/squire/LICENSE
echo "vendor-web: squire-rte $(node -p "require('./$src/package.json').version" 2>/dev/null || echo '?') -> static/vendor/squire/"
