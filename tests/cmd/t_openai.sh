#!/bin/sh
# t_openai.sh: backend.type openai against the scripted fake
# (tests/backend/server.js --flavor openai, as vLLM and as a cloud): an
# adapter as a served LoRA name, loaded at run time or named in the
# --lora-modules entry that is missing; the answer streamed and whole;
# reasoning_content kept apart; the key only in the Authorization header;
# each failure's message and exit status; Retry-After honoured; eval and
# its cache; and the key in no file loco wrote nor in its output.  Then
# the real llama-server, which speaks the same protocol, answers a query
# and a short eval of the tiny base, and is a named backend's --vs model
# beside the scripted lab.
. "$TOP/tests/cmd/lib.sh"
area_begin openai
backend_stop "$B"
backend_start "$B" --flavor openai --idle-timeout 300 || { echo "openai: cannot start"; exit 1; }
BASE_URL=$LOCO_BACKEND_HOST
export LOCO_BACKEND=openai
T=$TOP/adapters/tiny
REG=$LOCO_HOME/adapters/registry.yaml
sed "s|file: \([a-z-]*\)\.gguf|file: $T/\1.gguf|" "$T/registry.yaml" >"$REG"
KEY="sk-loco-$$-Zq7xW2vN9pLr4TyB"
export LAB_KEY="$KEY" LOCO_BACKEND_API_KEY_ENV=LAB_KEY
BASE=tiny-base:latest
SERVED="\"models\": [\"$BASE\", {\"id\": \"math\", \"parent\": \"$BASE\", \"root\": \"/srv/peft/math\"}]"
LAB="\"api_key\": \"$KEY\", $SERVED"
Q="Anna buys 6 bags of 5 toys. How many toys?"

# Every command's output is kept, to look for the key in at the end.
run() {
	run_loco "$@"
	cat "$W/out" "$W/err" >>"$W/seen"
}

# chats: how many chat requests the server had; body N EXPR: over the
# body of the Nth.
chats() {
	req 'reqs.filter(r => r.path === "/v1/chat/completions").length'
}
body() {
	req "(b => $2)(reqs.filter(r => r.path === \"/v1/chat/completions\")[$1].body)"
}

t "streamed: an adapter served as a LoRA module, under its registry name"
script "{$LAB, \"chat\": [{\"match\": {\"model\": \"math\"}, \"reply\": \"30\"}, {\"reply\": \"1\"}]}"
run query --temperature 0 --seed 3 --num-predict 50 --adapter math "$Q"
expect_rc 0
expect_out "30"
expect_eq "$(body 0 'b.model + " " + b.stream + " " + JSON.stringify(b.stream_options)')" 'math true {"include_usage":true}' "model and stream"
expect_eq "$(body 0 'b.temperature + " " + b.seed + " " + b.max_tokens')" "0 3 50" "settings"
expect_eq "$(body 0 '"think" in b || "chat_template_kwargs" in b || "options" in b || "lora" in b')" false "no field of another server"
expect_eq "$(req 'reqs.map(r => r.auth).join(" ")')" "ok ok" "the key sent as a bearer token"
expect_err_match '^\[adapter: math \(--adapter\)\] model math via openai \| [0-9]+ prompt tokens, 1 answer tokens'

t "the base model, and a stop PARAMETER as a list"
cat >>"$REG" <<'EOF'

  - name: terse
    version: 1.0.0
    domain: math
    type: prompt
    description: one line answers
    system: Answer in one line.
    parameters:
      stop: ["\n\n", "END"]
      top_k: 20
      top_p: 0.9
EOF
script "{$LAB, \"chat\": [{\"reply\": \"1\"}]}"
run query --quiet --adapter terse "$Q"
expect_rc 0
expect_out "1"
expect_eq "$(body 0 'b.model + " " + JSON.stringify(b.stop) + " " + b.top_p + " " + ("top_k" in b)')" "$BASE [\"\\n\\n\",\"END\"] 0.9 false" "base, stop, top_p, no top_k"

