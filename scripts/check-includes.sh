#!/usr/bin/env bash
# Keep the module dependency arrows honest (docs/ARCHITECTURE.md): a module
# may include only the public headers of the modules listed for it here.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A allowed=(
	[core]=""
	[config]="core"
	[store]="core config"
	[tmpl]="core"
	[i18n]="core"
	[net]="core config"
	[mime]="core"
	[sanitize]="core"
	[imap]="core config net mime"
	[smtp]="core config net mime"
	[sieve]="core config net"
	[session]="core config store net imap"
	[live]="core config store session net imap"
	[mail]="core config store mime sanitize imap smtp"
	[http]="core"
	[admin]="core config store session net imap smtp sieve"
	[plugin]="core config net"
	[web]="core config store tmpl i18n net mime sanitize imap smtp mail sieve session http admin plugin"
)

status=0
for dir in src/*/; do
	mod=$(basename "$dir")
	if [ -z "${allowed[$mod]+x}" ]; then
		echo "check-includes: module $mod is not in the dependency table" >&2
		status=1
		continue
	fi
	while IFS=: read -r file _ inc; do
		target=$(sed -E 's/.*"([a-z_]+)\/[a-z_]+\.h".*/\1/' <<<"$inc")
		[ "$target" = "$mod" ] && continue
		# include/petrel/plugin.h: the public plugin ABI, not a module.
		[ "$target" = "petrel" ] && [ "$mod" = "plugin" ] && continue
		case " ${allowed[$mod]} " in
		*" $target "*) ;;
		*)
			echo "check-includes: $file includes $target/ (not allowed for $mod)" >&2
			status=1
			;;
		esac
	done < <(grep -HnE '^#include "[a-z_]+/[a-z_]+\.h"' "$dir"*.c "$dir"*.h 2>/dev/null || true)
done
[ $status -eq 0 ] && echo "check-includes: ok"
exit $status
