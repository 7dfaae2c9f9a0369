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
sed "s|file: \([a-z-]*\)\.gguf|file: $T/\1.gguf|" "$T/registry.yaml" \
    >"$LOCO_HOME/adapters/registry.yaml"
# The seven adapters in the order loco serve loads them (the registry's).
LORAS="\"loras\": [\"$T/math.gguf\", \"$T/math-b.gguf\", \"$T/code.gguf\", \"$T/code-b.gguf\", \"$T/analysis.gguf\", \"$T/writing.gguf\", \"$T/math-tool.gguf\"]"
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
expect_eq "$(body 0 'JSON.stringify(b.lora)')" '[{"id":0,"scale":1},{"id":1,"scale":0},{"id":2,"scale":0},{"id":3,"scale":0},{"id":4,"scale":0},{"id":5,"scale":0},{"id":6,"scale":0}]' "lora list"
expect_eq "$(body 0 'b.stream + " " + b.temperature + " " + JSON.stringify(b.chat_template_kwargs)')" 'true 0 {"enable_thinking":false}' "stream, temperature, thinking off"
# math, math-b and math-tool share their router_keywords: the registry's
# order breaks the tie for math, with a third of the score.
expect_err_match '^\[router: math, score [0-9]+, confidence 1\.00\] model loco-math:2\.0\.0-tiny-base via llama-server \| [0-9]+ prompt tokens'

t "the base: every adapter at scale 0, never an empty list"
run_loco query --temperature 0 --adapter none "$Q"
expect_rc 0
expect_out "15"
expect_eq "$(body 1 'JSON.stringify(b.lora)')" '[{"id":0,"scale":0},{"id":1,"scale":0},{"id":2,"scale":0},{"id":3,"scale":0},{"id":4,"scale":0},{"id":5,"scale":0},{"id":6,"scale":0}]' "lora list"

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

# loco serve --dry-run with a stand-in binary: where the base GGUF comes from.
export LOCO_BACKEND_LLAMA_SERVER=/bin/true
REG=$LOCO_HOME/adapters/registry.yaml
cp "$REG" "$W/registry.plain"
A64=$(printf 'a%.0s' $(seq 64))

t "serve: no base GGUF anywhere"
run_loco serve --dry-run
expect_rc 7
expect_err "loco: no GGUF file for the base model 'tiny-base:latest': set base_model.file (or url and sha256) in '$REG', or 'ollama pull tiny-base:latest' first (loco reuses Ollama's copy)"

t "serve: the blob Ollama holds for the tag"
mkdir -p "$W/ollama/manifests/registry.ollama.ai/library/tiny-base" "$W/ollama/blobs"
cp "$T/base.gguf" "$W/ollama/blobs/sha256-$A64"
printf '{"schemaVersion":2,"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:%s","size":1}]}\n' "$A64" \
    >"$W/ollama/manifests/registry.ollama.ai/library/tiny-base/latest"
OLLAMA_MODELS=$W/ollama run_loco serve --dry-run --port 5000
expect_rc 0
expect_out "/bin/true -m $W/ollama/blobs/sha256-$A64 --lora $T/math.gguf,$T/math-b.gguf,$T/code.gguf,$T/code-b.gguf,$T/analysis.gguf,$T/writing.gguf,$T/math-tool.gguf --lora-init-without-apply --host 127.0.0.1 --port 5000 -np 4 -c 16384"

