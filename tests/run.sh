#!/bin/sh
# run.sh UNIT_BINARY: loco's whole test suite (make check).
#   unit tests, the test backend's self-test, the command-line tests
#   (tests/cmd/t_*.sh, or those named in $TESTS), and the man-page checks.
# Each part prints its own "N passed, N failed"; the last line adds them up.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
export TOP
export LOCO="$TOP/loco"
unit=$1
total_pass=0
total_fail=0

# count "N passed, N failed" from the last such line of a file
tally() {
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	p=$(echo "$line" | sed -E 's/^(.*[^0-9])?([0-9]+) passed.*/\2/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	[ -n "$line" ] || { p=0; f=1; }
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
}

log=$(mktemp "${TMPDIR:-/tmp}/loco-check.XXXXXX")
trap 'rm -f "$log"' EXIT

echo "== unit tests"
"$unit" >"$log" 2>&1
rc=$?
cat "$log"
tally "$log"
[ $rc -eq 0 ] || grep -q ' [1-9][0-9]* failed' "$log" || total_fail=$((total_fail + 1))

echo "== test backend self-test"
if node --test "$TOP/tests/backend/" >"$log" 2>&1; then
	p=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$log")
	echo "backend: ${p:-0} passed, 0 failed"
	total_pass=$((total_pass + ${p:-0}))
else
	cat "$log"
	f=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$log")
	echo "backend: self-test failed (${f:-?} failed)"
	total_fail=$((total_fail + ${f:-1}))
fi

echo "== real engine (node-llama-cpp) tests"
if [ -d "$TOP/tests/engine/node_modules/node-llama-cpp" ]; then
	if node --test "$TOP/tests/engine/" >"$log" 2>&1; then
		p=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$log")
		echo "engine: ${p:-0} passed, 0 failed"
		total_pass=$((total_pass + ${p:-0}))
	else
		cat "$log"
		f=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$log")
		echo "engine: self-test failed (${f:-?} failed)"
		total_fail=$((total_fail + ${f:-1}))
	fi
else
	echo "engine: skipped (run 'cd tests/engine && npm ci --omit=optional')"
fi

echo "== command-line tests"
for t in ${TESTS:-"$TOP"/tests/cmd/t_*.sh}; do
	[ -f "$t" ] || t="$TOP/tests/cmd/$t"
	sh "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	tally "$log"
	[ $rc -eq 0 ] || grep -q ' [1-9][0-9]* failed' "$log" || total_fail=$((total_fail + 1))
done

echo "check: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
