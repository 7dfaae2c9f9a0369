#!/bin/sh
# bench.sh: loco's benchmarks (make bench).  POSIX sh.
#
#   sh tests/bench.sh [section ...]     default: every section, in order
#
# Each section is a function bench_NAME that measures and prints table
# lines; add a section by writing the function and naming it in SECTIONS.
# Timing is done by tests/bench/timeit.c (built here): fork/exec of the
# command with output to /dev/null, wall time from CLOCK_MONOTONIC,
# warm-up runs first, and commands compared against each other run
# interleaved so machine noise falls on both.  Medians are reported.
#
# Benchmarks report, they do not fail: a missed target prints MISS and the
# script still exits 0.  It exits 1 when a measurement cannot be made (no
# compiler, the backend does not start, a command fails, the Python
# yardstick no longer agrees with loco).
#
# Environment: BENCH_N runs per measurement (default 200 for route, 100
# for query); BENCH_PY_N runs of the Python equivalent (default 40);
# LOCO the binary (default ./loco); CC the compiler for timeit.c.

set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
LOCO=${LOCO:-$TOP/loco}
PY=/usr/bin/python3
SECTIONS="baseline startup route route_python route_large query vote tools queue sha256 setup eval openai faults benchload router switch convert"

# Nothing from the developer's environment may leak in.
for v in $(env | sed -n 's/^\(LOCO_[A-Z_]*\)=.*/\1/p'); do
	unset "$v"
done
unset OLLAMA_HOST NO_COLOR

W=$(mktemp -d "${TMPDIR:-/tmp}/loco-bench.XXXXXX") || exit 1
B=$W/backend
cleanup() {
	_rc=$?
	[ -f "$B/pid" ] && backend_stop "$B"
	cd / || return
	if [ "$_rc" -eq 0 ]; then
		rm -rf "$W"
	else
		echo "bench: kept $W" >&2
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

export HOME="$W/home"
export LOCO_HOME="$HOME/.locollm"
mkdir -p "$LOCO_HOME/adapters"
cp "$TOP/adapters/registry.yaml" "$LOCO_HOME/adapters/registry.yaml"
cp -R "$TOP/adapters/examples" "$LOCO_HOME/adapters/"
BACKEND_JS=$TOP/tests/backend/server.js
. "$TOP/tests/backend/start.sh"
cd "$W" || exit 1

die() {
	echo "bench: $*" >&2
	exit 1
}

# --- measuring and printing -------------------------------------------

# timeit N [NAME=VALUE...] CMD... [--- [NAME=VALUE...] CMD...]: run
# timeit; sets MED1, MED2, ... (median ms of each command, in order),
# MIN1, MEAN1, MAX1, ... and RATIO1, ... (the median of the run-by-run
# ratios to the first command).
timeit() {
	_n=$1
	shift
	"$W/timeit" -n "$_n" -w 5 "$@" >"$W/timeit.out" 2>"$W/timeit.err" ||
	    die "measurement failed: $(cat "$W/timeit.err")"
	_i=0
	while read -r _runs _min _med _mean _max _ratio; do
		_i=$((_i + 1))
		eval "MIN$_i=\$_min MED$_i=\$_med MEAN$_i=\$_mean MAX$_i=\$_max RATIO$_i=\$_ratio"
	done <"$W/timeit.out"
}

# verdict VALUE TARGET: PASS when VALUE < TARGET.
verdict() {
	awk -v v="$1" -v t="$2" 'BEGIN { print (v < t) ? "PASS" : "MISS" }'
}

# verdict_le VALUE TARGET: PASS when VALUE <= TARGET ("at most").
verdict_le() {
	awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t) ? "PASS" : "MISS" }'
}

calc() {
	awk "BEGIN { printf \"%.${2:-2}f\", $1 }"
}

# line LABEL TEXT: one row of the table.
line() {
	printf '  %-30s %s\n' "$1" "$2"
}

section() {
	printf '\n%s\n' "$1"
}

# --- fixtures ----------------------------------------------------------

# gen_registry ADAPTERS KEYWORDS yaml|json: a synthetic registry.  Every
# adapter has KEYWORDS phrases: mostly single words, every 5th a two-word
# phrase, every 7th a '*' pattern; weights 1, 1.5 and 2.
gen_registry() {
	awk -v na="$1" -v nk="$2" -v fmt="$3" '
	function kw(a, k) {
		if (k % 5 == 0)
			return sprintf("t%dw%d phrase%d", a, k, k)
		if (k % 7 == 0)
			return sprintf("s%dk%d*", a, k)
		return sprintf("a%dk%d", a, k)
	}
	BEGIN {
		doms[0] = "math"; doms[1] = "code"
		doms[2] = "analysis"; doms[3] = "writing"
		if (fmt == "yaml") {
			print "version: 1"
			print "base_model:"
			print "  name: Qwen3-4B"
			print "  tag: qwen3:4b-instruct-2507-q4_K_M"
			print "  quantization: Q4_K_M"
			print "  architecture: qwen3"
			print "adapters:"
		} else
			printf "{\"version\": 1, \"base_model\": {\"name\": " \
			    "\"Qwen3-4B\", \"tag\": \"qwen3:4b-instruct-2507-q4_K_M\", " \
			    "\"quantization\": \"Q4_K_M\", \"architecture\": " \
			    "\"qwen3\"}, \"adapters\": ["
		for (a = 1; a <= na; a++) {
			name = sprintf("syn%03d", a)
			if (fmt == "yaml") {
				print "  - name: " name
				print "    version: 1.0.0"
				print "    domain: " doms[a % 4]
				print "    type: prompt"
				print "    description: synthetic adapter " a
				print "    system: You are synthetic adapter " a "."
				print "    router_keywords:"
				for (k = 1; k <= nk; k++)
					print "      " kw(a, k) ": " \
					    (1 + (k % 3) * 0.5)
			} else {
				printf "%s{\"name\": \"%s\", \"version\": " \
				    "\"1.0.0\", \"domain\": \"%s\", \"type\": " \
				    "\"prompt\", \"description\": \"synthetic " \
				    "adapter %d\", \"router_keywords\": {", \
				    (a > 1 ? ", " : ""), name, doms[a % 4], a
				for (k = 1; k <= nk; k++)
					printf "%s\"%s\": %s", (k > 1 ? ", " : ""),
					    kw(a, k), 1 + (k % 3) * 0.5
				printf "}}"
			}
		}
		if (fmt == "json")
			print "]}"
	}'
}

# The questions the route benchmarks ask, and on which loco and the Python
# yardstick must agree.
Q_SMALL="Solve the quadratic equation x^2 - 5x + 6 = 0 and compute the sum of the roots"
Q_LARGE="please look at a17k3 and t150w10 phrase10 then s199k14xyz and a200k40"

# python_route ARGS...: the Python yardstick on this machine.  Without
# PyYAML it reads a JSON copy of the registry (PY_REG_ARGS).
PY_REG_ARGS=
PY_NOTE=
python_setup() {
	[ -x "$PY" ] || die "no $PY for the Python comparison"
	if "$PY" -c 'import yaml' 2>/dev/null; then
		PY_YAML=1
		PY_NOTE="PyYAML $("$PY" -c 'import yaml; print(yaml.__version__)'), yaml.safe_load"
	else
		PY_YAML=0
		PY_NOTE="no PyYAML for $PY: the Python side reads a JSON copy of the registry"
		"$PY" "$TOP/tests/bench/yaml2json.py" \
		    "$LOCO_HOME/adapters/registry.yaml" >"$W/registry.json" ||
		    die "cannot make a JSON copy of the registry"
		PY_REG_ARGS="--registry-json $W/registry.json"
	fi
}