t "serve: base_model.url, downloaded once and checked"
mkdir -p "$W/www"
cp "$T/base.gguf" "$W/www/base.gguf"
sum=$(sha256sum "$T/base.gguf" | cut -c1-64)
node "$TOP/tests/cmd/static.js" --dir "$W/www" --portfile "$W/static.port" &
spid=$!
i=0; while [ ! -s "$W/static.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
url=http://127.0.0.1:$(cat "$W/static.port")/base.gguf
sed "s|^  architecture: llama|  architecture: llama\n  url: $url\n  sha256: $sum|" \
    "$W/registry.plain" >"$REG"
run_loco serve --dry-run --port 5000
expect_rc 0
expect_out_has "/bin/true -m $LOCO_HOME/models/$sum.gguf --lora "
expect_err_has "loco serve: downloading the base model from $url"
# Off a terminal, setup's plain progress lines: the start and the end.
expect_err_match "^pulling tiny-base:latest\$"
expect_err_match "^pulled tiny-base:latest.* in [0-9.]+s\$"
run_loco serve --dry-run --port 5000
expect_rc 0
expect_err_empty
cmp -s "$T/base.gguf" "$LOCO_HOME/models/$sum.gguf" && pass || fail "the downloaded base differs"

t "serve: a base whose SHA-256 is not the registry's"
bad=$(printf 'b%.0s' $(seq 64))
sed -i "s|sha256: $sum|sha256: $bad|" "$REG"
run_loco serve --dry-run
expect_rc 5
expect_err_match "SHA-256 $sum, the index says $bad\$"
if [ ! -e "$LOCO_HOME/models/$bad.gguf" ]; then pass; else fail "a bad base was kept"; fi
kill "$spid" 2>/dev/null

t "serve: a base GGUF of other weights is refused for a LoRA adapter"
sed "s|^  architecture: llama|  architecture: llama\n  file: $T/base.gguf|; s|^  name: tiny-base\$|  name: tiny-base-v2|" "$W/registry.plain" >"$REG"
run_loco serve --dry-run
expect_rc 5
# What base.gguf's metadata says (general.basename, size_label, name).
line=$(grep -n '^  name: tiny-base-v2$' "$REG" | cut -d: -f1)
expect_err "loco: adapter 'math': base model '$T/base.gguf' is not the registry's base: found general.basename 'tiny-base', general.size_label '747K', general.name 'tiny-base', expected tiny-base-v2 ($REG:$line), which says 'v2'; a LoRA trained on one does not fit the other: use the base GGUF the registry names, or change base_model in the registry"

t "serve: option errors"
SERVE_USAGE="usage: loco serve [--dry-run] [--llama-server path] [--port n] [--slots n] [--threads n]"
run_loco serve --dry-run --port 70000
expect_rc 2
expect_out_empty
expect_err "loco: --port: 'serve.port' must be an integer from 0 to 65535, not '70000'
$SERVE_USAGE"
run_loco serve --dry-rn
expect_rc 2
expect_err "loco: unknown option '--dry-rn'; did you mean '--dry-run'?
$SERVE_USAGE"
run_loco serve --dry-run now
expect_rc 2
expect_err "loco: unexpected argument 'now'
$SERVE_USAGE"
run_loco serve -h
expect_rc 0
expect_err_empty
expect_out_has "  --threads n        CPU threads (default serve.threads; 0: its own)"
[ ! -e "$LOCO_HOME/serve.json" ] && pass || fail "serve.json was written"

t "serve: a llama-server that exits before it is ready"
sed "s|^  architecture: llama|  architecture: llama\n  file: $T/base.gguf|" "$W/registry.plain" >"$REG"
printf '#!/bin/sh\necho "loading the model"\necho "boom: cannot load the model" >&2\nexit 1\n' >"$W/dies"
chmod +x "$W/dies"
LOCO_BACKEND_LLAMA_SERVER=$W/dies run_loco serve
expect_rc 1
expect_err_match "^loco: llama-server exited before it was ready \(see '$LOCO_HOME/logs/llama-server.log'\): # loco serve: $W/dies -m $T/base.gguf .* \| loading the model \| boom: cannot load the model\$"
if [ ! -e "$LOCO_HOME/serve.json" ]; then pass; else fail "serve.json left"; fi
cp "$W/registry.plain" "$REG"
unset LOCO_BACKEND_LLAMA_SERVER

t "setup --json is Ollama's report"
run_loco setup --json
expect_rc 2
expect_err "loco: setup --json reports what Ollama registered; with llama-server, 'loco doctor --json' reports the files and the server"

t "--backend with an unknown type is a usage error"
run_loco --backend vllm query "x"
expect_rc 2
expect_err_match "^loco: --backend: "

area_end
