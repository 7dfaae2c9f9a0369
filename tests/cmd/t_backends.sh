#!/bin/sh
# t_backends.sh: named backends (config.yaml's backends: a lab's vLLM and
# a cloud, two scripted OpenAI servers): loco config lists them with the
# key's variable, never a key; --backend NAME before or after the command
# picks one, a mistyped name gets 'did you mean'; eval --vs BACKEND:MODEL
# puts a model of another server in a third column with paired tests
# against the adapter and the base, in the table, results.json, run.json
# and JUnit, with the same settings, cached by server and model, and the
# leaderboard unchanged by it.
. "$TOP/tests/cmd/lib.sh"
area_begin backends
backend_stop "$B"
backend_start "$B" --flavor openai --idle-timeout 300 || { echo "backends: cannot start"; exit 1; }
LAB_URL=$LOCO_BACKEND_HOST
C=$W/cloud
backend_start "$C" --flavor openai --idle-timeout 300 || fail "cannot start the cloud"
CLOUD_URL=$LOCO_BACKEND_HOST
unset LOCO_BACKEND_HOST
T=$TOP/adapters/tiny
REG=$LOCO_HOME/adapters/registry.yaml
sed "s|file: \([a-z-]*\)\.gguf|file: $T/\1.gguf|" "$T/registry.yaml" >"$REG"
export LAB_KEY="sk-lab-$$-Hq3" CLOUD_KEY="sk-cloud-$$-Vb8"
BASE=tiny-base:latest
cat >"$LOCO_HOME/config.yaml" <<EOF
backend:
  timeout: 120
backends:
  lab: {type: openai, host: "$LAB_URL", api_key_env: LAB_KEY}
  cloud:
    type: openai
    host: $CLOUD_URL/v1
    api_key_env: CLOUD_KEY
    base_model: gpt-mini
    timeout: 30
EOF
LAB="\"api_key\": \"$LAB_KEY\", \"models\": [\"$BASE\", {\"id\": \"math\", \"parent\": \"$BASE\"}]"
CLOUD="\"openai\": \"cloud\", \"api_key\": \"$CLOUD_KEY\", \"models\": [\"gpt-mini\", \"gpt-big\"]"
Q="Anna buys 6 bags of 5 toys. How many toys?"

# cscript JSON: the cloud's script; cchats: its chat requests.
cscript() {
	backend_script "$C" "$1"
	: >"$C/requests.jsonl"
}
cchats() {
	B=$C req 'reqs.filter(r => r.path === "/v1/chat/completions").length'
}
chats() {
	req 'reqs.filter(r => r.path === "/v1/chat/completions").length'
}

t "loco config lists the named backends, with the key's variable only"
run_loco config
expect_rc 0
expect_eq "$(grep '^backends\.' "$W/out" | tr -s ' ')" "backends.lab.type openai file
backends.lab.host $LAB_URL file
backends.lab.api_key_env LAB_KEY file
backends.cloud.type openai file
backends.cloud.host $CLOUD_URL/v1 file
backends.cloud.api_key_env CLOUD_KEY file
backends.cloud.base_model gpt-mini file
backends.cloud.timeout 30 file" "the backends' rows"
run_loco config --json
expect_rc 0
expect_eq "$(json 'out.filter(k => k.key.startsWith("backends.cloud.")).map(k => k.key + "=" + JSON.stringify(k.value)).join(" ")')" \
    "backends.cloud.type=\"openai\" backends.cloud.host=\"$CLOUD_URL/v1\" backends.cloud.api_key_env=\"CLOUD_KEY\" backends.cloud.base_model=\"gpt-mini\" backends.cloud.timeout=30" "JSON"
node "$TOP/tests/json/validate.js" "$TOP/tests/json/config.json" "$W/out" >"$W/valid" 2>&1 && pass || fail "config --json against config.json: $(head -3 "$W/valid")"
run_loco config --json backends.lab.api_key_env
expect_eq "$(json 'out.key + " " + out.value + " " + out.source')" "backends.lab.api_key_env LAB_KEY file" "one named key"
run_loco config backends.cloud.timeout
expect_out "30"
run_loco config backends.cloud.nothing
expect_rc 2
expect_err "loco: unknown configuration key 'backends.cloud.nothing'; see 'loco config'"
run_loco --backend cloud config backend.host
expect_out "$CLOUD_URL/v1"
# The cloud's own timeout; the lab keeps backend.timeout.
run_loco --backend cloud config backend.timeout
expect_out "30"
run_loco --backend lab config backend.timeout
expect_out "120"
run_loco --backend lab config backend.base_model
expect_out ""
grep -rqF -e "$LAB_KEY" -e "$CLOUD_KEY" "$W/out" && fail "a key in loco config's output" || pass

