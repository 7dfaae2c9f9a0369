#!/bin/sh
# demo.sh (make demo): loco end to end without Ollama, on the tiny trained
# world of adapters/tiny served by the real engine (node-llama-cpp on CPU,
# installed on first use): setup registers the LoRA adapters, routed
# greedy queries of the four domains (each one the specialist gets right
# and the base wrong), the same math question to the base model, a
# question whose greedy answer is wrong and whose vote is right, the math
# adapter that calls the python tool, and a short evaluation grid.  If the engine cannot be installed, the scripted test
# backend stands in (canned answers).  Point OLLAMA_HOST at a real Ollama
# with the default registry to do the same with Qwen3.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
LOCO="$TOP/loco"
W=$(mktemp -d "${TMPDIR:-/tmp}/loco-demo.XXXXXX")
export LOCO_HOME="$W/home"
mkdir -p "$LOCO_HOME/adapters"
for v in $(env | sed -n 's/^\(LOCO_[A-Z_]*\)=.*/\1/p'); do
	[ "$v" = LOCO_HOME ] || unset "$v"
done

say() {
	if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
		printf '\n\033[1m$ %s\033[0m\n' "$*"
	else
		printf '\n$ %s\n' "$*"
	fi
}
run() {
	_line=loco
	for _a in "$@"; do
		case $_a in
		*[!A-Za-z0-9_.,:/=+-]*) _line="$_line \"$_a\"" ;;
		*) _line="$_line $_a" ;;
		esac
	done
	say "$_line"
	"$LOCO" "$@"
}

engine=0
if [ -d "$TOP/tests/engine/node_modules/node-llama-cpp" ] ||
    (cd "$TOP/tests/engine" && npm ci --omit=optional --no-audit --no-fund \
    >"$W/npm.log" 2>&1); then
	engine=1
	BACKEND_JS="$TOP/tests/engine/server.js"
else
	echo "(the engine could not be installed; see $W/npm.log: using the scripted backend)"
	BACKEND_JS="$TOP/tests/backend/server.js"
fi
. "$TOP/tests/backend/start.sh"
trap 'backend_stop "$W/backend"; rm -rf "$W"' EXIT INT TERM

if [ $engine -eq 1 ]; then
	backend_start "$W/backend" --models "$TOP/adapters/tiny" || exit 1
	sed -e "s|file: \([a-z-]*\)\.gguf|file: $TOP/adapters/tiny/\1.gguf|" \
	    -e "s|benchmark: benchmarks/|benchmark: $TOP/adapters/tiny/benchmarks/|" \
	    "$TOP/adapters/tiny/registry.yaml" >"$LOCO_HOME/adapters/registry.yaml"
	echo "loco demo: the tiny world on a real engine at $OLLAMA_HOST"
	run setup
	run route "Anna buys 6 bags of 5 toys. How many toys?"
	run query --temperature 0 "Anna buys 6 bags of 5 toys. How many toys?"
	run query --temperature 0 --adapter none "Anna buys 6 bags of 5 toys. How many toys?"
	run query --temperature 0 "Python: vals = [9, 2, 6]; print(min(vals))"
	run query --temperature 0 "Passage: (1) Abe hugged Pat. (2) Gil followed Dee. Sentence 2: what is the verb?"
	run query --temperature 0 "Rewrite in title case: hill swam gave"
	run query --temperature 0 "Put in reverse word order: car fell saw fell"
	run query --votes 5 --seed 7 "Put in reverse word order: car fell saw fell"
	run query --temperature 0 --adapter math-tool "Bruno keeps 1428 buttons. Bruno loses 464. What is the number of buttons?"
	run eval --limit 30 --jobs 2 math
	run eval --limit 20 --jobs 2 --grid math
	exit 0
fi

cp "$TOP/adapters/registry.yaml" "$LOCO_HOME/adapters/"
cp -R "$TOP/adapters/examples" "$LOCO_HOME/adapters/"
backend_start "$W/backend" || exit 1
backend_script "$W/backend" '{
  "models": ["qwen3:4b-instruct-2507-q4_K_M", "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M", "loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M", "loco-writing:1.0.0-qwen3-4b-instruct-2507-q4_K_M"],
  "chat": [
    {"match": {"model": "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"}, "chunk_size": 3, "chunk_delay_ms": 15,
     "reply": "Subtract 5 from both sides: 3x = 15.\nDivide by 3: x = 5.\nThe answer is: 5"},
    {"match": {"model": "loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M"}, "chunk_size": 3, "chunk_delay_ms": 15,
     "reply": "```python\ndef reverse(s: str) -> str:\n    return s[::-1]\n```\nSlicing with a step of -1 walks the string backwards."},
    {"match": {"model": "qwen3:4b-instruct-2507-q4_K_M"}, "chunk_size": 3, "chunk_delay_ms": 15,
     "reply": "Evidence weighs the claims; the passage supports the first argument more strongly."},
    {"reply": "OK"}
  ]}'
echo "loco demo: scripted Ollama-compatible backend at $OLLAMA_HOST (canned answers)"
run adapters list
run route "Solve 3x + 5 = 20 for x"
run query "Solve 3x + 5 = 20 for x"
run query "Write a Python function that reverses a string"
run query "Compare the evidence for the two arguments in this passage"
