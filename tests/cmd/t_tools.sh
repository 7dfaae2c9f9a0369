#!/bin/sh
# t_tools.sh: tool use against the scripted backend: the text form
# (<tool_call> in the answer) and the native one (Ollama's tool_calls,
# OpenAI's streamed and whole), what loco sends back (the assistant's
# call, the tool message, tool_name and tool_call_id, the tools list),
# failing and malformed calls, unknown tools, the round limit, cut
# results, the sandbox refusal and --unsafe-tools, --no-tools, the JSON
# and event shapes, history, and eval with votes.
. "$TOP/tests/cmd/lib.sh"
area_begin tools

REG=$LOCO_HOME/adapters/registry.yaml
cat >>"$REG" <<'EOF'
  - name: calc
    version: 1.0.0
    domain: math
    type: prompt
    description: arithmetic with a python tool
    system: Use the python tool for arithmetic.
    answer_type: number
    tools: [python]
    tool_format: text
    active: false
  - name: calcn
    version: 1.0.0
    domain: math
    type: prompt
    description: arithmetic with native tool calls
    answer_type: number
    tools: [python]
    tool_format: native
    active: false
EOF
SUF=1.0.0-qwen3-4b-instruct-2507-q4_K_M
MODELS="\"models\":[\"qwen3:4b-instruct-2507-q4_K_M\",\"loco-math:$SUF\",\"loco-calc:$SUF\",\"loco-calcn:$SUF\"]"
Q='What is 347 times 28?'
CALL='Let me compute. <tool_call>{\"tool\": \"python\", \"code\": \"347*28\"}</tool_call> and more'

# last EXPR: over the messages of the last chat request.
last() {
	req "(m => $1)(chats.at(-1).body.messages)"
}

t "text form: the call runs, its result goes back, the model goes on"
script "{$MODELS,\"chat\":[{\"match\":{\"tool\":\"9716\"},\"reply\":\"347 times 28 is 9716.\"},{\"reply\":\"$CALL\"}]}"
run_loco query --adapter calc "$Q"
expect_rc 0
expect_out "Let me compute. 347 times 28 is 9716."
expect_err_has "[tool python: 347*28 -> 9716]"
expect_eq "$(req 'chats.length')" 2 "requests"
expect_eq "$(last 'm.slice(2).map(x => x.role + ":" + x.content).join("|")')" \
    'assistant:Let me compute. <tool_call>{"tool": "python", "code": "347*28"}</tool_call>|tool:9716' "messages sent back"
expect_eq "$(req 'chats.map(c => c.body.tools === undefined).join(",")')" "true,true" "no tools list in the text form"

t "text form: Qwen's name/arguments call, a fence, an unclosed tag"
script "{$MODELS,\"chat\":[{\"match\":{\"tool\":\"\"},\"reply\":\"done\"},{\"reply\":\"<tool_call>\\n\`\`\`json\\n{\\\"name\\\": \\\"python\\\", \\\"arguments\\\": {\\\"code\\\": \\\"print(6*7)\\\"}}\\n\`\`\`\"}]}"
run_loco query --adapter calc "$Q"
expect_rc 0
expect_err_has "[tool python: print(6*7) -> 42]"
expect_eq "$(last 'm.at(-2).content.endsWith("</tool_call>")')" "true" "the call closed in the message sent back"

t "a program's output; a failing call returns its error to the model"
script "{$MODELS,\"chat\":[{\"match\":{\"tool\":\"ZeroDivisionError\"},\"reply\":\"cannot divide\"},{\"match\":{\"tool\":\"\"},\"reply\":\"ok\"},{\"match\":{\"contains\":\"divide\"},\"reply\":\"<tool_call>{\\\"tool\\\": \\\"python\\\", \\\"code\\\": \\\"x = 1\\\\nprint(x / 0)\\\"}</tool_call>\"},{\"reply\":\"<tool_call>{\\\"tool\\\": \\\"python\\\", \\\"code\\\": \\\"for i in range(3):\\\\n    print(i)\\\"}</tool_call>\"}]}"
run_loco query --adapter calc "count"
expect_rc 0
expect_eq "$(last 'm.at(-1).content')" "0
1
2" "stdout of a program"
run_loco query --adapter calc --json "divide by zero"
expect_rc 0
expect_eq "$(json 'out.answer')" "cannot divide" "answer"
expect_eq "$(json 'out.tools[0].error')" "ZeroDivisionError: division by zero" "error"
expect_eq "$(last 'm.at(-1).content')" "error: ZeroDivisionError: division by zero" "error sent back"