t "not streamed: a server that answers whole, over several lines"
script "{$LAB, \"chat\": [{\"reply\": \"30\", \"no_stream\": true, \"fault\": \"pretty\"}]}"
run query --json --adapter math "$Q"
expect_rc 0
expect_eq "$(json 'out.answer + " " + out.stats.answer_tokens + " " + out.done_reason')" "30 1 stop" "answer, tokens, done_reason"

t "reasoning_content kept apart, as thinking"
script "{\"openai\": \"cloud\", $LAB, \"chat\": [{\"reply\": \"30\", \"thinking\": \"6 bags of 5\"}]}"
run query --json --think --adapter math "$Q"
expect_rc 0
expect_eq "$(json 'out.answer + "|" + out.thinking')" "30|6 bags of 5" "answer and thinking"

t "the base served under another name: backend.base_model"
script "{$LAB, \"models\": [\"Qwen/Qwen3-4B-Instruct-2507\"], \"chat\": [{\"reply\": \"1\"}]}"
LOCO_BACKEND_BASE_MODEL=Qwen/Qwen3-4B-Instruct-2507 run query --quiet --adapter none "$Q"
expect_rc 0
expect_eq "$(body 0 'b.model')" "Qwen/Qwen3-4B-Instruct-2507" "model"
run query --adapter none "$Q"
expect_rc 4
expect_err "loco: the server at $BASE_URL does not serve the base model '$BASE': set backend.base_model to the name it serves the base as (GET /v1/models lists them)"

t "a LoRA served on another base"
script "{$LAB, \"models\": [\"Qwen/Qwen3-4B-Instruct-2507\", {\"id\": \"math\", \"parent\": \"Qwen/Qwen3-4B-Instruct-2507\"}], \"chat\": [{\"reply\": \"30\"}]}"
run query --adapter math "$Q"
expect_rc 7
expect_err "loco: adapter 'math' is served by the server at $BASE_URL on base 'Qwen/Qwen3-4B-Instruct-2507', not on '$BASE': if that is the registry's base under another name, set backend.base_model to it"
LOCO_BACKEND_BASE_MODEL=Qwen/Qwen3-4B-Instruct-2507 run query --quiet --adapter math "$Q"
expect_rc 0
expect_out "30"

t "an adapter not served, with only a GGUF: which --lora-modules entry"
script "{$LAB, \"chat\": [{\"reply\": \"x\"}]}"
run query --adapter code "[3, 1, 2] sorted"
expect_rc 4
expect_err "loco: adapter 'code' is not served by the server at $BASE_URL: vLLM serves a LoRA from a PEFT folder (adapter_config.json and the weights), and the registry has only '$T/code.gguf'; start vLLM with --enable-lora --lora-modules code=PEFT_FOLDER"
expect_eq "$(chats)" 0 "chats"

# The code adapter next to a PEFT folder's adapter_config.json.
P=$W/peft/code
mkdir -p "$P"
cp "$T/code.gguf" "$P/"
printf '{"peft_type": "LORA", "r": 8}\n' >"$P/adapter_config.json"
sed "s|file: $T/code.gguf|file: $P/code.gguf|" "$REG" >"$REG.new" && mv "$REG.new" "$REG"

t "an adapter not served, on a server that loads none at run time"
run query --adapter code "[3, 1, 2] sorted"
expect_rc 4
expect_err "loco: adapter 'code' is not served by the server at $BASE_URL (and it does not load adapters at run time): start vLLM with --enable-lora --lora-modules code=$P"

t "an adapter loaded at run time (POST /v1/load_lora_adapter)"
script "{$LAB, \"runtime_lora\": true, \"chat\": [{\"match\": {\"model\": \"code\"}, \"reply\": \"[1, 2, 3]\"}]}"
run query --quiet --adapter code "[3, 1, 2] sorted"
expect_rc 0
expect_out "[1, 2, 3]"
expect_eq "$(req 'JSON.stringify(reqs.filter(r => r.path === "/v1/load_lora_adapter").map(r => r.body))')" "[{\"lora_name\":\"code\",\"lora_path\":\"$P\"}]" "load request"