t "completion offers the named backends and the types"
run_loco __complete -- query --backend ""
expect_rc 0
expect_out "words
ollama
llama-server
openai
lab	a server of config.yaml
cloud	a server of config.yaml"
run_loco __complete -- --backend c
expect_out "words
cloud	a server of config.yaml"

t "query --backend NAME asks that server, with its key"
script "{$LAB, \"chat\": [{\"match\": {\"model\": \"math\"}, \"reply\": \"30\"}]}"
cscript "{$CLOUD, \"chat\": [{\"match\": {\"model\": \"gpt-mini\"}, \"reply\": \"thirty\"}]}"
run_loco query --quiet --backend lab --adapter math "$Q"
expect_rc 0
expect_out "30"
expect_eq "$(chats) $(cchats)" "1 0" "chats at the lab and the cloud"
run_loco query --quiet --backend cloud --adapter none "$Q"
expect_rc 0
expect_out "thirty"
expect_eq "$(B=$C req 'reqs.filter(r => r.path === "/v1/chat/completions").map(r => r.body.model + " " + r.auth).join()')" "gpt-mini ok" "model and key at the cloud"
# The global option does the same, for any command.
run_loco --backend cloud query --quiet --adapter none "$Q"
expect_out "thirty"
# --host wins over the backend's, before or after it (the cloud's key
# then goes to the lab, which refuses it).
run_loco query --quiet --host "$LAB_URL" --backend cloud --adapter none "$Q"
expect_rc 7
expect_err "loco: the server at $LAB_URL refused the API key in CLOUD_KEY (HTTP 401: Unauthorized): is it the key for this server?"
run_loco query --quiet --backend cloud --host "$LAB_URL" --adapter none "$Q"
expect_rc 7
expect_err "loco: the server at $LAB_URL refused the API key in CLOUD_KEY (HTTP 401: Unauthorized): is it the key for this server?"

t "chat --backend NAME"
cscript "{$CLOUD, \"chat\": [{\"reply\": \"hello from the cloud\"}]}"
run_loco_stdin "hi there
" chat --quiet --backend cloud --adapter none
expect_rc 0
expect_out_has "hello from the cloud"

t "LOCO_BACKEND=NAME, as --backend"
LOCO_BACKEND=cloud run_loco query --quiet --adapter none "$Q"
expect_rc 0
expect_out "hello from the cloud"
LOCO_BACKEND=cloud run_loco config backend.base_model
expect_out "gpt-mini"
# The flag wins over the variable; LOCO_BACKEND_HOST over its host.
LOCO_BACKEND=cloud run_loco --backend lab config backend.host
expect_out "$LAB_URL"
LOCO_BACKEND=cloud LOCO_BACKEND_HOST=http://elsewhere:1 run_loco config backend.host
expect_out "http://elsewhere:1"
LOCO_BACKEND=clod run_loco query "$Q"
expect_rc 7
expect_err "loco: environment variable LOCO_BACKEND: no backend 'clod' in $LOCO_HOME/config.yaml; did you mean 'cloud'?"

t "a mistyped backend: did you mean, and the config file"
run_loco query --backend clod "$Q"
expect_rc 2
expect_err_has "loco: --backend: no backend 'clod' in $LOCO_HOME/config.yaml; did you mean 'cloud'?"
run_loco --backend labb query "$Q"
expect_rc 2
expect_err "loco: --backend: no backend 'labb' in $LOCO_HOME/config.yaml; did you mean 'lab'?"
run_loco --backend zzz query "$Q"
expect_rc 2
expect_err "loco: --backend: no backend 'zzz' in $LOCO_HOME/config.yaml, which names lab, cloud (and the types are ollama, llama-server and openai)"

t "errors in the backends mapping name file:line"
cp "$LOCO_HOME/config.yaml" "$W/config.saved"
printf 'backends:\n  lab: {type: openai, hots: x}\n' >"$LOCO_HOME/config.yaml"
run_loco config
expect_rc 7
expect_err "loco: $LOCO_HOME/config.yaml:2:23: backends.lab: unknown key 'hots'; did you mean 'host'?"
printf 'backends:\n  openai: {host: x}\n' >"$LOCO_HOME/config.yaml"
run_loco config
expect_rc 7
expect_err "loco: $LOCO_HOME/config.yaml:2:3: backend name 'openai' is a backend type; name the server another way (lab, cloud)"
printf 'backends:\n  lab: {timeout: soon}\n' >"$LOCO_HOME/config.yaml"
run_loco config
expect_rc 7
expect_err "loco: $LOCO_HOME/config.yaml:2:18: backends.lab: 'backend.timeout' must be an integer from 0 to 86400, not 'soon'"
rm "$LOCO_HOME/config.yaml"
run_loco --backend lab query "$Q"
expect_rc 2
expect_err "loco: --backend: no backend 'lab': not a type (ollama, llama-server, openai), and $LOCO_HOME/config.yaml names no servers under 'backends:' (see loco.yaml(5))"
mv "$W/config.saved" "$LOCO_HOME/config.yaml"