t "malformed call and unknown tool: error results naming the tools"
script "{$MODELS,\"chat\":[{\"match\":{\"tool\":\"error\"},\"reply\":\"sorry\"},{\"match\":{\"contains\":\"bad\"},\"reply\":\"<tool_call>{\\\"tool\\\": \\\"python\\\", code}</tool_call>\"},{\"reply\":\"<tool_call>{\\\"tool\\\": \\\"shell\\\", \\\"code\\\": \\\"ls\\\"}</tool_call>\"}]}"
run_loco query --adapter calc "bad call"
expect_rc 0
expect_out "sorry"
expect_eq "$(last 'm.at(-1).content')" 'error: the call is not a JSON object: {"tool": "python", code}' "malformed"
run_loco query --adapter calc "unknown"
expect_rc 0
expect_eq "$(last 'm.at(-1).content')" "error: unknown tool 'shell': the tools are python" "unknown tool"
expect_err_has "[tool shell: {\"code\":\"ls\"} -> error: unknown tool 'shell': the tools are python]"

t "sympy, where python3-sympy is installed; else an error naming the tools"
script "{$MODELS,\"chat\":[{\"match\":{\"tool\":\"\"},\"reply\":\"ok\"},{\"reply\":\"<tool_call>{\\\"tool\\\": \\\"sympy\\\", \\\"code\\\": \\\"factor(x**2 - 1)\\\"}</tool_call>\"}]}"
sed 's/tools: \[python\]/tools: [python, sympy]/' "$REG" >"$W/reg.sympy" && cp "$REG" "$W/reg.plain" && cp "$W/reg.sympy" "$REG"
run_loco query --adapter calc --json "$Q"
expect_rc 0
if [ -f /usr/lib/python3/dist-packages/sympy/__init__.py ]; then
	expect_eq "$(json 'out.tools[0].result')" "(x - 1)*(x + 1)" "sympy"
else
	expect_eq "$(json 'out.tools[0].result')" "error: sympy is not installed here (python3-sympy); the tools are python" "no sympy"
fi
cp "$W/reg.plain" "$REG"

t "a call inside thinking text is no call"
script "{$MODELS,\"chat\":[{\"reply\":\"<think>maybe <tool_call>{\\\"tool\\\": \\\"python\\\", \\\"code\\\": \\\"1\\\"}</tool_call></think>The answer is 3\"}]}"
run_loco query --adapter calc "$Q"
expect_rc 0
expect_eq "$(req 'chats.length')" 1 "one request"
if grep -q '^\[tool' "$W/err"; then fail "a call ran"; else pass; fi

t "round limit: the last call is not run, the answer is the text before it"
printf 'tools:\n  max_rounds: 2\n' >"$LOCO_HOME/config.yaml"
script "{$MODELS,\"chat\":[{\"reply\":\"again <tool_call>{\\\"tool\\\": \\\"python\\\", \\\"code\\\": \\\"1+1\\\"}</tool_call>\"}]}"
run_loco query --adapter calc --json "$Q"
expect_rc 0
expect_eq "$(req 'chats.length')" 3 "2 rounds of calls, then stop"
expect_eq "$(json 'out.tools.length + " " + out.tool_limit + " " + out.answer')" "2 true again again again " "limit in JSON"
run_loco query --adapter calc "$Q"
expect_err_has "loco: tools: the model called a tool after 2 rounds of calls; that call was not run, and the answer is the text before it (raise tools.max_rounds)"
rm "$LOCO_HOME/config.yaml"

