#!/usr/bin/env bash
# scripts/check-includes.sh must pass on the repository and fail, naming
# the problem, on a small tree with one violation at a time.
# Usage: check_includes.sh SOURCE_DIR
set -euo pipefail
src=$1
check="$src/scripts/check-includes.sh"
dir=$(mktemp -d /tmp/petrel-ci-XXXXXX)
trap 'rm -rf "$dir"' EXIT
passed=0
fail() {
	echo "FAIL: $*"
	exit 1
}

bash "$check" "$src" || fail "the repository itself does not pass"
passed=$((passed + 1))

# A good three-module tree: core <- a <- b.
good() {
	rm -rf "$dir/t"
	mkdir -p "$dir/t/src/core" "$dir/t/src/a" "$dir/t/src/b" "$dir/t/docs"
	cd "$dir/t"
	printf 'project(x)\nset(PETREL_MODULES core\n\ta b)\n' >CMakeLists.txt
	echo 'petrel_module(core CONVERSION LIBS Threads::Threads)' \
		>src/core/CMakeLists.txt
	echo 'petrel_module(a DEPS core LIBS Threads::Threads)' \
		>src/a/CMakeLists.txt
	printf 'petrel_module(b DEPS core\n\ta CONVERSION)\n' >src/b/CMakeLists.txt
	printf '#include "core.h"\n' >src/core/core.c
	printf '#include "a.h"\n#include "a_private.h"\n#include "core/core.h"\n#include "core/banned.h"\n' \
		>src/a/a.c
	printf '#include "b/b.h"\n#include "a/a.h"\n#include "core/core.h"\n' \
		>src/b/b.c
	cat >docs/ARCHITECTURE.md <<'DOC'
# x

## Modules (`src/`, one folder and one public header each)

| module | job | may include |
| --- | --- | --- |
| `core` | ground, with `a`, `b` in the text | — |
| `a` | first | core |
| `b` | second | core, a |

## Next

| `ghost` | not in the module table | core |
DOC
}

# expect_fail "what" "pattern in the message": the check must fail with it.
expect_fail() {
	local out
	if out=$(bash "$check" "$dir/t" 2>&1); then
		echo "$out"
		fail "$1: the check passed"
	fi
	grep -q -- "$2" <<<"$out" || {
		echo "$out"
		fail "$1: no message matching '$2'"
	}
	passed=$((passed + 1))
}

good
bash "$check" "$dir/t" || fail "the good tree does not pass"
passed=$((passed + 1))

# A module without sources yet is fine (and grep must not wait on stdin).
good
rm src/core/core.c
timeout 30 bash "$check" "$dir/t" </dev/zero ||
	fail "a module without sources does not pass"
passed=$((passed + 1))

good
echo '#include "a/a_private.h"' >>src/b/b.c
expect_fail "another module's private header" "b.c:4 includes a/a_private.h"

good
echo '#include "b/b.h"' >>src/a/a.c
expect_fail "an include outside DEPS" "a.c:5 includes b/ (not in the DEPS of a"

good
echo '#include "a/a.h"' >>src/core/core.c
expect_fail "core including a module" "core.c:2 includes a/"

good
sed -i 's/| `b` | second | core, a |/| `b` | second | core |/' docs/ARCHITECTURE.md
expect_fail "a table row that differs from DEPS" "b may include 'core' but its DEPS are 'a core'"

good
sed -i 's/^| `a` | first | core |$/| `b` | second | core, a |/; t; s/^| `b` | second | core, a |$/| `a` | first | core |/' docs/ARCHITECTURE.md
expect_fail "rows out of order" "rows are not in PETREL_MODULES order"

good
sed -i '/^| `a` |/d' docs/ARCHITECTURE.md
expect_fail "a module without a row" "no row for module a"

good
echo '| `plugin` | ghost | core |' >>docs/ARCHITECTURE.md
sed -i 's/^## Next$//' docs/ARCHITECTURE.md
expect_fail "a row for no module" "row for plugin, which is not a module"

good
sed -i 's/\ta b)/\ta b plugin)/' CMakeLists.txt
expect_fail "a ghost in the module list" "module plugin is listed"

good
mkdir src/c
expect_fail "a folder not in the list" "src/c/ is not in PETREL_MODULES"

good
sed -i 's/DEPS core LIBS/DEPS core b LIBS/' src/a/CMakeLists.txt
expect_fail "DEPS against the order" "DEPS names b, which comes after a"

good
echo 'petrel_module(z DEPS core)' >src/a/CMakeLists.txt
expect_fail "a misnamed module" "is not named a"

echo "$passed passed, 0 failed"
