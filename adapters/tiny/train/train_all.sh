#!/bin/sh
# Reproduce the tiny world: held-out data, base model, four LoRA adapters,
# GGUF files, evaluation, the llama.cpp agreement check, the registry's
# sha256 lines and loco's benchmark files (make_benchmarks.py).  CPU only;
# about 40-60 minutes on 2 cores.  `make train-tiny`.
#   PYTHON   python with torch 1.13 (default /usr/bin/python3; Debian python3-torch)
#   JOBS     adapters trained at once (default 2; each uses one thread)
set -eu
cd "$(dirname "$0")"
PY=${PYTHON:-/usr/bin/python3}
JOBS=${JOBS:-2}
LOGS=../logs
mkdir -p "$LOGS"
"$PY" make_data.py
"$PY" train.py base --eval-every 450 >"$LOGS/base.txt" 2>&1
set -- math code analysis writing
while [ $# -gt 0 ]; do
	pids=
	i=0
	while [ $# -gt 0 ] && [ "$i" -lt "$JOBS" ]; do
		# analysis: three numbered sentences and the question twice (RE2)
		# take more than 256 tokens
		more=
		[ "$1" != analysis ] || more="--row 320 --eval-every 100"
		# shellcheck disable=SC2086
		"$PY" train.py lora --domain "$1" --eval-every 175 $more >"$LOGS/$1.txt" 2>&1 &
		pids="$pids $!"
		shift
		i=$((i + 1))
	done
	for p in $pids; do wait "$p"; done
done
"$PY" evaluate.py >"$LOGS/eval.txt" 2>&1
cat "$LOGS/eval.txt"
"$PY" check_gguf.py --n 120 --out /tmp/loco-gguf-check.json
node check_gguf.js /tmp/loco-gguf-check.json "$LOGS/gguf_check.json" >"$LOGS/gguf_check.txt"
cat "$LOGS/gguf_check.txt"
"$PY" update_registry.py
"$PY" make_benchmarks.py