t "a long result is cut, and the model told how much"
printf 'tools:\n  output_max: 100\n' >"$LOCO_HOME/config.yaml"
script "{$MODELS,\"chat\":[{\"match\":{\"tool\":\"\"},\"reply\":\"long\"},{\"reply\":\"<tool_call>{\\\"tool\\\": \\\"python\\\", \\\"code\\\": \\\"'x' * 5000\\\"}</tool_call>\"}]}"
run_loco query --adapter calc "$Q"
expect_rc 0
expect_eq "$(last 'm.at(-1).content.replace(/x+/, "X")')" "X
[output cut: 100 of 5000 bytes shown]" "cut result"
rm "$LOCO_HOME/config.yaml"

t "a call that runs too long is stopped; its error goes back"
printf 'tools:\n  timeout: 0.5\n' >"$LOCO_HOME/config.yaml"
script "{$MODELS,\"chat\":[{\"match\":{\"tool\":\"\"},\"reply\":\"slow\"},{\"reply\":\"<tool_call>{\\\"tool\\\": \\\"python\\\", \\\"code\\\": \\\"while True: pass\\\"}</tool_call>\"}]}"
run_loco query --adapter calc --json "$Q"
expect_rc 0
expect_eq "$(json 'out.tools[0].error')" "timed out after 0.5 s" "timeout"
rm "$LOCO_HOME/config.yaml"

t "the sandbox lacks a protection: refused unless --unsafe-tools"
script "{$MODELS,\"chat\":[{\"match\":{\"tool\":\"9716\"},\"reply\":\"9716\"},{\"reply\":\"$CALL\"}]}"
LOCO_SANDBOX_TEST_DISABLE=net-namespace run_loco query --adapter calc "$Q"
expect_rc 9
expect_err_match "^loco: tools: refusing to run model code: the sandbox lacks net-namespace, .*; or pass --unsafe-tools to run the model's tool calls in this sandbox anyway$"
expect_eq "$(req 'chats.length')" 0 "nothing asked"
LOCO_SANDBOX_TEST_DISABLE=net-namespace run_loco query --adapter calc --unsafe-tools "$Q"
expect_rc 0
expect_err_has "loco: --unsafe-tools: tool calls run in a sandbox that lacks net-namespace"
expect_err_has "[tool python: 347*28 -> 9716]"
LOCO_SANDBOX_TEST_DISABLE=net-namespace run_loco query --adapter calc --no-tools "$Q"
expect_rc 0

t "--no-tools: the answer as it came, no call run"
script "{$MODELS,\"chat\":[{\"match\":{\"tool\":\"9716\"},\"reply\":\"9716\"},{\"reply\":\"$CALL\"}]}"
run_loco query --adapter calc --no-tools "$Q"
expect_rc 0
expect_out "$(printf '%s' "$CALL" | sed 's/\\"/"/g')"
expect_eq "$(req 'chats.length')" 1 "one request"

t "the base model and adapters without tools call none"
script "{$MODELS,\"chat\":[{\"match\":{\"tool\":\"9716\"},\"reply\":\"9716\"},{\"reply\":\"$CALL\"}]}"
run_loco query --adapter none "$Q"
expect_rc 0
expect_eq "$(req 'chats.length')" 1 "one request"

t "--tools: the base model gets tools, natively; bad names are usage errors"
script "{$MODELS,\"chat\":[{\"match\":{\"tool\":\"9716\"},\"reply\":\"It is 9716.\"},{\"reply\":\"\",\"tool_calls\":[{\"name\":\"python\",\"arguments\":{\"code\":\"347*28\"}}]}]}"
run_loco query --adapter none --tools python "$Q"
expect_rc 0
expect_out "It is 9716."
expect_eq "$(req 'chats[0].body.tools.map(t => t.function.name).join()')" "python" "tools offered"
run_loco query --adapter none --tools python,shell "$Q"
expect_rc 2
expect_err_has "loco: --tools: unknown tool 'shell' (known: python, sympy)"
run_loco query --adapter none --tools python --no-tools "$Q"
expect_rc 0
expect_eq "$(req 'chats.at(-1).body.tools === undefined')" "true" "--no-tools wins"

