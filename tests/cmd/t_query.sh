#!/bin/sh
# t_query.sh: loco query against the scripted backend: streaming, RE2,
# options in the request body, fallback, and every failure mode.
. "$TOP/tests/cmd/lib.sh"
area_begin query

MODELS='"models":["qwen3:4b-instruct-2507-q4_K_M","loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-writing:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-analysis:1.0.0-qwen3-4b-instruct-2507-q4_K_M"]'
Q='What is the sum of 2 and 2?'
RE2_Q="$Q
Read the question again: $Q"
MATH_SYSTEM='You are a careful mathematics tutor. Work through the problem step by
step, check the arithmetic, and finish with a line of the form
"The answer is: <answer>".'

t "routed query streams the answer"
script "{$MODELS,\"chat\":[{\"match\":{\"model\":\"loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M\"},\"reply\":\"The answer is: 4\",\"chunk_size\":3}]}"
run_loco query "$Q"
expect_rc 0
expect_out "The answer is: 4"
expect_err_match '^\[router: math, score 1, confidence 1\.00\] model loco-math:1\.0\.0-qwen3-4b-instruct-2507-q4_K_M \| [0-9]+ prompt tokens, [0-9]+ answer tokens, [0-9.]+ tokens/s, load [0-9.]+ s, total [0-9.]+ s$'
expect_eq "$(req 'chats.length')" 1 "chat requests"
expect_eq "$(req 'chats.at(-1).body.model')" "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M" "model"
expect_eq "$(req 'chats.at(-1).body.messages[0].role')" system "first role"
expect_eq "$(req 'chats.at(-1).body.messages[0].content')" "$MATH_SYSTEM" "system prompt"
expect_eq "$(req 'chats.at(-1).body.messages[1].content')" "$RE2_Q" "RE2 user turn"
expect_eq "$(req 'chats.at(-1).body.messages.length')" 2 "messages"
expect_eq "$(req 'chats.at(-1).body.options')" '{"temperature":0.2}' "options"
expect_eq "$(req 'chats.at(-1).body.stream')" true "stream"
expect_eq "$(req 'chats.at(-1).body.think')" false "think"
expect_eq "$(req 'chats.at(-1).body.keep_alive')" 5m "keep_alive"
expect_eq "$(req 'reqs.map(r => r.path).join(" ")')" "/api/show /api/chat" "requests in all: the model's capabilities, the chat"

t "--no-reread sends the question once"
run_loco query --no-reread "$Q"
expect_rc 0
expect_eq "$(req 'chats.at(-1).body.messages[1].content')" "$Q" "plain user turn"

t "config file, environment and flag precedence for reread"
printf 'inference:\n  reread: false\n' >"$LOCO_HOME/config.yaml"
: >"$B/requests.jsonl"
run_loco query "$Q"
expect_eq "$(req 'chats.at(-1).body.messages[1].content')" "$Q" "file turns RE2 off"
: >"$B/requests.jsonl"
LOCO_INFERENCE_REREAD=true run_loco query "$Q"
expect_eq "$(req 'chats.at(-1).body.messages[1].content')" "$RE2_Q" "env beats file"
: >"$B/requests.jsonl"
LOCO_INFERENCE_REREAD=true run_loco query --no-reread "$Q"
expect_eq "$(req 'chats.at(-1).body.messages[1].content')" "$Q" "flag beats env"
rm -f "$LOCO_HOME/config.yaml"

THINKER='{"name":"loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M","capabilities":["completion","thinking"]}'
MODELS_THINK="\"models\":[\"qwen3:4b-instruct-2507-q4_K_M\",$THINKER,\"loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M\",\"loco-writing:1.0.0-qwen3-4b-instruct-2507-q4_K_M\",\"loco-analysis:1.0.0-qwen3-4b-instruct-2507-q4_K_M\"]"
t "sampling and runner options from flags"
script "{$MODELS_THINK}"
run_loco query --seed 42 --temperature 0.9 --num-predict 64 --num-ctx 8192 --think "$Q"
expect_rc 0
expect_out "OK"
expect_eq "$(req 'chats.at(-1).body.options')" '{"temperature":0.9,"num_ctx":8192,"seed":42,"num_predict":64}' "options"
expect_eq "$(req 'chats.at(-1).body.think')" true "think"