# same_route QUESTION [PY_ARGS]: loco and route.py print the same decision.
same_route() {
	"$LOCO" route "$1" >"$W/route.loco" 2>&1 ||
	    die "loco route failed: $(cat "$W/route.loco")"
	# shellcheck disable=SC2086
	"$PY" "$TOP/tests/bench/route.py" ${2:-} "$1" >"$W/route.py.out" 2>&1 ||
	    die "route.py failed: $(cat "$W/route.py.out")"
	cmp -s "$W/route.loco" "$W/route.py.out" ||
	    die "route.py no longer agrees with loco route on '$1':
$(diff "$W/route.loco" "$W/route.py.out")"
}

# --- sections ------------------------------------------------------------

# The floor any process pays here, and what loading loco's shared libraries
# (exactly its DT_NEEDED list, and what they pull in) adds to it.
bench_baseline() {
	section "process start-up floor (no target; for reading the figures below)"
	printf 'int main(void) { return 0; }\n' >"$W/empty.c"
	${CC:-cc} -O2 -o "$W/empty" "$W/empty.c" ||
	    die "cannot build the empty program"
	needed=$(readelf -d "$LOCO" 2>/dev/null |
	    sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -v '^libc\.so')
	[ -n "$needed" ] || die "cannot list loco's libraries (readelf -d)"
	libs=
	for l in $needed; do
		libs="$libs -l:$l"
	done
	# shellcheck disable=SC2086
	${CC:-cc} -O2 -o "$W/empty-libs" "$W/empty.c" -Wl,--no-as-needed \
	    $libs || die "cannot link the empty program with loco's libraries"
	timeit "$N_ROUTE" "$W/empty" --- "$W/empty-libs" --- "$LOCO" version
	BASE_LIBS=$MED2
	line "empty C program" "median $(calc "$MED1") ms"
	line "empty, linked like loco" \
	    "median $(calc "$MED2") ms   (+$(calc "$MED2 - $MED1") ms: $(echo $needed) and their $(ldd "$W/empty-libs" | wc -l | tr -d ' ') objects)"
	line "loco version" "median $(calc "$MED3") ms"
}

