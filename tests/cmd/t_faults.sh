#!/bin/sh
# t_faults.sh: faults and hostile input (issue #16): a dangling entry of
# installed.yaml, kill -9 at random points of install --force, special
# files given as adapter files, a server that trickles blank lines.
. "$TOP/tests/cmd/lib.sh"
area_begin faults

A="$LOCO_HOME/adapters"
cat >"$A/registry.yaml" <<'YAML'
base_model:
  name: Qwen3-4B
  tag: qwen3:4b
  architecture: qwen3
adapters:
  - name: writer
    version: 1.0.0
    domain: writing
    type: prompt
    description: from the registry file
    router_keywords: [essay]
YAML
# The server has the base this registry names.
script '{"models":["qwen3:4b"]}'

scratch_empty() {
	if [ -z "$(ls "$LOCO_HOME/tmp" 2>/dev/null | grep -v downloads)" ]; then pass; else fail "scratch left behind: $(ls "$LOCO_HOME/tmp")"; fi
}

mkpkg solver 1.0.0
mkpkg solver 1.1.0

t "a dangling entry: loco starts and says what it found"
run_loco adapters install "$W/pkgs/solver-1.0.0.tar.gz"
expect_rc 0
run_loco adapters promote solver@1.0.0
expect_rc 0
# What a kill between the two renames of an old install --force left.
rm -rf "$A/solver/1.0.0"
MISSING="loco: installed package 'solver/1.0.0' is missing (no '$A/solver/1.0.0/adapter.yaml'); skipped: install it again or run 'loco adapters remove solver@1.0.0'"
run_loco adapters list --json
expect_rc 0
expect_err "$MISSING"
expect_eq "$(json 'out.map(a => a.name).join(" ")')" "writer" "listed"
run_loco route --json "solve 2x = 4"
expect_rc 0
expect_err "$MISSING"
run_loco doctor
if [ "$RC" -eq 0 ] || [ "$RC" -eq 1 ]; then pass; else fail "doctor exit status $RC"; fi
expect_err_has "$MISSING"

t "install repairs a dangling entry without --force"
run_loco adapters install "$W/pkgs/solver-1.0.0.tar.gz"
expect_rc 0
expect_err "$MISSING"
expect_out "installed solver 1.0.0; run 'loco setup' to register it with Ollama"
run_loco adapters list --json
expect_err_empty
expect_eq "$(json 'out.map(a => a.name + "@" + a.version).join(" ")')" "writer@1.0.0 solver@1.0.0" "listed"
if [ "$(grep -c '"solver/1.0.0"' "$A/installed.yaml")" -eq 1 ]; then pass; else fail "listed once"; fi
scratch_empty

t "remove clears a dangling entry"
rm -rf "$A/solver/1.0.0"
run_loco adapters remove solver
expect_rc 0
expect_err "$MISSING"
expect_out "removed solver 1.0.0
kept the Ollama model loco-solver:1.0.0-qwen3-4b: its package was gone, so its type is unknown"
if grep -q solver "$A/installed.yaml"; then fail "still listed"; else pass; fi
if [ -e "$A/solver" ]; then fail "directory left"; else pass; fi
run_loco adapters list
expect_rc 0
expect_err_empty
run_loco adapters remove solver
expect_rc 1
expect_err "loco: no adapter 'solver' is installed"

t "kill -9 at random points of install --force leaves a working state"
run_loco adapters install "$W/pkgs/solver-1.1.0.tar.gz"
expect_rc 0
i=0
bad=0
while [ $i -lt 30 ]; do
	i=$((i + 1))
	"$LOCO" adapters install --force "$W/pkgs/solver-1.1.0.tar.gz" >/dev/null 2>&1 &
	pid=$!
	# 0 to 20 ms: an install takes about 10 here.
	sleep "$(awk -v s="$i$$" 'BEGIN { srand(s); printf "%.4f", rand() * 0.02 }')"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	run_loco adapters list --json
	if [ "$RC" -ne 0 ] || [ -s "$W/err" ]; then bad=$((bad + 1)); fail "kill $i: list exits $RC"; fi
	if [ "$(json 'out.map(a => a.name + "@" + a.version).join(" ")')" != "writer@1.0.0 solver@1.1.0" ]; then
		bad=$((bad + 1)); fail "kill $i: listed"
	fi
	run_loco doctor
	case $RC in 0|1) ;; *) bad=$((bad + 1)); fail "kill $i: doctor exits $RC" ;; esac
	if grep -q missing "$W/err"; then bad=$((bad + 1)); fail "kill $i: dangling"; fi
done
expect_eq "$bad" 0 "failures after kills"
# A killed install leaves its scratch directory under $LOCO_HOME/tmp,
# never in adapters/; clearing those is another change's business.
rm -rf "$LOCO_HOME"/tmp/install.*
run_loco adapters install --force "$W/pkgs/solver-1.1.0.tar.gz"
expect_rc 0
expect_out "installed solver 1.1.0; run 'loco setup' to register it with Ollama"
cmp -s "$A/solver/1.1.0/solver.gguf" "$W/src/solver-1.1.0/solver.gguf" && pass || fail "installed file"