t "a composition: refused"
printf '\n  - {name: mathcode, version: 1.0.0, domain: math, description: two at once, active: false,\n     compose: [{adapter: math, scale: 0.5}, {adapter: code}]}\n' >>"$REG"
run query --adapter mathcode "$Q"
expect_rc 2
expect_err "loco: adapter 'mathcode' is a composition of 2 adapters with scales, which an OpenAI-style server cannot apply (one adapter per model name); use the llama-server backend (backend.type: llama-server, see 'loco serve')"

t "401: a wrong key, named by its variable, never shown"
script "{\"api_key\": \"sk-the-right-one\", \"echo_key\": true, $SERVED}"
run query --adapter math "$Q"
expect_rc 7
expect_err "loco: the server at $BASE_URL refused the API key in LAB_KEY (HTTP 401: Unauthorized: [redacted]): is it the key for this server?"

t "403: the key lacks access to the model"
script "{\"openai\": \"cloud\", $LAB, \"chat\": [{\"status\": 403, \"error\": \"You are not allowed to use this model.\"}]}"
run query --adapter math "$Q"
expect_rc 7
expect_err "loco: the server at $BASE_URL refused the API key in LAB_KEY (HTTP 403: You are not allowed to use this model.): is it the key for this server?"

t "401 from a cloud, with no key configured"
script "{\"openai\": \"cloud\", \"api_key\": \"sk-the-right-one\", $SERVED}"
LOCO_BACKEND_API_KEY_ENV= run query --adapter math "$Q"
expect_rc 7
expect_err "loco: the server at $BASE_URL wants an API key (HTTP 401: You didn't provide an API key.): put it in an environment variable and name that in backend.api_key_env"

t "the key's variable unset, or the key itself in the config"
LAB_KEY= run query --adapter math "$Q"
expect_rc 7
expect_err "loco: backend.api_key_env: the environment variable LAB_KEY, which should hold the API key for $BASE_URL, is empty"
LOCO_BACKEND_API_KEY_ENV="sk-abc def" run query --adapter math "$Q"
expect_rc 7
expect_err "loco: backend.api_key_env: 'sk-abc def' is not an environment variable's name: name the variable that holds the key, not the key"

t "404: the model gone between the list and the answer"
script "{$LAB, \"chat\": [{\"status\": 404, \"error\": \"The model \`math\` does not exist.\", \"error_type\": \"NotFoundError\"}]}"
run query --adapter math "$Q"
expect_rc 4
expect_err_has "loco: the server at $BASE_URL does not serve the model (HTTP 404: The model \`math\` does not exist.): 'loco doctor' or GET /v1/models lists what it serves"

t "429 with Retry-After: waited, asked again"
script "{$LAB, \"chat\": [{\"match\": {\"first\": 2}, \"status\": 429, \"retry_after\": 1, \"error\": \"Rate limit reached\"}, {\"reply\": \"30\"}]}"
t0=$(date +%s%N)
run query --quiet --adapter math "$Q"
t1=$(date +%s%N)
expect_rc 0
expect_out "30"
expect_eq "$(chats)" 3 "chat requests"
expect_eq "$(( (t1 - t0) / 1000000 >= 2000 ))" 1 "waited the 2 x 1 s asked"

t "429 that does not end: three retries, then the error"
script "{$LAB, \"chat\": [{\"status\": 429, \"retry_after\": 0, \"error\": \"Rate limit reached\"}]}"
run query --adapter math "$Q"
expect_rc 1
expect_err "loco: the server at $BASE_URL is limiting the rate of requests (HTTP 429: Rate limit reached); still so after 3 retries as its Retry-After asked"
expect_eq "$(chats)" 4 "chat requests"

