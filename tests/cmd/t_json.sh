#!/bin/sh
# t_json.sh: the scripting contract of loco-json(7).  Every --json output,
# and the file chat's /save FILE.json writes, is checked against its shape
# in tests/json/ (by tests/json/validate.js, which is tested first); query
# --json --stream against the scripted backend: the events in order, one a
# line, flushed as they come, the error event with its exit status, SIGINT;
# each exit status scripts tell apart, with --json; and the shapes against
# the page, so neither drifts.
. "$TOP/tests/cmd/lib.sh"
area_begin json

SCHEMAS=$TOP/tests/json
VALIDATE=$SCHEMAS/validate.js
PAGE=$TOP/man/loco-json.7
MODELS='"models":["qwen3:4b-instruct-2507-q4_K_M","loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-writing:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-analysis:1.0.0-qwen3-4b-instruct-2507-q4_K_M"]'
Q='What is the sum of 2 and 2?'
: >"$W/used"

# noout: checks that read no command's output; show none on failure.
noout() {
	: >"$W/out"
	: >"$W/err"
}

# validate [--lines] SCHEMA FILE: run the validator, problems in $W/verr.
validate() {
	node "$VALIDATE" "$@" 2>"$W/verr"
}

# shape SCHEMA: stdout is one document that fits tests/json/SCHEMA.json.
shape() {
	echo "$1" >>"$W/used"
	if validate "$SCHEMAS/$1.json" "$W/out"; then pass; else
		fail "stdout does not fit $1.json:
$(sed 's/^/  /' "$W/verr")"
	fi
}

# shape_lines SCHEMA: stdout is JSON Lines, each line fitting SCHEMA.
shape_lines() {
	echo "$1" >>"$W/used"
	if validate --lines "$SCHEMAS/$1.json" "$W/out"; then pass; else
		fail "stdout does not fit $1.json line by line:
$(sed 's/^/  /' "$W/verr")"
	fi
}

# ev EXPR: evaluate EXPR over the events on stdout (as "ev", an array).
ev() {
	node -e '
		const ev = require("fs").readFileSync(process.argv[1], "utf8")
		    .split("\n").filter(Boolean).map((l) => JSON.parse(l));
		const v = eval(process.argv[2]);
		process.stdout.write(typeof v === "string" ? v : (JSON.stringify(v) ?? ""));
	' "$W/out" "$1"
}

# ---------------------------------------------------------------------
# The validator itself: it must catch what it is there to catch.

