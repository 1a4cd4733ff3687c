#!/usr/bin/env bash
# The static checks CI runs (.ci/run), each failing on any finding:
#   format    clang-format --dry-run --Werror over the C files of src/,
#             tests/, fuzz/ and bench/ (the repository's .clang-format)
#   eslint    ESLint over static/js (eslint.config.js; pinned in web/)
#   tidy      clang-tidy with .clang-tidy over compile_commands.json
#   cppcheck  cppcheck over the same files; its suppressions are listed
#             in step_cppcheck below, each with the reason
# clang-tidy takes about 5 minutes of CPU (two and a half on 2 cores);
# the rest together well under a minute.
# Usage: scripts/lint.sh [format|eslint|tidy|cppcheck]...   (default: all)
# The compile database comes from a configure-only clang build directory,
# build/lint (PETREL_LINT_BUILD_DIR), with the tests and fuzz targets on.
# Tools come from scripts/install-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${PETREL_LINT_BUILD_DIR:-build/lint}
jobs=${PETREL_LINT_JOBS:-$(nproc)}
steps=("$@")
[ "${#steps[@]}" -gt 0 ] || steps=(format eslint tidy cppcheck)
status=0

# The C files under version control (or on disk, outside a git checkout).
c_files() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -z -- 'src/*.[ch]' 'tests/*.[ch]' 'fuzz/*.[ch]' \
			'bench/*.[ch]'
	else
		find src tests fuzz bench -name '*.[ch]' -not -path '*/node_modules/*' \
			-print0
	fi
}

need() {
	if ! command -v "$1" >/dev/null 2>&1; then
		echo "lint: $1 missing; run scripts/install-deps.sh" >&2
		exit 2
	fi
}

# The .c files of the compile database that are ours (not the generated
# sources in the build directory), one per line.
db_files() {
	python3 - "$build/compile_commands.json" "$PWD" <<-'EOF'
		import json, os, sys
		root = sys.argv[2] + os.sep
		seen = set()
		for e in json.load(open(sys.argv[1])):
		    f = os.path.normpath(os.path.join(e["directory"], e["file"]))
		    if f.startswith(root) and f.endswith(".c") and \
		       f[len(root):].split(os.sep)[0] in ("src", "tests", "fuzz") \
		       and f not in seen:
		        seen.add(f)
		        print(f)
	EOF
}

# Configure only (seconds): the database and the generated sources.
configure() {
	[ -z "${configured:-}" ] || return 0
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug \
		-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
		-DPETREL_TESTS=ON -DPETREL_FUZZ=ON >/dev/null
	configured=1
}

step_format() {
	need clang-format
	echo "== lint: clang-format"
	if ! c_files | xargs -0 clang-format --dry-run --Werror; then
		echo "lint: clang-format: run clang-format -i on the files above" >&2
		return 1
	fi
}

step_eslint() {
	local eslint=web/node_modules/.bin/eslint
	echo "== lint: eslint"
	if [ ! -x "$eslint" ]; then
		echo "lint: $eslint missing; run scripts/install-deps.sh" >&2
		return 1
	fi
	"$eslint" --max-warnings 0 static/js eslint.config.js
}

step_tidy() {
	need clang-tidy
	configure
	echo "== lint: clang-tidy ($jobs jobs)"
	local out rc=0
	out=$(mktemp)
	# Four files per process; .clang-tidy makes every warning an error, so
	# xargs fails when any run found something.
	db_files | tr '\n' '\0' |
		xargs -0 -P "$jobs" -n 4 clang-tidy -p "$build" --quiet \
			>"$out" 2>&1 || rc=$?
	grep -v -e '^[0-9]* warnings\{0,1\} generated\.$' \
		-e '^[0-9]* warnings\{0,1\} treated as errors\.$' \
		-e '^Suppressed [0-9]* warnings' -e '^Use -header-filter=' \
		"$out" || true
	rm -f "$out"
	return $rc
}

step_cppcheck() {
	need cppcheck
	configure
	mkdir -p "$build/cppcheck"
	echo "== lint: cppcheck"
	# Suppressed, and why:
	# - missingIncludeSystem: system headers are not analysed (the
	#   libraries' own code is not ours to check); cppcheck-jansson.cfg
	#   gives the jansson macros it needs.
	# - readdirCalled: it asks for readdir_r, which glibc deprecates;
	#   readdir is safe when each thread has its own DIR (as here).
	# - ctuuninitvar in mime/build.c: mime_build() stores the err pointer
	#   of a caller's uninitialised struct perr (an out parameter) in its
	#   builder; it writes *err and never reads it first.
	# - arrayIndexOutOfBoundsCond in http/request.c: parse_method() walks
	#   a NUL-terminated method (or "GET") and stops at its end; the
	#   i >= 32 test is the length limit, not a bound on "GET".
	# The database without the generated sources (--file-filter does not
	# work together with --project in cppcheck 2.10).
	db_files | python3 -c '
import json, sys
keep = set(sys.stdin.read().split("\n"))
db = json.load(open(sys.argv[1]))
json.dump([e for e in db if e["file"] in keep], open(sys.argv[2], "w"))
' "$build/compile_commands.json" "$build/cppcheck_commands.json"
	cppcheck --project="$build/cppcheck_commands.json" \
		--cppcheck-build-dir="$build/cppcheck" \
		--enable=warning,performance,portability \
		--inline-suppr --error-exitcode=1 --quiet -j "$jobs" \
		--library=posix --library=scripts/cppcheck-jansson.cfg \
		--suppress=missingIncludeSystem \
		--suppress=readdirCalled \
		--suppress=ctuuninitvar:src/mime/build.c \
		--suppress=arrayIndexOutOfBoundsCond:src/http/request.c
}

for s in "${steps[@]}"; do
	case $s in
	format | eslint | tidy | cppcheck) ;;
	*)
		echo "lint: unknown step $s (format, eslint, tidy, cppcheck)" >&2
		exit 2
		;;
	esac
	start=$(date +%s)
	if "step_$s"; then
		echo "== lint: $s ok ($(($(date +%s) - start)) s)"
	else
		echo "== lint: $s FAILED" >&2
		status=1
	fi
done
exit $status
