#!/usr/bin/env bash
# Keep the module dependency arrows honest. The one source of truth is
# CMake: the module list (PETREL_MODULES in the top CMakeLists.txt, in
# dependency order) and each src/<m>/CMakeLists.txt's
# petrel_module(<m> DEPS ...). This script checks that
#   - every folder under src/ is a listed module and every listed module
#     has its folder (no ghosts), with a petrel_module() call of its name;
#   - DEPS name only modules listed before the module (so no cycles);
#   - a module includes only its own headers and the public header
#     "<d>/<d>.h" of a module d in its DEPS (and core/banned.h, which
#     every .c includes last): never another module's *_private.h or
#     other inner header;
#   - docs/ARCHITECTURE.md's module table has one row per module, in the
#     order of PETREL_MODULES, whose "may include" column is exactly its
#     DEPS.
# Usage: scripts/check-includes.sh [ROOT]   (ROOT: the tree, default ..)
set -euo pipefail
root=${1:-"$(dirname "$0")/.."}
cd "$root"

status=0
fail() {
	echo "check-includes: $*" >&2
	status=1
}

# The arguments of the NAME( ... ) call in a CMake file, on one line.
cmake_call() {
	tr '\n' ' ' <"$2" | sed -nE "s/.*(^|[^A-Za-z_])$1\(([^)]*)\).*/\2/p" |
		head -n1
}

# ---- the module list and each module's DEPS from CMake -------------------
modules=$(tr '\n' ' ' <CMakeLists.txt |
	sed -nE 's/.*set\(PETREL_MODULES([^)]*)\).*/\1/p' | xargs -n1)
if [ -z "$modules" ]; then
	fail "no set(PETREL_MODULES ...) in CMakeLists.txt"
	exit 1
fi

declare -A deps pos
i=0
for m in $modules; do
	pos[$m]=$i
	i=$((i + 1))
done
for m in $modules; do
	f=src/$m/CMakeLists.txt
	if [ ! -f "$f" ]; then
		fail "module $m is listed in CMakeLists.txt but src/$m/CMakeLists.txt does not exist"
		continue
	fi
	args=$(cmake_call petrel_module "$f")
	read -r -a words <<<"$args"
	if [ "${words[0]:-}" != "$m" ]; then
		fail "$f: petrel_module(${words[0]:-} ...) is not named $m"
		continue
	fi
	list="" in_deps=0
	for w in "${words[@]:1}"; do
		case $w in
		DEPS) in_deps=1 ;;
		LIBS | CONVERSION) in_deps=0 ;;
		*) [ $in_deps -eq 1 ] && list="$list $w" ;;
		esac
	done
	deps[$m]=${list# }
	for d in ${deps[$m]}; do
		if [ -z "${pos[$d]+x}" ]; then
			fail "$f: DEPS names $d, which is not a module"
		elif [ "${pos[$d]}" -ge "${pos[$m]}" ]; then
			fail "$f: DEPS names $d, which comes after $m in PETREL_MODULES (dependency order)"
		fi
	done
done
for dir in src/*/; do
	m=$(basename "$dir")
	[ -n "${pos[$m]+x}" ] || fail "src/$m/ is not in PETREL_MODULES (CMakeLists.txt)"
done

# ---- includes --------------------------------------------------------------
for m in $modules; do
	[ -d "src/$m" ] || continue
	while IFS=: read -r file line inc; do
		target=$(sed -E 's/^#include "([a-z0-9_]+)\/([a-z0-9_]+\.h)".*/\1/' <<<"$inc")
		header=$(sed -E 's/^#include "([a-z0-9_]+)\/([a-z0-9_]+\.h)".*/\2/' <<<"$inc")
		[ "$target" = "$m" ] && continue
		# include/petrel/plugin.h: the public plugin ABI, not a module.
		[ "$target" = petrel ] && [ "$m" = plugin ] && continue
		case " ${deps[$m]:-} " in
		*" $target "*)
			if [ "$header" != "$target.h" ] &&
				[ "$target/$header" != core/banned.h ]; then
				fail "$file:$line includes $target/$header: only $target/$target.h is public"
			fi
			;;
		*)
			fail "$file:$line includes $target/ (not in the DEPS of $m in src/$m/CMakeLists.txt)"
			;;
		esac
	# /dev/null: a folder without sources must not leave grep on stdin.
	done < <(grep -HnE '^#include "[a-z0-9_]+/[a-z0-9_]+\.h"' /dev/null \
		$(find "src/$m" -name '*.[ch]' | sort) 2>/dev/null || true)
done

# ---- docs/ARCHITECTURE.md's module table ----------------------------------
doc=docs/ARCHITECTURE.md
declare -A doc_deps
doc_order=""
# Rows of the table under "## Modules": | `m`[, `m2`] | job | may include |
while IFS= read -r row; do
	names=$(awk -F'|' '{print $2}' <<<"$row" | tr -d '` ' | tr ',' ' ')
	may=$(awk -F'|' '{print $4}' <<<"$row" | tr -d '`' | tr ',' ' ' |
		xargs -n1 2>/dev/null | sed '/^—$/d' | sort | xargs)
	for n in $names; do
		if [ -n "${doc_deps[$n]+x}" ]; then
			fail "$doc: module $n has two rows"
		fi
		doc_deps[$n]=$may
		doc_order="$doc_order $n"
	done
done < <(awk '/^## /{on = /^## Modules/}
	on && /^\| `/' "$doc")
for m in $modules; do
	if [ -z "${doc_deps[$m]+x}" ]; then
		fail "$doc: no row for module $m in the module table"
		continue
	fi
	want=$(xargs -n1 <<<"${deps[$m]:-}" | sort | xargs)
	if [ "${doc_deps[$m]}" != "$want" ]; then
		fail "$doc: $m may include '${doc_deps[$m]}' but its DEPS are '$want'"
	fi
done
if [ "$(xargs <<<"$doc_order")" != "$(xargs <<<"$modules")" ]; then
	fail "$doc: the module rows are not in PETREL_MODULES order ($(xargs <<<"$modules"))"
fi
for n in "${!doc_deps[@]}"; do
	[ -n "${pos[$n]+x}" ] || fail "$doc: row for $n, which is not a module in PETREL_MODULES"
done

[ $status -eq 0 ] && echo "check-includes: ok"
exit $status