t "503 asking for an hour: not waited for"
script "{$LAB, \"chat\": [{\"status\": 503, \"retry_after\": 3600, \"error\": \"Service Unavailable\"}]}"
run query --adapter math "$Q"
expect_rc 1
expect_err "loco: the server at $BASE_URL is overloaded or not ready (HTTP 503: Service Unavailable); it asks to wait 3600 s, longer than loco waits (60 s): try again later"
expect_eq "$(chats)" 1 "chat requests"

t "a stream cut in the middle of the answer"
script "{$LAB, \"chat\": [{\"reply\": \"a long answer that stops\", \"fault\": \"truncate\"}]}"
run query --adapter math "$Q"
expect_rc 1
expect_err_has "loco: the answer from the OpenAI-compatible server ended early: the stream closed without its final event (\"finish_reason\" or [DONE])"
script "{$LAB, \"chat\": [{\"reply\": \"a long answer that stops\", \"fault\": \"reset\"}]}"
run query --adapter math "$Q"
expect_rc 1
expect_err_match "^loco: request to $BASE_URL/v1/chat/completions failed: "

t "an error event in the stream"
script "{$LAB, \"chat\": [{\"reply\": \"abcdefgh\", \"fault\": \"error_event\", \"error\": \"CUDA out of memory\"}]}"
run query --adapter math "$Q"
expect_rc 1
expect_err_has "loco: the OpenAI-compatible server failed during the answer: CUDA out of memory"

t "not an OpenAI server: HTML, other JSON, Ollama, nothing"
script "{$LAB, \"chat\": [{\"fault\": \"html\"}]}"
run query --adapter math "$Q"
expect_rc 1
expect_err "loco: the server at $BASE_URL is not OpenAI-compatible: /v1/chat/completions answered with something other than JSON: '<!DOCTYPE html>?<html><body>Welcome to nginx!</body></html>' (is backend.host the address before /v1?)"
script "{$LAB, \"chat\": [{\"fault\": \"other_json\", \"reply\": \"30\"}]}"
run query --adapter math "$Q"
expect_rc 1
expect_err "loco: the server at $BASE_URL is not OpenAI-compatible: /v1/chat/completions answered JSON without \"choices\": '{\"status\":\"ok\",\"result\":\"30\"}' (is backend.host the address before /v1?)"
O=$W/ollama
backend_start "$O" --idle-timeout 300 || fail "cannot start the Ollama fake"
run query --host "$OLLAMA_HOST" --adapter math "$Q"
expect_rc 1
expect_err "loco: the server at $OLLAMA_HOST is not OpenAI-compatible: /v1/models answered HTTP 404 '404 page not found' (is backend.host the address before /v1?)"
backend_stop "$O"
run query --host "$OLLAMA_HOST" --adapter math "$Q"
expect_rc 3
expect_err "loco: cannot reach the OpenAI-compatible server at $OLLAMA_HOST: is it running, and is backend.host right?"
H=$LOCO_BACKEND_HOST
unset LOCO_BACKEND_HOST
run query --adapter math "$Q"
export LOCO_BACKEND_HOST="$H"
expect_rc 7
expect_err "loco: backend.type openai needs backend.host: the server's URL (vLLM: http://HOST:8000, OpenAI: https://api.openai.com)"

t "eval: adapter and base, concurrently, cached by server and model"
"$LOCO" bench import --format jsonl "$T/data/math.jsonl" --output "$W/math.jsonl" 2>/dev/null
script "{$LAB, \"chat\": [{\"match\": {\"model\": \"math\"}, \"reply\": \"30\"}, {\"reply\": \"1\"}]}"
run eval --benchmark "$W/math.jsonl" --limit 6 --jobs 3 --output "$W/run1" math
expect_rc 0
expect_out_has "(12 requests sent)"
expect_eq "$(chats)" 12 "chat requests"
expect_eq "$(req 'new Set(reqs.filter(r => r.path === "/v1/chat/completions").map(r => r.body.model)).size')" 2 "models asked"
run eval --benchmark "$W/math.jsonl" --limit 6 --output "$W/run2" math
expect_out_has "(0 requests sent)"
# Another address of the same server is another server to the cache.
run eval --host "http://localhost:${BASE_URL##*:}" --benchmark "$W/math.jsonl" --limit 6 --output "$W/run3" math
expect_rc 0
expect_out_has "(12 requests sent)"

