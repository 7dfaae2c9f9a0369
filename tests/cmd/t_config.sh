#!/bin/sh
# t_config.sh: configuration precedence and errors, through loco config.
. "$TOP/tests/cmd/lib.sh"
area_begin config

t "defaults"
run_loco config inference.votes
expect_rc 0
expect_out 1
run_loco config options.seed
expect_out ""
run_loco config --json
expect_rc 0
expect_eq "$(json 'out.find(k => k.key === "inference.vote_temperature").value')" 0.7 "vote_temperature"
expect_eq "$(json 'out.find(k => k.key === "options.seed").value')" null "unset"
expect_eq "$(json 'out.find(k => k.key === "inference.reread").source')" default "source"

t "inference.parallel: the value in effect, by backend, until set"
run_loco config inference.parallel
expect_rc 0
expect_out 1
run_loco --backend llama-server config inference.parallel
expect_out 4
LOCO_SERVE_SLOTS=2 run_loco --backend llama-server config --json inference.parallel
expect_eq "$(json 'out.value + " " + out.source')" "2 default" "llama-server default"
LOCO_INFERENCE_PARALLEL=3 run_loco --backend llama-server config --json inference.parallel
expect_eq "$(json 'out.value + " " + out.source')" "3 environment" "set"
run_loco config
expect_out_has "inference.parallel         1                        default"

t "file < environment"
cat >"$LOCO_HOME/config.yaml" <<'YAML'
inference:
  votes: 5
  reread: false
options.num_ctx: 8192
backend:
  host: http://127.0.0.1:5000
YAML
run_loco config
expect_rc 0
expect_out_has "inference.votes            5                        file"
expect_out_has "options.num_ctx            8192                     file"
LOCO_INFERENCE_VOTES=7 run_loco config inference.votes
expect_out 7
OLLAMA_HOST=example.com run_loco config backend.host
expect_out "example.com"
OLLAMA_HOST=example.com LOCO_BACKEND_HOST=other:1 run_loco config backend.host
expect_out "other:1"
LOCO_INFERENCE_VOTES=7 run_loco config --json
expect_eq "$(json 'out.find(k => k.key === "inference.votes").source')" environment "env source"

t "the config file's host is used by query"
script '{"models":["qwen3:4b-instruct-2507-q4_K_M"]}'
saved=$OLLAMA_HOST
unset OLLAMA_HOST
run_loco query --quiet hello
export OLLAMA_HOST="$saved"
expect_rc 3
expect_err "loco: cannot reach Ollama at http://127.0.0.1:5000: is 'ollama serve' running?"
run_loco query --quiet --host "$BASE_URL" hello
expect_rc 0
expect_eq "$(req 'chats.at(-1).body.options.num_ctx')" 8192 "num_ctx from file"

t "errors in the file"
printf 'inference:\n  votes: lots\n' >"$LOCO_HOME/config.yaml"
run_loco config
expect_rc 7
expect_err "loco: $LOCO_HOME/config.yaml:2:10: 'inference.votes' must be an integer from 1 to 64, not 'lots'"
printf 'inference:\n  rereed: true\n' >"$LOCO_HOME/config.yaml"
run_loco route hi
expect_rc 7
expect_err "loco: $LOCO_HOME/config.yaml:2:3: unknown key 'inference.rereed'; did you mean 'inference.reread'?"
printf 'inference: [1, 2\n' >"$LOCO_HOME/config.yaml"
run_loco config
expect_rc 7
expect_err_match "^loco: $LOCO_HOME/config.yaml:[0-9]+:[0-9]+: "
rm "$LOCO_HOME/config.yaml"

t "errors in the environment"
LOCO_INFERENCE_REREAD=maybe run_loco config
expect_rc 7
expect_err "loco: environment variable LOCO_INFERENCE_REREAD: 'inference.reread' must be true or false, not 'maybe'"

t "unknown key"
run_loco config no.such.key
expect_rc 2
expect_err "loco: unknown configuration key 'no.such.key'; see 'loco config'"

area_end
