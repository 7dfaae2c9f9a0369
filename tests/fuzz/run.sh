#!/bin/sh
# run.sh: run the libFuzzer targets built by make (make fuzz, make fuzz-smoke).
#
#   sh tests/fuzz/run.sh -t SECONDS PROG...  fuzz each PROG for SECONDS,
#                                            growing build/fuzz/corpus/NAME
#   sh tests/fuzz/run.sh -s PROG...          smoke: the seed corpus plus
#                                            2000 runs each (for CI)
#
# PROG is build/fuzz/fuzz_NAME; its seeds are tests/fuzz/corpus/NAME and its
# dictionary, if any, tests/fuzz/NAME.dict.  Crashes, leaks, UB and timeouts
# leave a reproducer in build/fuzz/artifacts/NAME/ and make the exit status
# 1; rerun one with `build/fuzz/fuzz_NAME FILE`.  FUZZ_FLAGS adds libFuzzer
# options (e.g. FUZZ_FLAGS=-jobs=2).

mode=
seconds=60
case $1 in
-t)	mode=fuzz; seconds=$2; shift 2 ;;
-s)	mode=smoke; shift ;;
esac
if [ -z "$mode" ] || [ $# -eq 0 ]; then
	echo "usage: run.sh -t seconds | -s prog ..." >&2
	exit 2
fi

here=$(dirname "$0")
out=build/fuzz
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=
npass=0
nfail=0

# Inputs longer than this teach little and slow the search.
max_len() {
	case $1 in
	host|sandbox)			echo 512 ;;
	template|router|ndjson)		echo 4096 ;;
	ydoc|config|registry)		echo 8192 ;;
	chat)				echo 16384 ;;
	*)				echo 4096 ;;
	esac
}

for prog in "$@"; do
	name=${prog##*/fuzz_}
	seeds=$here/corpus/$name
	art=$out/artifacts/$name
	log=$out/logs/$name.log
	mkdir -p "$art" "$out/logs" "$seeds"
	set -- -max_len="$(max_len "$name")" -timeout=10 \
	    -artifact_prefix="$art/" -print_final_stats=1
	[ -f "$here/$name.dict" ] && set -- "$@" -dict="$here/$name.dict"
	if [ "$mode" = smoke ]; then
		work=$(mktemp -d "${TMPDIR:-/tmp}/loco-fuzz-smoke.XXXXXX") ||
		    exit 1
		set -- "$@" -runs=2000 -seed=1
	else
		work=$out/corpus/$name
		mkdir -p "$work"
		set -- "$@" -max_total_time="$seconds"
	fi
	# shellcheck disable=SC2086
	"$prog" "$@" $FUZZ_FLAGS "$work" "$seeds" >"$log" 2>&1
	rc=$?
	[ "$mode" = smoke ] && rm -rf "$work"
	stats=$(grep -E '^stat::number_of_executed_units' "$log" |
	    tail -n 1 | sed 's/.*: *//')
	if [ $rc -eq 0 ]; then
		npass=$((npass + 1))
		printf 'fuzz %-10s ok (%s runs)\n' "$name" "${stats:-?}"
	else
		printf 'fuzz %-10s FAILED (exit %d), log %s:\n' "$name" $rc \
		    "$log"
		grep -E 'ERROR: |SUMMARY: |runtime error|check failed|Test unit written' \
		    "$log" | head -n 12 | sed 's/^/    /'
		failed="$failed $name"
		nfail=$((nfail + 1))
	fi
done

echo "fuzz: $npass passed, $nfail failed"

if [ -n "$failed" ]; then
	echo "fuzz: failures in:$failed (reproducers in $out/artifacts/)"
	exit 1
fi
exit 0