t "eval: Retry-After honoured inside a batch"
script "{$LAB, \"chat\": [{\"match\": {\"first\": 2}, \"status\": 429, \"retry_after\": 1}, {\"match\": {\"model\": \"math\"}, \"reply\": \"30\"}, {\"reply\": \"1\"}]}"
run eval --no-cache --benchmark "$W/math.jsonl" --limit 6 --jobs 3 --output "$W/run4" math
expect_rc 0
expect_out_has "(12 requests sent)"
expect_eq "$(chats)" 14 "chat requests (two of them again)"
cp "$W/run4/results.json" "$W/out"
expect_eq "$(json 'out.cost.requests + " " + out.cost.retries')" "12 2" "results.json counts the two sent again"

t "config: the variable's name, never the key"
run config
expect_rc 0
expect_out_has "LAB_KEY"
run config --json
expect_rc 0

t "history and doctor: no key either"
script "{$LAB, \"chat\": [{\"reply\": \"1\"}]}"
run history
expect_rc 0
run history --json
expect_rc 0
run doctor
expect_rc 1
expect_out_has "OK      server               OpenAI-compatible server at $BASE_URL (version 0.0.0-fake): 2 models (tiny-base:latest, math)"
expect_out_has "OK      base model           tiny-base:latest is served"
expect_out_has "PROBLEM adapters             not served: math-b, code, code-b, analysis, writing, math-tool"
expect_out_has "                             -> start vLLM with --enable-lora --lora-modules math-b=PEFT_FOLDER code=PEFT_FOLDER code-b=PEFT_FOLDER analysis=PEFT_FOLDER writing=PEFT_FOLDER math-tool=PEFT_FOLDER, or allow loading at run time (VLLM_ALLOW_RUNTIME_LORA_UPDATING=True)"
run doctor --json
expect_eq "$(json 'out.filter(c => c.check === "server" && c.ok).length')" 1 "doctor --json: the server"
LAB_KEY= run doctor
expect_rc 1
expect_out_has "PROBLEM server               backend.api_key_env: the environment variable LAB_KEY, which should hold the API key for $BASE_URL, is empty"

t "the key is in no file loco wrote, nor in what it printed"
# Where loco wrote: LOCO_HOME (history, cache, logs), the runs, and every
# command's output; the fake's own script holds the key, which shows the
# search can find it.
grep -qF -- "$KEY" "$B/script.json" && pass || fail "the search cannot find the key"
for d in "$W/run1" "$W/run4" "$LOCO_HOME/history.jsonl"; do
	[ -e "$d" ] && pass || fail "nothing at $d to look in"
done
expect_eq "$(grep -rlF -- "$KEY" "$LOCO_HOME" "$W"/run* "$W/seen" | tr '\n' ' ')" "" "files holding the key"

# The real llama-server speaks the protocol: the tiny base through it.
LLAMA=$(sh "$TOP/tests/llama/build.sh" --path)
if [ ! -x "$LLAMA" ] || [ ! -f "$(dirname "$(dirname "$LLAMA")")/ok" ]; then
	echo "openai: llama-server is not built (sh tests/llama/build.sh): its part skipped"
	area_end
	exit $?
fi
LLAMA_TOP=$TOP
. "$TOP/tests/llama/serve.sh"
unset LOCO_BACKEND_API_KEY_ENV LAB_KEY

