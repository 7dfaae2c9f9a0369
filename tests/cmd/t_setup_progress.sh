#!/bin/sh
# t_setup_progress.sh: what loco setup shows while it works, and its
# summary.  Off a terminal (a CI log), a few plain lines per pull and
# upload; on one (script(1)), one bar per pull and upload, rewritten and
# ended with what happened; nothing with --quiet; stdout alone with
# --json.  Ollama's unkind streams: statuses without a total, totals that
# change, layers complete at first sight, an error mid-stream, Ctrl-C;
# and the engine's own pull (tests/engine) when it is installed.  The done
# line counts exactly the lines above it.
. "$TOP/tests/cmd/lib.sh"
area_begin setup-progress

A="$LOCO_HOME/adapters"
node "$TOP/tests/cmd/mkgguf.js" "$A/solver.gguf" general.architecture=s:qwen3
HEX=$(sha256sum "$A/solver.gguf" | cut -d' ' -f1)
SIZE=$(wc -c <"$A/solver.gguf" | tr -d ' ')
BASE=qwen3:4b-instruct-2507-q4_K_M
cat >"$A/registry.yaml" <<YAML
base_model:
  name: Qwen3-4B
  tag: $BASE
  architecture: qwen3
adapters:
  - name: solver
    version: 1.2.0
    domain: math
    type: lora
    description: a LoRA adapter
    file: solver.gguf
    sha256: $HEX
  - name: writer
    version: 1.0.0
    domain: writing
    type: prompt
    description: a prompt adapter
    system: Write well.
YAML
QWEN="{\"name\":\"$BASE\",\"architecture\":\"qwen3\",\"basename\":\"Qwen3\",\"size_label\":\"4B\"}"
SOLVER=loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M
WRITER=loco-writer:1.0.0-qwen3-4b-instruct-2507-q4_K_M

# plain FILE: its lines with times, rates and estimates made constant.
plain() {
	sed -E -e 's/ in [0-9.]+s$| in [0-9]+m[0-9]+s$/ in T/' \
	    -e 's/, [0-9.]+ [kMGTPE]?B\/s(, ETA [0-9hms.]+)?$//' "$1"
}

