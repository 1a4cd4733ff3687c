#!/usr/bin/env bash
# Run every test: unit (cmocka), fuzz-corpus replay, the ctemplate
# differential test, integration against private Dovecot + Postfix, and
# end-to-end in headless Chromium behind nginx. All through ctest, on an
# ASan + UBSan build (clang). Usage: scripts/test.sh [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

if [ "$(id -u)" -ne 0 ]; then
	# The tests start private Dovecot, Postfix and nginx as root. A root
	# shell on a fresh Debian has no sudo, and needs none.
	if command -v sudo >/dev/null 2>&1; then
		exec sudo --preserve-env=PETREL_TEST_BUILD_DIR,ASAN_OPTIONS,UBSAN_OPTIONS \
			-- "$root/scripts/test.sh" "$@"
	fi
	echo "test: run as root: su -c $root/scripts/test.sh" >&2
	exit 1
fi

bash scripts/install-deps.sh

build=${PETREL_TEST_BUILD_DIR:-$root/build/asan}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DPETREL_SANITIZE=ON \
	-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$build" -j"$(nproc)"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest --output-on-failure --timeout 600 "$@"
