#!/usr/bin/env bash
# Run every test: unit (cmocka), fuzz-corpus replay, the ctemplate
# differential test, integration against private Dovecot + Postfix, and
# end-to-end in headless Chromium behind nginx. All through ctest, on an
# ASan + UBSan build (clang). Usage: scripts/test.sh [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

bash scripts/install-deps.sh

build=${PETREL_TEST_BUILD_DIR:-$root/build/asan}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DPETREL_SANITIZE=ON \
	-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$build" -j"$(nproc)"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest --output-on-failure --timeout 600 "$@"
