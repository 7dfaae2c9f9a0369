#!/bin/sh
# t_misc.sh: version, help, the command table, global options, output
# to a closed pipe.
. "$TOP/tests/cmd/lib.sh"
area_begin misc

t "version"
run_loco version
expect_rc 0
expect_err_empty
if grep -qE '^loco [0-9]+\.[0-9]+\.[0-9]+ \(libcurl [^,]+, cJSON [^,]+, libyaml [^)]+\)$' "$W/out"; then pass; else fail "version line"; fi
run_loco version --json
expect_eq "$(json 'typeof out.version + typeof out.libraries.libcurl')" stringstring "json version"
run_loco --version
expect_rc 0
if grep -qE '^loco [0-9]+\.[0-9]+\.[0-9]+$' "$W/out"; then pass; else fail "--version"; fi

t "help"
run_loco help
expect_rc 0
expect_out_has "usage: loco [--backend type] [--registry file] command [argument ...]"
for c in query route adapters config version help; do
	expect_out_has "  $c "
done
run_loco --help
expect_rc 0
run_loco help query
expect_rc 0
expect_out_has "usage: loco query "
expect_out_has "  --no-reread "
run_loco help frob
expect_rc 2
expect_err "loco: 'frob' is not a loco command; see 'loco help'"
run_loco qeury "what is 2+2"
expect_rc 2
expect_err "loco: 'qeury' is not a loco command; did you mean 'query'?"

t "-h on every command"
for c in query route adapters config version help; do
	run_loco $c -h
	expect_rc 0
	if head -n 1 "$W/out" | grep -q "^usage: loco $c"; then pass; else fail "$c -h"; fi
done

t "no command, unknown command, unknown global option"
run_loco
expect_rc 2
if head -n 1 "$W/err" | grep -qF "usage: loco [--backend type] [--registry file] command [argument ...]"; then pass; else fail "usage"; fi
run_loco frob
expect_rc 2
expect_err "loco: 'frob' is not a loco command; see 'loco help'"
run_loco --frob
expect_rc 2
if head -n 1 "$W/err" | grep -qxF "loco: unknown option '--frob'"; then pass; else fail "unknown option"; fi

t "global options from loco's table: a missing value, did you mean"
USAGE="usage: loco [--backend type] [--registry file] command [argument ...]"
run_loco --registry
expect_rc 2
expect_err "loco: option '--registry' needs a value
$USAGE"
run_loco --backend
expect_rc 2
expect_err "loco: option '--backend' needs a value
$USAGE"
# The file left out: the command was taken as the value.
run_loco --registry route x
expect_rc 2
expect_err "loco: --registry: 'route' was taken as its value, but no such file exists; the file comes first: loco --registry file route ...
$USAGE"
expect_out_empty
run_loco --registry route
expect_rc 2
expect_err "loco: --registry: 'route' was taken as its value, but no such file exists; the file comes first: loco --registry file route ...
$USAGE"
# A file of that name is a registry file, and x the command.
: >route
run_loco --registry route x
expect_rc 2
expect_err "loco: 'x' is not a loco command; see 'loco help'"
rm route
run_loco --regsitry r.yaml query hello
expect_rc 2
expect_err "loco: unknown option '--regsitry'; did you mean '--registry'?
$USAGE"
run_loco --backnd ollama query hello
expect_rc 2
expect_err_has "loco: unknown option '--backnd'; did you mean '--backend'?"
run_loco -h
expect_rc 0
expect_eq "$(head -n 1 "$W/out")" "$USAGE" "loco -h"
run_loco --backend ollama --version
expect_rc 0
if grep -qE '^loco [0-9]+\.[0-9]+\.[0-9]+$' "$W/out"; then pass; else fail "--version after --backend"; fi

t "a closed pipe is not an error"
script '{"models":["qwen3:4b-instruct-2507-q4_K_M"],"chat":[{"reply":"a long answer that goes on and on","chunk_size":1}]}'
"$LOCO" query --quiet hello 2>"$W/err" | head -c 1 >/dev/null
expect_err_empty
"$LOCO" config 2>"$W/err" | head -n 1 >/dev/null
expect_err_empty

t "a full disk is an error"
if [ -w /dev/full ]; then
	"$LOCO" config >/dev/full 2>"$W/err"
	RC=$?
	expect_rc 1
	expect_err "loco: cannot write to standard output: No space left on device"
fi

area_end
