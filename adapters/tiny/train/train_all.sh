#!/bin/sh
# Reproduce the tiny world: held-out data and benchmarks (from the
# benchmark distribution), the overlap check, the base model, seven LoRA
# adapters (two for math and for code, and the tool-calling math-tool), each saved in PEFT's layout and
# made into a GGUF by `loco adapters convert`, evaluation, the PEFT and
# llama.cpp agreement checks and the registry's sha256 lines.  CPU only;
# about 1-2 hours on 2 cores, more when they are shared.  `make train-tiny`.
#   PYTHON    python with torch 1.13 (default /usr/bin/python3; Debian python3-torch)
#   JOBS      adapters trained at once (default 2; each uses one thread)
#   LOCO      loco, for `loco adapters convert` (default the repository's ./loco)
#   ADAPTERS  the adapters to train (default all of runs.py, in pairs;
#             math-tool, the tool experiment's (issue #19), last)
set -eu
cd "$(dirname "$0")"
PY=${PYTHON:-/usr/bin/python3}
JOBS=${JOBS:-2}
LOCO=${LOCO:-$(cd ../../.. && pwd)/loco}
ADAPTERS=${ADAPTERS:-math code analysis writing math-b code-b math-tool}
LOGS=../logs
mkdir -p "$LOGS" out
step() { echo "train_all: $(date -u +%Y-%m-%dT%H:%M:%SZ) $*" | tee -a "$LOGS/train_all.txt"; }
: >"$LOGS/train_all.txt"

step "held-out sets and benchmarks"
"$PY" make_data.py
"$PY" make_benchmarks.py
# Before hours of training: no benchmark case may be (near) a training one.
"$PY" overlap_check.py | tee -a "$LOGS/train_all.txt"

step "base"
"$PY" train.py base --eval-every 450 >"$LOGS/base.txt" 2>&1
# shellcheck disable=SC2086
set -- $ADAPTERS
while [ $# -gt 0 ]; do
	pids=
	i=0
	while [ $# -gt 0 ] && [ "$i" -lt "$JOBS" ]; do
		step "adapter $1"
		"$PY" train.py lora --name "$1" --eval-every 175 >"$LOGS/$1.txt" 2>&1 &
		pids="$pids $!"
		shift
		i=$((i + 1))
	done
	for p in $pids; do wait "$p"; done
done

step "PEFT folders: the Hugging Face layout against the model"
: >"$LOGS/peft_check.txt"
for n in $ADAPTERS; do
	"$PY" check_peft.py forward "$n" >>"$LOGS/peft_check.txt"
done

# The committed GGUFs are loco's conversion of the PEFT folders (issue
# #17); the Python writer's are the reference they must equal.
if [ -x "$LOCO" ] && "$LOCO" adapters convert --help >/dev/null 2>&1; then
	step "adapter GGUFs by $LOCO adapters convert"
	for n in $ADAPTERS; do
		cp "../$n.gguf" "out/$n.ref.gguf"
		"$LOCO" adapters convert "../peft/$n" -o "../$n.gguf" --base ../base.gguf --outtype f32
		"$PY" check_peft.py compare "out/$n.ref.gguf" "../$n.gguf" >>"$LOGS/peft_check.txt"
	done
else
	step "adapter GGUFs by the Python writer"
	echo "train_all.sh: $LOCO has no 'adapters convert' (run make, or set LOCO):" \
	    "the adapter GGUFs are gguf_writer.py's, not loco's conversion of peft/" >&2
fi
for n in $ADAPTERS; do
	"$PY" check_peft.py folder "../peft/$n" "../$n.gguf" >>"$LOGS/peft_check.txt"
done
cat "$LOGS/peft_check.txt"

step "evaluation"
"$PY" evaluate.py >"$LOGS/eval.txt" 2>&1
cat "$LOGS/eval.txt"
step "llama.cpp agreement"
"$PY" check_gguf.py --n 120 --out /tmp/loco-gguf-check.json
node check_gguf.js /tmp/loco-gguf-check.json "$LOGS/gguf_check.json" >"$LOGS/gguf_check.txt"
cat "$LOGS/gguf_check.txt"
"$PY" update_registry.py
step "done"
