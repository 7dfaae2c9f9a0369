#!/bin/sh
# t_adapters.sh: loco adapters list, with the server up and down.
. "$TOP/tests/cmd/lib.sh"
area_begin adapters

t "presence from /api/tags"
script '{"models":["qwen3:4b-instruct-2507-q4_K_M","loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M","LOCO-CODE:1.0.0-QWEN3-4B-INSTRUCT-2507-Q4_K_M",{"name":"loco-writing:1.0.1-qwen3-4b-instruct-2507-q4_K_M"}]}'
run_loco adapters list
expect_rc 0
expect_out "NAME         VERSION   DOMAIN    TYPE    OLLAMA   DESCRIPTION
math         1.0.0     math      prompt  present  arithmetic, algebra, calculus and word problems, worked step by step
code         1.0.0     code      prompt  present  programming help, debugging and explaining code
analysis     1.0.0     analysis  prompt  missing  reading passages, comparing arguments, interpreting data and evidence
writing      1.0.0     writing   prompt  missing  essays, emails, summaries, rewriting and proofreading"
expect_err_empty
expect_eq "$(req 'reqs.map(r => r.method + " " + r.path).join(",")')" "GET /api/tags" "requests"

t "JSON"
run_loco adapters list --json
expect_rc 0
expect_eq "$(json 'out.length')" 4 "entries"
expect_eq "$(json 'out[0]')" '{"name":"math","version":"1.0.0","domain":"math","type":"prompt","description":"arithmetic, algebra, calculus and word problems, worked step by step","model":"loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M","active":true,"present":true}' "first entry"
expect_eq "$(json 'out.map(a => a.present).join(",")')" "true,true,false,false" "presence"

t "server down: listed, presence unknown"
run_loco adapters list --host 127.0.0.1:1 --json
expect_rc 0
expect_eq "$(json 'out.map(a => a.present).join(",")')" ",,," "presence null"
expect_err "loco: model presence unknown: cannot reach Ollama at http://127.0.0.1:1: is 'ollama serve' running?"
OLLAMA_HOST=127.0.0.1:1 run_loco adapters list
expect_rc 0
expect_out_has "math         1.0.0     math      prompt  ?        "

t "server errors are reported, not fatal"
script '{"models":[],"check_host":false}'
printf '{ not json' >"$B/script.json"
run_loco adapters list
expect_rc 0
expect_err_match "^loco: model presence unknown: Ollama answered HTTP 500: test backend: bad script.json"

t "usage"
run_loco adapters
expect_rc 2
expect_err "loco: no subcommand given
$("$LOCO" adapters -h | sed -n '/^$/q;p')"
run_loco adapters frob
expect_rc 2
expect_err_has "loco: unknown subcommand 'frob'"
run_loco adapters instal x
expect_rc 2
expect_err_has "loco: unknown subcommand 'instal'; did you mean 'install'?"
expect_err_has "       loco adapters promote [--json] name"
run_loco adapters list extra
expect_rc 2
expect_err "loco: unexpected argument 'extra'
usage: loco adapters list [--host url] [--json]"
run_loco adapters list --jsn
expect_rc 2
expect_err "loco: unknown option '--jsn'; did you mean '--json'?
usage: loco adapters list [--host url] [--json]"
run_loco adapters info --force math
expect_rc 2
expect_err "loco: unknown option '--force'
usage: loco adapters info [--json] name"
run_loco adapters install --hots url pkg.tar.gz
expect_rc 2
expect_err "loco: unknown option '--hots'
usage: loco adapters install [--force] [--index url] [--json] package"
run_loco adapters remove --keep-modle math
expect_rc 2
expect_err "loco: unknown option '--keep-modle'; did you mean '--keep-model'?
usage: loco adapters remove [--host url] [--json] [--keep-model] name"
run_loco adapters search --index
expect_rc 2
expect_err "loco: option '--index' needs a value
usage: loco adapters search [--index url] [--json] [term]"
run_loco adapters promote -h
expect_rc 0
expect_out "usage: loco adapters promote [--json] name

make an adapter the active one of its domain.

  --json             print the promoted adapter as JSON
  name               an adapter, or name@version"

t "a mistyped adapter name: did you mean"
run_loco adapters info mth
expect_rc 2
expect_err "loco: no adapter named 'mth' in '$LOCO_HOME/adapters/registry.yaml'; did you mean 'math'?"
expect_out_empty
run_loco adapters info --json mth@1.0.0
expect_rc 2
expect_err "loco: no adapter named 'mth@1.0.0' in '$LOCO_HOME/adapters/registry.yaml'; did you mean 'math'?"
expect_out_empty
run_loco adapters info zzz
expect_rc 2
expect_err "loco: no adapter named 'zzz' in '$LOCO_HOME/adapters/registry.yaml'; see 'loco adapters list'"
run_loco adapters info math@9.9.9
expect_rc 1
expect_err "loco: no adapter 'math@9.9.9' in the registry; see 'loco adapters info math'"
run_loco adapters promote cdoe
expect_rc 2
expect_err "loco: no adapter named 'cdoe' in '$LOCO_HOME/adapters/registry.yaml'; did you mean 'code'?"
run_loco adapters remove mth
expect_rc 1
expect_err "loco: no adapter 'mth' is installed"

area_end