# Start-up: loco route, the keyword router and the trained classifier
# (the shipped benchmarks' model, megabytes, mapped; its data checked by
# its stamp file), interleaved with /bin/true, the least a process costs
# here.  The ratios are the medians of run-by-run ratios to /bin/true
# (timeit.c), which a change in the machine's load moves least.
bench_startup() {
	section "start-up: loco route against /bin/true, interleaved (targets: keyword <= 2x, classifier <= 2.5x)"
	S=$W/startup
	mkdir -p "$S/adapters" "$S/benchmarks" || exit 1
	cp "$TOP/adapters/registry.yaml" "$S/adapters/" &&
	    cp -R "$TOP/adapters/examples" "$S/adapters/" &&
	    cp "$TOP"/benchmarks/*.jsonl "$TOP/benchmarks/general.txt" \
	    "$S/benchmarks/" || die "cannot copy the registry and benchmarks"
	# Training writes the stamp file that spares routing a read of the
	# data only when the data last changed 2 s or more before.
	sleep 3
	LOCO_HOME=$S "$LOCO" router train >"$W/train.out" 2>&1 ||
	    die "loco router train fails: $(cat "$W/train.out")"
	[ -f "$S/router.model.stamp" ] || die "no stamp file after training"
	for r in keyword classifier; do
		got=$(LOCO_HOME=$S LOCO_ROUTER_TYPE=$r "$LOCO" route --json \
		    "$Q_SMALL" 2>&1 | sed -n 's/^	"router":	"\(.*\)",$/\1/p')
		[ "$got" = "$r" ] || die "route with router.type $r: router '$got'"
	done
	timeit "$N_ROUTE" /bin/true --- \
	    LOCO_HOME="$S" LOCO_ROUTER_TYPE=keyword "$LOCO" route "$Q_SMALL" --- \
	    LOCO_HOME="$S" LOCO_ROUTER_TYPE=classifier "$LOCO" route "$Q_SMALL"
	mb=$(calc "$(wc -c <"$S/router.model") / 1e6" 1)
	printf '  %-34s %8s %8s %8s   %s\n' "" "min" "median" "max" "ratio to /bin/true"
	startup_row "/bin/true" 1
	startup_row "route, keyword router" 2 2
	startup_row "route, classifier ($mb MB model)" 3 2.5
}

# startup_row LABEL I [TARGET]: command I of the last timeit.
startup_row() {
	eval "_min=\$MIN$2 _med=\$MED$2 _max=\$MAX$2 _r=\$RATIO$2"
	if [ $# -gt 2 ]; then
		_v="$(calc "$_r")x   target <= $3x   $(verdict_le "$_r" "$3")"
	else
		_v=
	fi
	printf '  %-34s %5s ms %5s ms %5s ms   %s\n' "$1" "$(calc "$_min")" \
	    "$(calc "$_med")" "$(calc "$_max")" "$_v"
}

bench_route() {
	section "loco route"
	"$LOCO" route "$Q_SMALL" >/dev/null 2>&1 || die "loco route fails"
	timeit "$N_ROUTE" "$LOCO" route "$Q_SMALL"
	line "route (4 adapters)" \
	    "median $(calc "$MED1") ms   min $(calc "$MIN1") ms   target < 5 ms     $(verdict "$MED1" 5)"
	if [ -n "${BASE_LIBS:-}" ]; then
		line "  of which loco's own work" \
		    "$(calc "$MED1 - $BASE_LIBS") ms over the empty program linked like loco"
	fi
}

bench_route_python() {
	section "loco route against a Python CLI doing the same (tests/bench/route.py)"
	python_setup
	same_route "$Q_SMALL" "$PY_REG_ARGS"
	same_route "write a python function to parse a c++ header" "$PY_REG_ARGS"
	same_route "hello there" "$PY_REG_ARGS"
	# The three (or four) run interleaved; the ratios use this loco figure.
	if [ "$PY_YAML" = 1 ]; then
		timeit "$N_PY" "$LOCO" route "$Q_SMALL" --- \
		    "$PY" "$TOP/tests/bench/route.py" "$Q_SMALL" --- \
		    "$PY" -c pass --- \
		    "$PY" "$TOP/tests/bench/route.py" --libyaml "$Q_SMALL"
	else
		# shellcheck disable=SC2086
		timeit "$N_PY" "$LOCO" route "$Q_SMALL" --- \
		    "$PY" "$TOP/tests/bench/route.py" $PY_REG_ARGS "$Q_SMALL" --- \
		    "$PY" -c pass
	fi
	line "route (4 adapters), loco" "median $(calc "$MED1") ms   (interleaved with python)"
	line "route python equivalent" \
	    "median $(calc "$MED2") ms   ratio $(calc "$MED2 / $MED1" 1)x   (target ~50x)"
	if [ "$PY_YAML" = 1 ]; then
		line "  python, libyaml loader" \
		    "median $(calc "$MED4") ms   ratio $(calc "$MED4 / $MED1" 1)x"
	fi
	line "  python3 -c pass" "median $(calc "$MED3") ms   (the interpreter's start-up alone)"
	line "  python" "$PY_NOTE; output identical to loco on 3 questions"
}

# Scaling: a registry of 200 adapters x 40 keywords.
bench_route_large() {
	section "loco route scaling (synthetic registry, 200 adapters x 40 keywords)"
	big=$W/big
	mkdir -p "$big/adapters"
	gen_registry 200 40 yaml >"$big/adapters/registry.yaml"
	gen_registry 200 40 json >"$W/big.json"
	LOCO_HOME=$big "$LOCO" route "$Q_LARGE" >/dev/null 2>&1 ||
	    die "loco route fails on the large registry: $(LOCO_HOME=$big "$LOCO" route "$Q_LARGE" 2>&1)"
	timeit "$N_ROUTE" "$LOCO" route "$Q_SMALL" --- \
	    LOCO_HOME="$big" "$LOCO" route "$Q_LARGE"
	line "route (4 adapters)" "median $(calc "$MED1") ms"
	line "route (200 adapters)" \
	    "median $(calc "$MED2") ms   $(calc "$MED2 / $MED1" 1)x the default registry ($(wc -c <"$big/adapters/registry.yaml" | tr -d ' ') bytes of YAML)"
	[ -x "$PY" ] || return 0
	python_setup
	(
		export LOCO_HOME="$big"
		same_route "$Q_LARGE" "--registry-json $W/big.json"
		[ "$PY_YAML" = 0 ] || same_route "$Q_LARGE" "--libyaml"
	) || exit 1
	if [ "$PY_YAML" = 1 ]; then
		timeit "$N_PY_LARGE" LOCO_HOME="$big" "$LOCO" route "$Q_LARGE" --- \
		    LOCO_HOME="$big" "$PY" "$TOP/tests/bench/route.py" --libyaml "$Q_LARGE" --- \
		    LOCO_HOME="$big" "$PY" "$TOP/tests/bench/route.py" "$Q_LARGE"
		line "  python, libyaml loader" \
		    "median $(calc "$MED2") ms   ratio $(calc "$MED2 / $MED1" 1)x"
		line "  python, yaml.safe_load" \
		    "median $(calc "$MED3") ms   ratio $(calc "$MED3 / $MED1" 1)x"
	else
		timeit "$N_PY_LARGE" LOCO_HOME="$big" "$LOCO" route "$Q_LARGE" --- \
		    "$PY" "$TOP/tests/bench/route.py" --registry-json "$W/big.json" "$Q_LARGE"
		line "  python, JSON copy" \
		    "median $(calc "$MED2") ms   ratio $(calc "$MED2 / $MED1" 1)x"
	fi
}

# loco query's cost over the HTTP call itself: the same request by curl.
bench_query() {
	section "loco query overhead against curl (scripted backend, instant reply)"
	command -v curl >/dev/null 2>&1 || die "no curl for the query comparison"
	backend_start "$B" --idle-timeout 120 || die "cannot start the test backend"
	backend_script "$B" '{"models":["qwen3:4b-instruct-2507-q4_K_M"],"chat":[{"reply":"hi"}]}'
	: >"$B/requests.jsonl"
	out=$("$LOCO" query --quiet --adapter none --no-reread "hi" 2>&1) ||
	    die "loco query failed: $out"
	[ "$out" = hi ] || die "loco query printed '$out', expected 'hi'"
	node -e '
		const fs = require("fs");
		const r = fs.readFileSync(process.argv[1], "utf8").trim().split("\n")
			.map(JSON.parse).find((x) => x.path === "/api/chat");
		if (!r) throw new Error("no chat request logged");
		fs.writeFileSync(process.argv[2], JSON.stringify(r.body));
	' "$B/requests.jsonl" "$W/body.json" || die "cannot read loco's request body"
	out=$(curl -sS -H 'Content-Type: application/json' -d @"$W/body.json" \
	    "$OLLAMA_HOST/api/chat" 2>&1) || die "curl failed: $out"
	timeit "$N_QUERY" "$LOCO" query --quiet --adapter none --no-reread "hi" --- \
	    curl -s -H 'Content-Type: application/json' -d @"$W/body.json" \
	    "$OLLAMA_HOST/api/chat"
	d=$(calc "$MED1 - $MED2")
	line "query overhead vs curl" \
	    "loco $(calc "$MED1") ms, curl $(calc "$MED2") ms, +$d ms   target < 2 ms   $(verdict "$d" 2)"
	line "  body" "$(cat "$W/body.json")"
	backend_stop "$B"
}

# --- main ---------------------------------------------------------------

[ -x "$LOCO" ] || die "no loco binary at $LOCO (run make first)"
# Time a private copy: a rebuild during the run must not swap the binary.
cp "$LOCO" "$W/loco" || die "cannot copy $LOCO"
LOCO=$W/loco
N_ROUTE=${BENCH_N:-200}
N_QUERY=${BENCH_N:-100}
N_PY=${BENCH_PY_N:-40}
N_PY_LARGE=${BENCH_PY_N:-10}
${CC:-cc} -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -o "$W/timeit" \
    "$TOP/tests/bench/timeit.c" || die "cannot build tests/bench/timeit.c"

bench_vote() {
	section "self-consistency voting (scripted backend: 300 ms per sample, 5 served at once)"
	backend_start "$B" --idle-timeout 120 --parallel 5 || die "cannot start the test backend"
	backend_script "$B" '{"models":["qwen3:4b-instruct-2507-q4_K_M"],"chat":[{"reply":"The answer is 7","delay_ms":300}]}'
	n=${BENCH_VOTE_N:-10}
	timeit "$n" "$LOCO" query --quiet --adapter none --votes 1 "Add 3 and 4" --- \
	    "$LOCO" query --quiet --adapter none --votes 5 --parallel 5 \
	    --vote-method medoid "Add 3 and 4"
	r=$(calc "$MED2 / $MED1")
	line "one sample" "median $(calc "$MED1") ms"
	line "5 votes, --parallel 5" "median $(calc "$MED2") ms   ratio $r   target <= 1.3   $(verdict "$r" 1.3001)"
	line "  (a sequential vote)" "would take about 5 x one sample: ratio 5"
	# Early stopping: every sample agrees, so 3 of 5 decide.
	: >"$B/requests.jsonl"
	out=$("$LOCO" query --json --adapter none --answer-type number --votes 5 \
	    --parallel 1 --seed 1 "Add 3 and 4" 2>&1) || die "vote failed: $out"
	sent=$(node -e '
		const fs = require("fs");
		console.log(fs.readFileSync(process.argv[1], "utf8").trim().split("\n")
		    .filter((l) => JSON.parse(l).path === "/api/chat").length);' "$B/requests.jsonl")
	saved=$((5 - sent))
	line "early stop, all samples agree" "$sent of 5 samples sent, $saved saved   target 2 saved   $( [ "$saved" -ge 2 ] && echo PASS || echo MISS)"
	backend_stop "$B"
}

# Tool use: a python call's time in the sandbox (as loco records it,
# tools[].seconds) against python3 -c of the same code run directly, and
# the tool loop's own time per round against the scripted backend: a
# query whose model calls a tool at every turn until tools.max_rounds (4
# rounds, 5 requests) against the same answer with --no-tools (1 request).
bench_tools() {
	section "tool calls (python in the sandbox; scripted backend, instant reply)"
	backend_start "$B" --idle-timeout 120 || die "cannot start the test backend"
	cat >>"$LOCO_HOME/adapters/registry.yaml" <<'EOF2'
  - name: calc
    version: 1.0.0
    domain: math
    type: prompt
    description: arithmetic with a python tool
    tools: [python]
    tool_format: text
    active: false
EOF2
	backend_script "$B" '{"models":["qwen3:4b-instruct-2507-q4_K_M","loco-calc:1.0.0-qwen3-4b-instruct-2507-q4_K_M"],"chat":[{"reply":"<tool_call>{\"tool\": \"python\", \"code\": \"347*28\"}</tool_call>"}]}'
	n=${BENCH_TOOLS_N:-20}
	i=0
	: >"$W/tool_secs"
	while [ $i -lt "$n" ]; do
		out=$("$LOCO" query --json --quiet --adapter calc --no-reread \
		    "347 times 28" 2>&1) || die "loco query with a tool failed: $out"
		printf '%s' "$out" | node -e '
			const o = JSON.parse(require("fs").readFileSync(0, "utf8"));
			if (o.tools.length !== 4 || o.tools[0].result !== "9716")
				throw new Error("unexpected tools: " + JSON.stringify(o.tools));
			for (const t of o.tools) console.log(t.seconds * 1000);' \
		    >>"$W/tool_secs" || die "loco query gave no tool calls"
		i=$((i + 1))
	done
	sb=$(sort -n "$W/tool_secs" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
	timeit 40 "$PY" -c "print(347*28)" --- "$PY" -I -S -B -c "print(347*28)"
	r=$(calc "$sb / $MED1")
	line "python call in the sandbox" "median $(calc "$sb") ms of $(wc -l <"$W/tool_secs") calls"
	line "  python3 -c, directly" "median $(calc "$MED1") ms   ratio ${r}x   target <= 2   $(verdict "$r" 2.0001)"
	line "  python3 -I -S -B -c" "median $(calc "$MED2") ms (the sandbox's flags, no sandbox)"
	timeit "$n" "$LOCO" query --quiet --adapter calc --no-reread "347 times 28" --- \
	    "$LOCO" query --quiet --adapter calc --no-reread --no-tools "347 times 28"
	per=$(calc "($MED1 - $MED2) / 4")
	own=$(calc "($MED1 - $MED2) / 4 - $sb")
	line "query, 4 rounds of calls" "median $(calc "$MED1") ms (5 requests); --no-tools $(calc "$MED2") ms (1)"
	line "  per round" "$per ms: the sandbox $(calc "$sb") ms, the request and the loop $own ms"
	backend_stop "$B"
}

# A stock Ollama answers one request at a time, and a queued request gets
# no byte until its turn.  Two 4-vote queries against servers that do the
# same (the fake with --parallel 1), 1.5 s an answer (0.3 s to the first
# byte, then six lines 0.24 s apart), run side by side: with the default
# inference.parallel (1 on Ollama), and with four forced in flight and
# backend.timeout at 1 s, where the last sample waits 4.5 s in the queue;
# only backend.load_timeout times that wait.  Every sample must count.
bench_queue() {
	section "queueing: a 4-vote query, one request served at a time, 1.5 s answers"
	backend_start "$B" --idle-timeout 120 --parallel 1 || die "cannot start the test backend"
	B2=$W/backend2
	OLLAMA_HOST1=$OLLAMA_HOST
	backend_start "$B2" --idle-timeout 120 --parallel 1 || die "cannot start a second test backend"
	OLLAMA_HOST2=$OLLAMA_HOST
	s='{"models":["qwen3:4b-instruct-2507-q4_K_M"],"chat":[{"replies":["The answer is 7","The answer is 8"],"by_seed":true,"first_byte_delay_ms":300,"chunk_size":3,"chunk_delay_ms":240}]}'
	backend_script "$B" "$s"
	backend_script "$B2" "$s"
	start=$(date +%s%N)
	OLLAMA_HOST=$OLLAMA_HOST1 "$LOCO" query --json --adapter none \
	    --votes 4 --seed 1 "Add 3 and 4" >"$W/q1.json" 2>"$W/q1.err" &
	p1=$!
	OLLAMA_HOST=$OLLAMA_HOST2 LOCO_BACKEND_TIMEOUT=1 "$LOCO" query --json \
	    --adapter none --votes 4 --parallel 4 --seed 1 "Add 3 and 4" \
	    >"$W/q2.json" 2>"$W/q2.err" &
	p2=$!
	wait $p1 || die "vote failed: $(cat "$W/q1.err")"
	end1=$(date +%s%N)
	wait $p2 || die "vote with --parallel 4 failed: $(cat "$W/q2.err")"
	end2=$(date +%s%N)
	for i in 1 2; do
		eval "end=\$end$i"
		v=$(node -e '
			const v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).vote;
			console.log(v.samples - v.invalid);' "$W/q$i.json") ||
		    die "no vote in the JSON: $(cat "$W/q$i.json")"
		secs=$(calc "($end - $start) / 1e9" 1)
		if [ $i -eq 1 ]; then
			label="default parallel (1)"
		else
			label="--parallel 4, timeout 1 s"
		fi
		line "$label" "$secs s, $v of 4 samples valid   target 4 of 4   $( [ "$v" -eq 4 ] && echo PASS || echo MISS)"
	done
	line "  (one at a time)" "about 4 x 1.5 s = 6 s either way: the server sets the pace"
	backend_stop "$B2"
	backend_stop "$B"
}

# SHA-256 of a large file: loco's hash module (OpenSSL EVP, through a
# small driver: loco has no command that only hashes) against coreutils
# sha256sum.  Both read a warm page cache, so this measures the hashing.
bench_sha256() {
	section "sha256 of a 256 MB file (page cache warm), against sha256sum"
	command -v sha256sum >/dev/null 2>&1 || die "no sha256sum for the comparison"
	# shellcheck disable=SC2046
	${CC:-cc} -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 \
	    -I"$TOP/include" $(pkg-config --cflags libcrypto) -o "$W/sha256" \
	    "$TOP/tests/bench/sha256.c" "$TOP/src/hash.c" "$TOP/src/util.c" \
	    "$TOP/src/fsutil.c" "$TOP/src/strbuf.c" \
	    "$TOP/src/error.c" $(pkg-config --libs libcrypto) ||
	    die "cannot build tests/bench/sha256.c"
	f=$W/sha256.bin
	bytes=268435456
	# The contents do not change SHA-256's speed; yes is much faster
	# than /dev/urandom.
	yes 'loco sha256 benchmark 0123456789abcdefghijklmnopqrstuvwxyz' |
	    head -c "$bytes" >"$f" || die "cannot write $f"
	[ "$(wc -c <"$f" | tr -d ' ')" = "$bytes" ] || die "short file $f"
	cat "$f" >/dev/null
	a=$("$W/sha256" "$f" | cut -d' ' -f1) || die "the sha256 driver failed"
	b=$(sha256sum "$f" | cut -d' ' -f1) || die "sha256sum failed"
	[ "$a" = "$b" ] || die "loco's SHA-256 '$a' differs from sha256sum's '$b'"
	# Best of 3 each, interleaved; the runs above were the warm-up.
	"$W/timeit" -n 3 -w 0 "$W/sha256" "$f" --- sha256sum "$f" \
	    >"$W/timeit.out" 2>"$W/timeit.err" ||
	    die "measurement failed: $(cat "$W/timeit.err")"
	best_loco=$(sed -n 1p "$W/timeit.out" | awk '{ print $2 }')
	best_sum=$(sed -n 2p "$W/timeit.out" | awk '{ print $2 }')
	mbs_loco=$(calc "$bytes / 1e3 / $best_loco" 0)
	mbs_sum=$(calc "$bytes / 1e3 / $best_sum" 0)
	r=$(calc "$best_sum / $best_loco")
	v=$(awk -v r="$r" 'BEGIN { print (r >= 0.95) ? "PASS" : "MISS" }')
	line "loco (OpenSSL EVP)" "best $(calc "$best_loco" 0) ms   $mbs_loco MB/s"
	line "sha256sum (coreutils $(sha256sum --version | sed -n '1s/.*) //p'))" \
	    "best $(calc "$best_sum" 0) ms   $mbs_sum MB/s"
	line "throughput loco/sha256sum" \
	    "$r   target >= 1.0 (PASS at >= 0.95 for noise)   $v"
	line "  digests" "identical; cpu has SHA-NI: $(grep -q sha_ni /proc/cpuinfo 2>/dev/null && echo yes || echo no)"
	rm -f "$f"
}

bench_setup() {
	section "loco setup again with 10 current adapters (5 LoRA, 5 prompt)"
	backend_start "$B" --idle-timeout 120 || die "cannot start the test backend"
	backend_script "$B" '{"models":[{"name":"qwen3:4b-instruct-2507-q4_K_M","architecture":"qwen3"}]}'
	reg="$LOCO_HOME/adapters/registry.yaml"
	cp "$reg" "$W/registry.saved"
	printf 'base_model:\n  name: Qwen3-4B\n  tag: qwen3:4b-instruct-2507-q4_K_M\n  architecture: qwen3\nadapters:\n' >"$reg"
	for i in 1 2 3 4 5 6 7 8 9 10; do
		if [ $i -le 5 ]; then
			node "$TOP/tests/cmd/mkgguf.js" "$LOCO_HOME/adapters/a$i.gguf" \
			    general.architecture=s:qwen3 general.name=s:a$i ||
			    die "cannot make a GGUF"
			printf '  - {name: a%s, version: 1.0.0, domain: math, type: lora, description: x, file: a%s.gguf, system: "Be exact."}\n' $i $i >>"$reg"
		else
			printf '  - {name: a%s, version: 1.0.0, domain: code, type: prompt, description: x, system: "Be brief %s."}\n' $i $i >>"$reg"
		fi
	done
	out=$("$LOCO" setup --quiet 2>&1) || die "first setup failed: $out"
	: >"$B/requests.jsonl"
	out=$("$LOCO" setup --quiet 2>&1) || die "second setup failed: $out"
	case "$out" in *"everything is current"*) ;; *) die "setup was not idempotent: $out" ;; esac
	n=$(wc -l <"$B/requests.jsonl" | tr -d ' ')
	up=$(grep -c '"/api/blobs' "$B/requests.jsonl")
	timeit "${BENCH_SETUP_N:-50}" "$LOCO" setup --quiet --- \
	    curl -s "$OLLAMA_HOST/api/version" -o /dev/null -w '' --next -s "$OLLAMA_HOST/api/tags" -o /dev/null
	d=$(calc "$MED1 - $MED2")
	line "setup, all current" "median $(calc "$MED1") ms; the same 2 requests by curl $(calc "$MED2") ms"
	line "  loco's own time" "$d ms   target < 50 ms   $(verdict "$d" 50)"
	line "  requests" "$n in all, $up uploads   target 0 uploads   $( [ "$up" -eq 0 ] && echo PASS || echo MISS)"
	cp "$W/registry.saved" "$reg"
	backend_stop "$B"
}

bench_eval() {
	section "loco eval throughput (scripted backend: 50 ms per answer, 8 at once) and memory"
	${CC:-cc} -O2 -o "$W/maxrss" "$TOP/tests/bench/maxrss.c" || die "cannot build maxrss"
	backend_start "$B" --idle-timeout 300 --parallel 8 || die "cannot start the test backend"
	backend_script "$B" '{"models":["qwen3:4b-instruct-2507-q4_K_M","loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"],"chat":[{"reply":"The answer is 4","delay_ms":50}]}'
	node -e '
		for (let i = 1; i <= 200; i++)
			console.log(JSON.stringify({ id: "c" + i, instruction: `What is ${i}+${i}?`, expected_output: "4" }));' >"$W/b200.jsonl"
	for j in 1 4 8; do
		start=$(date +%s%N)
		out=$("$LOCO" eval --benchmark "$W/b200.jsonl" --output "$W/ev$j" --no-cache --jobs $j math 2>&1) ||
		    die "eval failed: $out"
		end=$(date +%s%N)
		secs=$(calc "($end - $start) / 1e9" 3)
		line "--jobs $j" "400 cases in $secs s: $(calc "400 / $secs" 1) cases/s"
	done
	backend_script "$B" '{"models":["qwen3:4b-instruct-2507-q4_K_M","loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"],"chat":[{"reply":"The answer is 4"}]}'
	for n in 1000 10000; do
		node -e '
			for (let i = 1; i <= +process.argv[1]; i++)
				console.log(JSON.stringify({ id: "c" + i, instruction: `What is ${i}+${i}?`, expected_output: "4" }));' $n >"$W/b$n.jsonl"
		rss=$("$W/maxrss" "$LOCO" eval --benchmark "$W/b$n.jsonl" --output "$W/rss$n" --no-cache --jobs 8 --format json math 2>/dev/null | tail -n 1) ||
		    die "eval of $n cases failed"
		eval "RSS$n=\$rss"
		line "peak RSS, $n cases" "$rss kB"
	done
	r=$(calc "$RSS10000 / $RSS1000" 2)
	per=$(calc "($RSS10000 - $RSS1000) * 1024 / 9000" 0)
	line "  10,000 / 1,000 cases" "ratio $r: $per bytes per case (the cases are held; responses are logged, not kept)"
	backend_stop "$B"
}

# child_cpu VAR: the CPU seconds (user + system) of the children this
# shell has waited for, into VAR; read before and after a run, the
# difference is that run's.  times runs in this shell, not in $(...),
# whose children are its own.
child_cpu() {
	times >"$W/times"
	eval "$1=$(awk 'NR == 2 { split($1, u, "m"); split($2, s, "m")
		printf "%.3f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$W/times")"
}

bench_openai() {
	n=${BENCH_OPENAI_N:-100}
	section "loco eval on an OpenAI-compatible server (scripted, as vLLM: 50 ms per answer, $n cases x adapter and base)"
	backend_start "$B" --flavor openai --idle-timeout 300 --parallel 64 || die "cannot start the openai backend"
	base=qwen3:4b-instruct-2507-q4_K_M
	backend_script "$B" "{\"models\": [\"$base\", {\"id\": \"math\", \"parent\": \"$base\"}], \"chat\": [{\"reply\": \"The answer is 4\", \"delay_ms\": 50}]}"
	node -e '
		for (let i = 1; i <= +process.argv[1]; i++)
			console.log(JSON.stringify({ id: "c" + i, instruction: `What is ${i}+${i}?`, expected_output: "4" }));' "$n" >"$W/oai.jsonl"
	for j in 1 4 16; do
		child_cpu c0
		start=$(date +%s%N)
		out=$(LOCO_BACKEND=openai "$LOCO" eval --benchmark "$W/oai.jsonl" --output "$W/oai$j" --no-cache --jobs $j math 2>&1) ||
		    die "eval on openai failed: $out"
		end=$(date +%s%N)
		child_cpu c1
		secs=$(calc "($end - $start) / 1e9" 3)
		rate=$(calc "2 * $n / $secs" 1)
		eval "OAI_RATE$j=\$rate"
		line "--jobs $j" "$((2 * n)) cases in $secs s: $rate cases/s, loco's CPU $(calc "($c1 - $c0) * 1e3 / (2 * $n)" 2) ms a case"
	done
	r4=$(calc "$OAI_RATE4 / $OAI_RATE1" 1)
	r16=$(calc "$OAI_RATE16 / $OAI_RATE1" 1)
	line "  4 jobs / 1 job" "${r4}x   (4x at most)"
	line "  16 jobs / 1 job" "${r16}x   target >= 12x   $(awk -v r="$r16" 'BEGIN { print (r >= 12) ? "PASS" : "MISS" }')"
	backend_stop "$B"
}

# gen_bench N: N cases in full form, GSM8K-sized questions with numeric
# answers; every 4th a contains case, every 10th with an extract_pattern
# (compiled at load), ids that share a long prefix (as gsm8k-0001 ... do).
gen_bench() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++) {
			a = i % 97 + 2; b = i % 13 + 1; c = i % 7 + 1
			q = sprintf("A farmer has %d rows of %d apple trees and picks %d baskets from each tree every week. Each basket holds 12 apples. How many apples does the farmer pick in a week, and how many are left if %d are sold?", a, b, c, a * b)
			cfg = (i % 10 == 0) ? "{\"answer_type\":\"number\",\"extract_pattern\":\"(?i)total:\\\\s*(\\\\d+)\"}" : "{\"answer_type\":\"number\"}"
			if (i % 4 == 0)
				printf "{\"id\":\"bench-case-%07d\",\"instruction\":\"%s\",\"input\":\"\",\"expected_output\":\"apples\",\"evaluation_type\":\"contains\",\"difficulty\":\"easy\",\"tags\":[\"synthetic\",\"load\"]}\n", i, q
			else
				printf "{\"id\":\"bench-case-%07d\",\"instruction\":\"%s\",\"input\":\"\",\"expected_output\":\"%d\",\"evaluation_type\":\"exact_match\",\"evaluation_config\":%s,\"difficulty\":\"medium\",\"tags\":[\"synthetic\"]}\n", i, q, a * b * c * 12 - a * b, cfg
		}
	}'
}

# Loading a benchmark (loco bench check: read, hash, parse, check every
# case and that no id repeats) at 80,000 and 160,000 cases.  Loading is
# linear when twice the cases take about twice the time; the duplicate-id
# check used to compare every id with every earlier one (80k cases 14 s,
# 160k 118 s).
bench_benchload() {
	section "benchmark loading: loco bench check, 80,000 and 160,000 cases"
	gen_bench 80000 >"$W/load80k.jsonl" || die "cannot write $W/load80k.jsonl"
	gen_bench 160000 >"$W/load160k.jsonl" || die "cannot write $W/load160k.jsonl"
	for n in 80k 160k; do
		out=$("$LOCO" bench check "$W/load$n.jsonl" 2>&1) ||
		    die "loco bench check of $n cases failed: $out"
	done
	case $out in
	*": 160000 cases, "*) ;;
	*) die "loco bench check did not count 160000 cases: $out" ;;
	esac
	# Five runs each, interleaved, after one warm-up (the checks above
	# were the first): a second a run at most, so kept short.
	"$W/timeit" -n 5 -w 1 "$LOCO" bench check "$W/load80k.jsonl" --- \
	    "$LOCO" bench check "$W/load160k.jsonl" >"$W/timeit.out" \
	    2>"$W/timeit.err" || die "measurement failed: $(cat "$W/timeit.err")"
	# shellcheck disable=SC2046
	set -- $(cat "$W/timeit.out")
	min80=$2 med80=$3 min160=$7 med160=$8
	mb80=$(calc "$(wc -c <"$W/load80k.jsonl") / 1e6" 0)
	mb160=$(calc "$(wc -c <"$W/load160k.jsonl") / 1e6" 0)
	line "80,000 cases ($mb80 MB)" "median $(calc "$med80 / 1e3" 3) s (min $(calc "$min80 / 1e3" 3) s)"
	line "160,000 cases ($mb160 MB)" "median $(calc "$med160 / 1e3" 3) s (min $(calc "$min160 / 1e3" 3) s)   target < 1 s   $(verdict "$med160" 1000)"
	r=$(calc "$med160 / $med80")
	line "  160k / 80k" "ratio $r   linear ~2, quadratic ~4   $(verdict "$r" 2.6)"
	rm -f "$W/load80k.jsonl" "$W/load160k.jsonl"
}

# An eval through faults: 1,000 cases, both models, with a reset, a 500
# and a stream cut short each on one request in 60 (5% in all).  It must
# finish without --resume, every case once in the log.
bench_faults() {
	section "loco eval through injected faults (scripted backend, 5% of requests fail)"
	backend_start "$B" --idle-timeout 300 --parallel 4 || die "cannot start the test backend"
	backend_script "$B" '{"models":["qwen3:4b-instruct-2507-q4_K_M","loco-math:1.0.0-qwen3-4b-instruct-2507-q4_K_M"],"chat":[
	    {"match":{"every":60},"fault":"reset","reply":"The answer is 4"},
	    {"match":{"every":59},"status":500,"error":"runner crashed"},
	    {"match":{"every":58},"fault":"truncate","reply":"The answer is 4"},
	    {"reply":"The answer is 4"}]}'
	node -e '
		for (let i = 1; i <= 1000; i++)
			console.log(JSON.stringify({ id: "c" + i, instruction: `What is ${i}+${i}?`, expected_output: "4" }));' >"$W/f1000.jsonl"
	start=$(date +%s%N)
	"$LOCO" eval --benchmark "$W/f1000.jsonl" --output "$W/faults" --no-cache --jobs 4 math >"$W/faults.out" 2>&1 ||
	    die "eval through faults failed: $(tail -n 3 "$W/faults.out")"
	end=$(date +%s%N)
	r=$(node -e '
		const fs = require("fs"), dir = process.argv[1];
		const log = fs.readFileSync(dir + "/log.jsonl", "utf8").trim().split("\n").map(JSON.parse);
		const res = JSON.parse(fs.readFileSync(dir + "/results.json", "utf8"));
		const keys = new Set(log.map((l) => l.subject + "/" + l.id));
		console.log([2000 - keys.size, log.length - keys.size, res.cost.retries, res.cost.requests].join(" "));' "$W/faults")
	set -- $r
	line "1,000 cases x 2 models" "$(calc "($end - $start) / 1e9" 1) s, $4 requests, $3 retried: $1 lost, $2 duplicated   target 0, 0   $( [ "$1" -eq 0 ] && [ "$2" -eq 0 ] && echo PASS || echo MISS)"
	backend_stop "$B"
}

bench_router() {
	section "classifier router (benchmarks/*.jsonl, general.txt; held out: router.tsv)"
	mkdir -p "$LOCO_HOME/benchmarks"
	cp "$TOP"/benchmarks/*.jsonl "$TOP/benchmarks/general.txt" \
	    "$LOCO_HOME/benchmarks/" || die "cannot copy the benchmarks"
	# As in bench_startup: data older than 2 s, so the model is stamped.
	sleep 3
	"$LOCO" router train >/dev/null || die "loco router train fails"
	[ -f "$LOCO_HOME/router.model.stamp" ] || die "no stamp file after training"
	timeit 20 "$LOCO" router train --out "$W/bench.model"
	line "router train" \
	    "median $(calc "$MED1") ms (whole process)   target < 1000 ms   $(verdict "$MED1" 1000)"
	# In-process: eval of the development sets 20 times over, less eval of
	# one line (timed on the dev sets: the held-out router.tsv is only
	# scored, once a run, below).
	cat "$TOP/benchmarks/router-dev.tsv" "$TOP/benchmarks/router-dev2.tsv" |
	    grep -v '^#' | grep . >"$W/r1.tsv"
	nq=$(wc -l <"$W/r1.tsv")
	for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		cat "$W/r1.tsv"
	done >"$W/r20.tsv"
	head -n 1 "$W/r1.tsv" >"$W/rone.tsv"
	timeit 20 "$LOCO" router eval --router classifier "$W/r20.tsv" --- \
	    "$LOCO" router eval --router classifier "$W/rone.tsv"
	per=$(calc "($MED1 - $MED2) * 1000 / ($nq * 20 - 1)" 1)
	line "classifier, per query in-process" \
	    "$per us ($((nq * 20)) queries)   target < 1000 us   $(verdict "$per" 1000)"
	"$LOCO" route "$Q_SMALL" >/dev/null 2>&1 || die "loco route fails"
	timeit "$N_ROUTE" "$LOCO" route "$Q_SMALL" --- \
	    LOCO_ROUTER_TYPE=keyword "$LOCO" route "$Q_SMALL"
	line "route, trained model on disk" \
	    "median $(calc "$MED1") ms   min $(calc "$MIN1") ms   target < 10 ms   $(verdict "$MED1" 10)"
	line "  route, router.type keyword" "median $(calc "$MED2") ms"
	for r in classifier keyword; do
		"$LOCO" router eval --json --router $r \
		    "$TOP/benchmarks/router.tsv" >"$W/reval.json" ||
		    die "loco router eval --router $r fails"
		acc=$(sed -n 's/^	"accuracy":	\(.*\),$/\1/p' "$W/reval.json")
		ece=$(sed -n 's/^	"ece":	\(.*\),$/\1/p' "$W/reval.json")
		line "accuracy on router.tsv, $r" "$acc (ECE $ece)"
	done
}

# Switching adapters: rounds of four routed queries, one per domain (every
# query changes adapter), against rounds of four math queries (none does),
# interleaved, on the real llama-server (loco serve, every adapter
# resident) and on the Ollama-emulating engine (a change of adapter model
# reloads, as in Ollama).  Then the model loads of an eval --grid.
bench_switch() {
	section "adapter switching: llama-server (loco serve) against the Ollama path (engine)"
	T=$TOP/adapters/tiny
	llama=$(sh "$TOP/tests/llama/build.sh" --path)
	[ -x "$llama" ] || die "no llama-server (sh tests/llama/build.sh)"
	[ -d "$TOP/tests/engine/node_modules/node-llama-cpp" ] ||
	    die "no engine (cd tests/engine && npm ci --omit=optional)"
	reg=$LOCO_HOME/adapters/registry.yaml
	cp "$reg" "$W/registry.saved"
	sed -e "s|file: \([a-z-]*\)\.gguf|file: $T/\1.gguf|" \
	    -e "s|^  architecture: llama|  architecture: llama\n  file: $T/base.gguf|" \
	    "$T/registry.yaml" >"$reg"
	mk() {	# mk NAME Q1 Q2 Q3 Q4: a round of four queries
		{
			echo "#!/bin/sh"
			for _q in "$2" "$3" "$4" "$5"; do
				printf '"%s" query --quiet --temperature 0 "%s" >/dev/null 2>>"%s" || exit 1\n' "$LOCO" "$_q" "$W/round.err"
			done
		} >"$W/$1"
		chmod +x "$W/$1"
	}
	# Ends on math: the same-adapter round after it changes nothing.
	# Each routes to its domain's adapter in the tiny registry.
	mk alternate "Python: vals = [9, 2, 6]; print(min(vals))" \
	    "Passage: (1) Abe hugged Pat. (2) Gil followed Dee. Sentence 2: what is the verb?" \
	    "Rewrite in title case: hill swam gave" "Anna buys 6 bags of 5 toys. How many toys?"
	mk same "Anna buys 6 bags of 5 toys. How many toys?" "Ruth had 11 stickers and gave 7 to Nora. How many stickers now?" \
	    "Anna buys 5 bags of 6 flowers. How many flowers?" "Tom buys 4 boxes of 3 pens. How many pens?"
	n=${BENCH_SWITCH_N:-15}

	E=$W/engine
	BACKEND_JS=$TOP/tests/engine/server.js
	backend_start "$E" --models "$T" --idle-timeout 300 || die "cannot start the engine"
	BACKEND_JS=$TOP/tests/backend/server.js
	"$LOCO" setup --quiet >/dev/null 2>&1 || die "setup on the engine failed"
	: >"$W/round.err"
	"$W/alternate" || die "a query on the engine failed: $(cat "$W/round.err")"
	timeit "$n" "$W/alternate" --- "$W/same"
	ea=$MED1 es=$MED2
	# A judged eval (the base judges): the adapter's answers, the base's,
	# then the judge's, so each of the two models loads once, not once a case.
	head -n 6 "$T/benchmarks/writing.jsonl" | node -e '
		require("readline").createInterface({ input: process.stdin }).on("line", (l) => {
			const c = JSON.parse(l);
			c.evaluation_type = "llm_judge";
			c.evaluation_config = { rubric: "the words asked for", threshold: 0.6 };
			console.log(JSON.stringify(c));
		});' >"$W/judged.jsonl"
	"$LOCO" query --quiet --adapter math "Tom buys 4 boxes of 3 pens. How many pens?" >/dev/null 2>&1 ||
	    die "a query on the engine failed"
	before=$(grep -c '^test engine: loading ' "$E/server.log")
	LOCO_EVAL_JUDGE_RUNS=1 "$LOCO" eval --benchmark "$W/judged.jsonl" --output "$W/judged" --no-cache --jobs 1 writing \
	    >/dev/null 2>"$W/judged.err" || die "judged eval failed: $(cat "$W/judged.err")"
	# The engine logs each load: the truth, beside what loco counted from
	# load_duration (20 ms or more; a tiny reload can take less).
	loads=$(( $(grep -c '^test engine: loading ' "$E/server.log") - before ))
	jl=$(node -e 'const r = require(process.argv[1]); console.log(r.cost.model_loads + " " + r.cost.requests)' "$W/judged/results.json")
	line "judged eval, 6 cases (engine)" "$loads model loads (loco counted ${jl% *}) for 2 distinct models (adapter, base as judge), ${jl#* } requests   target = 2   $( [ "$loads" -eq 2 ] && echo PASS || echo MISS)"
	backend_stop "$E"
	unset OLLAMA_HOST

	export LOCO_BACKEND=llama-server LOCO_BACKEND_LLAMA_SERVER="$llama"
	# One thread, as the llama.cpp notes measured: loco needs the other core.
	"$LOCO" serve --threads 1 >"$W/serve.out" 2>"$W/serve.err" &
	spid=$!
	i=0
	while [ ! -s "$LOCO_HOME/serve.json" ]; do
		i=$((i + 1))
		[ $i -gt 300 ] && { kill "$spid"; die "loco serve did not start: $(cat "$W/serve.err")"; }
		sleep 0.1
	done
	timeit "$n" "$W/alternate" --- "$W/same"
	la=$MED1 ls=$MED2
	line "engine (Ollama path)" "alternating $(calc "$ea / 4") ms/query, one adapter $(calc "$es / 4") ms/query, ratio $(calc "$ea / $es")"
	line "llama-server" "alternating $(calc "$la / 4") ms/query, one adapter $(calc "$ls / 4") ms/query, ratio $(calc "$la / $ls")   target <= 1.5   $(verdict "$(calc "$la / $ls" 3)" 1.5001)"
	r=$(calc "$ea / $la")
	line "every query a switch" "llama-server ${r}x faster than the engine per routed query   target >= 5   $(awk -v r="$r" 'BEGIN { print (r >= 5) ? "PASS" : "MISS" }')"
	line "  cost of a switch" "engine $(calc "($ea - $es) / 4") ms (a reload of the 3 MB tiny base; a 4B model's takes seconds), llama-server $(calc "($la - $ls) / 4") ms"

	log=$LOCO_HOME/logs/llama-server.log
	loads=$(grep -c "load_model: loading model" "$log")
	"$LOCO" bench import --format jsonl "$T/data/math.jsonl" --output "$W/math.jsonl" 2>/dev/null
	"$LOCO" eval --grid --benchmark "$W/math.jsonl" --limit 20 --no-cache math >/dev/null 2>"$W/grid.err" ||
	    { kill "$spid"; die "eval --grid failed: $(cat "$W/grid.err")"; }
	reloads=$(( $(grep -c "load_model: loading model" "$log") - loads ))
	restarts=$(node -e 'console.log(require(process.argv[1]).restarts)' "$LOCO_HOME/serve.json")
	line "eval --grid math (20 cases)" "llama-server: $reloads model loads, $restarts restarts   target 0   $( [ "$reloads" -eq 0 ] && [ "$restarts" -eq 0 ] && echo PASS || echo MISS)"
	kill -TERM "$spid"
	wait "$spid"
	unset LOCO_BACKEND LOCO_BACKEND_LLAMA_SERVER
	cp "$W/registry.saved" "$reg"
}

# Converting a PEFT LoRA of Qwen3-4B's size (synthetic: rank 16 on q, k,
# v and o of 36 layers, F32, written by tests/cmd/peft.js) against reading
# the file once with cat, interleaved; the output goes to /dev/shm when
# there is one, so the fsync every conversion does costs what a page-cache
# write costs and the ratio measures the conversion, not the disk (the
# conversion to the disk beside it is reported too).  Peak memory is the
# child's maxrss (GNU time's %M, from wait4's rusage).
bench_convert() {
	section "adapters convert: a Qwen3-4B-sized rank-16 PEFT adapter against cat"
	S="--arch qwen3 --layers 36 --hidden 2560 --heads 32 --kv 8 --head-dim 128 --ff 9728"
	node "$TOP/tests/cmd/peft.js" base "$W/q3-4b.gguf" $S --sparse || die "cannot write the synthetic base"
	node "$TOP/tests/cmd/peft.js" adapter "$W/q3-4b-lora" $S --rank 16 --alpha 32 --targets q,k,v,o ||
	    die "cannot write the synthetic adapter"
	f=$W/q3-4b-lora/adapter_model.safetensors
	out=$W/converted.gguf
	[ -d /dev/shm ] && [ -w /dev/shm ] && out=/dev/shm/loco-bench-convert.$$.gguf
	"$LOCO" adapters convert --base "$W/q3-4b.gguf" -o "$out" "$W/q3-4b-lora" >/dev/null 2>"$W/convert.err" ||
	    die "convert failed: $(cat "$W/convert.err")"
	node "$TOP/tests/cmd/peft.js" check "$W/q3-4b-lora" "$out" --f16 >/dev/null 2>"$W/convert.err" ||
	    die "the converted adapter is wrong: $(cat "$W/convert.err")"
	n=${BENCH_CONVERT_N:-20}
	timeit "$n" "$LOCO" adapters convert --base "$W/q3-4b.gguf" -o "$out" "$W/q3-4b-lora" --- cat "$f"
	conv=$MED1 cat=$MED2
	timeit "$((n / 4 + 1))" "$LOCO" adapters convert --base "$W/q3-4b.gguf" -o "$W/disk.gguf" "$W/q3-4b-lora"
	disk=$MED1
	rm -f "$out"
	mb=$(calc "$(wc -c <"$f") / 1e6" 1)
	r=$(calc "$conv / $cat")
	rss=n/a
	if /usr/bin/time -f %M true >/dev/null 2>&1; then
		rss=$(/usr/bin/time -f %M "$LOCO" adapters convert --base "$W/q3-4b.gguf" -o "$W/disk.gguf" \
		    "$W/q3-4b-lora" 2>&1 >/dev/null | tail -n 1)
		rss="$(calc "$rss / 1024" 1) MB"
	fi
	line "cat ($mb MB of F32 safetensors)" "median $(calc "$cat" 1) ms"
	line "convert to F16 ($(dirname "$out"))" "median $(calc "$conv" 1) ms   ratio ${r}x   target <= 3   $(verdict "$r" 3.0001)"
	line "convert to the disk" "median $(calc "$disk" 1) ms (fsync of $(calc "$(wc -c <"$W/disk.gguf") / 1e6" 1) MB included)"
	line "peak memory (maxrss)" "$rss   (largest tensor $(calc "4096 * 16 * 4 / 1024" 0) KB as F32)"
}

[ $# -gt 0 ] && SECTIONS=$*
echo "loco benchmarks: $(uname -sm), $(nproc 2>/dev/null || echo '?') cpus; medians of $N_ROUTE runs (query $N_QUERY, python $N_PY)"
for s in $SECTIONS; do
	command -v "bench_$s" >/dev/null 2>&1 || die "no benchmark section '$s'"
	"bench_$s"
done
exit 0