# Six cases, all "30": the adapter gets every one, the base none, the
# cloud's model cases 1 to 4.
B6=$LOCO_HOME/adapters/benchmarks/math.jsonl
mkdir -p "$(dirname "$B6")"
for i in 1 2 3 4 5 6; do
	printf '{"id": "c%s", "instruction": "Case %s: Anna buys 6 bags of 5 toys. How many toys?", "expected_output": "30"}\n' $i $i
done >"$B6"
LABRUN="{$LAB, \"chat\": [{\"match\": {\"model\": \"math\"}, \"reply\": \"30\"}, {\"reply\": \"1\"}]}"
CLOUDRUN="{$CLOUD, \"chat\": [{\"match\": {\"contains\": \"Case 1\"}, \"reply\": \"30\"}, {\"match\": {\"contains\": \"Case 2\"}, \"reply\": \"30\"}, {\"match\": {\"contains\": \"Case 3\"}, \"reply\": \"30\"}, {\"match\": {\"contains\": \"Case 4\"}, \"reply\": \"30\"}, {\"reply\": \"2\"}]}"

t "eval --vs: the cloud's model as a third column, paired"
script "$LABRUN"
cscript "$CLOUDRUN"
run_loco eval --backend lab --jobs 3 --output "$W/vs1" --vs cloud:gpt-big math
expect_rc 0
expect_eq "$(sed -n '1,4p' "$W/out" | tr -s ' ')" "model accuracy 95% interval passed
loco-math:2.0.0-tiny-base 100.0% [ 61.0%, 100.0%] 6/6
$BASE 0.0% [ 0.0%, 39.0%] 0/6
cloud:gpt-big 66.7% [ 30.0%, 90.3%] 4/6" "table"
expect_out_has "adapter against cloud:gpt-big: +33.3 points; McNemar exact p = 0.5 (adapter only right 2, cloud:gpt-big only right 0)"
expect_out_has "base against cloud:gpt-big: -66.7 points; McNemar exact p = 0.125 (base only right 0, cloud:gpt-big only right 4)"
expect_out_has "difference +100.0 points; McNemar exact p = 0.03125 (adapter only right 6, base only right 0)"
expect_out_has "results: $W/vs1/results.json (18 requests sent)"
expect_eq "$(chats) $(cchats)" "12 6" "chats at the lab and the cloud"
# The same settings for the cloud's model as for the base.
expect_eq "$(B=$C req 'reqs.filter(r => r.path === "/v1/chat/completions").map(r => [r.body.model, r.body.temperature, r.body.seed, r.body.max_tokens, r.body.messages.length].join(" ")).sort()[0]')" \
    "gpt-big 0 42 512 1" "the cloud's request"
expect_eq "$(req 'reqs.filter(r => r.path === "/v1/chat/completions" && r.body.model === "'"$BASE"'").map(r => [r.body.model, r.body.temperature, r.body.seed, r.body.max_tokens, r.body.messages.length].join(" ")).sort()[0]')" \
    "$BASE 0 42 512 1" "the base's request"
expect_eq "$(req 'reqs.filter(r => r.path === "/v1/chat/completions" && r.body.model === "'"$BASE"'").map(r => r.body.messages[0].content).sort()[0]')" \
    "$(B=$C req 'reqs.filter(r => r.path === "/v1/chat/completions").map(r => r.body.messages[0].content).sort()[0]')" "the same prompt"
cp "$W/vs1/results.json" "$W/out"
expect_eq "$(json '[out.scores.adapter.passed, out.scores.base.passed, out.scores.vs.passed, out.scores.vs.accuracy.toFixed(4)].join(" ")')" "6 0 4 0.6667" "scores"
expect_eq "$(json '[out.vs.name, out.vs.backend, out.vs.type, out.vs.host, out.vs.api_key_env, out.vs.model, out.vs.think].join(" ")')" \
    "cloud:gpt-big cloud openai $CLOUD_URL CLOUD_KEY gpt-big false" "the model and its server"
