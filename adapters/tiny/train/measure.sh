#!/bin/sh
# measure.sh (make tiny-results): the tiny world's numbers, measured by loco
# itself through the real engine (tests/engine, node-llama-cpp on CPU):
#   - per domain, loco eval --grid on its held-out benchmark (200 cases):
#     base, base + RE2, adapter, adapter + RE2 (greedy), adapter + RE2 +
#     5 votes at 0.7, each against the row before with exact McNemar;
#   - loco eval with --ood: each adapter on the three other domains;
#   - loco eval --ensemble for the domains with two adapters (math, code):
#     the weighted vote against the best single adapter, paired;
#   - the routers: labels on benchmarks/router.tsv (keyword, classifier),
#     and loco router eval --oracle on the four benchmarks: the routed
#     answer against the best possible choice per case (the oracle);
#   - the tool experiment (issue #19): the base, the direct math adapter
#     and the tool-calling math-tool on benchmarks/math-hard.jsonl (and
#     math-tool on the math benchmark), paired.
# Writes logs/loco_results.md (printed) and logs/loco_results.json; every
# claim in it is worded by its p-value (summarize.js).
#   JOBS   requests in flight (default 2)
#   LIMIT  only the first LIMIT cases of each benchmark (a quick look)
set -eu
TINY=$(cd "$(dirname "$0")/.." && pwd)
TOP=$(cd "$TINY/../.." && pwd)
LOCO="$TOP/loco"
JOBS=${JOBS:-2}
DOMAINS="math code analysis writing"
# domain:members of the cross-adapter ensembles
ENSEMBLES="math:math,math-b code:code,code-b"
limit=
[ -z "${LIMIT:-}" ] || limit="--limit $LIMIT"

[ -x "$LOCO" ] || { echo "measure.sh: build loco first (make)" >&2; exit 1; }
if [ ! -d "$TOP/tests/engine/node_modules/node-llama-cpp" ]; then
	(cd "$TOP/tests/engine" && npm ci --omit=optional --no-audit --no-fund) ||
	    { echo "measure.sh: cannot install the engine" >&2; exit 1; }
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/loco-tiny.XXXXXX")
export LOCO_HOME="$W/home"
for v in $(env | sed -n 's/^\(LOCO_[A-Z_]*\)=.*/\1/p'); do
	[ "$v" = LOCO_HOME ] || unset "$v"
done
mkdir -p "$LOCO_HOME/adapters" "$LOCO_HOME/benchmarks" "$W/runs"
BACKEND_JS="$TOP/tests/engine/server.js"
. "$TOP/tests/backend/start.sh"
trap 'backend_stop "$W/backend"; rm -rf "$W"' EXIT INT TERM
backend_start "$W/backend" --models "$TINY" --parallel "$JOBS" || exit 1

# The registry with absolute paths, and the tiny world's "none" class.
sed -e "s|file: \([a-z-]*\)\.gguf|file: $TINY/\1.gguf|" \
    -e "s|benchmark: benchmarks/|benchmark: $TINY/benchmarks/|" \
    "$TINY/registry.yaml" >"$LOCO_HOME/adapters/registry.yaml"
cp "$TINY/benchmarks/general.txt" "$LOCO_HOME/benchmarks/general.txt"
"$LOCO" setup --quiet

ev() { # NAME ARGS...: loco eval --format json into runs/NAME(.json)
	_n=$1
	shift
	echo "measure: $_n" >&2
	# shellcheck disable=SC2086
	"$LOCO" eval --format json --jobs "$JOBS" $limit --output "$W/runs/$_n" "$@" \
	    >"$W/runs/$_n.json"
}

start=$(date +%s)
benchmarks=
for d in $DOMAINS; do
	ood=
	for o in $DOMAINS; do
		[ "$o" = "$d" ] || ood="$ood --ood $o"
	done
	ev "$d-grid" --grid "$d"
	# shellcheck disable=SC2086
	ev "$d" $ood "$d"
	benchmarks="$benchmarks $TINY/benchmarks/$d.jsonl"
done
# Every member measured on its own first: the ensembles weigh each by
# its recorded accuracy, and the leaderboard ranks both of a domain.
for e in $ENSEMBLES; do
	for m in $(echo "${e#*:}" | tr , ' '); do
		[ -f "$W/runs/$m.json" ] || ev "$m" "$m"
	done
	ev "${e%%:*}-ensemble" --ensemble="${e#*:}" "${e%%:*}"
done
ev tool-math-hard math-tool
ev direct-math-hard --benchmark "$TINY/benchmarks/math-hard.jsonl" math
ev tool-math --benchmark "$TINY/benchmarks/math.jsonl" math-tool

echo "measure: routers" >&2
"$LOCO" router eval --json --router keyword "$TINY/benchmarks/router.tsv" \
    >"$W/runs/router-keyword.json"
"$LOCO" router train >/dev/null
"$LOCO" router eval --json --router classifier "$TINY/benchmarks/router.tsv" \
    >"$W/runs/router-classifier.json"
for r in keyword classifier; do
	echo "measure: router $r against the oracle" >&2
	# shellcheck disable=SC2086
	"$LOCO" router eval --oracle --json --jobs "$JOBS" $limit --router "$r" \
	    $benchmarks >"$W/runs/oracle-$r.json"
done
elapsed=$(($(date +%s) - start))

node "$TINY/train/summarize.js" "$W/runs" "$DOMAINS" "$ENSEMBLES" "$elapsed" \
    "$TINY/logs/loco_results.json" >"$TINY/logs/loco_results.md"
cat "$TINY/logs/loco_results.md"