t "think is asked of a model that thinks, whatever --think says; not of others"
script "{$MODELS_THINK}"
run_loco query --no-think "$Q"
expect_eq "$(req 'chats.at(-1).body.think')" true "a thinking model"
run_loco query --think --adapter none "$Q"
expect_rc 0
expect_eq "$(req 'chats.at(-1).body.think')" false "a model without the capability"

t "bad option values are usage errors"
run_loco query --temperature 5 "$Q"
expect_rc 2
expect_err "loco: --temperature: 'options.temperature' must be a number from 0 to 2, not '5'
$("$LOCO" query -h | head -n 1)"
run_loco query --seed
expect_rc 2
expect_err_has "loco: option '--seed' needs a value"
run_loco query --seed x "$Q"
expect_rc 2
expect_err_has "loco: --seed: 'options.seed' must be an integer from -2147483648 to 2147483647, not 'x'"
run_loco query --bogus "$Q"
expect_rc 2
expect_err_has "loco: unknown option '--bogus'"
run_loco query
expect_rc 2
expect_err_has "loco: no question given"
run_loco query "   "
expect_rc 2
expect_err_has "loco: the question is empty"

t "question from standard input"
script "{$MODELS}"
run_loco_stdin "$Q
" query --no-reread -
expect_rc 0
expect_eq "$(req 'chats.at(-1).body.messages[1].content')" "$Q" "stdin question"

t "--adapter forces, none uses the base, unknown is an error"
script "{$MODELS}"
run_loco query --adapter code "$Q"
expect_rc 0
expect_eq "$(req 'chats.at(-1).body.model')" "loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M" "forced model"
expect_err_match '^\[adapter: code \(--adapter\)\] model loco-code:1\.0\.0-qwen3-4b-instruct-2507-q4_K_M \|'
: >"$B/requests.jsonl"
run_loco query --adapter none "$Q"
expect_rc 0
expect_eq "$(req 'chats.at(-1).body.model')" "qwen3:4b-instruct-2507-q4_K_M" "base model"
expect_eq "$(req 'chats.at(-1).body.messages.length')" 1 "no system message"
expect_eq "$(req 'chats.at(-1).body.options')" '{}' "base options"
run_loco query --adapter nope "$Q"
expect_rc 2
expect_err "loco: no adapter named 'nope' in '$LOCO_HOME/adapters/registry.yaml'; see 'loco adapters list'"
run_loco query --adapter mth@1.0.0 "$Q"
expect_rc 2
expect_err "loco: no adapter named 'mth@1.0.0' in '$LOCO_HOME/adapters/registry.yaml'; did you mean 'math'?"

t "no keyword: the base model"
script "{$MODELS}"
run_loco query "Tell me about the weather"
expect_rc 0
expect_err_match '^\[router: base \(no keyword matched\)\] model qwen3:4b-instruct-2507-q4_K_M \|'
expect_eq "$(req 'chats.at(-1).body.model')" "qwen3:4b-instruct-2507-q4_K_M" "base"

t "--system replaces the adapter's system prompt"
run_loco query --system "Be brief." "$Q"
expect_eq "$(req 'chats[1].body.messages[0].content')" "Be brief." "system"

t "unregistered adapter falls back to the base model"
script '{"models":["qwen3:4b-instruct-2507-q4_K_M"],"chat":[{"reply":"four"}]}'
run_loco query "$Q"
expect_rc 0
expect_out "four"
expect_err_has "loco: model 'loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M' is not in Ollama; answering with the base model 'qwen3:4b-instruct-2507-q4_K_M' and the adapter's prompt (run 'loco setup' to register it)"
expect_err_match '^\[router: math, score 1, confidence 1\.00\] model qwen3:4b-instruct-2507-q4_K_M \(fallback: loco-math:1\.0\.0-qwen3-4b-instruct-2507-q4_K_M not in Ollama\) \|'
expect_eq "$(req 'chats.map(c => c.body.model).join(" ")')" "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M qwen3:4b-instruct-2507-q4_K_M" "models tried"
expect_eq "$(req 'chats[1].body.messages[0].content')" "$MATH_SYSTEM" "adapter prompt kept"

t "missing base model"
script '{"models":[]}'
run_loco query "hello there"
expect_rc 4
expect_err "loco: model 'qwen3:4b-instruct-2507-q4_K_M' not found at $BASE_URL: run 'loco setup' (or 'ollama pull qwen3:4b-instruct-2507-q4_K_M')"