expect_eq "$(json '[out.vs.adapter, out.vs.base].map(t => [t.difference.toFixed(4), t.adapter_only, t.base_only, t.vs_only, t.p, t.p_underflow].join(" ")).join(", ")')" \
    "0.3333 2  0 0.5 false, -0.6667  0 4 0.125 false" "paired tests"
expect_eq "$(json 'out.vs.identity')" "openai $CLOUD_URL model gpt-big parent - root -" "identity"
expect_eq "$(json '[out.mcnemar.p.toFixed(5), out.inference.temperature, out.cost.requests].join(" ")')" "0.03125 0 18" "adapter against base, settings, cost"
node "$TOP/tests/json/validate.js" "$TOP/tests/json/eval.json" "$W/vs1/results.json" >"$W/valid" 2>&1 && pass || fail "results.json against eval.json: $(head -3 "$W/valid")"
cp "$W/vs1/run.json" "$W/out"
expect_eq "$(json 'out.vs_model + " " + out.vs_identity')" "cloud:gpt-big openai $CLOUD_URL model gpt-big parent - root -" "run.json"
expect_eq "$(grep -c '"subject":"vs"' "$W/vs1/log.jsonl")" 6 "the log's vs cases"

t "eval --vs: cached by server and model"
run_loco eval --backend lab --output "$W/vs2" --vs cloud:gpt-big math
expect_rc 0
expect_out_has "results: $W/vs2/results.json (0 requests sent)"
run_loco eval --backend lab --output "$W/vs3" --vs cloud:gpt-mini math
expect_rc 0
expect_out_has "results: $W/vs3/results.json (6 requests sent)"

t "eval --vs: JUnit and markdown carry it"
run_loco eval --backend lab --output "$W/vs4" --format junit --vs cloud:gpt-big math
expect_rc 0
expect_out_has '    <property name="vs.model" value="cloud:gpt-big"/>'
expect_out_has '    <property name="vs.accuracy" value="0.6667"/>'
expect_out_has '    <property name="vs.adapter_p" value="0.5"/>'
expect_out_has '    <property name="vs.base_p" value="0.125"/>'
expect_out_has '<testsuite name="loco eval loco-math:2.0.0-tiny-base" tests="6" failures="0">'
run_loco eval --backend lab --output "$W/vs5" --format markdown --vs cloud:gpt-big math
expect_out_has "| cloud:gpt-big |    66.7% | [ 30.0%,  90.3%] | 4/6 |"

t "the leaderboard ranks the adapter against the base only"
run_loco leaderboard --json
expect_rc 0
expect_eq "$(json 'JSON.stringify(out.map(d => d.results.map(e => [e.adapter, e.accuracy, e.base_accuracy])))')" '[[["math",1,0]],[],[],[]]' "leaderboard"
grep -q "gpt-big" "$W/out" && fail "the leaderboard names the --vs model" || pass
run_loco report --json "$W/vs1"
expect_rc 0
expect_eq "$(json 'out.results.map(r => [r.adapter, r.accuracy, r.base_model, r.base_accuracy, r.n].join(" ")).join()')" "math 1 $BASE 0 6" "report: the adapter against the base"
node "$TOP/tests/json/validate.js" "$TOP/tests/json/report.json" "$W/out" >"$W/valid" 2>&1 && pass || fail "report --json against report.json: $(head -3 "$W/valid")"

t "eval --vs: what it refuses"
run_loco eval --backend lab --vs cloud math
expect_rc 2
expect_err_has "loco: --vs: give BACKEND:MODEL, a server of config.yaml's backends and the name it serves the model as (lab:Qwen/Qwen3-8B, ollama:llama3.1:8b)"
run_loco eval --backend lab --vs clud:gpt-big math
expect_rc 2
expect_err_has "loco: --vs: no backend 'clud' in $LOCO_HOME/config.yaml; did you mean 'cloud'?"
run_loco eval --backend lab --vs cloud:gpt-huge math
expect_rc 4
expect_err "loco: --vs cloud:gpt-huge: the server at $CLOUD_URL does not serve model 'gpt-huge'"
run_loco eval --backend lab --base --vs cloud:gpt-big math
expect_rc 2
expect_err_has "loco: --vs compares the adapter and the base with another model: not with --base"
CLOUD_KEY= run_loco eval --backend lab --vs cloud:gpt-big math
expect_rc 7
expect_err "loco: --vs cloud:gpt-big: backend.api_key_env: the environment variable CLOUD_KEY, which should hold the API key for $CLOUD_URL, is empty"

t "no key in any file loco wrote"
expect_eq "$(grep -rlF -e "$LAB_KEY" -e "$CLOUD_KEY" "$LOCO_HOME" "$W"/vs* | tr '\n' ' ')" "" "files holding a key"
backend_stop "$C"
area_end
