#!/bin/sh
# t_tooltiny.sh: the tool loop on real inference (issue #19).  The tiny
# world's math-tool adapter writes a python call in loco's text form,
# loco runs it in the sandbox and sends the result back in the tool role
# (T: in the tiny chat template), and the adapter answers: through the
# engine (Ollama's API on node-llama-cpp) and through the real
# llama-server.  How often the adapter computes the right thing is
# measured by make tiny-results; checked here is the loop on a real
# model: one python call holding an arithmetic expression, the sandbox's
# result that expression's value, a number for the answer, the call on
# stderr, and --no-tools.  Skipped when the engine's packages are not
# installed.
. "$TOP/tests/cmd/lib.sh"
if [ ! -d "$TOP/tests/engine/node_modules/node-llama-cpp" ]; then
	echo "tooltiny: node-llama-cpp is not installed: skipped"
	echo "tooltiny: 0 passed, 0 failed"
	exit 0
fi
area_begin tooltiny
T=$TOP/adapters/tiny
backend_stop "$B"
B="$W/engine"
BACKEND_JS="$TOP/tests/engine/server.js"
backend_start "$B" --models "$T" --idle-timeout 300 ||
    { echo "tooltiny: cannot start the engine"; exit 1; }
sed "s|file: \([a-z-]*\)\.gguf|file: $T/\1.gguf|" \
    "$T/registry.yaml" >"$LOCO_HOME/adapters/registry.yaml"
# The first case of the tool experiment's benchmark: 197 x 44.
Q=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]).instruction)' "$T/benchmarks/math-hard.jsonl")

# matches VALUE ERE WHAT
matches() {
	if printf '%s\n' "$1" | grep -qE -- "$2"; then pass; else fail "$3: '$1' does not match /$2/"; fi
}

# loop NAME: one greedy query of math-tool, checked as above.
loop() {
	t "$1: math-tool's call runs in the sandbox and its result goes back"
	run_loco query --json --temperature 0 --adapter math-tool "$Q"
	expect_rc 0
	calls=$(json 'out.tools.map(c => `${c.name} ${c.code} ${c.round} ${c.error}`).join("|")')
	matches "$calls" '^python [0-9]+[-+*][0-9]+ 1 null$' "one python call in round 1"
	code=$(json 'out.tools.length ? out.tools[0].code : ""')
	if [ -n "$code" ]; then
		expect_eq "$(json 'out.tools[0].result')" "$(python3 -c "print($code)")" "the sandbox's result"
	fi
	matches "$(json 'out.answer')" '^[0-9]+$' "a number for the answer"
	expect_eq "$(json 'out.tool_limit')" false "no round limit"

	t "$1: the call on stderr, the answer on stdout"
	run_loco query --temperature 0 --adapter math-tool "$Q"
	expect_rc 0
	expect_err_match "^\[tool python: $(printf '%s' "$code" | sed 's/\*/\\*/g; s/+/\\+/g') -> [0-9]+\]$"
	matches "$(cat "$W/out")" '^[0-9]+$' "stdout"

	t "$1: --no-tools: the call is the answer, nothing runs"
	run_loco query --json --no-tools --temperature 0 --adapter math-tool "$Q"
	expect_rc 0
	expect_eq "$(json 'out.tools.length')" 0 "calls"
	expect_eq "$(json 'out.answer')" "<tool_call>{\"tool\": \"python\", \"code\": \"$code\"}</tool_call>" "the call as text"
}

t "setup registers math-tool on the engine"
run_loco setup --quiet
expect_rc 0
expect_out_has "adapter math-tool: loco-math-tool:1.0.0-tiny-base created"
loop engine

LLAMA=$(sh "$TOP/tests/llama/build.sh" --path)
if [ -x "$LLAMA" ]; then
	backend_stop "$B"
	LLAMA_TOP=$TOP
	. "$TOP/tests/llama/serve.sh"
	if llama_start "$W/llama"; then
		export LOCO_BACKEND=llama-server
		loop llama-server
		llama_stop "$W/llama"
	else
		fail "cannot start llama-server: $(tail -3 "$W/llama/llama.log" 2>/dev/null)"
	fi
elif [ "${CI:-}" = true ]; then
	fail "no llama-server at $LLAMA (run sh tests/llama/build.sh)"
else
	echo "tooltiny: llama-server is not built (sh tests/llama/build.sh): skipped"
fi

area_end