# vcheck WHAT SCHEMA DOC EXPECTED_STATUS [EXPECTED_MESSAGES]
vcheck() {
	CURRENT="validator: $1"
	printf '%s' "$3" >"$W/doc"
	: >"$W/out"
	validate $2 "$W/doc"
	RC=$?
	cp "$W/verr" "$W/err"
	expect_rc "$4"
	[ $# -lt 5 ] || expect_err "$5"
}
V=$SCHEMAS/version.json
GOOD='{"version":"0.1.0","libraries":{"libcurl":"8.5.0","cjson":"1.7.17","libyaml":"0.2.5"}}'
vcheck "a valid document" "$V" "$GOOD" 0
vcheck "a missing field" "$V" '{"version":"0.1.0","libraries":{"libcurl":"8","cjson":"1"}}' 1 \
    'validate: $.libraries.libyaml: missing'
vcheck "a mistyped field" "$V" '{"version":1,"libraries":{"libcurl":"8","cjson":"1","libyaml":"0"}}' 1 \
    'validate: $.version: expected string, got integer'
vcheck "null where none is allowed" "$V" '{"version":null,"libraries":{"libcurl":"8","cjson":"1","libyaml":"0"}}' 1 \
    'validate: $.version: expected string, got null'
vcheck "an undocumented field" "$V" '{"version":"0.1.0","extra":true,"libraries":{"libcurl":"8","cjson":"1","libyaml":"0"}}' 1 \
    'validate: $.extra: not in the schema'
vcheck "a pattern" "$V" '{"version":"x","libraries":{"libcurl":"8","cjson":"1","libyaml":"0"}}' 1 \
    'validate: $.version: "x" does not match /^[0-9]+\.[0-9]+\.[0-9]+/'
vcheck "a number for an integer" "$SCHEMAS/bench-check.json" \
    '{"file":"f","cases":1.5,"sha256":"sha256:0000000000000000000000000000000000000000000000000000000000000000","types":{}}' 1 \
    'validate: $.cases: expected integer, got number'
vcheck "an enum" "$SCHEMAS/adapters-remove.json" '{"name":"a","version":"1","model":"m","model_status":"gone"}' 1 \
    'validate: $.model_status: "gone" is not one of "deleted", "kept", "not_found", "failed"'
vcheck "nested through \$ref" "$SCHEMAS/config-key.json" '{"key":"k","value":[],"source":"default"}' 1 \
    'validate: $.value: expected boolean or number or string or null, got array'
vcheck "a map's values" "$SCHEMAS/router-train.json" \
    '{"file":"f","examples":1,"classes":{"math":"1"},"features":1,"temperature":1,"data_sha256":"0000000000000000000000000000000000000000000000000000000000000000"}' 1 \
    'validate: $.classes.math: expected integer, got string'
vcheck "not JSON" "$V" '{"version":' 1
vcheck "an event of the wrong shape" "--lines $SCHEMAS/query-stream.json" '{"type":"token","content":7}
' 1 'validate: line 1: $.content: expected string, got integer'
vcheck "an unknown event" "--lines $SCHEMAS/query-stream.json" '{"type":"token","content":"a"}
{"type":"nope"}
' 1 'validate: line 2: $.type: unknown "nope"'
vcheck "the done event is the query object" "--lines $SCHEMAS/query-stream.json" '{"type":"done","answer":"4"}
' 1
if grep -qxF 'validate: line 1: $.stats: missing' "$W/err"; then pass; else fail "done event not checked as a query object"; fi
vcheck "a line that is not JSON" "--lines $SCHEMAS/query-stream.json" '{"type":"token","content":"a"}
oops
' 1
if grep -q '^validate: line 2: \$: not JSON' "$W/err"; then pass; else fail "bad line not reported"; fi
vcheck "a stream without its last newline" "--lines $SCHEMAS/query-stream.json" '{"type":"token","content":"a"}' 1 \
    'validate: the last line has no newline'
printf '{"type":"object","requird":["x"]}' >"$W/typo.json"
vcheck "a schema with a typo" "$W/typo.json" '{}' 2 \
    "validate: typo.json #: unknown keyword 'requird'"

t "every schema loads"
noout
for s in "$SCHEMAS"/*.json; do
	if node "$VALIDATE" --fields "$s" >/dev/null 2>"$W/err"; then pass; else fail "$(basename "$s") does not load"; fi
done

t "every field of the shapes is on the page"
noout
node "$VALIDATE" --fields "$SCHEMAS"/*.json >"$W/fields"
for f in $(cat "$W/fields"); do
	if grep -Eq "(^\.| )Cm ([a-z0-9_]+ , )*$f( |$)" "$PAGE"; then pass; else
		fail "field '$f' of tests/json is not described in loco-json.7"
	fi
done

# ---------------------------------------------------------------------
# query --json

t "query --json"
script "{$MODELS,\"chat\":[{\"reply\":\"The answer is: 4\",\"metrics\":{\"eval_count\":10,\"eval_duration\":500000000,\"prompt_eval_count\":30}}]}"
run_loco query --json "$Q"
expect_rc 0
expect_err_empty
shape query
expect_eq "$(json 'out.routing.method + " " + out.adapter + " " + out.stats.tokens_per_second')" "router math 20" "fields"
cp "$W/out" "$W/query.json"

t "query --json: thinking, forced adapter, no timings"
MODELS_THINK='"models":[{"name":"qwen3:4b-instruct-2507-q4_K_M","capabilities":["completion","thinking"]},"loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-writing:1.0.0-qwen3-4b-instruct-2507-q4_K_M","loco-analysis:1.0.0-qwen3-4b-instruct-2507-q4_K_M"]'
script "{$MODELS_THINK,\"chat\":[{\"reply\":\"42\",\"thinking\":\"hmm\",\"metrics\":{\"eval_duration\":0}}]}"
run_loco query --json --think --adapter none "hello"
expect_rc 0
shape query
expect_eq "$(json '[out.thinking, out.adapter, out.routing.method, Object.keys(out.routing).length].join(" ")')" "hmm  flag 1" "fields"

t "query --json with votes and a fallback"
script '{"models":["qwen3:4b-instruct-2507-q4_K_M"],"chat":[{"replies":["The answer is 4","The answer is 5"]}]}'
run_loco query --json --votes 3 --seed 7 "$Q"
expect_rc 0
shape query
expect_eq "$(json '[out.fallback, out.wanted_model, out.vote.requested, out.vote.votes["4"]].join(" ")')" "true loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M 3 2" "fields"

# ---------------------------------------------------------------------
# query --json --stream

t "stream: route, tokens, done"
script "{$MODELS,\"chat\":[{\"reply\":\"The answer is: 4\",\"chunk_size\":3,\"metrics\":{\"eval_count\":10,\"eval_duration\":500000000,\"prompt_eval_count\":30}}]}"
run_loco query --json --stream "$Q"
expect_rc 0
expect_err_empty
shape_lines query-stream
expect_eq "$(ev 'ev.map((e) => e.type).join(" ")')" "route token token token token token token done" "events in order"
expect_eq "$(ev 'ev.filter((e) => e.type === "token").map((e) => e.content).join("|")')" "The| an|swe|r i|s: |4" "pieces as sent"
expect_eq "$(ev 'ev.filter((e) => e.type === "token").map((e) => e.content).join("") === ev.at(-1).answer')" true "tokens make the answer"
expect_eq "$(ev 'require("fs").readFileSync(process.argv[1], "utf8").split("\n").slice(0, -1).every((l) => /^\{"type":"[a-z]+",/.test(l) && !/\t/.test(l))')" true "one compact object a line, type first"
expect_eq "$(ev 'const q = JSON.parse(require("fs").readFileSync(process.argv[1].replace(/out$/, "query.json"))); const d = ev.at(-1); Object.keys(q).join() === Object.keys(d).filter((k) => k !== "type").join()')" true "done has the fields of --json"
expect_eq "$(ev 'JSON.stringify(ev[0].routing) === JSON.stringify(ev.at(-1).routing) && ev[0].prompt === ev.at(-1).prompt')" true "route event matches done"

t "stream: thinking before the answer"
script "{$MODELS_THINK,\"chat\":[{\"reply\":\"42\",\"thinking\":\"let me see\",\"chunk_size\":5}]}"
run_loco query --json --stream --think "hello"
expect_rc 0
shape_lines query-stream
expect_eq "$(ev 'ev.map((e) => e.type).join(" ")')" "route thinking thinking token done" "events in order"
expect_eq "$(ev 'ev.filter((e) => e.type === "thinking").map((e) => e.content).join("") === ev.at(-1).thinking')" true "thoughts"

t "stream: fallback event"
script '{"models":["qwen3:4b-instruct-2507-q4_K_M"],"chat":[{"reply":"four"}]}'
run_loco query --json --stream "$Q"
expect_rc 0
shape_lines query-stream
expect_eq "$(ev 'ev.map((e) => e.type).join(" ")')" "route fallback token done" "events in order"
expect_eq "$(ev 'ev[0].model + " " + ev[1].model + " " + ev[1].wanted_model + " " + ev.at(-1).model')" "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M qwen3:4b-instruct-2507-q4_K_M loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M qwen3:4b-instruct-2507-q4_K_M" "models"

t "stream: a sample event per vote"
script "{$MODELS,\"chat\":[{\"replies\":[\"The answer is 4\",\"The answer is 5\",\"The answer is 4\",\"The answer is 4\",\"The answer is 4\"]}]}"
run_loco query --json --stream --votes 5 --parallel 1 --seed 1 "$Q"
expect_rc 0
shape_lines query-stream
expect_eq "$(ev 'ev.map((e) => e.type).join(" ")')" "route sample sample sample sample done" "events in order (early stop after 4)"
expect_eq "$(ev 'ev.filter((e) => e.type === "sample").map((e) => e.index + ":" + e.seed + ":" + e.answer + ":" + e.completed + "/" + e.requested).join(" ")')" \
    "0:1:4:1/5 1:2:5:2/5 2:3:4:3/5 3:4:4:4/5" "samples"
expect_eq "$(ev 'ev.at(-1).vote.saved + " " + ev.at(-1).vote.answer')" "1 4" "done carries the vote"

t "stream: an error in the middle of the answer"
script "{$MODELS,\"chat\":[{\"reply\":\"partial answer here\",\"fault\":\"error_midstream\",\"error\":\"out of memory\"}]}"
run_loco query --json --stream "hello"
expect_rc 1
expect_err "loco: Ollama failed during the answer: out of memory"
shape_lines query-stream
expect_eq "$(ev 'ev.map((e) => e.type).filter((t, i, a) => t !== a[i - 1]).join(" ")')" "route token error" "events in order"
expect_eq "$(ev 'JSON.stringify(ev.at(-1))')" '{"type":"error","message":"Ollama failed during the answer: out of memory","exit":1}' "error event"

t "stream: a stream cut short"
script "{$MODELS,\"chat\":[{\"reply\":\"cut short here\",\"fault\":\"truncate\"}]}"
run_loco query --json --stream "hello"
expect_rc 1
shape_lines query-stream
expect_eq "$(ev 'ev.at(-1).type + " " + ev.at(-1).exit')" "error 1" "error event"

t "stream: errors before the answer end the stream the same way"
script '{"models":[]}'
run_loco query --json --stream "hello"
expect_rc 4
shape_lines query-stream
expect_eq "$(ev 'ev.map((e) => e.type).join(" ") + " " + ev.at(-1).exit')" "route error 4" "model missing"
OLLAMA_HOST=127.0.0.1:1 run_loco query --json --stream "hello"
expect_rc 3
shape_lines query-stream
expect_eq "$(ev 'ev.at(-1).exit + " " + ev.at(-1).message')" "3 cannot reach Ollama at http://127.0.0.1:1: is 'ollama serve' running?" "unreachable"
run_loco query --json --stream --adapter nope "hello"
expect_rc 2
shape_lines query-stream
expect_eq "$(ev 'ev.length + " " + ev[0].type + " " + ev[0].exit')" "1 error 2" "unknown adapter: the error event alone"

t "stream: command-line errors print no event"
run_loco query --json --stream --bogus "hello"
expect_rc 2
expect_out_empty
run_loco query --json --stream
expect_rc 2
expect_out_empty
run_loco query --stream "hello"
expect_rc 2
expect_out_empty
expect_err "loco: --stream needs --json: without it the answer streams as text already
$("$LOCO" query -h | head -n 1)"

# Each piece is flushed as it comes: with 300 ms between pieces, the
# first token is in the file long before loco ends.  (Without the flush
# a file gets nothing until exit.)
t "stream: each event is flushed at once"
script "{$MODELS,\"chat\":[{\"reply\":\"one two three four five six seven eight\",\"chunk_size\":5,\"chunk_delay_ms\":300}]}"
rm -f "$W/out" "$W/err"
"$LOCO" query --json --stream "hello" >"$W/out" 2>"$W/err" </dev/null &
pid=$!
i=0
while ! grep -q '"type":"token"' "$W/out" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
if kill -0 $pid 2>/dev/null; then pass; else fail "loco had ended before its first token event was seen"; fi
expect_eq "$(grep -c '"type":"done"' "$W/out")" 0 "no done yet"
wait $pid
RC=$?
expect_rc 0
shape_lines query-stream
expect_eq "$(ev 'ev.filter((e) => e.type === "token").length')" 8 "token events"

t "stream: Ctrl-C ends with an error event and 130"
rm -f "$W/out" "$W/err"
"$LOCO" query --json --stream "hello" >"$W/out" 2>"$W/err" </dev/null &
pid=$!
i=0
while ! grep -q '"type":"token"' "$W/out" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT $pid
wait $pid
RC=$?
expect_rc 130
expect_err "loco: interrupted"
shape_lines query-stream
expect_eq "$(ev 'JSON.stringify(ev.at(-1))')" '{"type":"error","message":"interrupted","exit":130}' "last event"
expect_eq "$(ev 'ev.some((e) => e.type === "done")')" false "no done"

# ---------------------------------------------------------------------
# history and chat: the entries that query and chat append, and the file
# chat's /save writes

MATH_REPLY='{"match":{"model":"loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"},"reply":"The answer is: 4","metrics":{"eval_count":10,"eval_duration":500000000,"prompt_eval_count":30}}'

t "history --json: a query, a vote, a verdict"
script "{$MODELS,\"chat\":[$MATH_REPLY]}"
run_loco query --quiet "$Q"
expect_rc 0
run_loco history --json -n 1
expect_rc 0
shape history
id=$(json 'out[0].id')
script "{$MODELS,\"chat\":[{\"replies\":[\"The answer is 4\",\"The answer is 5\"]}]}"
run_loco query --quiet --votes 3 --seed 7 "$Q"
expect_rc 0
run_loco history --feedback "$id" good
expect_rc 0
expect_out "entry $id marked good"
run_loco history --json -n 2
expect_rc 0
expect_err_empty
shape history
expect_eq "$(json '[out[0].id === '"$id"', out[0].kind, out[0].adapter, out[0].route, out[0].confidence, out[0].feedback, out[0].vote].join(" ")')" \
    "true query math router 1 good " "the plain query, graded"
expect_eq "$(json '[out[0].session, out[0].stats.prompt_tokens, out[0].stats.answer_tokens, out[0].stats.eval_seconds].join(" ")')" \
    " 30 10 0.5" "its stats"
expect_eq "$(json '[out[1].id === '"$id"' + 1, out[1].feedback, out[1].vote.method, out[1].vote.answer, out[1].vote.votes["4"]].join(" ")')" \
    "true  majority 4 2" "the vote"

run_loco history show --json "$id"
expect_rc 0
shape history-show
expect_eq "$(json '[out.id, out.feedback].join(" ")')" "$id good" "history show --json: the entry"

t "chat /save FILE.json"
script "{$MODELS,\"chat\":[$MATH_REPLY,{\"reply\":\"Hello from the base.\"}]}"
run_loco_stdin "$Q
why?
/system Be terse.
/save $W/c.json
" chat
expect_rc 0
expect_out "The answer is: 4
The answer is: 4"
expect_err_has "[saved 2 turns to $W/c.json]"
cp "$W/c.json" "$W/out"
shape chat-save
session=$(json 'out.session')
expect_eq "$(json '[out.base_model, out.system, out.turns.length].join(" ")')" "qwen3:4b-instruct-2507-q4_K_M Be terse. 2" "the conversation"
expect_eq "$(json 'out.turns.map((t) => [t.adapter, t.model, t.decision, t.prompt_tokens, t.answer_tokens, t.interrupted, t.in_context].join(" ")).join("|")')" \
    "math loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M [router -> math 1.00] 30 10 false true|math loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M [router -> math, follow-up] 30 10 false true" "turns"
run_loco_stdin "/save $W/empty.json
" chat --adapter none
expect_rc 0
cp "$W/empty.json" "$W/out"
shape chat-save
expect_eq "$(json '[out.system, out.turns.length].join(" ")')" " 0" "no turns, no system prompt"

t "history --json: chat turns"
run_loco history --json -n 2
expect_rc 0
shape history
expect_eq "$(json 'out.map((e) => [e.kind, e.session === "'"$session"'", e.question, e.route, e.confidence, e.feedback, e.vote].join(" ")).join("|")')" \
    "chat true $Q router 1  |chat true why? follow-up   " "kind, session, route"

# Every entry the tests above left, the interrupted stream among them.
t "history --json: every entry so far"
run_loco history --json -n 0
expect_rc 0
shape history
expect_eq "$(json 'out.some((e) => e.interrupted) && out.some((e) => e.adapter === null)')" true "interrupted and base-model entries"

# ---------------------------------------------------------------------
# route and router

t "route --json, --explain"
run_loco route --json "$Q"
expect_rc 0
shape route
run_loco route --json --explain "$Q"
expect_rc 0
shape route
expect_eq "$(json 'out.link')" keyword "link"

t "router train --json, then the classifier"
run_loco router train --json
expect_rc 0
expect_err_empty
shape router-train
expect_eq "$(json 'out.file')" "$LOCO_HOME/router.model" "file"
run_loco route --json --explain "Solve for x: 3x + 4 = 19"
expect_rc 0
shape route
expect_eq "$(json 'out.router')" classifier "router"
printf 'math\tWhat is 3 + 4?\nnone\tHello there\ncode\tWrite a Python function\n' >"$W/labels.tsv"
run_loco router eval --json "$W/labels.tsv"
expect_rc 0
shape router-eval
run_loco router eval --json --router keyword "$W/labels.tsv"
expect_rc 0
shape router-eval
expect_eq "$(json 'out.ece')" null "no ECE for keywords"

# The oracle, as in t_router.sh: benchmarks named after their domain,
# scripted replies.  The keyword router sends m1 to math (right), m2 to
# code (wrong, and code answers worse than math) and n1 to the base model
# (right: "none").  Nothing in this object is ever null.
mkdir -p "$W/oracle"
cat >"$W/oracle/math.jsonl" <<'EOB'
{"id":"m1","instruction":"Solve 2x = 10. What is x?","expected_output":"5","evaluation_type":"exact_match","evaluation_config":{"answer_type":"number"}}
{"id":"m2","instruction":"In Python code, what is 6*7?","expected_output":"42","evaluation_type":"exact_match","evaluation_config":{"answer_type":"number"}}
EOB
cat >"$W/oracle/none.jsonl" <<'EOB'
{"id":"n1","instruction":"Please greet me.","expected_output":"hello","evaluation_type":"contains"}
EOB
ORACLE_SCRIPT='{'"$MODELS"',"chat":[
{"match":{"model":"loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M","contains":"Solve 2x"},"reply":"The answer is 5"},
{"match":{"model":"qwen3:4b-instruct-2507-q4_K_M","contains":"Solve 2x"},"reply":"The answer is 4"},
{"match":{"model":"loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M","contains":"6*7"},"reply":"The answer is 42"},
{"match":{"model":"loco-code:1.0.0-qwen3-4b-instruct-2507-q4_K_M","contains":"6*7"},"reply":"The answer is 43"},
{"match":{"model":"qwen3:4b-instruct-2507-q4_K_M","contains":"greet"},"reply":"Why, hello there."},
{"reply":"I do not know"}]}'

t "router eval --oracle --json"
script "$ORACLE_SCRIPT"
run_loco router eval --oracle --json --router keyword --jobs 2 "$W/oracle/math.jsonl" "$W/oracle/none.jsonl"
expect_rc 0
expect_err_empty
shape router-oracle
expect_eq "$(json '[out.router, out.cases, out.correct, out.routed_best, out.mean_regret, out.requests]')" '["keyword",3,2,2,0.3333,15]' "scores"
expect_eq "$(json 'out.fixed.map((f) => f.subject).join() + " " + Object.keys(out.per_case[0].scores).join()')" \
    "math,code,analysis,writing,base math,code,analysis,writing,base" "subjects"
expect_eq "$(json 'out.per_case.map((c) => [c.id, c.expected, c.routed, c.label_right].join(":")).join(" ")')" \
    "m1:math:math:true m2:math:code:false n1:none:base:true" "cases"
expect_eq "$(json 'out.benchmarks.map((b) => b.domain + ":" + b.cases).join(" ")')" "math:2 none:1" "benchmarks"

t "router eval --oracle --json: an empty group, the classifier, from the cache"
run_loco router eval --oracle --json --router keyword --limit 1 "$W/oracle/math.jsonl"
expect_rc 0
shape router-oracle
expect_eq "$(json 'JSON.stringify(out.wrong_label) + " " + out.requests')" \
    '{"cases":0,"mean_regret":0,"costly":0,"worse_than_base":0} 0' "no wrong label: zeros"
run_loco router eval --oracle --json --router classifier "$W/oracle/math.jsonl" "$W/oracle/none.jsonl"
expect_rc 0
shape router-oracle
expect_eq "$(json 'out.router + " " + out.cases')" "classifier 3" "classifier"

# ---------------------------------------------------------------------
# adapters

A=$LOCO_HOME/adapters
# mkpkg NAME VERSION [bad]: a package in $W/pkgs; "bad" breaks its sums.
mkpkg() {
	d="$W/src/$1-$2"
	rm -rf "$d" && mkdir -p "$d" "$W/pkgs"
	node "$TOP/tests/cmd/mkgguf.js" "$d/$1.gguf" general.architecture=s:qwen3 general.name=s:$1-$2
	printf 'name: %s\nversion: %s\ndomain: math\ntype: lora\ndescription: solver %s\nfile: %s.gguf\nrouter_keywords: [solve]\n' \
	    "$1" "$2" "$2" "$1" >"$d/adapter.yaml"
	(cd "$d" && sha256sum adapter.yaml "$1.gguf" >SHA256SUMS)
	[ "${3:-}" != bad ] || sed -i 's/^[0-9a-f]/0/' "$d/SHA256SUMS"
	(cd "$d" && tar -czf "$W/pkgs/$1-$2.tar.gz" adapter.yaml "$1.gguf" SHA256SUMS)
}
mkpkg solver 1.0.0
mkpkg solver 1.1.0
mkpkg broken 1.0.0 bad
{
	echo "packages:"
	for v in 1.0.0 1.1.0; do
		f="$W/pkgs/solver-$v.tar.gz"
		printf '  - {name: solver, version: %s, domain: math, description: "solver %s", tags: [algebra], url: solver-%s.tar.gz, size: %s, sha256: %s}\n' \
		    "$v" "$v" "$v" "$(wc -c <"$f" | tr -d ' ')" "$(sha256sum "$f" | cut -d' ' -f1)"
	done
	echo "  - {name: bare, version: 0.1.0, url: bare.tar.gz, sha256: $(printf '0%.0s' $(seq 64))}"
} >"$W/pkgs/index.yaml"

t "adapters list --json, with and without a server"
script "{$MODELS}"
run_loco adapters list --json
expect_rc 0
shape adapters-list
expect_eq "$(json 'out.map((a) => a.present).join()')" "true,true,true,true" "present"
run_loco adapters list --json --host 127.0.0.1:1
expect_rc 0
shape adapters-list
expect_eq "$(json 'out.map((a) => a.present).join()')" ",,," "unknown: null"

t "adapters search --json"
run_loco adapters search --json --index "$W/pkgs/index.yaml"
expect_rc 0
shape adapters-search
expect_eq "$(json 'out.map((p) => p.name + "@" + p.version + ":" + p.size + ":" + p.domain).join(" ")')" \
    "solver@1.0.0:$(wc -c <"$W/pkgs/solver-1.0.0.tar.gz" | tr -d ' '):math solver@1.1.0:$(wc -c <"$W/pkgs/solver-1.1.0.tar.gz" | tr -d ' '):math bare@0.1.0:-1:null" "packages"

t "adapters install --json"
run_loco adapters install --json "$W/pkgs/solver-1.0.0.tar.gz"
expect_rc 0
expect_err_empty
shape adapters-install
expect_eq "$(json 'out.name + " " + out.version')" "solver 1.0.0" "installed"

t "adapters info --json"
run_loco adapters info --json math
expect_rc 0
shape adapters-info
run_loco adapters info --json solver
expect_rc 0
shape adapters-info
expect_eq "$(json '[out[0].installed_package, out[0].stale, out[0].sha256].join(" ")')" "true  " "fields"

t "adapters promote --json"
run_loco adapters promote --json solver
expect_rc 0
shape adapters-promote
expect_eq "$(json 'Object.values(out).join(" ")')" "solver 1.0.0 math" "promoted"

t "adapters update --json"
run_loco adapters update --json --index "$W/pkgs/index.yaml"
expect_rc 0
shape adapters-update
expect_eq "$(json 'JSON.stringify(out.updated)')" '[{"name":"solver","from":"1.0.0","to":"1.1.0","promoted":true}]' "updated"
run_loco adapters update --json --index "$W/pkgs/index.yaml"
expect_rc 0
shape adapters-update
expect_eq "$(json 'out.updated.length')" 0 "up to date"

t "adapters remove --json"
script '{"models":["qwen3:4b-instruct-2507-q4_K_M",{"name":"loco-solver:1.1.0-qwen3-4b-instruct-2507-q4_K_M"}]}'
run_loco adapters remove --json --keep-model solver@1.0.0
expect_rc 0
shape adapters-remove
expect_eq "$(json 'out.model + " " + out.model_status')" "loco-solver:1.0.0-qwen3-4b-instruct-2507-q4_K_M kept" "kept"
run_loco adapters remove --json solver@1.1.0
expect_rc 0
shape adapters-remove
expect_eq "$(json 'out.model_status')" deleted "deleted"

t "adapters add --json, then remove it: not in Ollama"
printf 'FROM qwen3:4b-instruct-2507-q4_K_M\nSYSTEM Be terse.\n' >"$W/terse.Modelfile"
run_loco adapters add --json --domain writing --modelfile "$W/terse.Modelfile" terse
expect_rc 0
shape adapters-add
expect_eq "$(json 'out.type + " " + out.version')" "prompt 1.0.0" "added"
run_loco adapters remove --json terse
expect_rc 0
shape adapters-remove
expect_eq "$(json 'out.model_status')" not_found "not found"

# ---------------------------------------------------------------------
# setup and doctor

t "setup --json: first run, then nothing to do"
script '{"models":[],"pullable":["qwen3:4b-instruct-2507-q4_K_M"]}'
run_loco setup --json
expect_rc 0
shape setup
expect_eq "$(json '[out.config_written, out.base.outcome, out.adapters.map((a) => a.outcome).join(), out.created, out.pulled, out.changed].join(" ")')" \
    "$LOCO_HOME/config.yaml pulled created,created,created,created 4 1 true" "first run"
run_loco setup --json
expect_rc 0
shape setup
expect_eq "$(json '[out.config_written, out.base.outcome, out.adapters.map((a) => a.outcome).join(), out.changed].join(" ")')" \
    " present current,current,current,current false" "second run"

t "doctor --json"
run_loco doctor --json
shape doctor
expect_eq "$RC" "$(json 'out.every((c) => c.ok) ? 0 : 1')" "exit status as the checks"
expect_eq "$(json 'out.filter((c) => c.check.startsWith("adapter ")).every((c) => c.ok && c.fix === null)')" true "adapters current"

t "setup --json when an adapter fails: the object and the failure's status"
node "$TOP/tests/cmd/mkgguf.js" "$W/bad.gguf" general.architecture=s:llama
cat >"$W/bad-registry.yaml" <<YAML
base_model:
  name: Qwen3-4B
  tag: qwen3:4b-instruct-2507-q4_K_M
  architecture: qwen3
adapters:
  - name: bad
    version: 1.0.0
    domain: math
    type: lora
    description: for another architecture
    file: bad.gguf
  - name: writer
    version: 1.0.0
    domain: writing
    type: prompt
    description: a prompt adapter
    system: Write well.
YAML
script '{"models":[{"name":"qwen3:4b-instruct-2507-q4_K_M","architecture":"qwen3"}]}'
run_loco --registry "$W/bad-registry.yaml" setup --json --quiet
expect_rc 5
shape setup
expect_eq "$(json 'out.adapters.map((a) => a.outcome).join() + " " + out.failed + " " + /architecture .llama./.test(out.adapters[0].error)')" "failed,created 1 true" "outcomes"
run_loco --registry "$W/bad-registry.yaml" doctor --json
expect_rc 1
shape doctor

# ---------------------------------------------------------------------
# eval, leaderboard, report

mkdir -p "$LOCO_HOME/benchmarks"
: >"$LOCO_HOME/benchmarks/math.jsonl"
for i in 1 2 3 4; do
	printf '{"id":"m%d","instruction":"What is %d+%d?","expected_output":"%d","evaluation_type":"exact_match","evaluation_config":{"answer_type":"number"}}\n' $i $i $i $((2 * i)) >>"$LOCO_HOME/benchmarks/math.jsonl"
done
EVAL_SCRIPT=$(node -e '
	const chat = [];
	for (let i = 1; i <= 4; i++) {
		chat.push({ match: { model: "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M", contains: `What is ${i}+${i}?\n` }, reply: `The answer is ${2 * i}` });
		chat.push({ match: { model: "qwen3:4b-instruct-2507-q4_K_M", contains: `What is ${i}+${i}?\n` }, reply: `The answer is ${i % 2 ? 2 * i : 0}` });
	}
	console.log(JSON.stringify({ models: ["qwen3:4b-instruct-2507-q4_K_M", "loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"], chat }));')

t "eval --json, and the gate's status with it"
script "$EVAL_SCRIPT"
run_loco eval --json --output "$W/run1" math
expect_rc 0
shape eval
expect_eq "$(json 'out.scores.adapter.passed + " " + out.scores.base.passed + " " + out.run')" "4 2 $W/run1" "scores"
run_loco eval --format json --gate --output "$W/run2" math
expect_rc 6
expect_err "loco: gate failed: the difference is not significant (McNemar p = 0.5, not below 0.05): only 2 cases told the models apart, and at least 6 are needed; use a larger benchmark"
shape eval
expect_eq "$(json 'out.gate.passed')" false "gate"

t "eval --json --base"
run_loco eval --json --base --output "$W/run3" math
expect_rc 0
shape eval
expect_eq "$(json '[out.adapter, "adapter" in out.scores, "mcnemar" in out].join(" ")')" " false false" "base only"

t "eval --json --grid"
run_loco eval --json --grid --limit 2 --output "$W/run4" math
expect_rc 0
shape eval-grid
expect_eq "$(json 'out.grid.length')" 8 "cells"

t "eval --json --ensemble"
run_loco eval --json --ensemble --limit 2 --output "$W/run5" math
expect_rc 0
shape eval-ensemble
expect_eq "$(json 'out.ensemble.members.length + " " + out.ensemble.best.adapter + " " + out.ensemble.answers')" "1 math 2" "an ensemble of one"

t "leaderboard --json"
run_loco leaderboard --json
expect_rc 0
shape leaderboard
expect_eq "$(json 'out.find((d) => d.domain === "math").results.map((r) => r.rank + ":" + r.adapter + ":" + r.active).join()')" "1:math:true" "math"
run_loco leaderboard --format json --domain code
expect_rc 0
shape leaderboard

t "report --json"
run_loco report --json
expect_rc 0
shape report
expect_eq "$(json 'out.run + " " + out.results.map((r) => r.domain + ":" + r.adapter).join()')" "null math:math" "archive"
run_loco report --format json "$W/run1"
expect_rc 0
shape report
expect_eq "$(json 'out.run')" "$W/run1/results.json" "one run"
run_loco report --json --by-semester
expect_rc 0
shape report-terms
expect_eq "$(json 'out.adapters.map((a) => a.adapter + ":" + a.terms.length + ":" + a.change).join()')" "math:1:null" "terms"

t "runs --json, runs show --json, runs diff --json"
run_loco runs --json
expect_rc 0
shape runs-list
expect_eq "$(json 'out.filter((r) => r.dir === "'"$W/run1"'").map((r) => r.status + " " + r.accuracy.adapter + " " + r.accuracy.base).join()')" "complete 1 0.5" "run1, found through the archive"
run_loco runs show --json "$W/run1"
expect_rc 0
shape runs-show
expect_eq "$(json 'out.cases.map((c) => c.id + ":" + c.adapter.pass + ":" + c.base.pass).join(" ")')" "m1:true:true m2:true:false m3:true:true m4:true:false" "cases"
run_loco runs show --json --failures "$W/run3"
expect_rc 0
shape runs-show
expect_eq "$(json 'out.kind + " " + out.cases.map((c) => c.id + ":" + c.adapter + ":" + c.base.pass).join(" ")')" "base m2:null:false m4:null:false" "a base run's failures"
run_loco runs diff --json "$W/run1" "$W/run3"
expect_rc 0
shape runs-diff
expect_eq "$(json '[out.cases, out.a.only_right.join(), out.b.only_right.join(), out.mcnemar.p].join(" ")')" "4 m2,m4  0.5" "the adapter against the base run"

# ---------------------------------------------------------------------
# bench, config, version

t "bench check --json"
run_loco bench check --json "$LOCO_HOME/benchmarks/math.jsonl"
expect_rc 0
shape bench-check
expect_eq "$(json 'out.cases + " " + JSON.stringify(out.types)')" '4 {"exact_match":4}' "counts"

t "bench import --json --output"
printf '{"question":"Tom has 3 apples and buys 2. How many?","answer":"He has 3 + 2 = 5.\\n#### 5"}\n' >"$W/gsm.jsonl"
run_loco bench import --json --format gsm8k --output "$W/gsm-out.jsonl" "$W/gsm.jsonl"
expect_rc 0
expect_err_empty
shape bench-import
expect_eq "$(json 'out.cases + " " + out.output')" "1 $W/gsm-out.jsonl" "import"
run_loco bench import --json --format gsm8k "$W/gsm.jsonl"
expect_rc 2
expect_out_empty
expect_err_has "loco: --json needs --output: without it the benchmark itself goes to standard output"

t "config --json, one key"
run_loco config --json
expect_rc 0
shape config
LOCO_INFERENCE_VOTES=3 run_loco config --json inference.votes
expect_rc 0
shape config-key
expect_eq "$(json 'JSON.stringify(out)')" '{"key":"inference.votes","value":3,"source":"environment"}' "key"

t "version --json"
run_loco version --json
expect_rc 0
shape version

# ---------------------------------------------------------------------
# Exit statuses scripts tell apart, and no JSON on stdout with them.

t "exit 2: usage"
run_loco route --json
expect_rc 2
expect_out_empty
run_loco adapters list --json --bogus
expect_rc 2
expect_out_empty

t "exit 3: server unreachable"
run_loco query --json --host 127.0.0.1:1 "hello"
expect_rc 3
expect_out_empty
expect_err_has "loco: cannot reach Ollama at http://127.0.0.1:1: is 'ollama serve' running?"

t "exit 4: model not in Ollama"
script '{"models":[]}'
run_loco query --json --adapter none "hello"
expect_rc 4
expect_out_empty
run_loco eval --json --output "$W/run5" math
expect_rc 4
expect_out_empty

t "exit 5: integrity check failed"
run_loco adapters install --json "$W/pkgs/broken-1.0.0.tar.gz"
expect_rc 5
expect_out_empty

t "exit 6: gate failed (JSON still printed)"
noout
if [ -s "$W/run2/results.json" ]; then pass; else fail "the gated run left no results.json"; fi

t "exit 7: bad configuration"
printf 'inference:\n  bogus: 1\n' >"$LOCO_HOME/config.yaml"
run_loco config --json
expect_rc 7
expect_out_empty
rm -f "$LOCO_HOME/config.yaml"

t "every shape is exercised"
noout
for s in "$SCHEMAS"/*.json; do
	n=$(basename "$s" .json)
	[ "$n" = common ] && continue
	if grep -qx "$n" "$W/used"; then pass; else fail "no test checks output against $n.json"; fi
done

area_end
