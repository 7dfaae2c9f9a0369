# lib.sh: helpers for loco's command-line tests (POSIX sh; source it).
#
# Each script: . "$TOP/tests/cmd/lib.sh"; area_begin NAME; tests; area_end.
# area_begin makes a fresh directory with its own HOME and LOCO_HOME, copies
# the default registry into LOCO_HOME, and starts the scripted backend.
# run_loco ARGS... runs loco with stdout, stderr and status captured in
# $W/out, $W/err and $RC.  Assertions count passes and failures; a failing
# area keeps its directory for a look.

: "${TOP:?TOP must name the repository}"
: "${LOCO:=$TOP/loco}"
BACKEND_JS=$TOP/tests/backend/server.js
. "$TOP/tests/backend/start.sh"

PASSED=0
FAILED=0
CURRENT=

area_begin() {
	AREA=$1
	W=$(mktemp -d "${TMPDIR:-/tmp}/loco-test-$AREA.XXXXXX")
	export HOME="$W/home"
	export LOCO_HOME="$HOME/.locollm"
	mkdir -p "$LOCO_HOME/adapters"
	cp "$TOP/adapters/registry.yaml" "$LOCO_HOME/adapters/registry.yaml"
	cp -R "$TOP/adapters/examples" "$LOCO_HOME/adapters/"
	# Nothing from the developer's environment may leak in.
	for v in $(env | sed -n 's/^\(LOCO_[A-Z_]*\)=.*/\1/p'); do
		[ "$v" = LOCO_HOME ] || unset "$v"
	done
	unset OLLAMA_HOST NO_COLOR
	# eval's progress lines off a terminal come only after seconds: a
	# slow machine must not add lines to the stderr the tests compare
	# (t_eval tests them with this set).
	export LOCO_EVAL_PROGRESS_EVERY=0
	cd "$W" || exit 1
	B="$W/backend"
	backend_start "$B" --idle-timeout 300 || { echo "$AREA: cannot start the backend"; exit 1; }
	BASE_URL=$OLLAMA_HOST
	script '{"models":["qwen3:4b-instruct-2507-q4_K_M"]}'
}

area_end() {
	backend_stop "$B"
	cd "$TOP" || exit 1
	if [ "$FAILED" -eq 0 ]; then
		rm -rf "$W"
	else
		echo "$AREA: kept $W"
	fi
	echo "$AREA: $PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

# script JSON: the backend's script for what follows, on a server whose
# created, pulled and deleted models are forgotten; clears the request log.
script() {
	backend_script "$B" "$1"
	curl -s -X POST "$BASE_URL/__control/reset" >/dev/null
	: >"$B/requests.jsonl"
}

# test NAME: start a named test case (for messages).
t() {
	CURRENT=$1
}

run_loco() {
	"$LOCO" "$@" >"$W/out" 2>"$W/err" </dev/null
	RC=$?
}

# run_loco_stdin TEXT ARGS...: the same with TEXT on standard input.
run_loco_stdin() {
	_in=$1
	shift
	printf '%s' "$_in" | "$LOCO" "$@" >"$W/out" 2>"$W/err"
	RC=$?
}

pass() {
	PASSED=$((PASSED + 1))
}

fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL [$AREA] $CURRENT: $1"
	echo "  --- stdout"; sed 's/^/  | /' "$W/out" 2>/dev/null | head -20
	echo "  --- stderr"; sed 's/^/  | /' "$W/err" 2>/dev/null | head -20
}

expect_rc() {
	if [ "$RC" -eq "$1" ]; then pass; else fail "exit status $RC, expected $1"; fi
}

# expect_out TEXT: stdout is exactly TEXT (plus the final newline).
expect_out() {
	printf '%s\n' "$1" >"$W/expected"
	if cmp -s "$W/expected" "$W/out"; then pass; else
		fail "stdout differs"; diff "$W/expected" "$W/out" | head -10 | sed 's/^/  /'
	fi
}

expect_err() {
	printf '%s\n' "$1" >"$W/expected"
	if cmp -s "$W/expected" "$W/err"; then pass; else
		fail "stderr differs"; diff "$W/expected" "$W/err" | head -10 | sed 's/^/  /'
	fi
}

# expect_err_has TEXT: some line of stderr is exactly TEXT.
expect_err_has() {
	if grep -qxF -- "$1" "$W/err"; then pass; else fail "stderr has no line '$1'"; fi
}

expect_out_has() {
	if grep -qF -- "$1" "$W/out"; then pass; else fail "stdout lacks '$1'"; fi
}

expect_err_match() {
	if grep -qE -- "$1" "$W/err"; then pass; else fail "stderr does not match /$1/"; fi
}

expect_out_empty() {
	if [ ! -s "$W/out" ]; then pass; else fail "stdout is not empty"; fi
}

expect_err_empty() {
	if [ ! -s "$W/err" ]; then pass; else fail "stderr is not empty"; fi
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
	if [ "$1" = "$2" ]; then pass; else fail "$3: '$1', expected '$2'"; fi
}

# req EXPR: evaluate a JavaScript expression over the request log, where
# reqs is the array of logged requests and chats only the /api/chat ones.
# Strings print raw, anything else as JSON.
req() {
	node -e '
		const fs = require("fs");
		const lines = fs.readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
		const reqs = lines.map((l) => JSON.parse(l));
		const chats = reqs.filter((r) => r.path === "/api/chat");
		const v = eval(process.argv[2]);
		process.stdout.write(typeof v === "string" ? v : (JSON.stringify(v) ?? ""));
	' "$B/requests.jsonl" "$1"
}

# json EXPR: evaluate EXPR over the JSON on loco's stdout (as "out").
json() {
	node -e '
		const out = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		const v = eval(process.argv[2]);
		process.stdout.write(typeof v === "string" ? v : (JSON.stringify(v) ?? ""));
	' "$W/out" "$1"
}

# mkpkg NAME VERSION [ARCH]: a LoRA package (general.architecture ARCH,
# qwen3 by default) in $W/pkgs/NAME-VERSION.tar.gz
mkpkg() {
	d="$W/src/$1-$2"
	rm -rf "$d" && mkdir -p "$d" "$W/pkgs"
	node "$TOP/tests/cmd/mkgguf.js" "$d/$1.gguf" general.architecture=s:${3:-qwen3} general.name=s:$1-$2
	cat >"$d/adapter.yaml" <<YAML
name: $1
version: $2
domain: math
type: lora
description: solver $2
file: $1.gguf
answer_type: number
router_keywords: [solve]
YAML
	(cd "$d" && sha256sum adapter.yaml "$1.gguf" >SHA256SUMS)
	(cd "$d" && tar -czf "$W/pkgs/$1-$2.tar.gz" adapter.yaml "$1.gguf" SHA256SUMS)
}