# A llama-server with the base alone: one that also holds LoRAs applies
# them to a request without its own "lora" list (seen, with the seven
# LoRAs of tests/llama/serve.sh: an empty answer instead of the base's "8"
# below), and an OpenAI client sends none.
base_server() {
	_p=$(_llama_port)
	(cd "$T" && exec "$LLAMA" -m base.gguf --host 127.0.0.1 --port "$_p" \
	    -t 1 -c 2048 -np 2) </dev/null >"$W/llama.log" 2>&1 &
	LPID=$!
	_i=0
	while [ "$(_llama_get "http://127.0.0.1:$_p/health")" != 200 ]; do
		_i=$((_i + 1))
		if [ "$_i" -gt 300 ] || ! kill -0 "$LPID" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
	LOCO_BACKEND_HOST=http://127.0.0.1:$_p
}

t "real llama-server: the tiny base answers a query through backend.type openai"
if base_server; then
	# It serves the base under its file's name.
	export LOCO_BACKEND_BASE_MODEL=base.gguf
	run query --json --temperature 0 --adapter none "$Q"
	expect_rc 0
	expect_eq "$(json 'out.answer + " " + out.backend + " " + out.model + " " + (out.stats.prompt_tokens > 0) + " " + out.done_reason')" "8 openai base.gguf true stop" "answer, backend, model, tokens"
	# The same answer as the llama-server backend gives for the base.
	LOCO_BACKEND=llama-server run query --quiet --temperature 0 --adapter none "$Q"
	expect_out "8"

	t "real llama-server: a short eval of the base"
	run eval --base --benchmark "$W/math.jsonl" --limit 4 --jobs 2 --output "$W/run5" math
	expect_rc 0
	expect_out_has "(4 requests sent)"

	t "real llama-server: the tiny base as eval --vs beside the scripted lab"
	printf 'backends:\n  tiny: {type: openai, host: "%s", base_model: base.gguf}\n  lab: {type: openai, host: "%s"}\n' \
	    "$LOCO_BACKEND_HOST" "$BASE_URL" >"$LOCO_HOME/config.yaml"
	unset LOCO_BACKEND_BASE_MODEL
	script "{$SERVED, \"chat\": [{\"match\": {\"model\": \"math\"}, \"reply\": \"30\"}, {\"reply\": \"1\"}]}"
	run eval --backend lab --benchmark "$W/math.jsonl" --limit 5 --jobs 2 --output "$W/run6" --vs tiny:base.gguf math
	expect_rc 0
	# Cached: the lab's answers from the evals of six cases above, the
	# real server's first four from the short eval of its base; only its
	# fifth is asked.
	expect_out_has "(1 request sent)"
	expect_eq "$(chats)" 0 "chats at the scripted lab"
	cp "$W/run5/results.json" "$W/out"
	cp "$W/run6/results.json" "$W/out"
	expect_eq "$(json '[out.vs.name, out.vs.host, out.vs.model, out.scores.vs.passed].join(" ")')" \
	    "tiny:base.gguf $LOCO_BACKEND_HOST base.gguf $(grep '"subject":"vs"' "$W/run6/log.jsonl" | grep -c '"pass":true')" "the real server's column, as its log scored it"
	answers() {
		node -e '
			const fs = require("fs");
			const rows = fs.readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
			process.stdout.write(rows.filter((r) => r.subject === process.argv[2] && r.id !== "case-5").sort((a, b) => a.id < b.id ? -1 : 1).map((r) => r.id + "=" + r.response).join(" "));
		' "$1" "$2"
	}
	expect_eq "$(answers "$W/run6/log.jsonl" vs)" "$(answers "$W/run5/log.jsonl" base)" "the vs answers are the real base's"
	expect_eq "$(grep '"subject":"vs"' "$W/run6/log.jsonl" | grep -c '"cached":true')" 4 "the vs answers from the cache"
	kill "$LPID"
	wait "$LPID" 2>/dev/null
else
	fail "llama-server did not start: $(tail -3 "$W/llama.log")"
fi
area_end
