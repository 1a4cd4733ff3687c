#!/bin/sh
# Run every case with both drivers and compare their outputs byte for byte.
# usage: run_diff.sh DRV_PETREL DRV_CTEMPLATE CASES_DIR
set -u
petrel=$1 ref=$2 dir=$3
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0 pass=0 skip=0
for f in "$dir"/*.case; do
	name=$(basename "$f" .case)
	reason=$(sed -n 's/^exclude //p' "$f")
	if [ -n "$reason" ]; then
		echo "SKIP $name: $reason"
		skip=$((skip + 1))
		continue
	fi
	"$petrel" "$f" >"$tmp/p" 2>"$tmp/p.err"; rp=$?
	"$ref" "$f" >"$tmp/r" 2>/dev/null; rr=$?
	if [ $rp -ne 0 ] || [ $rr -ne 0 ]; then
		echo "FAIL $name: driver exit petrel=$rp ctemplate=$rr"
		cat "$tmp/p.err"
		fail=$((fail + 1))
	elif ! cmp -s "$tmp/p" "$tmp/r"; then
		echo "FAIL $name"
		echo "--- ctemplate"; od -c "$tmp/r" | head -20
		echo "--- petrel"; od -c "$tmp/p" | head -20
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
done
echo "ctemplate differential: $pass passed, $fail failed, $skip excluded"
[ $fail -eq 0 ] && [ $pass -ge 60 ]