# screen FILE: what a terminal shows after FILE's bytes ("\r" goes back
# to the start of the line, ESC [K erases to its end), times made T.
screen() {
	node -e '
		const raw = require("fs").readFileSync(process.argv[1], "latin1").replace(/\r\n/g, "\n");
		const out = [];
		for (const l of raw.split("\n")) {
			let line = "", col = 0;
			for (const piece of l.split(/(\r|\x1b\[K)/)) {
				if (piece === "\r") col = 0;
				else if (piece === "\x1b[K") line = line.slice(0, col);
				else { line = line.slice(0, col) + piece + line.slice(col + piece.length); col += piece.length; }
			}
			out.push(line);
		}
		process.stdout.write(out.join("\n"));
	' "$1" | sed -E 's/ in [0-9.]+s$| in [0-9]+m[0-9]+s$/ in T/'
}

# counts_match: the done line on stdout counts the lines above it: base
# and tag adapters pulled, models created, updated, repaired or replaced,
# adapters failed, and the uploads stderr showed.
counts_match() {
	_lines=$(awk '
		/^base: .* (pulled|repaired)/ { p++ }
		/^adapter [^:]*: [^ ]+ pulled$/ { p++ }
		/^adapter [^:]*: [^ ]+ (created|updated|repaired|replaced)( |$)/ { c++ }
		/^adapter [^:]*: [^ ]+ failed$/ { f++ }
		END { printf "%d created, %d pulled, %d failed", c, p, f }' "$W/out")
	_up=$(grep -c '^uploaded .* for .*: ' "$W/err")
	_done=$(sed -n -E 's/^done: ([0-9]+) uploaded, ([0-9]+) created, ([0-9]+) pulled(, ([0-9]+) failed)?$/\1 uploaded, \2 created, \3 pulled, \5 failed/p' "$W/out" | sed 's/,  failed/, 0 failed/')
	expect_eq "$_done" "$_up uploaded, $_lines" "the done line against the lines above it"
}

t "a CI log: a few lines per pull and upload, not Ollama's statuses"
script "{\"models\":[],\"pullable\":[$QWEN]}"
run_loco setup
expect_rc 0
expect_out "server: Ollama 0.33.0 at $BASE_URL
config: wrote the defaults to $LOCO_HOME/config.yaml
base: $BASE pulled
adapter solver: $SOLVER created
adapter writer: $WRITER created
done: 1 uploaded, 2 created, 1 pulled"
plain "$W/err" >"$W/plain"
printf '%s\n' "pulling $BASE" \
    "pulling $BASE: 33%, 833 MB of 2.5 GB" \
    "pulling $BASE: 66%, 1.7 GB of 2.5 GB" \
    "pulled $BASE: 2.5 GB in T" \
    "uploading solver.gguf for solver" \
    "uploaded solver.gguf for solver: $SIZE B in T" >"$W/expected"
if cmp -s "$W/expected" "$W/plain"; then pass; else
	fail "stderr lines differ"; diff "$W/expected" "$W/plain" | sed 's/^/  /'; fi
if grep -q "$(printf '[\r\033]')" "$W/err"; then fail "escape or CR on stderr"; else pass; fi
counts_match

# The server forgets the models a script reset drops, not the blobs.
forget_all() {
	script "$1"
	rm -f "$LOCO_HOME/state.json" "$B/blobs/sha256-$HEX"
}

t "--quiet: nothing on stderr; --json: stdout is the object alone"
forget_all "{\"models\":[],\"pullable\":[$QWEN]}"
run_loco setup --quiet
expect_rc 0
expect_err_empty
expect_out_has "done: 1 uploaded, 2 created, 1 pulled"
forget_all "{\"models\":[],\"pullable\":[$QWEN]}"
run_loco setup --json
expect_rc 0
expect_eq "$(json '[out.base.outcome, out.uploaded, out.created, out.pulled].join(" ")')" "pulled 1 2 1" "counts"
expect_err_has "pulled $BASE: 2.5 GB in $(sed -n "s/^pulled $BASE: 2.5 GB in //p" "$W/err")"

# A tag adapter: its model is pulled, so it says "pulled" and counts so.
TAGREG=$W/tag-registry.yaml
cat >"$TAGREG" <<YAML
base_model:
  name: Qwen3-4B
  tag: $BASE
adapters:
  - name: tiny
    version: 1.0.0
    domain: writing
    type: tag
    tag: tinyllama:1.1b
    description: an Ollama model as it is
  - name: writer
    version: 1.0.0
    domain: writing
    type: prompt
    description: a prompt adapter
    system: Write well.
YAML
# Ollama's stream as it comes: a status without a total, a layer complete
# at first sight (its bytes were there), one whose first line has no
# completed, a total that grows, and more statuses without totals.
UNKIND='[{"status":"pulling aaaaaaaaaaaa","digest":"sha256:aa","total":2000000000,"completed":2000000000},
 {"status":"pulling bbbbbbbbbbbb","digest":"sha256:bb","total":1000000000},
 {"status":"pulling bbbbbbbbbbbb","digest":"sha256:bb","total":1000000000,"completed":500000000},
 {"status":"pulling bbbbbbbbbbbb","digest":"sha256:bb","total":2000000000,"completed":1500000000},
 {"status":"pulling bbbbbbbbbbbb","digest":"sha256:bb","total":2000000000,"completed":2000000000},
 {"status":"verifying sha256 digest"},{"status":"writing manifest"}]'
TINY="{\"name\":\"tinyllama:1.1b\",\"pull_stream\":$UNKIND}"

t "a pull in several steps: one bar's worth of lines for the model, a tag adapter pulled"
script "{\"models\":[$QWEN],\"pullable\":[$TINY]}"
run_loco --registry "$TAGREG" setup
expect_rc 0
expect_out "server: Ollama 0.33.0 at $BASE_URL
base: $BASE present
adapter tiny: tinyllama:1.1b pulled
adapter writer: $WRITER created
done: 0 uploaded, 1 created, 1 pulled"
# 2 of 3 GB, then 2.5 of 3 GB; 3.5 of 4 GB is no further tenth.
plain "$W/err" >"$W/plain"
printf '%s\n' "pulling tinyllama:1.1b" \
    "pulling tinyllama:1.1b: 66%, 2.0 GB of 3.0 GB" \
    "pulling tinyllama:1.1b: 83%, 2.5 GB of 3.0 GB" \
    "pulled tinyllama:1.1b: 4.0 GB in T" >"$W/expected"
if cmp -s "$W/expected" "$W/plain"; then pass; else
	fail "stderr lines differ"; diff "$W/expected" "$W/plain" | sed 's/^/  /'; fi
counts_match
run_loco --registry "$TAGREG" setup --json
expect_eq "$(json 'out.adapters.map(a => a.outcome).join()')" "current,current" "a second run"

t "an error in the middle of a pull: the line says where, the done line counts it"
BROKEN='[{"status":"pulling cccccccccccc","total":1000000000,"completed":500000000},{"error":"max retries exceeded: unexpected EOF"}]'
script "{\"models\":[$QWEN],\"pullable\":[{\"name\":\"tinyllama:1.1b\",\"pull_stream\":$BROKEN}]}"
rm -f "$LOCO_HOME/state.json"
run_loco --registry "$TAGREG" setup
expect_rc 1
expect_out "server: Ollama 0.33.0 at $BASE_URL
base: $BASE present
adapter tiny: tinyllama:1.1b failed
adapter writer: $WRITER created
done: 0 uploaded, 1 created, 0 pulled, 1 failed"
expect_err "pulling tinyllama:1.1b
pulling tinyllama:1.1b: 50%, 500 MB of 1.0 GB
pulling tinyllama:1.1b: failed at 50%, 500 MB of 1.0 GB
loco: adapter 'tiny': cannot pull 'tinyllama:1.1b': max retries exceeded: unexpected EOF
loco: 1 of 2 adapters could not be registered"
counts_match

t "a refused create is not counted as created"
script "{\"models\":[$QWEN],\"refuse_adapters\":\"adapters are not supported in Modelfiles\"}"
rm -f "$LOCO_HOME/state.json" "$B/blobs/sha256-$HEX"
run_loco setup
expect_rc 8
expect_out "server: Ollama 0.33.0 at $BASE_URL
base: $BASE present
adapter solver: $SOLVER failed
adapter writer: $WRITER created
done: 1 uploaded, 1 created, 0 pulled, 1 failed"
counts_match
run_loco setup --json --quiet
expect_eq "$(json '[out.uploaded, out.created, out.failed, out.adapters[1].outcome].join(" ")')" "0 0 1 current" "the blob is there now, the writer current"

t "a repaired base and a repaired adapter: counted as they say"
script "{\"models\":[$QWEN],\"pullable\":[$QWEN]}"
rm -f "$LOCO_HOME/state.json"
run_loco setup --quiet
expect_rc 0
rm "$B/blobs/sha256-$HEX"
backend_script "$B" "{\"models\":[{\"name\":\"$BASE\",\"architecture\":\"qwen3\",\"basename\":\"Qwen3\",\"size_label\":\"4B\",\"blob_missing\":true}],\"pullable\":[$QWEN]}"
run_loco setup
expect_rc 0
expect_out_has "base: $BASE repaired (its weights blob was missing from Ollama: pulled again)"
expect_out_has "adapter solver: $SOLVER repaired (its adapter blob sha256:"
expect_out_has "done: 1 uploaded, 1 created, 1 pulled"
counts_match

if command script -qfec true /dev/null </dev/null >/dev/null 2>&1; then
	# on_tty CMD: CMD under script(1), on a terminal of 100 columns; what
	# it wrote in $W/tty, its screen in $W/screen.
	on_tty() {
		TERM=xterm COLUMNS=100 command script -qfec "$1" /dev/null \
		    </dev/null >"$W/tty" 2>&1
		RC=$?
		screen "$W/tty" >"$W/screen"
		cp "$W/screen" "$W/out"
		: >"$W/err"
	}
	CR=$(printf '\r')
	ESC=$(printf '\033')

	t "a terminal: one bar per pull and upload, ended with what happened"
	script "{\"models\":[],\"pullable\":[$QWEN],\"pull_step_ms\":30}"
	rm -f "$LOCO_HOME/state.json" "$B/blobs/sha256-$HEX"
	on_tty "$LOCO setup"
	expect_rc 0
	expect_out "server: Ollama 0.33.0 at $BASE_URL
pulled $BASE: 2.5 GB in T
base: $BASE pulled
uploaded solver.gguf for solver: $SIZE B in T
adapter solver: $SOLVER created
adapter writer: $WRITER created
done: 1 uploaded, 2 created, 1 pulled"
	# The bar names the model and sums its layers: one bar, not a line
	# per layer digest.
	if grep -q "${CR}${ESC}\[Kpulling $BASE  \[#*\.*\]   33%  833 MB / 2\.5 GB" "$W/tty"; then
		pass; else fail "no bar at 33%"; fi
	if grep -q "${CR}${ESC}\[Kpulling $BASE  \[#*\.*\]   66%  1\.7 GB / 2\.5 GB" "$W/tty"; then
		pass; else fail "no bar at 66%"; fi
	if grep -q "pulling [0-9a-f]\{12\}\|verifying sha256\|writing manifest$" "$W/screen"; then
		fail "a raw status stayed on the screen"; else pass; fi
	if grep -q "${ESC}\[Kuploading solver.gguf for solver" "$W/tty"; then pass; else fail "no upload line"; fi
	# No line is longer than the terminal.
	expect_eq "$(tr '\r' '\n' <"$W/tty" | sed "s/${ESC}\[K//g" | awk 'length > 99' | wc -l | tr -d ' ')" 0 "lines past 99 columns"

	t "a terminal: the unkind stream is one bar for the model"
	script "{\"models\":[$QWEN],\"pullable\":[$TINY],\"pull_step_ms\":30}"
	rm -f "$LOCO_HOME/state.json"
	on_tty "$LOCO --registry $TAGREG setup"
	expect_rc 0
	expect_out "server: Ollama 0.33.0 at $BASE_URL
base: $BASE present
pulled tinyllama:1.1b: 4.0 GB in T
adapter tiny: tinyllama:1.1b pulled
adapter writer: $WRITER created
done: 0 uploaded, 1 created, 1 pulled"
	for want in "pulling manifest" "\[#*\.*\]   66%  2\.0 GB / 3\.0 GB" \
	    "\[#*\.*\]   83%  2\.5 GB / 3\.0 GB" "\[#*\.*\]   87%  3\.5 GB / 4\.0 GB" \
	    "\[#*\]  100%  4\.0 GB / 4\.0 GB  verifying sha256 digest"; do
		if grep -q "${CR}${ESC}\[Kpulling tinyllama:1\.1b  $want" "$W/tty"; then
			pass; else fail "no frame 'pulling tinyllama:1.1b$want'"; fi
	done

	t "a terminal: an error mid-stream ends the bar with where it stopped"
	script "{\"models\":[$QWEN],\"pullable\":[{\"name\":\"tinyllama:1.1b\",\"pull_stream\":$BROKEN}]}"
	rm -f "$LOCO_HOME/state.json"
	on_tty "$LOCO --registry $TAGREG setup"
	expect_rc 1
	expect_out "server: Ollama 0.33.0 at $BASE_URL
base: $BASE present
pulling tinyllama:1.1b: failed at 50%, 500 MB of 1.0 GB
loco: adapter 'tiny': cannot pull 'tinyllama:1.1b': max retries exceeded: unexpected EOF
adapter tiny: tinyllama:1.1b failed
adapter writer: $WRITER created
done: 0 uploaded, 1 created, 0 pulled, 1 failed
loco: 1 of 2 adapters could not be registered"

	t "a terminal: Ctrl-C leaves the line clean"
	script "{\"models\":[],\"pullable\":[$QWEN],\"pull_step_ms\":400}"
	rm -f "$LOCO_HOME/state.json"
	on_tty "sh -c '$LOCO setup & p=\$!; sleep 1.5; kill -INT \$p; wait \$p; echo rc=\$?'"
	expect_out_has "rc=130"
	if grep -Eq "^pulling $BASE: interrupted at [0-9]+%, [0-9.]+ [kMG]?B of 2\.5 GB$" "$W/screen"; then
		pass; else fail "no interrupted line"; fi
	if grep -q '\[[#.]*\]' "$W/screen"; then fail "a bar left on the screen"; else pass; fi
	if grep -q "^pulled" "$W/screen"; then fail "pulled after Ctrl-C"; else pass; fi

	t "a terminal with --quiet: no bar"
	script "{\"models\":[],\"pullable\":[$QWEN]}"
	rm -f "$LOCO_HOME/state.json"
	on_tty "$LOCO setup --quiet"
	expect_rc 0
	if grep -q "$ESC\|pulling\|uploading" "$W/tty"; then fail "progress with --quiet"; else pass; fi
else
	echo "setup-progress: script(1) cannot make a terminal: skipped the terminal checks"
fi

# The Ollama-compatible engine pulls by copying a file, in three steps:
# a first line with a total and no completed, half, all.
if [ -d "$TOP/tests/engine/node_modules/node-llama-cpp" ]; then
	t "the engine's pull and seven uploads, in a CI log"
	backend_stop "$B"
	B="$W/engine"
	BACKEND_JS="$TOP/tests/engine/server.js"
	backend_start "$B" --models "$TOP/adapters/tiny" --idle-timeout 300 ||
	    { echo "setup-progress: cannot start the engine"; exit 1; }
	sed "s|file: \([a-z-]*\)\.gguf|file: $TOP/adapters/tiny/\1.gguf|" \
	    "$TOP/adapters/tiny/registry.yaml" >"$A/registry.yaml"
	rm -f "$LOCO_HOME/state.json"
	run_loco setup
	expect_rc 0
	TB=$(wc -c <"$TOP/adapters/tiny/base.gguf" | tr -d ' ')
	TBS=$(node -e '
		const n = Number(process.argv[1]), u = ["kB", "MB", "GB"];
		let v = n / 1000, i = 0;
		while (i < 2 && v >= 999.5) { v /= 1000; i++; }
		console.log(n < 1000 ? n + " B" : (v < 9.95 ? v.toFixed(1) : v.toFixed(0)) + " " + u[i]);' "$TB")
	expect_err_has "pulling tiny-base:latest"
	if grep -Eq "^pulling tiny-base:latest: 50%, [0-9.]+ [kMG]?B of $TBS" "$W/err"; then
		pass; else fail "no line at 50% of $TBS"; fi
	if grep -Eq "^pulled tiny-base:latest: $TBS in [0-9hms.]+$" "$W/err"; then
		pass; else fail "no pulled line"; fi
	expect_eq "$(grep -c '^uploading [a-z-]*\.gguf for [a-z-]*$' "$W/err")" 7 "upload lines"
	expect_eq "$(grep -c '^uploaded [a-z-]*\.gguf for [a-z-]*: ' "$W/err")" 7 "uploaded lines"
	expect_out_has "done: 7 uploaded, 7 created, 1 pulled"
	counts_match
fi

area_end
