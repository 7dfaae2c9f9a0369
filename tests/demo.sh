#!/bin/sh
# demo.sh (make demo): loco end to end without Ollama.  Starts the scripted
# Ollama-compatible test backend on a free loopback port with the default
# registry's models, then routes and answers a few questions.  The answers
# are canned by the backend's script; the routing, RE2 prompt, request,
# streaming and stats are loco's own.  Point OLLAMA_HOST at a real Ollama
# (after 'ollama pull qwen3:4b') to get real answers from the same commands.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
LOCO="$TOP/loco"
BACKEND_JS="$TOP/tests/backend/server.js"
. "$TOP/tests/backend/start.sh"

W=$(mktemp -d "${TMPDIR:-/tmp}/loco-demo.XXXXXX")
trap 'backend_stop "$W/backend"; rm -rf "$W"' EXIT INT TERM
export LOCO_HOME="$W/home"
mkdir -p "$LOCO_HOME/adapters"
cp "$TOP/adapters/registry.yaml" "$LOCO_HOME/adapters/"
for v in $(env | sed -n 's/^\(LOCO_[A-Z_]*\)=.*/\1/p'); do
	[ "$v" = LOCO_HOME ] || unset "$v"
done

backend_start "$W/backend" || exit 1
backend_script "$W/backend" '{
  "models": ["qwen3:4b", "loco-math:1.0.0", "loco-code:1.0.0", "loco-writing:1.0.0"],
  "chat": [
    {"match": {"model": "loco-math:1.0.0"}, "chunk_size": 3, "chunk_delay_ms": 15,
     "reply": "Subtract 5 from both sides: 3x = 15.\nDivide by 3: x = 5.\nThe answer is: 5"},
    {"match": {"model": "loco-code:1.0.0"}, "chunk_size": 3, "chunk_delay_ms": 15,
     "reply": "```python\ndef reverse(s: str) -> str:\n    return s[::-1]\n```\nSlicing with a step of -1 walks the string backwards."},
    {"match": {"model": "qwen3:4b"}, "chunk_size": 3, "chunk_delay_ms": 15,
     "reply": "Evidence weighs the claims; the passage supports the first argument more strongly."},
    {"reply": "OK"}
  ]}'

say() {
	if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
		printf '\n\033[1m$ %s\033[0m\n' "$*"
	else
		printf '\n$ %s\n' "$*"
	fi
}
run() {
	say "loco $*"
	"$LOCO" "$@"
}

echo "loco demo: scripted Ollama-compatible backend at $OLLAMA_HOST (canned answers)"
run adapters list
run route "Solve 3x + 5 = 20 for x"
run route --json "Write a Python function that reverses a string"
run query "Solve 3x + 5 = 20 for x"
run query "Write a Python function that reverses a string"
echo
echo "(analysis is not registered in this Ollama: loco falls back to the base model)"
run query "Compare the evidence for the two arguments in this passage"
run query --adapter none --no-reread "Tell me something interesting"

say "the request loco sent for the first query (from the backend's log)"
node -e '
const l = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const r = l.find((x) => x.path === "/api/chat");
console.log(JSON.stringify(r.body, null, 2));' "$W/backend/requests.jsonl"