t "native (Ollama): tools listed, tool_calls run, results as tool messages"
script "{$MODELS,\"chat\":[{\"match\":{\"tool\":\"9716\"},\"reply\":\"It is 9716.\"},{\"reply\":\"\",\"tool_calls\":[{\"name\":\"python\",\"arguments\":{\"code\":\"347*28\"}},{\"name\":\"calc\",\"arguments\":{\"x\":1}}]}]}"
run_loco query --adapter calcn --json "$Q"
expect_rc 0
expect_eq "$(json 'out.answer')" "It is 9716." "answer"
expect_eq "$(req 'chats[0].body.tools.map(t => t.type + ":" + t.function.name + ":" + t.function.parameters.required).join()')" "function:python:code" "tools list"
expect_eq "$(last 'JSON.stringify(m.find(x => x.role === "assistant"))')" '{"role":"assistant","content":"","tool_calls":[{"function":{"name":"python","arguments":{"code":"347*28"}}},{"function":{"name":"calc","arguments":{"x":1}}}]}' "assistant's calls, arguments an object"
expect_eq "$(last 'm.filter(x => x.role === "tool").map(x => x.role + ":" + x.tool_name + ":" + x.content).join("|")')" "tool:python:9716|tool:calc:error: unknown tool 'calc': the tools are python" "tool messages"
expect_eq "$(json 'out.tools.map(t => t.name + "=" + t.result).join("|")')" "python=9716|calc=error: unknown tool 'calc': the tools are python" "JSON tools"

t "the JSON fits loco-json(7): query, events, history"
node "$TOP/tests/json/validate.js" "$TOP/tests/json/query.json" "$W/out" 2>"$W/verr" && pass || fail "query.json: $(cat "$W/verr")"

t "--json --stream: a tool event for each call"
script "{$MODELS,\"chat\":[{\"match\":{\"tool\":\"9716\"},\"reply\":\"It is 9716.\"},{\"reply\":\"$CALL\"}]}"
run_loco query --adapter calc --json --stream "$Q"
expect_rc 0
expect_eq "$(node -e 'const ev = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse); process.stdout.write(ev.map(e => e.type).filter((t, i, a) => t !== a[i - 1]).join(","))' "$W/out")" "route,token,tool,token,done" "events"
expect_eq "$(node -e 'const ev = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse); const t = ev.find(e => e.type === "tool"); process.stdout.write([t.name, t.code, t.result, t.error, t.round, typeof t.seconds].join(","))' "$W/out")" "python,347*28,9716,,1,number" "tool event"
expect_eq "$(node -e 'const ev = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse); process.stdout.write(ev.filter(e => e.type === "token").map(e => e.content).join(""))' "$W/out")" "Let me compute. It is 9716." "tokens shown: the call held back"

node "$TOP/tests/json/validate.js" --lines "$TOP/tests/json/query-stream.json" "$W/out" 2>"$W/verr" && pass || fail "query-stream.json: $(cat "$W/verr")"

t "history keeps the calls"
expect_eq "$(tail -n 1 "$LOCO_HOME/history.jsonl" | node -e 'const r = JSON.parse(require("fs").readFileSync(0, "utf8")); process.stdout.write(r.tools.map(t => t.name + ":" + t.code + ":" + t.result).join())')" "python:347*28:9716" "history"
run_loco query --adapter none "$Q"
expect_eq "$(tail -n 1 "$LOCO_HOME/history.jsonl" | node -e 'const r = JSON.parse(require("fs").readFileSync(0, "utf8")); process.stdout.write(String(r.tools))')" "undefined" "no tools key without tools"
run_loco history --json
expect_rc 0
node "$TOP/tests/json/validate.js" "$TOP/tests/json/history.json" "$W/out" 2>"$W/verr" && pass || fail "history.json: $(cat "$W/verr")"
expect_eq "$(json 'out.at(-2).tools.map(t => t.code + "=" + t.result + ":" + t.round).join()')" "347*28=9716:1" "history --json has the calls"
expect_eq "$(json 'String(out.at(-1).tools)')" "undefined" "and none without tools"

