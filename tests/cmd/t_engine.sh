#!/bin/sh
# t_engine.sh: loco against the real engine (node-llama-cpp) serving the
# tiny trained world: setup registers the LoRA adapters, a routed query
# answers differently from the base model, a vote, an evaluation with its
# statistics, and the reload counted when the adapter changes.  Skipped
# when the engine's packages are not installed.
. "$TOP/tests/cmd/lib.sh"
if [ ! -d "$TOP/tests/engine/node_modules/node-llama-cpp" ]; then
	echo "engine: node-llama-cpp is not installed: skipped"
	echo "engine: 0 passed, 0 failed"
	exit 0
fi
area_begin engine
backend_stop "$B"
B="$W/engine"
BACKEND_JS="$TOP/tests/engine/server.js"
backend_start "$B" --models "$TOP/adapters/tiny" --idle-timeout 300 ||
    { echo "engine: cannot start"; exit 1; }
BASE_URL=$OLLAMA_HOST
sed "s|file: \([a-z-]*\)\.gguf|file: $TOP/adapters/tiny/\1.gguf|" \
    "$TOP/adapters/tiny/registry.yaml" >"$LOCO_HOME/adapters/registry.yaml"
Q="Anna buys 6 bags of 5 toys. How many toys?"

t "setup pulls the tiny base and registers its seven LoRA adapters"
run_loco setup --quiet
expect_rc 0
expect_out_has "base: tiny-base:latest pulled"
expect_out_has "adapter math: loco-math:2.0.0-tiny-base created"
expect_out_has "adapter math-tool: loco-math-tool:1.0.0-tiny-base created"
expect_out_has "done: 7 uploaded, 7 created, 1 pulled"
run_loco setup --quiet
expect_out_has "everything is current: nothing to do"
run_loco doctor --json
expect_eq "$(json 'out.filter(c => c.check.startsWith("adapter")).every(c => c.ok)')" true "adapters current and for llama"

t "the adapter answers, the base does not (greedy)"
run_loco query --quiet --temperature 0 "$Q"
expect_rc 0
expect_out "30"
run_loco query --quiet --temperature 0 --adapter none "$Q"
expect_rc 0
if [ "$(cat "$W/out")" != 30 ]; then pass; else fail "the base knew it too"; fi

t "switching adapters reloads: load_duration shows it"
run_loco query --json --temperature 0 --adapter code "[3, 1, 2] sorted"
first=$(json 'out.stats.load_seconds')
run_loco query --json --temperature 0 --adapter code "[3, 1, 2] sorted"
again=$(json 'out.stats.load_seconds')
if node -e "process.exit($first > $again ? 0 : 1)"; then pass; else fail "load $first then $again"; fi

t "a vote"
run_loco query --votes 5 --seed 1 --json "$Q"
expect_rc 0
expect_eq "$(json 'out.vote.answer')" 30 "voted answer"

t "an evaluation with statistics"
"$LOCO" bench import --format jsonl "$TOP/adapters/tiny/data/math.jsonl" --output "$W/math.jsonl" 2>/dev/null
run_loco eval --benchmark "$W/math.jsonl" --limit 40 --jobs 2 --gate --format json math
expect_rc 0
# On these 40 cases the math adapter answers 32 right, the base 5
# (McNemar p about 1e-7): asserted with margins.
expect_eq "$(json 'out.scores.adapter.accuracy >= 0.7 && out.scores.base.accuracy < 0.3 && out.scores.adapter.accuracy > out.scores.base.accuracy && out.mcnemar.p < 0.001')" true "adapter beats base"

area_end