t "server not running"
OLLAMA_HOST=127.0.0.1:1 run_loco query "hello"
expect_rc 3
expect_err "loco: cannot reach Ollama at http://127.0.0.1:1: is 'ollama serve' running?"
run_loco query --host http://127.0.0.1:1 "hello"
expect_rc 3
expect_err "loco: cannot reach Ollama at http://127.0.0.1:1: is 'ollama serve' running?"

t "HTTP errors before the stream"
script "{$MODELS,\"chat\":[{\"status\":500}]}"
run_loco query "hello"
expect_rc 1
expect_err "loco: Ollama answered HTTP 500: llama runner process has terminated: exit status 2"
expect_out_empty
script "{$MODELS,\"chat\":[{\"status\":503}]}"
run_loco query "hello"
expect_rc 1
expect_err "loco: Ollama answered HTTP 503: server busy, please try again.  maximum pending requests exceeded"

t "error line in the middle of the stream"
script "{$MODELS,\"chat\":[{\"reply\":\"partial answer here\",\"fault\":\"error_midstream\",\"error\":\"out of memory\"}]}"
run_loco query "hello"
expect_rc 1
expect_err "loco: Ollama failed during the answer: out of memory"
expect_out_has "partial"

t "stream that ends without done"
script "{$MODELS,\"chat\":[{\"reply\":\"cut short here\",\"fault\":\"truncate\"}]}"
run_loco query "hello"
expect_rc 1
expect_err "loco: the answer from Ollama ended early: the stream closed without its final \"done\" message"

t "connection reset mid-stream"
script "{$MODELS,\"chat\":[{\"reply\":\"cut short here\",\"fault\":\"reset\"}]}"
run_loco query "hello"
expect_rc 1
expect_err_match "^loco: request to $BASE_URL/api/chat failed: "

t "malformed JSON line"
script "{$MODELS,\"chat\":[{\"reply\":\"abcdefgh\",\"fault\":\"malformed\"}]}"
run_loco query "hello"
expect_rc 1
expect_err_match "^loco: malformed reply from Ollama \(line [0-9]+\): expected a JSON object, got '\{\"model\":"

t "bytes split anywhere, Go escapes, surrogate pairs"
script "{$MODELS,\"chat\":[{\"fault\":\"split_bytes\",\"ascii_escape\":true}]}"
run_loco query "hello"
expect_rc 0
expect_out "Café <b>&</b> naïve 😀 ok"

t "text in the final chunk"
script "{$MODELS,\"chat\":[{\"reply\":\"abcdefghij\",\"text_in_final\":true}]}"
run_loco query "hello"
expect_rc 0
expect_out "abcdefghij"

t "a line of 2 MiB"
script "{$MODELS,\"chat\":[{\"reply\":\"x\",\"fault\":\"huge_line\"}]}"
run_loco query --quiet "hello"
expect_rc 0
expect_eq "$(wc -c <"$W/out" | tr -d ' ')" 2097153 "bytes on stdout"
expect_err_empty

t "slow first byte hits backend.load_timeout, not backend.timeout"
script "{$MODELS,\"chat\":[{\"first_byte_delay_ms\":4000}]}"
LOCO_BACKEND_TIMEOUT=1 LOCO_BACKEND_LOAD_TIMEOUT=1 run_loco query "hello"
expect_rc 1
expect_err "loco: request to $BASE_URL/api/chat failed: no reply from the model for 1 s (waiting in the server's queue or loading; raise backend.load_timeout)"

t "thinking goes to stderr, the answer to stdout"
script "{$MODELS_THINK,\"chat\":[{\"reply\":\"42\",\"thinking\":\"hmm, let me see\"}]}"
run_loco query --think --adapter math "hello"
expect_rc 0
expect_out "42"
expect_err_has "Thinking..."
expect_err_has "hmm, let me see"
expect_err_has "...done thinking."
run_loco query --adapter math "hello"
expect_rc 0
expect_out "42"
if grep -q "hmm" "$W/err"; then fail "thinking shown without --think"; else pass; fi