t "chat: each turn runs its calls; the conversation keeps the answers"
script "{$MODELS,\"chat\":[{\"match\":{\"tool\":\"9716\"},\"reply\":\"It is 9716.\"},{\"match\":{\"contains\":\"thanks\"},\"reply\":\"You are welcome.\"},{\"reply\":\"$CALL\"}]}"
run_loco_stdin "$Q
thanks
" chat --adapter calc
expect_rc 0
expect_out "Let me compute. It is 9716.
You are welcome."
expect_err_has "[tool python: 347*28 -> 9716]"
expect_eq "$(last 'm.filter(x => x.role !== "system").map(x => x.role + ":" + x.content).join("|").replace(/\n.*?(\||$)/g, "$1")')" "user:$Q|assistant:Let me compute. It is 9716.|user:thanks" "history sent: the answer, not the calls"
expect_eq "$(tail -n 2 "$LOCO_HOME/history.jsonl" | head -n 1 | node -e 'const r = JSON.parse(require("fs").readFileSync(0, "utf8")); process.stdout.write(r.kind + ":" + r.tools.length)')" "chat:1" "chat history"

t "votes: each sample runs its own calls; the vote counts the answers"
script "{$MODELS,\"chat\":[{\"match\":{\"tool\":\"9716\"},\"reply\":\"The answer is 9716\"},{\"match\":{\"seed\":2},\"reply\":\"The answer is 9000\"},{\"reply\":\"$CALL\"}]}"
run_loco query --adapter calc --votes 3 --seed 1 --parallel 1 --json "$Q"
expect_rc 0
expect_eq "$(json 'out.vote.answer + " " + JSON.stringify(out.vote.votes)')" '9716 {"9000":1,"9716":2}' "vote"
expect_eq "$(json 'out.tools.map(t => t.sample).sort().join()')" "0,2" "calls per sample"
expect_eq "$(req 'chats.filter(c => c.body.messages.at(-1).role === "tool").map(c => c.body.options.seed).sort().join()')" "1,3" "each sample keeps its seed"

t "eval: a tool adapter's cases run their calls, logged per case"
cat >"$W/arith.jsonl" <<'EOF'
{"id": "a1", "instruction": "What is 347 times 28?", "input": "", "expected_output": "9716", "evaluation_type": "exact_match", "evaluation_config": {"answer_type": "number"}}
{"id": "a2", "instruction": "What is 12 times 12?", "input": "", "expected_output": "144", "evaluation_type": "exact_match", "evaluation_config": {"answer_type": "number"}}
EOF
script "{$MODELS,\"chat\":[{\"match\":{\"tool\":\"9716\"},\"reply\":\"The answer is 9716\"},{\"match\":{\"tool\":\"144\"},\"reply\":\"The answer is 144\"},{\"match\":{\"contains\":\"347\"},\"reply\":\"$CALL\"},{\"match\":{\"contains\":\"12 times\"},\"reply\":\"<tool_call>{\\\"tool\\\": \\\"python\\\", \\\"code\\\": \\\"12*12\\\"}</tool_call>\"}]}"
run_loco eval --benchmark "$W/arith.jsonl" --output "$W/run" --no-cache --json calc
expect_rc 0
expect_eq "$(json 'out.scores.adapter.accuracy')" 1 "both right with the tool"
expect_eq "$(json 'out.inference.tools.join() + " " + out.inference.tool_format')" "python text" "results.json says tools"
expect_eq "$(json 'out.cost.requests')" "6" "requests: the adapter 2 cases x 2 (a call each), the base 2"
node "$TOP/tests/json/validate.js" "$TOP/tests/json/eval.json" "$W/out" 2>"$W/verr" && pass || fail "eval.json: $(cat "$W/verr")"
expect_eq "$(node -e 'const fs = require("fs"); const d = process.argv[1]; const f = fs.readdirSync(d).find(n => n.endsWith(".jsonl")); const lines = fs.readFileSync(d + "/" + f, "utf8").trim().split("\n").map(JSON.parse).filter(l => l.subject === "adapter"); process.stdout.write(lines.map(l => l.id + ":" + (l.tools || []).map(t => t.code + "=" + t.result).join()).sort().join("|"))' "$W/run")" "a1:347*28=9716|a2:12*12=144" "eval log"
run_loco eval --benchmark "$W/arith.jsonl" --output "$W/run2" --no-cache --votes 3 --seed 0 --json calc
expect_rc 0
expect_eq "$(json 'out.scores.adapter.accuracy')" 1 "with votes"
run_loco eval --benchmark "$W/arith.jsonl" --output "$W/run3" --no-cache --no-tools --json calc
expect_rc 0
expect_eq "$(json 'out.scores.adapter.accuracy')" 0 "--no-tools: the calls are the answers"
expect_eq "$(json 'String(out.inference.tools)')" "undefined" "no tools, none said"

