#!/bin/sh
# measure.sh (make tiny-results): the tiny world's numbers, measured by loco
# itself through the real engine (tests/engine, node-llama-cpp on CPU):
#   - loco eval of each adapter against the base on its held-out benchmark
#     (200 cases, greedy, RE2 on), McNemar, and --ood on the three other
#     domains (out-of-domain degradation);
#   - one sample at temperature 0.7 (mean over SEEDS) against a vote of 5
#     samples at 0.7, for each adapter on its own domain;
#   - the keyword and the classifier router on benchmarks/router.tsv.
# Writes logs/loco_results.md (printed) and logs/loco_results.json.
#   JOBS   requests in flight (default 2); SEEDS (default "1 2 3");
#   LIMIT  only the first LIMIT cases of each benchmark (a quick look)
set -eu
TINY=$(cd "$(dirname "$0")/.." && pwd)
TOP=$(cd "$TINY/../.." && pwd)
LOCO="$TOP/loco"
JOBS=${JOBS:-2}
SEEDS=${SEEDS:-1 2 3}
DOMAINS="math code analysis writing"
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
sed -e "s|file: \([a-z]*\)\.gguf|file: $TINY/\1.gguf|" \
    -e "s|benchmark: benchmarks/|benchmark: $TINY/benchmarks/|" \
    "$TINY/registry.yaml" >"$LOCO_HOME/adapters/registry.yaml"
cp "$TINY/benchmarks/general.txt" "$LOCO_HOME/benchmarks/general.txt"
"$LOCO" setup --quiet

start=$(date +%s)
for d in $DOMAINS; do
	ood=
	for o in $DOMAINS; do
		[ "$o" = "$d" ] || ood="$ood --ood $o"
	done
	echo "measure: $d: adapter vs base, and out of domain" >&2
	# shellcheck disable=SC2086
	"$LOCO" eval --format json --jobs "$JOBS" $limit --output "$W/runs/$d" $ood "$d" \
	    >"$W/runs/$d.json"
	for s in $SEEDS; do
		echo "measure: $d: one sample at 0.7, seed $s" >&2
		# shellcheck disable=SC2086
		"$LOCO" eval --format json --jobs "$JOBS" $limit --temperature 0.7 --seed "$s" \
		    --output "$W/runs/$d-t$s" "$d" >"$W/runs/$d-t$s.json"
	done
	echo "measure: $d: 5 votes at 0.7" >&2
	# shellcheck disable=SC2086
	"$LOCO" eval --format json --jobs "$JOBS" $limit --temperature 0.7 --seed 1 --votes 5 \
	    --output "$W/runs/$d-v5" "$d" >"$W/runs/$d-v5.json"
done
echo "measure: routers" >&2
"$LOCO" router eval --json --router keyword "$TINY/benchmarks/router.tsv" \
    >"$W/runs/router-keyword.json"
"$LOCO" router train >/dev/null
"$LOCO" router eval --json --router classifier "$TINY/benchmarks/router.tsv" \
    >"$W/runs/router-classifier.json"
elapsed=$(($(date +%s) - start))

node "$TINY/train/summarize.js" "$W/runs" "$DOMAINS" "$SEEDS" "$elapsed" \
    "$TINY/logs/loco_results.json" >"$TINY/logs/loco_results.md"
cat "$TINY/logs/loco_results.md"