t "a thinking-only model: its reasoning is never the answer"
SPILLER='{"name":"qwen3:4b-instruct-2507-q4_K_M","capabilities":["completion","thinking"],"thinking_only":true}'
script "{\"models\":[$SPILLER],\"chat\":[{\"reply\":\"The answer is 4\",\"thinking\":\"Is it 5? No.\"}]}"
run_loco query --adapter none --votes 3 --answer-type number --json "What is 2+2?"
expect_rc 0
expect_eq "$(json 'out.answer + " | " + out.vote.answer')" "The answer is 4 | 4" "answer"
expect_eq "$(req 'chats.every(c => c.body.think === true)')" true "asked with think"
# A server that does not say the model thinks: Ollama spills into content.
SPILLER='{"name":"qwen3:4b-instruct-2507-q4_K_M","capabilities":["completion"],"thinking_only":true}'
script "{\"models\":[$SPILLER],\"chat\":[{\"reply\":\"The answer is 4\",\"thinking\":\"Is it 5? No, 4.\"}]}"
run_loco query --adapter none --json "What is 2+2?"
expect_rc 0
expect_eq "$(json 'out.answer')" "The answer is 4" "the spill stripped"
run_loco query --adapter none --votes 3 --answer-type number --json "What is 2+2?"
expect_eq "$(json 'out.vote.answer + " " + out.vote.responses.filter(s => s.done).every(s => s.answer === "4")')" "4 true" "votes on the answer, not the draft"

t "--json prints one object"
script "{$MODELS,\"chat\":[{\"reply\":\"The answer is: 4\",\"metrics\":{\"eval_count\":10,\"eval_duration\":500000000,\"prompt_eval_count\":30}}]}"
run_loco query --json "$Q"
expect_rc 0
expect_err_empty
expect_eq "$(json 'out.answer')" "The answer is: 4" "answer"
expect_eq "$(json 'out.adapter')" math "adapter"
expect_eq "$(json 'out.domain')" math "domain"
expect_eq "$(json 'out.model')" "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M" "model"
expect_eq "$(json 'out.fallback')" false "fallback"
expect_eq "$(json 'out.routing.method')" router "method"
expect_eq "$(json 'out.routing.score')" 1 "score"
expect_eq "$(json 'out.routing.confidence')" 1 "confidence"
expect_eq "$(json 'out.routing.candidates[0].keywords')" '["sum of"]' "keywords"
expect_eq "$(json 'out.reread')" true "reread"
expect_eq "$(json 'out.stats.answer_tokens')" 10 "eval_count"
expect_eq "$(json 'out.stats.prompt_tokens')" 30 "prompt tokens"
expect_eq "$(json 'out.stats.tokens_per_second')" 20 "tokens/s"

t "--quiet prints only the answer"
run_loco query --quiet "$Q"
expect_rc 0
expect_err_empty

t "Ctrl-C keeps what was printed and exits 130"
script "{$MODELS,\"chat\":[{\"reply\":\"one two three four five six seven eight\",\"chunk_size\":4,\"chunk_delay_ms\":300}]}"
rm -f "$W/out" "$W/err"
"$LOCO" query "hello" >"$W/out" 2>"$W/err" &
pid=$!
i=0
while [ ! -s "$W/out" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT $pid
wait $pid
RC=$?
expect_rc 130
expect_err "loco: interrupted"
expect_out_has "one"
if grep -q eight "$W/out"; then fail "the answer was not cut short"; else pass; fi

t "an answer cut at the token limit is marked, naming the setting to raise"
script '{"models":["qwen3:4b-instruct-2507-q4_K_M"],"chat":[{"reply":"The answer is 4","chunk_size":4,"done_reason":"length"}]}'
run_loco query --adapter none "What is 2+2?"
expect_rc 0
expect_out "The answer is 4"
expect_err_has "loco: the answer was cut at the token limit (done_reason \"length\"): raise options.num_ctx (--num-ctx)"
run_loco query --adapter none --num-predict 3 "What is 2+2?"
expect_err_has "loco: the answer was cut at the token limit (done_reason \"length\"): raise options.num_predict (--num-predict)"
run_loco query --adapter none --json "What is 2+2?"
expect_eq "$(json 'out.truncated + " " + out.done_reason')" "true length" "truncated"
run_loco query --adapter none --quiet "What is 2+2?"
expect_err_empty

t "a vote counts cut samples invalid"
script '{"models":["qwen3:4b-instruct-2507-q4_K_M"],"chat":[{"match":{"seed":1},"reply":"5","done_reason":"length"},{"reply":"4"}]}'
run_loco query --adapter none --votes 3 --seed 1 --answer-type number --json "What is 2+2?"
expect_rc 0
expect_eq "$(json 'out.vote.answer + " " + out.vote.invalid + " " + out.truncated')" "4 1 false" "vote"
expect_eq "$(json 'out.vote.note')" "1 of 3 samples were cut at the token limit (counted invalid)" "note"

area_end