t "registry: unknown tools and formats are errors naming the line"
cp "$REG" "$W/reg.bak"
sed 's/tools: \[python\]/tools: [python, shell]/' "$W/reg.bak" >"$REG"
run_loco query --adapter calc "$Q"
expect_rc 7
expect_err_match "registry\.yaml:[0-9]+:[0-9]+: .*'tools': unknown tool 'shell' \(known: python, sympy\)"
sed 's/tool_format: native/tool_format: json/' "$W/reg.bak" >"$REG"
run_loco query --adapter calc "$Q"
expect_rc 7
expect_err_match "'tool_format' must be text or native, not 'json'"
cp "$W/reg.bak" "$REG"

t "adapters info shows the tools"
run_loco adapters info calcn
expect_rc 0
expect_out_has "  tools        python (native form)"
run_loco adapters info --json calc
expect_rc 0
expect_eq "$(json 'out[0].tools.join() + " " + out[0].tool_format')" "python text" "JSON"
node "$TOP/tests/json/validate.js" "$TOP/tests/json/adapters-info.json" "$W/out" 2>"$W/verr" && pass || fail "adapters-info.json: $(cat "$W/verr")"
run_loco adapters info --json math
expect_eq "$(json 'out[0].tools.length + " " + out[0].tool_format')" "0 null" "no tools"

t "doctor says whether sympy is there"
run_loco doctor
if [ -f /usr/lib/python3/dist-packages/sympy/__init__.py ]; then
	expect_out_has "sympy installed (the sympy tool can run)"
else
	expect_out_has "sympy not installed (apt install python3-sympy for the sympy tool)"
fi

# OpenAI-style servers: calls streamed in pieces (joined) or whole, and
# results answered with tool_call_id; then llama-server, which speaks the
# same protocol.
for flavor in openai llama-server; do
backend_stop "$B"
backend_start "$B" --flavor $flavor --idle-timeout 300 || { fail "cannot start the $flavor fake"; break; }
BASE_URL=$LOCO_BACKEND_HOST
export LOCO_BACKEND=$flavor
for mode in streamed whole; do
t "native ($flavor, $mode): calls joined, results with tool_call_id"
if [ $mode = whole ]; then NS=',"no_stream":true'; else NS=; fi
script "{\"models\":[\"qwen3:4b-instruct-2507-q4_K_M\"],\"chat\":[{\"match\":{\"tool\":\"9716\"},\"reply\":\"It is 9716.\"},{\"reply\":\"Computing. \",\"chunk_size\":3$NS,\"tool_calls\":[{\"name\":\"python\",\"arguments\":{\"code\":\"347*28\"}},{\"name\":\"python\",\"arguments\":\"{\\\"code\\\": \\\"1/0\\\"}\"}]}]}"
run_loco query --adapter calcn --json "$Q"
expect_rc 0
expect_eq "$(json 'out.answer')" "Computing. It is 9716." "answer"
expect_eq "$(json 'out.tools.map(t => t.code + "=" + t.result).join("|")')" "347*28=9716|1/0=error: ZeroDivisionError: division by zero" "calls"
expect_eq "$(req "(m => JSON.stringify(m.slice(-3)))(reqs.at(-1).body.messages)")" '[{"role":"assistant","content":"Computing. ","tool_calls":[{"id":"call_0","type":"function","function":{"name":"python","arguments":"{\"code\":\"347*28\"}"}},{"id":"call_1","type":"function","function":{"name":"python","arguments":"{\"code\": \"1/0\"}"}}]},{"role":"tool","content":"9716","tool_call_id":"call_0"},{"role":"tool","content":"error: ZeroDivisionError: division by zero","tool_call_id":"call_1"}]' "messages sent back"
expect_eq "$(req 'reqs.at(-1).body.tools[0].function.name')" "python" "tools list"
done
done

area_end