t "kill -9 at random points of setup leaves a working state"
i=0
bad=0
while [ $i -lt 30 ]; do
	i=$((i + 1))
	# A server that forgets what was created: each setup does it all.
	curl -s -X POST "$BASE_URL/__control/reset" >/dev/null
	"$LOCO" setup >/dev/null 2>&1 &
	pid=$!
	# 0 to 40 ms: a setup takes about 30 here.
	sleep "$(awk -v s="$i$$" 'BEGIN { srand(s); printf "%.4f", rand() * 0.04 }')"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	for cmd in "adapters list" config; do
		run_loco $cmd
		if [ "$RC" -ne 0 ] || [ -s "$W/err" ]; then bad=$((bad + 1)); fail "kill $i: $cmd exits $RC"; fi
	done
	run_loco doctor
	case $RC in 0|1) ;; *) bad=$((bad + 1)); fail "kill $i: doctor exits $RC" ;; esac
done
expect_eq "$bad" 0 "failures after kills"
run_loco setup
expect_rc 0
run_loco doctor
expect_rc 0

t "adapters add reads regular files only, of a bounded size"
mkfifo "$W/fifo"
ln -s /dev/zero "$W/zero-link"
truncate -s 65G "$W/huge.gguf"
for f in /dev/zero "$W/zero-link" "$W/fifo" "$W/huge.gguf"; do
	printf 'FROM qwen3:4b\nADAPTER %s\n' "$f" >"$W/special.Modelfile"
	# timeout: before the fix /dev/zero copied for ever, the FIFO hung.
	timeout 20 "$LOCO" adapters add --modelfile "$W/special.Modelfile" --domain math special >"$W/out" 2>"$W/err" </dev/null
	RC=$?
	expect_rc 1
	case $f in
	*fifo) expect_err "loco: cannot read adapter file '$f': a FIFO, not a regular file" ;;
	*huge.gguf) expect_err "loco: cannot read adapter file '$f': larger than 68719476736 bytes" ;;
	*) expect_err "loco: cannot read adapter file '$f': a character device, not a regular file" ;;
	esac
done
timeout 20 "$LOCO" adapters add --modelfile "$W/fifo" --domain math special >"$W/out" 2>"$W/err" </dev/null
RC=$?
expect_rc 1
expect_err "loco: cannot read '$W/fifo': a FIFO, not a regular file"
if [ -e "$A/special" ] || grep -q special "$A/installed.yaml"; then fail "installed"; else pass; fi
scratch_empty

t "setup and doctor refuse an adapter file that is a FIFO or a device"
cp "$A/registry.yaml" "$W/registry.yaml.saved"
cat >>"$A/registry.yaml" <<YAML
  - name: piped
    version: 1.0.0
    domain: math
    type: lora
    description: a FIFO for a file
    file: $W/fifo
    router_keywords: [solve]
YAML
script '{"models":["qwen3:4b"]}'
timeout 20 "$LOCO" setup >"$W/out" 2>"$W/err" </dev/null
RC=$?
expect_rc 1
expect_err_has "loco: cannot read '$W/fifo': a FIFO, not a regular file"
expect_out_has "adapter piped: loco-piped:1.0.0-qwen3-4b failed"
timeout 20 "$LOCO" doctor >"$W/out" 2>"$W/err" </dev/null
RC=$?
if [ "$RC" -eq 1 ]; then pass; else fail "doctor exit status $RC"; fi
expect_out_has "PROBLEM adapter piped        cannot read '$W/fifo': a FIFO, not a regular file"
cp "$W/registry.yaml.saved" "$A/registry.yaml"
rm -f "$W/huge.gguf"

t "a reply that trickles in hits backend.request_timeout"
# 400 chunks 50 ms apart: never a gap of backend.timeout, 20 s in all.
MODELS='"models":["qwen3:4b"]'
script "{$MODELS,\"chat\":[{\"reply\":\"$(printf '%0400d' 0)\",\"chunk_size\":1,\"chunk_delay_ms\":50}]}"
start=$(date +%s)
LOCO_BACKEND_TIMEOUT=1 LOCO_BACKEND_REQUEST_TIMEOUT=2 run_loco query --quiet --adapter writer "hello"
took=$(($(date +%s) - start))
expect_rc 1
expect_err "loco: request to $BASE_URL/api/chat failed: no complete reply after 2 s (raise backend.request_timeout)"
if [ "$took" -le 6 ]; then pass; else fail "took $took s"; fi
run_loco config --json
expect_eq "$(json 'out.find(k => k.key === "backend.request_timeout").value')" 3600 "the default"
# 0 never fires: 3 s of trickle, longer than the 2 s above.
script "{$MODELS,\"chat\":[{\"reply\":\"$(printf '%060d' 0)\",\"chunk_size\":1,\"chunk_delay_ms\":50}]}"
LOCO_BACKEND_REQUEST_TIMEOUT=0 LOCO_BACKEND_TIMEOUT=1 run_loco query --quiet --adapter writer "hello"
expect_rc 0
expect_out "$(printf '%060d' 0)"

area_end
