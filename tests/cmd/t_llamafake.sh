#!/bin/sh
# t_llamafake.sh: the llama-server backend against the scripted fake
# (tests/backend/server.js --flavor llama-server): what loco sends (every
# loaded adapter with an explicit scale), the adapter matched to its id by
# file, waiting while the model loads, and the faults: an adapter missing,
# the server gone mid-stream, a stream cut short, an error event.
. "$TOP/tests/cmd/lib.sh"
area_begin llamafake
backend_stop "$B"
backend_start "$B" --flavor llama-server --idle-timeout 300 || { echo "llamafake: cannot start"; exit 1; }
BASE_URL=$LOCO_BACKEND_HOST
export LOCO_BACKEND=llama-server
T=$TOP/adapters/tiny
sed "s|file: \([a-z]*\)\.gguf|file: $T/\1.gguf|" "$T/registry.yaml" \
    >"$LOCO_HOME/adapters/registry.yaml"
LORAS="\"loras\": [\"$T/math.gguf\", \"$T/code.gguf\", \"$T/analysis.gguf\", \"$T/writing.gguf\"]"
Q="Anna buys 6 bags of 5 toys. How many toys?"

# body N: the JSON body of request N of the /v1/chat/completions ones.
body() {
	node -e '
		const reqs = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n")
			.map(JSON.parse).filter(r => r.path === "/v1/chat/completions");
		const b = reqs[+process.argv[2]].body;
		console.log(eval(process.argv[3]));' "$B/requests.jsonl" "$1" "$2"
}

t "the adapter's id at 1, every other loaded adapter at 0"
script "{$LORAS, \"chat\": [{\"lora\": [{\"id\": 0}], \"reply\": \"30\"}, {\"lora\": [], \"reply\": \"15\"}]}"
run_loco query --temperature 0 "$Q"
expect_rc 0
expect_out "30"
expect_eq "$(body 0 'JSON.stringify(b.lora)')" '[{"id":0,"scale":1},{"id":1,"scale":0},{"id":2,"scale":0},{"id":3,"scale":0}]' "lora list"
expect_eq "$(body 0 'b.stream + " " + b.temperature + " " + JSON.stringify(b.chat_template_kwargs)')" 'true 0 {"enable_thinking":false}' "stream, temperature, thinking off"
expect_err_match '^\[router: math, score [0-9]+, confidence 1\.00\] model loco-math:1\.0\.0 via llama-server \| [0-9]+ prompt tokens'

t "the base: every adapter at scale 0, never an empty list"
run_loco query --temperature 0 --adapter none "$Q"
expect_rc 0
expect_out "15"
expect_eq "$(body 1 'JSON.stringify(b.lora)')" '[{"id":0,"scale":0},{"id":1,"scale":0},{"id":2,"scale":0},{"id":3,"scale":0}]' "lora list"

t "an adapter the server does not have"
script "{\"loras\": [\"$T/math.gguf\"], \"chat\": [{\"reply\": \"x\"}]}"
run_loco query --adapter code "[3, 1, 2] sorted"
expect_rc 4
expect_err "loco: adapter 'code' is not loaded in llama-server at $BASE_URL: start it with '--lora $T/code.gguf' (loco serve loads every active adapter; restart it after 'loco setup')"

t "matched by file name when the server names files relative to its directory"
script '{"loras": ["math.gguf", "code.gguf"], "chat": [{"lora": [{"id": 1}], "reply": "[1, 2, 3]"}]}'
run_loco query --quiet --adapter code "[3, 1, 2] sorted"
expect_rc 0
expect_out "[1, 2, 3]"

t "a server still loading its model: loco waits"
script "{$LORAS, \"loading_requests\": 3, \"chat\": [{\"reply\": \"30\"}]}"
run_loco query --quiet --adapter math "$Q"
expect_rc 0
expect_out "30"

t "the server gone in the middle of the answer"
script "{$LORAS, \"chat\": [{\"reply\": \"a long answer that will not end\", \"chunk_size\": 4, \"fault\": \"gone\"}]}"
run_loco query --adapter math "$Q"
expect_rc 1
expect_err_match "^loco: request to $BASE_URL/v1/chat/completions failed: "

t "a stream cut short: no finish_reason, no [DONE]"
script "{$LORAS, \"chat\": [{\"reply\": \"a long answer\", \"chunk_size\": 3, \"fault\": \"truncate\"}]}"
run_loco query --adapter math "$Q"
expect_rc 1
expect_err_has "loco: the answer from llama-server ended early: the stream closed without its final event (\"finish_reason\" or [DONE])"

t "an error event in the middle of the answer"
script "{$LORAS, \"chat\": [{\"reply\": \"abc\", \"fault\": \"error_event\"}]}"
run_loco query --adapter math "$Q"
expect_rc 1
expect_err_has "loco: llama-server failed during the answer: Context size has been exceeded."

t "a reply cut to its token limit says so in --json"
script "{$LORAS, \"chat\": [{\"reply\": \"30\", \"finish_reason\": \"length\"}]}"
run_loco query --json --adapter math --num-predict 1 "$Q"
expect_rc 0
expect_eq "$(json 'out.done_reason + " " + out.backend')" "length llama-server" "done_reason"
expect_eq "$(body 0 'b.max_tokens')" 1 "max_tokens"

t "a vote: samples with seeds, concurrently"
script "{$LORAS, \"chat\": [{\"reply\": \"30\"}]}"
run_loco query --votes 3 --seed 7 --json --adapter math "$Q"
expect_rc 0
expect_eq "$(json 'out.vote.answer')" 30 "answer"
expect_eq "$(node -e '
	const r = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse)
		.filter(r => r.path === "/v1/chat/completions").map(r => r.body.seed).sort();
	console.log(r.join(" "))' "$B/requests.jsonl")" "7 8 9" "seeds"

t "eval: adapter and base on one server, cached by file identity"
"$LOCO" bench import --format jsonl "$T/data/math.jsonl" --output "$W/math.jsonl" 2>/dev/null
script "{$LORAS, \"chat\": [{\"lora\": [{\"id\": 0}], \"reply\": \"30\"}, {\"lora\": [], \"reply\": \"1\"}]}"
run_loco eval --benchmark "$W/math.jsonl" --limit 6 math
expect_rc 0
expect_out_has "(12 requests sent)"
run_loco eval --benchmark "$W/math.jsonl" --limit 6 math
expect_out_has "(0 requests sent)"

area_end
